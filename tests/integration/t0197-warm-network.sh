#!/bin/bash
# t0160-network.sh again, each job a run request of a `sluice-agent serve`
# session whose python3 runtime has warm_start (agent/park.h): a job with
# the default limits runs in the sandbox parked before it came, with the
# interpreter already started.  Slot uids shifted so that all three runs
# of the test may run at once.
export SLUICE_TEST_AGENT_SERVE=1 SLUICE_TEST_WARM=1 SLUICE_TEST_UID_SHIFT=14000
exec "$BASH" "$top_srcdir/tests/integration/t0160-network.sh"

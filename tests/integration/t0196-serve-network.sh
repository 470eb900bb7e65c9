#!/bin/bash
# t0160-network.sh again, each job a run request of a `sluice-agent serve`
# session (run_job in tests/lib/agent.sh): the path the dispatcher takes,
# where the session keeps the policy and makes a run's network and IPC
# namespaces ahead of it.  Slot uids shifted so that both may run at once.
export SLUICE_TEST_AGENT_SERVE=1 SLUICE_TEST_UID_SHIFT=13000
exec "$BASH" "$top_srcdir/tests/integration/t0160-network.sh"

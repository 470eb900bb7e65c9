#!/bin/bash
# t0195-slot-reuse.sh again, each job a run request of a `sluice-agent serve` session
# whose python3 runtime has warm_start and zygote (agent/zygote.h): a job
# with the default limits is forked from the session's warm interpreter
# into the sandbox parked for it.  Slot uids shifted so that every run of
# the test may run at once.  (agent_setup says # SKIP when this build's
# sluice-zygote cannot be used: tests/lib/agent.sh, zygote_unusable.)
export SLUICE_TEST_AGENT_SERVE=1 SLUICE_TEST_WARM=1 SLUICE_TEST_ZYGOTE=1 SLUICE_TEST_UID_SHIFT=24000
exec "$BASH" "$top_srcdir/tests/integration/t0195-slot-reuse.sh"

#!/bin/bash
# t0195-slot-reuse.sh again with the rootless agent: mode = "user", run as a throwaway
# unprivileged account (tests/lib/agent.sh), no cgroup delegated to it.
# Slot uids shifted so that both may run at once.
export SLUICE_TEST_ROOTLESS=1 SLUICE_TEST_UID_SHIFT=21000
exec "$BASH" "$top_srcdir/tests/integration/t0195-slot-reuse.sh"

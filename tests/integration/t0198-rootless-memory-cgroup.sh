#!/bin/bash
# t0120-memory.sh again with the rootless agent given a cgroup: a v1
# cgroup_parent delegated to its account (directories chowned to it, as a
# node's owner would), so that memory is limited and accounted by the
# cgroup and no case is skipped (tests/lib/agent.sh).  Slot uids shifted
# into the rootless tests' own range (93350, 93351).
export SLUICE_TEST_ROOTLESS=1 SLUICE_TEST_ROOTLESS_CGROUP=1 SLUICE_TEST_UID_SHIFT=22150
exec "$BASH" "$top_srcdir/tests/integration/t0120-memory.sh"

#!/bin/bash
# t0185-compile.sh again with the rootless agent given a cgroup: a v1
# cgroup_parent delegated to its account (tests/lib/agent.sh), which the
# shipped runtimes need (the JVM wants more address space than RLIMIT_AS
# would let it have).  Slot uids shifted into the rootless tests' own
# range (93360, 93361).
export SLUICE_TEST_ROOTLESS=1 SLUICE_TEST_ROOTLESS_CGROUP=1 SLUICE_TEST_UID_SHIFT=10060
exec "$BASH" "$top_srcdir/tests/integration/t0185-compile.sh"

#!/bin/bash
# t0197-warm-end.sh again, each warm job forked from the session's zygote
# (agent/zygote.h).  Slot uids shifted so that both may run at once.
export SLUICE_TEST_ZYGOTE=1 SLUICE_TEST_UID_SHIFT=50
exec "$BASH" "$top_srcdir/tests/integration/t0197-warm-end.sh"

#!/bin/sh
# The whole test suite: build (in build/ unless BUILD_DIR says otherwise) and
# run make check, which lists every unit and integration case (TAP).
# Integration tests need root: they start real namespaces and cgroups.
# Extra arguments go to configure, e.g. tests/run.sh --enable-sanitizers.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
cd "$top"
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ $# -gt 0 ]; then
	"$top/configure" --enable-werror "$@" >/dev/null
fi
make -j"$(nproc)" >/dev/null
status=0
make -j"$(nproc)" check || status=$?
if [ "$status" -ne 0 ]; then
	cat test-suite.log 2>/dev/null | tail -n 200
fi
exit "$status"

#!/bin/bash
cg=/sys/fs/cgroup/cpuacct/d3exp
mkdir -p $cg
m() { # name cmd...
	local name=$1; shift
	echo $$ > $cg/tasks
	local u0=$(cat $cg/cpuacct.usage) t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	local u1=$(cat $cg/cpuacct.usage) t1=$(date +%s.%N)
	echo $$ > /sys/fs/cgroup/cpuacct/tasks
	python3 -c "import sys; n=300; t=$t1-$t0; print('%-28s %.2f s %6.1f jobs/s %5.1f ms cpu/job' % ('$name', t, n/t, ($u1-$u0)/1e6/n))"
}
for r in 1 2 3; do
	m bare-xargs-P2 bash -c 'seq 300 | xargs -P2 -I{} /usr/bin/python3 -I -B /tmp/d3/hello.py'
	m d3-zygote ./zyg 300 2 0
	m d3-exec-python3 ./zyg 300 2 1
done
rmdir $cg

#!/bin/sh
# Q3: a process in U (U's root mapped to 97100, every capability of U) inside the slot's
# cgroup tries to leave it (to the root of each v1 hierarchy, and to a sibling).
set -u
for c in memory pids cpuacct; do mkdir -p /sys/fs/cgroup/$c/zyg2q3b /sys/fs/cgroup/$c/zyg2q3c; done
sh -c 'for c in memory pids cpuacct; do echo $$ > /sys/fs/cgroup/$c/zyg2q3b/cgroup.procs; done
exec setpriv --reuid 97100 --regid 97100 --clear-groups unshare -Ur sh -c "
  echo in U: \$(id -u) \$(grep CapEff /proc/self/status)
  for c in memory pids cpuacct; do
    for t in /sys/fs/cgroup/\$c/cgroup.procs /sys/fs/cgroup/\$c/zyg2q3c/cgroup.procs /sys/fs/cgroup/\$c/zyg2q3b/tasks; do
      (echo \$\$ > \$t) 2>&1 | sed \"s#^#  \$t: #\"
    done
  done
  unshare -C sh -c \"echo after unshare -C: \\\$(grep -E memory /proc/self/cgroup)\"
  echo still in: \$(grep -E \"memory|pids|cpuacct\" /proc/self/cgroup | tr \"\n\" \" \")"'
for c in memory pids cpuacct; do rmdir /sys/fs/cgroup/$c/zyg2q3b /sys/fs/cgroup/$c/zyg2q3c; done

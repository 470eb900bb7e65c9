#!/bin/sh
# final round: interleaved, 3 repetitions; flags: 0 full, 2 no netns, 4 one fork, 6 one fork + no netns, 8 no seccomp
cd /tmp/zygote
for rep in 1 2 3; do
  echo "--- rep $rep  load $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/python3 driver.py bare 300
  for f in 0 2 4 6; do /usr/bin/python3 driver.py tput 300 2 $f; done
done
echo "--- end load $(cut -d' ' -f1-3 /proc/loadavg)"

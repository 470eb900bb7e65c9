#!/bin/sh
# interleaved, 3 rounds: bare, the spike's Python zygote (flags 0: two forks + netns),
# the C embed: 0 (pid 1 is the job, two forks, netns), 256 (init + job: the agent's shape),
# 258 (init + job, no netns), 260 (one fork + init), 262 (one fork + init, no netns),
# 272 (init + job, no /proc masks)
cd /tmp/zyg2
for rep in 1 2 3; do
  echo "--- rep $rep  load $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/python3 drv.py bare 300
  /usr/bin/python3 drv.py tput 300 2 0 py
  for f in 0 256 258 260 262 272; do /usr/bin/python3 drv.py tput 300 2 $f c; done
done
echo "--- end load $(cut -d' ' -f1-3 /proc/loadavg)"

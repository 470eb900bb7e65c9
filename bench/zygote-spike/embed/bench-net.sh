#!/bin/sh
# Q6: per-job cost of a network namespace: unshare in the job (256), none (258),
# made ahead by host root in U and setns'd (320; creation reported separately)
cd /tmp/zyg2
for rep in 1 2 3; do
  echo "--- rep $rep  load $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/python3 drv.py tput 300 2 256 c
  /usr/bin/python3 drv.py tput 300 2 258 c
  /usr/bin/python3 drv.py netnstput 300 2
done
echo "--- end load $(cut -d' ' -f1-3 /proc/loadavg)"

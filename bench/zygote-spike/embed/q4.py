# Q4: the job's procfs in its PID namespace inside U, and plan.c's masks over it
import os, sys
sys.argv = ["drv.py", "none"]
exec(open("/tmp/zyg2/drv.py").read())
SRC = rb'''
import os
mi = [l.split() for l in open("/proc/self/mountinfo")]
procm = [(l[4], l[8], l[5]) for l in mi if l[4].startswith("/proc")]
print("mounts at or under /proc:", len(procm))
for m in procm[:4] + procm[-5:]: print("  ", m)
print("/proc/cmdline %r /proc/timer_list %r /proc/fs %r /proc/sys/kernel/ostype %r" % (open("/proc/cmdline").read(),
      open("/proc/timer_list").read()[:20], os.listdir("/proc/fs"), open("/proc/sys/kernel/ostype").read()))
for p in ("/proc/sys/kernel/ostype", "/proc/sysrq-trigger"):
    try: open(p, "w").write("x"); print(p, "WRITABLE")
    except OSError as e: print(p, "write:", e.strerror)
print("/proc pids visible:", [d for d in os.listdir("/proc") if d.isdigit()])
'''
print("=== zygote with its own proc in its mount namespace")
check(256, "c", SRC, 1)
print("=== zygote without a proc in its mount namespace (ZYG_NOPROC)")
check(256, "c", SRC, 1, {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "ZYG_NOPROC": "1"})

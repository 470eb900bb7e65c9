# Q8: the same zygote started by an unprivileged account (uid 97150): U maps one id only
import os, sys
sys.argv = ["drv.py", "none"]
exec(open("/tmp/zyg2/drv.py").read())
SRC = CHECK + rb'''
import ctypes; l = ctypes.CDLL(None)
print("dumpable", l.prctl(3, 0, 0, 0, 0))
try: open("/proc/self/environ").read(); print("environ readable")
except OSError as e: print("/proc/self/environ", e.strerror)
'''
def drop():
    os.setgroups([]); os.setresgid(97150, 97150, 97150); os.setresuid(97150, 97150, 97150)
env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "ZYG_ROOTLESS": "1"}
print("=== rootless (account 97150)")
check(256, "c", SRC, 1, env, drop)
print("=== root mode, same job")
check(256, "c", SRC, 1)

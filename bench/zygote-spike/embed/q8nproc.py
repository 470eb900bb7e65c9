# Q8: RLIMIT_NPROC (64 in the prototype) with two concurrent jobs of one zygote:
# root mode on two slots (97101, 97102), rootless (one id for all).
import os, sys, time
sys.argv = ["drv.py", "none"]
exec(open("/tmp/zyg2/drv.py").read())
SRC = rb'''
import os, time
n = 0
for i in range(50):
    try:
        if os.fork() == 0:
            time.sleep(2.5); os._exit(0)
        n += 1
    except OSError as e:
        print("fork failed after", n, ":", e.strerror); break
print("forked", n)
time.sleep(2.6)
'''
def drop():
    os.setgroups([]); os.setresgid(97150, 97150, 97150); os.setresuid(97150, 97150, 97150)
for name, env, pre, slots in (("root mode, slots 97101 and 97102", None, None, (97101, 97102)),
                              ("rootless, one id", {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "ZYG_ROOTLESS": "1"}, drop, (97101, 97101)),
                              ("root mode, both on slot 97101", None, None, (97101, 97101))):
    z = Zygote("c", env, pre)
    a = z.submit(src=SRC, slot=slots[0], flags=ZF_INIT); time.sleep(1.0)
    b = z.submit(src=SRC, slot=slots[1], flags=ZF_INIT)
    z.reply(); z.reply()
    print("%s: first job: %s | second job: %s" % (name, open(a[1]).read().split("\n")[:2], open(b[1]).read().split("\n")[:2]))
    z.close()

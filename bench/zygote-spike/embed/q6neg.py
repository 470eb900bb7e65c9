# Q6 negative: a network namespace owned by the host's user namespace is refused by
# the zygote's child (setns needs CAP_SYS_ADMIN over the namespace's owner).
import os, sys, time, signal
sys.argv = ["drv.py", "none"]
exec(open("/tmp/zyg2/drv.py").read())
z = Zygote("c")
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    libc.unshare(0x40000000); os.write(w, b"k"); time.sleep(10); os._exit(0)
os.read(r, 1)
f = os.open("/proc/%d/ns/net" % pid, os.O_RDONLY)
os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
jid, out = z.submit(flags=ZF_INIT | ZF_NETNS, extra=[f])
print("host-owned netns: job status", z.reply(), "stderr:", open(out).read().strip())
z.close()

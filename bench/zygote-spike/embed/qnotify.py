# The job's seccomp notification fd reaches the host-root supervisor across U, and
# the supervisor answers it (the agent's memory rule: ENOMEM for a too-large mmap).
import os, sys, select, fcntl, struct
sys.argv = ["drv.py", "none"]
exec(open("/tmp/zyg2/drv.py").read())
RECV, SEND = 0xc0502100, 0xc0182101
SRC = rb'''
import mmap
try:
    m = mmap.mmap(-1, 5 << 30); print("5 GiB mapped!?")
except OSError as e: print("mmap 5 GiB:", e)
m = mmap.mmap(-1, 1 << 20); print("mmap 1 MiB ok")
'''
z = Zygote("c")
for withsup in (True, False):
    if not withsup:
        jid, out = z.submit(src=SRC, flags=ZF_INIT); print("without a supervisor (no listener: ENOSYS):", z.reply(), open(out).read().split("\n")); break
    a, jid, out, msg, pid, uid = sup_start(z, SRC)
    a.send(b"g")
    m, anc, _, _ = a.recvmsg(16, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(4))
    nfd = [struct.unpack("<i", d[:4])[0] for l, t, d in anc if t == socket.SCM_RIGHTS][0]
    print("from the job: %r with an fd: %s" % (m, os.readlink("/proc/self/fd/%d" % nfd)))
    p = select.poll(); p.register(nfd, select.POLLIN); print("poll", p.poll(5000))
    buf = bytearray(80)
    fcntl.ioctl(nfd, RECV, buf)
    nid, npid, nflags, nr, arch, ip = struct.unpack_from("<QIIiIQ", buf)
    args = struct.unpack_from("<6Q", buf, 32)
    print("notification: pid %d (host; NSpid %s) syscall %d len %d" % (npid, nspid(npid), nr, args[1]))
    fcntl.ioctl(nfd, SEND, bytearray(struct.pack("<QqiI", nid, 0, -12, 0)))
    print("init says", a.recv(16), "zygote", z.reply(), "job:", open(out).read().split("\n"))
    os.close(nfd); a.close()
z.close()

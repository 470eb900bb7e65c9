#!/usr/bin/python3
# drv.py: host side (root) for zyg (C embed) and the spike's Python zygote.
#   drv.py bare N | tput N K FLAGS c|py | check FLAGS | rss
import os, sys, socket, struct, time, resource, subprocess

D = os.path.dirname(os.path.abspath(__file__))
OUT = "/dev/shm/zyg2"
os.makedirs(OUT, exist_ok=True)
HZ = os.sysconf("SC_CLK_TCK")
HELLO = b'print("hello")\n'
SLOT = 97101


def sysbusy():
    v = list(map(int, open("/proc/stat").readline().split()[1:]))
    return sum(v[:8]) - v[3] - v[4]


def proccpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) / HZ


class Zygote:
    def __init__(self, kind="c", env=None, preexec=None):
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        exe = D + "/zyg" if kind == "c" else D + "/spike/launcher"
        self.p = subprocess.Popen([exe], pass_fds=(), stdin=subprocess.DEVNULL,
                                  env=env or {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                                  preexec_fn=lambda: (os.dup2(b.fileno(), 3), preexec and preexec()),
                                  close_fds=False)
        b.close(); self.s = a
        r = a.recv(16)
        assert r == b"ready", ("no ready", r)
        self.pid = self.p.pid
        self.zpid = int(open("/proc/%d/task/%d/children" % (self.pid, self.pid)).read().split()[0])
        self.n = 0

    def submit(self, src=HELLO, slot=SLOT, flags=0, out=None, extra=()):
        self.n += 1
        out = out or "%s/%d.out" % (OUT, self.n)
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        socket.send_fds(self.s, [struct.pack("<IIII", self.n, slot, flags, 0) + src], [fd] + list(extra))
        os.close(fd)
        return self.n, out

    def reply(self):
        m = self.s.recv(4096)
        jid, st, n = struct.unpack_from("<IiI", m)
        return jid, st

    def close(self):
        self.s.close(); self.p.wait()


def bare_tput(n):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN); b0 = sysbusy(); t0 = time.perf_counter()
    with open(OUT + "/bare.out", "w") as f:
        subprocess.run("seq %d | xargs -P2 -n1 /usr/bin/python3 -I -B %s/spike/hello.py" % (n, D),
                       shell=True, stdout=f, check=True)
    t = time.perf_counter() - t0; b1 = sysbusy(); r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert open(OUT + "/bare.out").read().count("hello") == n
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    print("bare          : %.1f jobs/s  CPU %.1f ms/job (children)  machine busy %.1f ms/job"
          % (n / t, 1000 * cpu / n, 1000 * (b1 - b0) / HZ / n))
    return n / t


def zyg_tput(n, k, flags, kind):
    z = Zygote(kind)
    for i in range(5):
        z.submit(flags=flags); z.reply()
    c0 = proccpu(z.zpid); b0 = sysbusy(); t0 = time.perf_counter()
    sent = done = bad = 0; outs = {}
    while done < n:
        while sent < n and sent - done < k:
            jid, out = z.submit(flags=flags); outs[jid] = out; sent += 1
        jid, st = z.reply(); done += 1
        bad += st != 0
    t = time.perf_counter() - t0
    c1 = proccpu(z.zpid); b1 = sysbusy()
    rss = [l for l in open("/proc/%d/status" % z.zpid) if l.startswith("VmRSS")][0].split()[1]
    z.close()
    okc = sum(open(o).read() == "hello\n" for o in outs.values())
    print("%-2s flags=%-4d : %.1f jobs/s  CPU %.1f ms/job (zygote+children)  machine busy %.1f ms/job"
          "  bad %d ok %d  zygote RSS %s kB"
          % (kind, flags, n / t, 1000 * (c1 - c0) / n, 1000 * (b1 - b0) / HZ / n, bad, okc, rss))
    return n / t


CHECK = rb'''
import sys, os, socket
print("flags", sys.flags.isolated, sys.flags.no_site, sys.flags.dont_write_bytecode, sys.flags.safe_path)
print("site", "site" in sys.modules, "sitecustomize", "sitecustomize" in sys.modules)
print("path", sys.path)
print("ids", os.getresuid(), os.getresgid(), os.getgroups())
print("pid", os.getpid(), "ppid", os.getppid(), "host", socket.gethostname())
print("hash", hash("a"))
print("exit/quit", exit, quit)
print("proc", sorted(os.listdir("/proc"))[:12])
print("kcore", os.stat("/proc/kcore").st_size if os.path.exists("/proc/kcore") else None,
      "cmdline", repr(open("/proc/cmdline").read()), "acpi", os.listdir("/proc/acpi") if os.path.isdir("/proc/acpi") else None)
try:
    open("/proc/sys/kernel/hostname", "w").write("x"); print("proc/sys writable!")
except OSError as e: print("proc/sys", e.strerror)
print("status", [l.strip() for l in open("/proc/self/status") if l.startswith(("Cap", "NoNewPrivs", "Seccomp", "Uid"))])
print("mounts", len(open("/proc/self/mountinfo").read().splitlines()))
print("environ", dict(os.environ))
print("libc", [l.split()[0] for l in open("/proc/self/maps") if "libc.so" in l][:1])
import json, collections; print("json", json.dumps({"a": [1, 2]}), collections.Counter("abca")["a"])
try:
    import ctypes; l = ctypes.CDLL(None, use_errno=True)
    print("unshare(NEWUSER)", l.unshare(0x10000000), os.strerror(ctypes.get_errno()), "unshare(NEWNS)", l.unshare(0x20000), os.strerror(ctypes.get_errno()))
except OSError as e: print("unshare", e.strerror)
try:
    os.setuid(0); print("setuid 0 ok!")
except OSError as e: print("setuid0", e.strerror)
import random; print("random", random.random())
'''


def check(flags, kind="c", src=CHECK, n=2, env=None, preexec=None):
    z = Zygote(kind, env, preexec)
    for i in range(n):
        jid, out = z.submit(src=src, flags=flags)
        _, st = z.reply()
        print("--- job %d status %d" % (jid, st))
        print(open(out).read(), end="")
    z.close()


if __name__ == "__main__":
    m = sys.argv[1]
    if m == "bare": bare_tput(int(sys.argv[2]))
    elif m == "tput": zyg_tput(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif m == "check": check(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "c")


# ---- Q2, Q3, Q5: a "supervisor" that is not the parent of the job's init ----
import ctypes, select, signal, array
libc = ctypes.CDLL(None, use_errno=True)
ZF_SUP, ZF_INIT, ZF_NETNS, ZF_NONET = 32, 256, 64, 2
CG = ["memory", "pids", "cpuacct"]


def cg_make(name):
    for c in CG:
        os.makedirs("/sys/fs/cgroup/%s/%s" % (c, name), exist_ok=True)
    open("/sys/fs/cgroup/memory/%s/memory.limit_in_bytes" % name, "w").write("%d" % (256 << 20))
    open("/sys/fs/cgroup/pids/%s/pids.max" % name, "w").write("16")


def cg_read(name, c, f):
    return open("/sys/fs/cgroup/%s/%s/%s" % (c, name, f)).read().split()


def cg_rm(name):
    for c in CG:
        try:
            os.rmdir("/sys/fs/cgroup/%s/%s" % (c, name))
        except OSError as e:
            print("rmdir", c, e)


def sup_start(z, src, flags=ZF_SUP | ZF_INIT):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    jid, out = z.submit(src=src, flags=flags, extra=[b.fileno()])
    b.close()
    msg, anc, fl, _ = a.recvmsg(16, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(4))
    pid = uid = None
    for lvl, typ, data in anc:
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            pid, uid, gid = struct.unpack("<iII", data)
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            pfd = struct.unpack("<i", data[:4])[0]
            fdpid = [l.split()[1] for l in open("/proc/self/fdinfo/%d" % pfd) if l.startswith("Pid:")]
            global LASTPIDFD
            LASTPIDFD = (pfd, fdpid)
            os.close(pfd)
    return a, jid, out, msg, pid, uid


def sup_status(a):
    """init's status message, past the job's notification-fd message ('n')"""
    while True:
        m, anc, _, _ = a.recvmsg(32, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(4))
        for l, t, d in anc:
            if t == socket.SCM_RIGHTS:
                os.close(struct.unpack("<i", d[:4])[0])
        if not m.startswith(b"n"):
            return m


def nspid(pid):
    return [l.split()[1:] for l in open("/proc/%d/status" % pid) if l.startswith("NSpid")][0]


Q3SRC = rb'''
import os, time
b = bytearray(50 << 20)
for i in range(0, len(b), 4096): b[i] = 1
t = time.process_time()
while time.process_time() - t < 0.3: pass
pid = os.fork()
if pid == 0:
    time.sleep(0.6); os._exit(0)
print("cgroup of the job:", open("/proc/self/cgroup").read().split())
os.waitpid(pid, 0)
print("done")
'''

SLEEPSRC = rb'''
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0: time.sleep(60); os._exit(0)
    os._exit(0)
time.sleep(60)
'''


def sup_demo():
    z = Zygote("c")
    name = "zyg2q3"
    cg_make(name)
    print("== Q2/Q3: creds, cgroup move before the job's code, pidfd, status over the socket")
    a, jid, out, msg, pid, uid = sup_start(z, Q3SRC)
    print("init's own pidfd sent over SCM_RIGHTS: fdinfo Pid as the supervisor sees it:", LASTPIDFD[1])
    print("init says %r; SCM_CREDENTIALS pid %s uid %s; NSpid of that host pid: %s; its comm %s"
          % (msg, pid, uid, nspid(pid), open("/proc/%d/comm" % pid).read().strip()))
    print("cgroup of init before the move:", open("/proc/%d/cgroup" % pid).read().split()[:3])
    pfd = os.pidfd_open(pid)
    for c in CG:
        open("/sys/fs/cgroup/%s/%s/cgroup.procs" % (c, name), "w").write(str(pid))
    a.send(b"g")
    time.sleep(0.5)
    print("pids in the slot cgroup while the job runs:", cg_read(name, "pids", "cgroup.procs"),
          "pids.current", cg_read(name, "pids", "pids.current"))
    p = select.poll(); p.register(pfd, select.POLLIN)
    t0 = time.perf_counter(); ev = p.poll(10000); t1 = time.perf_counter()
    st = sup_status(a)
    print("pidfd poll of init: %s after %.2f s; init's message: %r" % (ev, t1 - t0, st))
    print("cpuacct.usage %.3f s, memory.max_usage_in_bytes %.1f MiB, memory.failcnt %s"
          % (int(cg_read(name, "cpuacct", "cpuacct.usage")[0]) / 1e9,
             int(cg_read(name, "memory", "memory.max_usage_in_bytes")[0]) / 2**20,
             cg_read(name, "memory", "memory.failcnt")))
    print("zygote's reply", z.reply(), "; job output:", open(out).read().split("\n"))
    os.close(pfd); a.close()

    print("== Q2: pidfd_send_signal(SIGKILL) to init kills the whole PID namespace")
    a, jid, out, msg, pid, uid = sup_start(z, SLEEPSRC)
    for c in CG:
        open("/sys/fs/cgroup/%s/%s/cgroup.procs" % (c, name), "w").write(str(pid))
    a.send(b"g"); time.sleep(0.4)
    procs = cg_read(name, "pids", "cgroup.procs")
    print("before: procs in the cgroup", procs, "NSpid", [nspid(int(x)) for x in procs])
    pfd = os.pidfd_open(pid)
    signal.pidfd_send_signal(pfd, signal.SIGKILL)
    p = select.poll(); p.register(pfd, select.POLLIN); print("pidfd poll", p.poll(5000))
    print("zygote's reply", z.reply())
    time.sleep(0.1)
    print("after: procs in the cgroup", cg_read(name, "pids", "cgroup.procs"), "init's socket says", sup_status(a))
    os.close(pfd); a.close()

    print("== Q5: the supervisor's end closes (it died): init sees POLLHUP and the namespace dies")
    a, jid, out, msg, pid, uid = sup_start(z, SLEEPSRC)
    for c in CG:
        open("/sys/fs/cgroup/%s/%s/cgroup.procs" % (c, name), "w").write(str(pid))
    a.send(b"g"); time.sleep(0.4)
    print("before:", cg_read(name, "pids", "cgroup.procs"))
    pfd = os.pidfd_open(pid)
    t0 = time.perf_counter(); a.close()
    p = select.poll(); p.register(pfd, select.POLLIN); ev = p.poll(5000)
    print("pidfd poll %s after %.1f us" % (ev, 1e6 * (time.perf_counter() - t0)))
    print("zygote's reply", z.reply())
    time.sleep(0.1)
    print("after:", cg_read(name, "pids", "cgroup.procs"))
    os.close(pfd)

    print("== Q5: the supervisor dies before it sends go: init fails closed")
    a, jid, out, msg, pid, uid = sup_start(z, SLEEPSRC)
    a.close()
    print("zygote's reply", z.reply(), "(status 112<<8: init read EOF and exited)")
    z.close()
    cg_rm(name)


def mknetns(zpid, n):
    """Q6: host root makes n network namespaces owned by U: a child setns into
    U's user ns, unshares, brings lo up; the parent keeps /proc/child/ns/net."""
    fds = []
    ufd = os.open("/proc/%d/ns/user" % zpid, os.O_RDONLY)
    for i in range(n):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            if libc.setns(ufd, 0x10000000) or libc.unshare(0x40000000):
                os.write(w, b"E"); os._exit(1)
            import fcntl
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            ifr = struct.pack("16sH14x", b"lo", 0)
            fl = struct.unpack("16sH14x", fcntl.ioctl(s, 0x8913, ifr))[1]
            fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", fl | 1))
            os.write(w, b"k")
            time.sleep(10)  # until the parent has opened our netns and kills us
            os._exit(0)
        os.close(w)
        assert os.read(r, 1) == b"k"
        fds.append(os.open("/proc/%d/ns/net" % pid, os.O_RDONLY))
        os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0); os.close(r)
    os.close(ufd)
    return fds


NETSRC = rb'''
import os, socket
print(os.readlink("/proc/self/ns/net"), os.readlink("/proc/self/ns/user"))
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print("lo ok", s.getsockname()[0])
'''


def netns_demo():
    z = Zygote("c")
    fds = mknetns(z.zpid, 2)
    print("made ahead:", [os.fstat(f).st_ino for f in fds], "U:", os.stat("/proc/%d/ns/user" % z.zpid).st_ino,
          "owner of the netns made (ioctl NS_GET_USERNS) ino:",
          os.fstat(__import__("fcntl").ioctl(fds[0], 0xb701)).st_ino)
    for f in fds:
        jid, out = z.submit(src=NETSRC, flags=ZF_INIT | ZF_NETNS, extra=[f])
        os.close(f)
        print("job", z.reply(), open(out).read().split("\n"))
    z.close()


def netns_tput(n, k):
    z = Zygote("c")
    t0 = time.process_time(); b0 = sysbusy(); w0 = time.perf_counter()
    fds = mknetns(z.zpid, n + 5)
    made = time.perf_counter() - w0; b1 = sysbusy()
    print("made %d netns ahead: %.2f ms wall each, machine busy %.2f ms each (driver's python fork incl.)"
          % (n + 5, 1000 * made / (n + 5), 1000 * (b1 - b0) / HZ / (n + 5)))
    fl = ZF_INIT | ZF_NETNS
    for i in range(5):
        z.submit(flags=fl, extra=[fds.pop()]); z.reply()
    c0 = proccpu(z.zpid); b0 = sysbusy(); t0 = time.perf_counter()
    sent = done = bad = 0; outs = {}
    while done < n:
        while sent < n and sent - done < k:
            f = fds.pop(); jid, out = z.submit(flags=fl, extra=[f]); os.close(f); outs[jid] = out; sent += 1
        jid, st = z.reply(); done += 1; bad += st != 0
    t = time.perf_counter() - t0; c1 = proccpu(z.zpid); b1 = sysbusy()
    z.close()
    okc = sum(open(o).read() == "hello\n" for o in outs.values())
    print("c  flags=%-4d : %.1f jobs/s  CPU %.1f ms/job (zygote+children)  machine busy %.1f ms/job  bad %d ok %d"
          % (fl, n / t, 1000 * (c1 - c0) / n, 1000 * (b1 - b0) / HZ / n, bad, okc))


if __name__ == "__main__":
    if m == "sup": sup_demo()
    elif m == "netns": netns_demo()
    elif m == "netnstput": netns_tput(int(sys.argv[2]), int(sys.argv[3]))


def sup_tput(n, withsup):
    """sequential jobs: with withsup, each goes through creds + a move into the
    slot's v1 cgroups by the supervisor + go, as the production design would"""
    z = Zygote("c"); name = "zyg2tp"; cg_make(name)
    fl = ZF_INIT | (ZF_SUP if withsup else 0)
    def one():
        if withsup:
            a, jid, out, msg, pid, uid = sup_start(z, HELLO, fl)
            for c in CG:
                open("/sys/fs/cgroup/%s/%s/cgroup.procs" % (c, name), "w").write(str(pid))
            a.send(b"g"); r = z.reply(); st = sup_status(a); a.close()
        else:
            jid, out = z.submit(flags=fl); r = z.reply()
        return r[1] == 0 and open(out).read() == "hello\n"
    for i in range(5): one()
    c0 = proccpu(z.zpid); b0 = sysbusy(); s0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.perf_counter()
    ok = sum(one() for i in range(n))
    t = time.perf_counter() - t0; c1 = proccpu(z.zpid); b1 = sysbusy(); s1 = resource.getrusage(resource.RUSAGE_SELF)
    z.close(); cg_rm(name)
    print("sequential flags=%d: %.1f jobs/s (%.2f ms each)  zygote+children CPU %.1f ms/job  driver CPU %.1f ms/job  machine busy %.1f ms/job  ok %d"
          % (fl, n / t, 1000 * t / n, 1000 * (c1 - c0) / n,
             1000 * (s1.ru_utime + s1.ru_stime - s0.ru_utime - s0.ru_stime) / n, 1000 * (b1 - b0) / HZ / n, ok))


if __name__ == "__main__" and m == "suptput": sup_tput(int(sys.argv[2]), sys.argv[3] == "1")

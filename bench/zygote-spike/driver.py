#!/usr/bin/python3
# driver: host side (root).  python3 driver.py MODE ...
import os, sys, socket, struct, time, statistics, resource, subprocess, select

OUT = "/dev/shm/zyg"
os.makedirs(OUT, exist_ok=True)
HZ = os.sysconf("SC_CLK_TCK")
HELLO = b'print("hello")\n'

def sysbusy():
    f = open("/proc/stat").readline().split()[1:]
    v = list(map(int, f)); idle = v[3] + v[4]
    return sum(v[:8]) - idle, sum(v[:8])

def proccpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) / HZ   # utime stime cutime cstime

class Zygote:
    def __init__(self):
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.posix_spawn("/tmp/zygote/launcher", ["launcher"], {},
                                  file_actions=[(os.POSIX_SPAWN_DUP2, b.fileno(), 3)])
        b.close(); self.s = a
        assert a.recv(16) == b"ready", "no ready"
        self.zpid = int(open("/proc/%d/task/%d/children" % (self.pid, self.pid)).read().split()[0])
        self.n = 0
    def submit(self, src=HELLO, slot=97001, flags=0, out=None):
        self.n += 1
        out = out or "%s/%d.out" % (OUT, self.n)
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        socket.send_fds(self.s, [struct.pack("<IIII", self.n, slot, flags, 0) + src], [fd])
        os.close(fd)
        return self.n, out
    def reply(self):
        m = self.s.recv(4096)
        jid, st, n = struct.unpack_from("<IiI", m)
        return jid, st, struct.unpack_from("<%dq" % n, m, 12)
    def close(self):
        self.s.close(); os.waitpid(self.pid, 0)

def bare_tput(n):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN); b0 = sysbusy(); t0 = time.perf_counter()
    with open(OUT + "/bare.out", "w") as f:
        subprocess.run("seq %d | xargs -P2 -n1 /usr/bin/python3 -I -B /tmp/zygote/hello.py" % n,
                       shell=True, stdout=f, check=True)
    t = time.perf_counter() - t0; b1 = sysbusy(); r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert open(OUT + "/bare.out").read().count("hello") == n
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    sysc = (b1[0] - b0[0]) / HZ
    print("bare: %d jobs %.2f s  %.1f jobs/s  children CPU %.1f ms/job  machine busy %.1f ms/job"
          % (n, t, n / t, 1000 * cpu / n, 1000 * sysc / n))

def bare_lat(n):
    ts = []
    for i in range(n):
        t0 = time.perf_counter()
        p = subprocess.Popen(["/usr/bin/python3", "-I", "-B", "/tmp/zygote/hello.py"], stdout=subprocess.DEVNULL)
        p.wait(); ts.append(1000 * (time.perf_counter() - t0))
    ts.sort()
    print("bare latency: median %.2f ms  p10 %.2f  p90 %.2f  (n=%d, sequential)"
          % (statistics.median(ts), ts[n // 10], ts[9 * n // 10], n))

STEPS = ["zygote fork (parent side)", "M: unshare NEWNS (all ns when not split)", "M: unshare NEWIPC", "M: unshare NEWUTS",
         "M: unshare NEWNET", "M: unshare NEWPID", "M: second fork (to G running)",
         "G: pdeathsig", "G: 3 tmpfs mounts", "G: mount proc", "G: hostname + lo up",
         "G: write /job/main.py", "G: capbset drop + setgroups/setresgid/setresuid",
         "G: no_new_privs + seccomp", "G: rlimits + fds + chdir",
         "G: import+compile+exec job code", "G: atexit+flush", "G: _exit until M's waitpid returns", "M exit (G exit, 1-fork) until zygote reaped+replied"]

def steps(ts):
    # ts: t_req, t_forked, child ts (15 used) ..., [22]=t_end (idx 20 of cts), t_reaped
    t_req, t_forked = ts[0], ts[1]
    c = ts[2:23]; t_end = c[20]; t_reaped = ts[23]
    d = [c[0] - t_req] + [c[i] - c[i - 1] for i in range(1, 15)]
    if c[18] and not t_end:   # one-fork mode: no middle process
        d += [c[18] - c[14], c[19] - c[18], 0]
        d.append(t_reaped - c[19])
        return d
    if c[18]:
        d += [c[18] - c[14], c[19] - c[18], t_end - c[19]]
    else:
        d += [0, 0, (t_end - c[14]) if t_end else 0]
    d.append(t_reaped - (t_end or c[14]))
    return d

def zyg_lat(n, flags):
    z = Zygote(); lat = []; ds = []
    for i in range(5):
        z.submit(flags=flags); z.reply()
    for i in range(n):
        t0 = time.perf_counter()
        jid, out = z.submit(flags=flags)
        rj, st, ts = z.reply()
        lat.append(1000 * (time.perf_counter() - t0))
        assert st == 0 and rj == jid, (st, open(out).read())
        assert open(out).read() == "hello\n", open(out).read()
        ds.append(steps(ts))
    z.close()
    lat.sort()
    print("zygote latency flags=%d: median %.2f ms  p10 %.2f  p90 %.2f (n=%d, sequential, request to reply)"
          % (flags, statistics.median(lat), lat[n // 10], lat[9 * n // 10], n))
    for k, name in enumerate(STEPS):
        col = sorted(d[k] for d in ds)
        print("   %-52s median %8.1f us  p90 %8.1f us" % (name, statistics.median(col) / 1000, col[9 * n // 10] / 1000))

def zyg_tput(n, k, flags):
    z = Zygote()
    for i in range(5):
        z.submit(flags=flags); z.reply()
    c0 = proccpu(z.zpid); l0 = proccpu(z.pid); b0 = sysbusy(); s0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    sent = done = 0; outs = {}; bad = 0
    while done < n:
        while sent < n and sent - done < k:
            jid, out = z.submit(flags=flags); outs[jid] = out; sent += 1
        jid, st, ts = z.reply(); done += 1
        if st != 0: bad += 1
    t = time.perf_counter() - t0
    c1 = proccpu(z.zpid); b1 = sysbusy(); s1 = resource.getrusage(resource.RUSAGE_SELF)
    z.close()
    okc = sum(open(o).read() == "hello\n" for o in outs.values())
    dcpu = (s1.ru_utime + s1.ru_stime) - (s0.ru_utime + s0.ru_stime)
    print("zygote flags=%d: %d jobs, %d in flight: %.2f s  %.1f jobs/s  (bad status %d, hello ok %d)"
          % (flags, n, k, t, n / t, bad, okc))
    print("   zygote+children CPU %.1f ms/job  driver CPU %.1f ms/job  machine busy %.1f ms/job"
          % (1000 * (c1 - c0) / n, 1000 * dcpu / n, 1000 * (b1[0] - b0[0]) / HZ / n))

if __name__ == "__main__":
    m = sys.argv[1]
    if m == "bare": bare_tput(int(sys.argv[2]))
    elif m == "barelat": bare_lat(int(sys.argv[2]))
    elif m == "lat": zyg_lat(int(sys.argv[2]), int(sys.argv[3]))
    elif m == "tput": zyg_tput(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))

import os, sys, time, random, gc, ctypes, socket, errno
def r(k, v): print("%-28s %s" % (k, v))
r("pid", os.getpid())
r("/proc pids", sorted(int(x) for x in os.listdir("/proc") if x.isdigit()))
alive = [p for p in range(1, 4097) if (lambda p: (os.kill(p, 0), True)[1] if True else 0)(p) is True] if False else None
vis = []
for p in range(1, 40000):
    try:
        os.kill(p, 0); vis.append(p)
    except ProcessLookupError: pass
    except PermissionError: vis.append(("EPERM", p))
r("kill(p,0) ok for pids", vis)
r("resuid/resgid", (os.getresuid(), os.getresgid(), os.getgroups()))
st = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
r("caps", {k: st[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")})
r("NoNewPrivs/Seccomp", (st["NoNewPrivs"].strip(), st["Seccomp"].strip()))
r("uid_map", open("/proc/self/uid_map").read().split())
for p in ("/x", "/usr/x", "/etc/x", "/zyg/x", "/proc/sys/kernel/hostname", "/dev/x", "/tmp/f", "/job/f", "/out/f"):
    try:
        with open(p, "w") as f: f.write("x")
        r("write " + p, "OK")
    except OSError as e: r("write " + p, errno.errorcode[e.errno])
try: os.setuid(0); r("setuid(0)", "OK!")
except OSError as e: r("setuid(0)", errno.errorcode[e.errno])
libc = ctypes.CDLL(None, use_errno=True)
r("unshare(NEWUSER)", (libc.unshare(0x10000000), errno.errorcode.get(ctypes.get_errno())))
r("hostname", socket.gethostname())
r("net ifaces", os.listdir("/sys/class/net") if os.path.exists("/sys/class/net") else [l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:]])
s = socket.socket(); rc = s.connect_ex(("127.0.0.1", 22)); r("connect 127.0.0.1:22", errno.errorcode.get(rc, rc))
r("ns ids", {n: os.readlink("/proc/self/ns/" + n) for n in ("pid", "mnt", "net", "ipc", "uts", "user")})
r("fds", os.listdir("/proc/self/fd"))
r("mounts", [l.split()[4] for l in open("/proc/self/mountinfo")])
r("random.random()", random.random())
r("hash('a')", hash("a"))
r("hash_info", (sys.hash_info.algorithm, sys.flags.hash_randomization))
r("modules preloaded", len(sys.modules))
z = [o for o in gc.get_objects() if isinstance(o, dict) and "FPROG" in o]
r("zygote globals reachable", bool(z) and sorted(k for k in z[0] if not k.startswith("__"))[:12])
if z: r("zygote sock", z[0]["sock"])
os.makedirs("/tmp/d", exist_ok=True)
open("/tmp/d/%d" % int(time.time_ns()), "w").close()
time.sleep(0.3)
r("/tmp/d entries", os.listdir("/tmp/d"))

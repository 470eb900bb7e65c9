# zygote.py: trusted fork server, pid 1 of its own PID ns, uid 0 in user ns U.
# Request (SOCK_SEQPACKET on fd 3): struct "<IIII" job_id, slot_uid, flags, 0 + source
# bytes, with one fd (the job's stdout+stderr) as SCM_RIGHTS.
# Reply: struct "<IiI" job_id, wait status, n + n int64 timestamps (ns, perf_counter).
# flags: 1 = split unshare (one call per ns, for timing), 2 = no CLONE_NEWNET,
#        4 = one fork (unshare(NEWPID)+fork from the zygote, setns back) instead of two,
#        8 = no seccomp.
import os, sys, socket, struct, signal, ctypes, mmap, resource

T = __import__("time").perf_counter_ns
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

def chk(r, what):
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (what, os.strerror(e)))

NEWNS, NEWUTS, NEWIPC, NEWPID, NEWNET = 0x20000, 0x4000000, 0x8000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8

# seccomp: a trivial deny list, built once here; a job only loads it
def build_filter():
    deny = [101, 165, 166, 155, 272, 308, 248, 249, 250, 321, 298, 323, 246, 175, 313,
            304, 310, 311, 425]
    # clone3 (435) -> ENOSYS so glibc falls back to clone (EPERM breaks pthread_create);
    # clone (56) with any CLONE_NEW* flag -> EPERM (unshare/setns are denied above)
    ins = []
    I = lambda code, jt, jf, k: ins.append(struct.pack("<HBBI", code, jt, jf, k))
    I(0x20, 0, 0, 4)                      # ld arch
    I(0x15, 1, 0, 0xC000003E)             # x86_64 ? skip : kill
    I(0x06, 0, 0, 0x80000000)             # kill process
    I(0x20, 0, 0, 0)                      # ld nr
    I(0x35, 0, 1, 0x40000000)             # jge x32 -> deny
    I(0x06, 0, 0, 0x00050001)             # ERRNO(EPERM)
    for nr in deny:
        I(0x15, 0, 1, nr)
        I(0x06, 0, 0, 0x00050001)
    I(0x15, 0, 1, 435)
    I(0x06, 0, 0, 0x00050026)             # ERRNO(ENOSYS)
    I(0x15, 0, 3, 56)                     # clone?
    I(0x20, 0, 0, 16)                     # ld args[0] (low 32 bits)
    I(0x45, 0, 1, 0x7E020000)             # jset CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET}
    I(0x06, 0, 0, 0x00050001)
    I(0x06, 0, 0, 0x7FFF0000)             # allow
    return b"".join(ins), len(ins)

class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
FBYTES, FLEN = build_filter()
FBUF = ctypes.create_string_buffer(FBYTES, len(FBYTES))
FPROG = Fprog(FLEN, ctypes.cast(FBUF, ctypes.c_void_p))
FPROG_P = ctypes.addressof(FPROG)

SIOCGIFFLAGS, SIOCSIFFLAGS = 0x8913, 0x8914
import fcntl

def lo_up():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ifr = struct.pack("16sH14x", b"lo", 0)
    flags = struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, ifr))[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | 1))
    s.close()

RL = [(resource.RLIMIT_CPU, 10), (resource.RLIMIT_FSIZE, 16 << 20), (resource.RLIMIT_NOFILE, 256),
      (resource.RLIMIT_NPROC, 64), (resource.RLIMIT_CORE, 0), (resource.RLIMIT_MSGQUEUE, 0),
      (resource.RLIMIT_AS, 1 << 30)]

own_pidns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
sock = socket.socket(fileno=3)
rd, wr = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
signal.signal(signal.SIGCHLD, lambda *a: None)
signal.set_wakeup_fd(wr)

def grandchild(src, slot, flags, ts, outfd):
    # pid 1 of the job's PID ns, uid 0 in U, full caps in U
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)                         # PDEATHSIG
    ts.append(T())
    opt = ("size=16m,mode=0755,uid=%d,gid=%d" % (slot, slot)).encode()
    chk(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, opt), "tmpfs /tmp")
    chk(libc.mount(b"tmpfs", b"/job", b"tmpfs", MS_NOSUID | MS_NODEV, opt), "tmpfs /job")
    chk(libc.mount(b"tmpfs", b"/out", b"tmpfs", MS_NOSUID | MS_NODEV, opt), "tmpfs /out")
    ts.append(T())
    chk(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "proc")
    ts.append(T())
    socket.sethostname("sluice")
    if not flags & 2:
        lo_up()
    ts.append(T())
    fd = os.open("/job/main.py", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, src); os.fchown(fd, slot, slot); os.close(fd)
    ts.append(T())
    for i in range(41):
        libc.prctl(24, i, 0, 0, 0)                                   # CAPBSET_DROP
    os.setgroups([])
    os.setresgid(slot, slot, slot)
    os.setresuid(slot, slot, slot)                                   # clears perm/eff/amb
    try:
        os.setresuid(0, 0, 0); os._exit(120)
    except PermissionError:
        pass
    ts.append(T())
    chk(libc.prctl(38, 1, 0, 0, 0), "no_new_privs")
    if not flags & 8:
        chk(libc.prctl(22, 2, FPROG_P, 0, 0), "seccomp")
    ts.append(T())
    for r, v in RL:
        resource.setrlimit(r, (v, v + 1 if r == resource.RLIMIT_CPU else v))
    nul = os.open("/dev/null", os.O_RDONLY)
    os.dup2(nul, 0); os.dup2(outfd, 1); os.dup2(outfd, 2)
    os.closerange(3, 65536)
    os.chdir("/job")
    ts.append(T())

def run_job(src, shm=None):
    # the job's interpreter state: fresh __main__, argv; the zygote's globals are not reachable
    import types
    m = types.ModuleType("__main__")
    m.__file__ = "/job/main.py"
    m.__builtins__ = __builtins__
    sys.modules["__main__"] = m
    sys.argv[:] = ["/job/main.py"]
    for k in [k for k in sys.modules if k in ("zygote",)]:
        del sys.modules[k]
    code = 0
    try:
        exec(compile(src, "/job/main.py", "exec"), m.__dict__)
    except SystemExit as e:
        c = e.code
        code = c if isinstance(c, int) else (0 if c is None else (print(c, file=sys.stderr) or 1))
    except BaseException:
        import traceback; traceback.print_exc(); code = 1
    if shm is not None: shm[8 * 18:8 * 19] = struct.pack("<q", T())
    try:
        import atexit; atexit._run_exitfuncs()
        if "threading" in sys.modules: sys.modules["threading"]._shutdown()
        sys.stdout.flush(); sys.stderr.flush()
    except BaseException:
        code = code or 1
    if shm is not None: shm[8 * 19:8 * 20] = struct.pack("<q", T())
    os._exit(code & 0xff)

def child(src, slot, flags, shm, outfd):
    # middle process (or, with flag 4, already pid 1 of the job's ns)
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    ts = [T()]
    try:
        rest = NEWNS | NEWIPC | NEWUTS | (0 if flags & 2 else NEWNET)
        if flags & 4:
            chk(libc.unshare(rest), "unshare")
            ts += [T()] * 5
            pid = 0
        else:
            if flags & 1:
                for f in (NEWNS, NEWIPC, NEWUTS, NEWNET, NEWPID):
                    if f == NEWNET and flags & 2:
                        ts.append(T()); continue
                    chk(libc.unshare(f), "unshare %x" % f)
                    ts.append(T())
            else:
                chk(libc.unshare(rest | NEWPID), "unshare")
                ts += [T()] * 5
            pid = os.fork()
        if pid == 0:
            ts.append(T())
            grandchild(src, slot, flags, ts, outfd)
            shm[:8 * len(ts)] = struct.pack("<%dq" % len(ts), *ts)
            if not flags & 16:
                shm.close(); shm = None
            run_job(src, shm)
        os.close(outfd)
        _, st = os.waitpid(pid, 0)
        t_end = T()
        shm[8 * 20:8 * 21] = struct.pack("<q", t_end)
        os._exit(os.waitstatus_to_exitcode(st) & 0xff if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
    except BaseException:
        import traceback; traceback.print_exc(file=sys.stderr)
        os._exit(121)

import types, atexit, gc
# warm the compiler once (the first compile in a process costs ~1.7 ms here)
exec(compile("def f(a, *b, **c):\n    return [x for x in b if x] or {1: a}\nclass C: pass\nf(1)\n", "<warm>", "exec"), {})
if os.environ.get("ZYG_NOFREEZE") is None:
    gc.collect(); gc.freeze()
jobs = {}
sock.send(b"ready")
import select
while True:
    r, _, _ = select.select([sock, rd], [], [])
    if sock in r:
        msg, fds, fl, _ = socket.recv_fds(sock, 1 << 20, 1)
        if not msg:
            break
        jid, slot, flags, _ = struct.unpack_from("<IIII", msg)
        src = msg[16:]
        shm = mmap.mmap(-1, 4096)
        t_req = T()
        if flags & 4:
            chk(libc.unshare(NEWPID), "unshare pid")
        pid = os.fork()
        if pid == 0:
            sock.close(); os.close(rd); os.close(wr)
            child(src, slot, flags, shm, fds[0])
        if flags & 4:
            chk(libc.setns(own_pidns, NEWPID), "setns back")
        t_forked = T()
        os.close(fds[0])
        jobs[pid] = (jid, shm, t_req, t_forked)
    if rd in r:
        try:
            while os.read(rd, 512): pass
        except BlockingIOError:
            pass
        while True:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            j = jobs.pop(pid, None)
            if j is None:
                continue
            jid, shm, t_req, t_forked = j
            t_reaped = T()
            cts = list(struct.unpack_from("<21q", shm, 0))
            shm.close()
            ts = [t_req, t_forked] + cts + [t_reaped]
            sock.send(struct.pack("<IiI", jid, st, len(ts)) + struct.pack("<%dq" % len(ts), *ts))

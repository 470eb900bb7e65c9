/*
 * zyg: a C fork server embedding libpython3.11 (throwaway prototype, issue 8).
 * Run as host root: "zyg" is the launcher; it makes user namespace U
 * (0 -> ZYG_ROOT_ID, the slots ZYG_SLOT0.. -> themselves), new mount, PID, net,
 * IPC, UTS namespaces, a read-only tmpfs root (ro binds of /usr,
 * /etc/python3.11, four /dev nodes), a proc of the zygote's PID namespace,
 * pivot_root; then, as uid 0 of U, initializes the interpreter once (as
 * `python3 -I -B`: site imported) and serves requests on fd 3.
 *
 * Request (SOCK_SEQPACKET, fd 3): "<IIII" job id, slot uid, flags, 0, then
 * the job's source; fds (SCM_RIGHTS): stdout+stderr, then with ZF_SUP a
 * socket to the "supervisor", then with ZF_NETNS a network namespace.
 * Reply: "<IiI" job id, wait status, 0.
 *
 * ZYG_ROOT_ID etc. come from the environment of the launcher (rootless test).
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
  ZF_NONET = 2,   /* no network namespace of the job's own */
  ZF_ONEFORK = 4, /* zygote unshares PID, forks, setns back */
  ZF_NOSECCOMP = 8,
  ZF_NOMASK = 16,   /* skip plan.c's /proc masks */
  ZF_SUP = 32,      /* creds to the supervisor, wait for 'g' */
  ZF_NETNS = 64,    /* setns into a network namespace sent along */
  ZF_NEWHASH = 128, /* renew _Py_HashSecret in the job (Q7) */
  ZF_INIT = 256,    /* pid 1 is init: it forks the job and reaps */
};

static const char *root_dir = "/tmp/zyg2/root";
static int g_supfd = -1; /* the job's socket to the supervisor */
static unsigned root_id = 97100, slot0 = 97101, nslots = 20, rootless;

static void die(const char *what) {
  fprintf(stderr, "zyg: %s: %s\n", what, strerror(errno));
  _exit(111);
}

static void writef(const char *path, const char *s) {
  int fd = open(path, O_WRONLY);
  if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
    die(path);
  close(fd);
}

/* ---- the job's filter: the spike's (raw BPF), plus notify on mmap -- */
static struct sock_filter filt[64];
static struct sock_fprog prog;

static void build_filter(void) {
  static const int deny[] = {101, 165, 166, 155, 272, 308, 248, 249, 250, 321,
                             298, 323, 246, 175, 313, 304, 310, 311, 425};
  unsigned n = 0;
#define I(c, t, f, k) filt[n++] = (struct sock_filter)BPF_JUMP(c, k, t, f)
  I(BPF_LD | BPF_W | BPF_ABS, 0, 0, 4);
  I(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
  I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
  I(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0);
  I(BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000);
  I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | 1);
  for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++) {
    I(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, deny[i]);
    I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | 1);
  }
  I(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 435); /* clone3: ENOSYS */
  I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | 38);
  I(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 56); /* clone with CLONE_NEW* */
  I(BPF_LD | BPF_W | BPF_ABS, 0, 0, 16);
  I(BPF_JMP | BPF_JSET | BPF_K, 0, 1, 0x7E020000);
  I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | 1);
  /* the agent's memory rule stands in: a notify on mmap of > 1 GiB */
  I(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0);
  I(BPF_JMP | BPF_JEQ | BPF_K, 0, 4, 9);
  I(BPF_LD | BPF_W | BPF_ABS, 0, 0, 28); /* args[1] high half */
  I(BPF_JMP | BPF_JGE | BPF_K, 0, 1, 1); /* >= 4 GiB */
  I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_USER_NOTIF);
  I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
  I(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
#undef I
  prog.len = (unsigned short)n;
  prog.filter = filt;
}

/* ---- the job's sandbox steps (stand-ins for sandbox.c/plan.c) ---- */
static const char *masks[] = {"/proc/kcore",        "/proc/kallsyms",
                              "/proc/config.gz",    "/proc/modules",
                              "/proc/keys",         "/proc/key-users",
                              "/proc/timer_list",   "/proc/timer_stats",
                              "/proc/sched_debug",  "/proc/latency_stats",
                              "/proc/iomem",        "/proc/ioports",
                              "/proc/vmallocinfo",  "/proc/slabinfo",
                              "/proc/pagetypeinfo", "/proc/buddyinfo",
                              "/proc/zoneinfo",     "/proc/kpagecount",
                              "/proc/kpageflags",   "/proc/kpagecgroup",
                              "/proc/locks",        "/proc/cmdline",
                              "/proc/partitions",   "/proc/diskstats",
                              "/proc/swaps",        "/proc/interrupts",
                              "/proc/softirqs",     "/proc/mtrr",
                              "/proc/consoles",     "/proc/devices",
                              "/proc/misc",         "/proc/acpi",
                              "/proc/asound",       "/proc/scsi",
                              "/proc/driver",       "/proc/fs",
                              "/proc/tty",          NULL};
static int nmasked, nskipped;

static void mask_proc(void) {
  struct stat st;
  static const char *ro[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq",
                             "/proc/bus", NULL};
  nmasked = nskipped = 0;
  for (int i = 0; masks[i]; i++) {
    if (lstat(masks[i], &st) == -1) {
      nskipped++;
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", masks[i], "tmpfs",
                MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "size=0,mode=0555"))
        die(masks[i]);
    } else if (mount("/dev/null", masks[i], NULL, MS_BIND, NULL))
      die(masks[i]);
    nmasked++;
  }
  for (int i = 0; ro[i]; i++) {
    if (lstat(ro[i], &st) == -1) {
      nskipped++;
      continue;
    }
    if (mount(ro[i], ro[i], NULL, MS_BIND | MS_REC, NULL) ||
        mount(NULL, ro[i], NULL,
              MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV |
                  MS_NOEXEC,
              NULL))
      die(ro[i]);
    nmasked++;
  }
}

static void lo_up(void) {
  struct ifreq ifr;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  memset(&ifr, 0, sizeof(ifr));
  strcpy(ifr.ifr_name, "lo");
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
    die("SIOCGIFFLAGS");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr))
    die("SIOCSIFFLAGS");
  close(s);
}

/* the root part of the job's setup, as pid 1 of its namespaces, uid 0 of U */
static void job_root_setup(unsigned slot, unsigned flags, const char *src,
                           size_t len) {
  char opt[96];
  int fd;

  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
    die("private");
  snprintf(opt, sizeof(opt), "size=16m,mode=0755,uid=%u,gid=%u", slot, slot);
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opt) ||
      mount("tmpfs", "/job", "tmpfs", MS_NOSUID | MS_NODEV, opt) ||
      mount("tmpfs", "/out", "tmpfs", MS_NOSUID | MS_NODEV, opt))
    die("tmpfs");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
            "hidepid=2"))
    die("proc");
  if (!(flags & ZF_NOMASK))
    mask_proc();
  if (sethostname("sluice", 6))
    die("sethostname");
  if (!(flags & ZF_NONET))
    lo_up();
  if ((fd = open("/job/main.py", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                 0644)) < 0 ||
      write(fd, src, len) != (ssize_t)len || fchown(fd, slot, slot))
    die("/job/main.py");
  close(fd);
}

/* the job's own drop: what sandbox.c's job does */
static void job_drop(unsigned slot, unsigned flags, int outfd) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  static const struct {
    int r;
    rlim_t v;
  } rl[] = {{RLIMIT_CPU, 10},   {RLIMIT_FSIZE, 16 << 20}, {RLIMIT_NOFILE, 256},
            {RLIMIT_NPROC, 64}, {RLIMIT_CORE, 0},         {RLIMIT_MSGQUEUE, 0}};
  int nul;

  if (setsid() == -1)
    die("setsid");
  for (int i = 0; i <= 63; i++)
    if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) && errno != EINVAL)
      die("capbset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
    die("ambient");
  if (!rootless && setgroups(0, NULL))
    die("setgroups");
  if (setresgid(slot, slot, slot) || setresuid(slot, slot, slot))
    die("setres*id");
  memset(d, 0, sizeof(d));
  if (syscall(SYS_capset, &h, d))
    die("capset");
  if (setresuid(0, 0, 0) == 0)
    _exit(120);
  /* no execve follows: the uid change (and the zygote) left the job
     not dumpable; a cold job is dumpable after its execve */
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
    die("dumpable");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
    die("nnp");
  if (!(flags & ZF_NOSECCOMP) && g_supfd == -1 &&
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
    die("seccomp");
  /* with a supervisor: its notification fd goes there (Q2/guarantee) */
  if (!(flags & ZF_NOSECCOMP) && g_supfd != -1) {
    int nfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                           SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    char cb[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {"n", 1};
    struct msghdr mh = {0};
    struct cmsghdr *cm;
    if (nfd < 0)
      die("seccomp listener");
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cb;
    mh.msg_controllen = sizeof(cb);
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &nfd, sizeof(int));
    if (sendmsg(g_supfd, &mh, 0) != 1)
      die("send notify fd");
    close(nfd);
  }
  for (size_t i = 0; i < sizeof(rl) / sizeof(rl[0]); i++) {
    struct rlimit r = {rl[i].v, rl[i].r == RLIMIT_CPU ? rl[i].v + 1 : rl[i].v};
    if (setrlimit(rl[i].r, &r))
      die("setrlimit");
  }
  if ((nul = open("/dev/null", O_RDONLY)) < 0 || dup2(nul, 0) < 0 ||
      dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
    die("stdio");
  for (int fd = 3; fd < 1024; fd++)
    close(fd);
  if (chdir("/job"))
    die("chdir");
}

/* The runner: what park.c's runner does, in-process (no execve). */
static const char runner[] =
    "import sys, os, io, types\n"
    "def _sluice_run():\n"
    "    for fd, name, mode in ((0, 'stdin', 'r'), (1, 'stdout', 'w'), (2, "
    "'stderr', 'w')):\n"
    "        tty = os.isatty(fd)\n"
    "        f = open(fd, mode, closefd=False, encoding='utf-8', "
    "errors='backslashreplace' if fd == 2 else 'strict', "
    "buffering=1 if tty or fd == 2 else -1)\n"
    "        setattr(sys, name, f); setattr(sys, '__' + name + '__', f)\n"
    "    m = types.ModuleType('__main__')\n"
    "    m.__file__ = '/job/main.py'\n"
    "    m.__builtins__ = __builtins__\n"
    "    sys.modules['__main__'] = m\n"
    "    sys.argv[:] = ['/job/main.py']\n"
    "    sys.path[0:0] = ['/job']\n"
    "    code = 0\n"
    "    try:\n"
    "        with open('/job/main.py', 'rb') as f: src = f.read()\n"
    "        exec(compile(src, '/job/main.py', 'exec'), m.__dict__)\n"
    "    except SystemExit as e:\n"
    "        c = e.code\n"
    "        code = c if isinstance(c, int) else (0 if c is None else "
    "(print(c, file=sys.stderr) or 1))\n"
    "    except BaseException:\n"
    "        import traceback; traceback.print_exc(); code = 1\n"
    "    try:\n"
    "        import atexit; atexit._run_exitfuncs()\n"
    "        if 'threading' in sys.modules: "
    "sys.modules['threading']._shutdown()\n"
    "        sys.stdout.flush(); sys.stderr.flush()\n"
    "    except BaseException:\n"
    "        code = code or 1\n"
    "    os._exit(code & 0xff)\n"
    "_sluice_run()\n";

static void run_python(void) {
  PyObject *g = PyDict_New(), *r;
  PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins());
  r = PyRun_String(runner, Py_file_input, g, g);
  if (r == NULL)
    PyErr_Print();
  _exit(1);
}

/* pid 1 of the job's namespaces: setup, then (ZF_INIT) fork job + reap */
static void job_pid1(unsigned slot, unsigned flags, const char *src, size_t len,
                     int outfd, int supfd) {
  char c;
  pid_t job;
  int st;

  PyOS_AfterFork_Child();
  g_supfd = supfd;
  job_root_setup(slot, flags, src, len);
  if (supfd != -1) {
    /* creds go along by SO_PASSCRED on the receiver; with them
       init's own pidfd (no pid-reuse race on the other side) */
    {
      int me = (int)syscall(SYS_pidfd_open, getpid(), 0);
      char cb[CMSG_SPACE(sizeof(int))];
      struct iovec iov = {"r", 1};
      struct msghdr mh = {0};
      struct cmsghdr *cm;
      if (me < 0)
        die("pidfd_open self");
      mh.msg_iov = &iov;
      mh.msg_iovlen = 1;
      mh.msg_control = cb;
      mh.msg_controllen = sizeof(cb);
      cm = CMSG_FIRSTHDR(&mh);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(cm), &me, sizeof(int));
      if (sendmsg(supfd, &mh, 0) != 1)
        die("sup sendmsg");
      close(me);
    }
    if (read(supfd, &c, 1) != 1 || c != 'g')
      _exit(112); /* supervisor gone: fail closed */
    if (unshare(CLONE_NEWCGROUP))
      die("cgroupns");
  }
  if (flags & ZF_NEWHASH) {
    int fd = open("/dev/urandom", O_RDONLY);
    if (read(fd, &_Py_HashSecret, sizeof(_Py_HashSecret)) < 0)
      die("urandom");
    close(fd);
  }
  if (!(flags & ZF_INIT)) {
    job_drop(slot, flags, outfd);
    run_python();
  }
  if ((job = fork()) == -1)
    die("fork job");
  if (job == 0) {
    job_drop(slot, flags, outfd);
    run_python();
  }
  close(outfd);
  /* init: reap; with a supervisor, watch its socket: its hangup kills
     the namespace (init's exit does, as PID 1). */
  {
    sigset_t m;
    int sfd;
    struct pollfd p[2];
    sigemptyset(&m);
    sigaddset(&m, SIGCHLD);
    sigprocmask(SIG_BLOCK, &m, NULL);
    sfd = signalfd(-1, &m, SFD_CLOEXEC | SFD_NONBLOCK);
    p[0] = (struct pollfd){sfd, POLLIN, 0};
    p[1] = (struct pollfd){supfd, POLLIN, 0};
    for (;;) {
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG | __WALL)) > 0)
        if (w == job) {
          char msg[16];
          int n = snprintf(msg, sizeof(msg), "s%d", st);
          if (supfd != -1)
            (void)write(supfd, msg, (size_t)n);
          _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        }
      if (poll(p, supfd != -1 ? 2 : 1, -1) < 0 && errno != EINTR)
        die("poll");
      if (p[1].revents & (POLLHUP | POLLERR))
        _exit(113); /* supervisor gone */
      if (p[0].revents) {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) > 0)
          ;
      }
    }
  }
}

/* the zygote's child: unshare, fork pid 1 (two-fork mode), wait, relay */
static void middle(unsigned slot, unsigned flags, const char *src, size_t len,
                   int outfd, int supfd, int netfd) {
  int fl = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS, st;
  pid_t pid;

  if (!(flags & (ZF_NONET | ZF_NETNS)))
    fl |= CLONE_NEWNET;
  if (netfd != -1 && setns(netfd, CLONE_NEWNET))
    die("setns net");
  if (netfd != -1)
    close(netfd);
  if (flags & ZF_ONEFORK) {
    if (unshare(fl))
      die("unshare");
    job_pid1(slot, flags, src, len, outfd, supfd);
  }
  if (unshare(fl | CLONE_NEWPID))
    die("unshare");
  if ((pid = fork()) == -1)
    die("fork 2");
  if (pid == 0)
    job_pid1(slot, flags, src, len, outfd, supfd);
  close(outfd);
  if (supfd != -1)
    close(supfd);
  while (waitpid(pid, &st, 0) == -1)
    if (errno != EINTR)
      die("waitpid");
  _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

#define MAXJOBS 65536
static uint32_t jobid[MAXJOBS];

static void zygote_main(void) {
  static char buf[1 << 20];
  PyConfig cfg;
  PyStatus s;
  int own_pidns, sfd;
  sigset_t m;

  PyConfig_InitPythonConfig(&cfg);
  cfg.isolated = 1; /* -I: -E -P -s */
  cfg.use_environment = 0;
  cfg.user_site_directory = 0;
  cfg.safe_path = 1;
  cfg.write_bytecode = 0; /* -B */
  cfg.parse_argv = 0;
  PyConfig_SetString(&cfg, &cfg.program_name, L"/usr/bin/python3");
  s = Py_InitializeFromConfig(&cfg);
  PyConfig_Clear(&cfg);
  if (PyStatus_Exception(s))
    Py_ExitStatusException(s);
  /* warm the compiler once; freeze what exists so forks' GC leaves
     the shared pages alone */
  PyRun_SimpleString(
      "exec(compile('def f(a, *b, **c):\\n    return [x for x in b if "
      "x] or {1: a}\\nclass C: pass\\nf(1)\\n', '<warm>', 'exec'), {})\n"
      "import gc; gc.collect(); gc.freeze()\n");
  build_filter();
  /* -1 without a proc (ZYG_NOPROC): no one-fork mode then */
  own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  sigemptyset(&m);
  sigaddset(&m, SIGCHLD);
  sigprocmask(SIG_BLOCK, &m, NULL);
  if ((sfd = signalfd(-1, &m, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
    die("signalfd");
  if (send(3, "ready", 5, 0) != 5)
    die("ready");
  for (;;) {
    struct pollfd p[2] = {{3, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      die("poll");
    }
    if (p[0].revents) {
      char cbuf[CMSG_SPACE(3 * sizeof(int))];
      struct iovec iov = {buf, sizeof(buf)};
      struct msghdr mh = {0};
      struct cmsghdr *cm;
      int fds[3] = {-1, -1, -1}, nfd = 0, supfd = -1, netfd = -1;
      uint32_t hdr[4];
      ssize_t n;
      pid_t pid;

      mh.msg_iov = &iov;
      mh.msg_iovlen = 1;
      mh.msg_control = cbuf;
      mh.msg_controllen = sizeof(cbuf);
      if ((n = recvmsg(3, &mh, MSG_CMSG_CLOEXEC)) <= 0)
        break;
      for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_type == SCM_RIGHTS) {
          nfd = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
          memcpy(fds, CMSG_DATA(cm), (size_t)nfd * sizeof(int));
        }
      if (n < 16 || nfd < 1)
        die("bad request");
      memcpy(hdr, buf, 16);
      if (hdr[2] & ZF_SUP)
        supfd = fds[1];
      if (hdr[2] & ZF_NETNS)
        netfd = fds[nfd - 1];
      if (hdr[1] < slot0 || hdr[1] >= slot0 + nslots)
        die("slot out of range");
      if ((hdr[2] & ZF_ONEFORK) && unshare(CLONE_NEWPID))
        die("unshare pid");
      PyOS_BeforeFork();
      pid = fork();
      if (pid == 0) {
        sigprocmask(SIG_UNBLOCK, &m, NULL);
        close(sfd);
        close(3);
        close(own_pidns);
        middle(hdr[1], hdr[2], buf + 16, (size_t)n - 16, fds[0], supfd, netfd);
      }
      PyOS_AfterFork_Parent();
      if ((hdr[2] & ZF_ONEFORK) && setns(own_pidns, CLONE_NEWPID))
        die("setns back");
      for (int i = 0; i < nfd; i++)
        close(fds[i]);
      if (pid < 0)
        die("fork");
      jobid[pid % MAXJOBS] = hdr[0];
    }
    if (p[1].revents) {
      struct signalfd_siginfo si;
      pid_t w;
      int st;
      while (read(sfd, &si, sizeof(si)) > 0)
        ;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        uint32_t r[3] = {jobid[w % MAXJOBS], (uint32_t)st, 0};
        if (send(3, r, sizeof(r), 0) < 0)
          die("reply");
      }
    }
  }
  _exit(0);
}

/* ---- launcher (host side) ---- */
static int sync_pipe[2];

static void robind(const char *src, const char *dst, int isdir,
                   unsigned long extra) {
  char p[512];
  snprintf(p, sizeof p, "%s%s", root_dir, dst);
  if (isdir) {
    if (mkdir(p, 0755) && errno != EEXIST)
      die(p);
  } else {
    int fd = open(p, O_CREAT | O_WRONLY, 0644);
    if (fd < 0)
      die(p);
    close(fd);
  }
  if (mount(src, p, NULL, MS_BIND, NULL))
    die(src);
  if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | extra,
            NULL) &&
      /* rootless: the locked flags of the host mount must be kept */
      mount(NULL, p, NULL,
            MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | extra,
            NULL))
    die(p);
}

static int child(void *arg) {
  char c, p[512];
  static const char *dirs[] = {"/etc", "/dev", "/proc", "/tmp",
                               "/job", "/out", NULL};
  static const char *devs[] = {"/dev/null", "/dev/zero", "/dev/urandom",
                               "/dev/random", NULL};
  (void)arg;
  if (read(sync_pipe[0], &c, 1) != 1)
    die("sync");
  close(sync_pipe[0]);
  if (!rootless && setgroups(0, NULL))
    die("setgroups");
  if (!rootless && (setresgid(0, 0, 0) || setresuid(0, 0, 0)))
    die("setres*id 0");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
    die("private");
  if (mount("tmpfs", root_dir, "tmpfs", MS_NOSUID | MS_NODEV,
            "size=1m,mode=0755"))
    die("tmpfs root");
  snprintf(p, sizeof p, "%s", root_dir);
  if (chdir(p))
    die("chdir");
  if (symlink("usr/bin", "bin") || symlink("usr/lib", "lib") ||
      symlink("usr/lib64", "lib64") || symlink("usr/sbin", "sbin"))
    die("symlink");
  for (int i = 0; dirs[i]; i++) {
    snprintf(p, sizeof p, "%s%s", root_dir, dirs[i]);
    if (mkdir(p, 0755))
      die(p);
  }
  robind("/usr", "/usr", 1, MS_NODEV);
  robind("/etc/python3.11", "/etc/python3.11", 1, MS_NODEV);
  for (int i = 0; devs[i]; i++)
    robind(devs[i], devs[i], 0, MS_NOEXEC);
  /* the zygote's own proc: fully visible, so the jobs' proc mounts in
     U are allowed; it shows only the zygote's PID namespace */
  snprintf(p, sizeof p, "%s/proc", root_dir);
  if (getenv("ZYG_NOPROC") == NULL &&
      mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
    die("proc");
  if (syscall(SYS_pivot_root, ".", "."))
    die("pivot_root");
  if (umount2(".", MNT_DETACH))
    die("umount old");
  if (chdir("/"))
    die("chdir /");
  if (mount(NULL, "/", NULL,
            MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL))
    die("ro root");
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
    die("dumpable");
  zygote_main();
  return 0;
}

int main(void) {
  static char stack[1 << 16];
  char p[64], map[128];
  const char *e;
  pid_t pid;
  int st;

  if ((e = getenv("ZYG_ROOTLESS")) != NULL)
    rootless = 1;
  if (pipe(sync_pipe))
    die("pipe");
  pid = clone(child, stack + sizeof stack,
              CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                  CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD,
              NULL);
  if (pid < 0)
    die("clone");
  close(sync_pipe[0]);
  if (rootless) {
    /* one id only: the account; the slot and the zygote share it */
    slot0 = 97101;
    nslots = 1;
    snprintf(p, sizeof p, "/proc/%d/setgroups", pid);
    writef(p, "deny");
    snprintf(map, sizeof map, "%u %u 1\n", slot0, geteuid());
    snprintf(p, sizeof p, "/proc/%d/uid_map", pid);
    writef(p, map);
    snprintf(map, sizeof map, "%u %u 1\n", slot0, getegid());
    snprintf(p, sizeof p, "/proc/%d/gid_map", pid);
    writef(p, map);
  } else {
    snprintf(map, sizeof map, "0 %u 1\n%u %u %u\n", root_id, slot0, slot0,
             nslots);
    snprintf(p, sizeof p, "/proc/%d/uid_map", pid);
    writef(p, map);
    snprintf(p, sizeof p, "/proc/%d/gid_map", pid);
    writef(p, map);
  }
  if (write(sync_pipe[1], "x", 1) != 1)
    die("sync write");
  close(sync_pipe[1]);
  close(3);
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      die("waitpid");
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

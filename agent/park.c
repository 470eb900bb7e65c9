/*
 * Warm start: see park.h.  The run's side (park_start, park_wait,
 * park_fits, park_hand, park_discard) runs in a session's request child as
 * root; the supervisor's side (park_recv, park_to_runner) in the
 * supervisor.  The runner is the one piece of Python: it runs as the
 * slot's uid under the filter, before any of the job's code, and only
 * takes the job's stdin and argv.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "park.h"
#include "sandbox.h"
#include "slot.h"
#include "supervise.h"
#include "zygote.h"

/*
 * The runner, run as `python3 [flags] -c RUNNER` in place of the entry.
 * It waits on descriptor 3 for one message (the entry's path and the
 * job's arguments, NUL-separated, and stdin as a descriptor).  An entry
 * that is plain source (not a zip application, not bytecode by name or by
 * its first bytes, no NUL byte, at most 1 MiB) it runs in __main__ made
 * what `python3 [flags] ENTRY ARGS` would make it (its globals, __file__,
 * __loader__, sys.argv, sys.orig_argv, sys.path[0] unless -I/-P left
 * none).  Any other
 * it hands to the interpreter itself, executing `python3 [flags] ENTRY
 * ARGS` in place (a cold start's own path, in the same sandbox), so that
 * every case python3 treats in its own way is treated so.  An uncaught
 * exception is printed without the runner's frames (the default hook
 * prints the exception's own traceback, so the stripped one is put on it),
 * and exits 1 as it would.  Names the runner needs once the job has run
 * are bound as default arguments, where the job's globals cannot reach.
 *
 * The job runs in a new __main__ module of its own, so that nothing of
 * the runner's (nor, in a zygote, any page of its module) is the job's.
 * What the interpreter's start made is frozen out of the collector's way
 * (gc.freeze()) before the job comes, as the zygote's is: the job's
 * collections, and the three of its end, walk only its own objects.
 *
 * The end (_sluice_end, entered twice around the job so that its outer
 * exit runs with no exception being handled): however a script ends, its
 * stderr and stdout are flushed first, failures ignored, as python3 does
 * after it has run a file (not a -c command: so before its threads are
 * waited for, or an exception printed).  A script that ran to its
 * end (its __file__ and __cached__ then deleted, as python3 deletes them
 * once a script has run, unless it raised SystemExit; after an uncaught
 * exception, once the runner's hook has printed it: a hook of the
 * script's own leaves them), or raised SystemExit itself (not a
 * subclass, whose code may be a property) with no code or an int one (not
 * a subclass of int, whose comparisons may be its own), ends the way
 * Py_FinalizeEx() ends it, in its order, as far as a program can see:
 * the threads joined, the atexit handlers, stdout and stderr flushed, the
 * signals with a Python handler set back to their default action, a
 * collection (if the collector is enabled: the later ones are made
 * whether or not), sys's special names cleared and its streams restored, then
 * the modules the job imported and its __main__ taken out of sys.modules
 * and collected (their objects' finalizers run with their globals whole,
 * and a file a script left open is closed, so flushed), what is left of
 * them cleared as the interpreter clears a module, a collection, the
 * streams flushed again; then _exit with the status.  It does not free
 * the rest of the interpreter, which in a job forked from the zygote
 * would copy every page the interpreter wrote before the fork (2.8 ms of
 * CPU a job: bench/README.md, session 13).  Any other end (an exception,
 * a SystemExit with another code, a stream that cannot be flushed or is
 * not one of the io module's text files, which only the interpreter
 * itself flushes, once) is
 * left to the interpreter's own, whole finalization, and so is the rest of
 * an end after which a thread other than the main one is still running (a
 * daemon thread: Python lets none run once the atexit handlers have, and
 * Python code, the job's finalizers, is still to run here), or after the
 * job loaded ctypes (what C wrote to its stdout is in C's buffer, which
 * exit() flushes and _exit does not); such an end of a script that ran to
 * its end or raised SystemExit raises that SystemExit again for the
 * interpreter to end with (the first exit took it: else the status would
 * be 0).  The modules
 * the runner imported are taken out of sys.modules before the job runs,
 * so that it finds those of a cold start.  The zygote runs all
 * but the last lines (ZYGOTE_RUNNER_RUN) once, before its first fork.
 */
/* clang-format off */
const char park_runner[] =
	"import sys\n"
	"_sluice_b=set(sys.modules)\n"
	"import os,_io,_socket,_weakref,gc,atexit,_thread,_signal\n"
	"class _sluice_end:\n"
	"    n=0\n"
	"    c=None\n"
	"    g=None\n"
	"    d=None\n"
	"    def __enter__(s):\n"
	"        pass\n"
	"    def __exit__(s,t,v,tb,sys=sys,sm=sys.modules,bm=sys.modules['builtins'],os=os,gc=gc,ae=atexit,wr=_weakref.ref,bi=isinstance,se=SystemExit,it=int,bo=bool,mt=type(sys),be=BaseException,ga=getattr,sa=setattr,ty=type,rv=reversed,ls=list,tc=_thread._count,sg=_signal,ca=callable,tw=_io.TextIOWrapper,isc=issubclass):\n"
	"        if s.n==0:\n"
	"            s.n=1\n"
	"            for n in ('stderr','stdout'):\n"
	"                try:\n"
	"                    ga(sys,n).flush()\n"
	"                except be:\n"
	"                    pass\n"
	"            g=s.g\n"
	"            s.g=None\n"
	"            if t is not None and not isc(t,se):\n"
	"                s.d=g\n"
	"            if t is None:\n"
	"                g.pop('__file__',None)\n"
	"                g.pop('__cached__',None)\n"
	"                s.c=0\n"
	"            elif ty(v) is se:\n"
	"                c=v.code\n"
	"                if c is None:\n"
	"                    c=0\n"
	"                if (ty(c) is it or ty(c) is bo) and -2147483648<=c<=2147483647:\n"
	"                    s.c=c\n"
	"                    return True\n"
	"            return\n"
	"        if t is not None or s.c is None:\n"
	"            return\n"
	"        try:\n"
	"            th=sm.get('threading')\n"
	"            if th is not None:\n"
	"                th._shutdown()\n"
	"            ae._run_exitfuncs()\n"
	"            for f in (sys.stdout,sys.stderr):\n"
	"                if f is not None and ty(f) is not tw:\n"
	"                    raise se(s.c)\n"
	"                if f is not None and not f.closed:\n"
	"                    f.flush()\n"
	"        except be:\n"
	"            raise se(s.c)\n"
	"        f=th=None\n"
	"        if tc() or '_ctypes' in sm:\n"
	"            raise se(s.c)\n"
	"        try:\n"
	"            for n in sg.valid_signals():\n"
	"                if ca(sg.getsignal(n)):\n"
	"                    sg.signal(n,sg.SIG_DFL)\n"
	"        except be:\n"
	"            raise se(s.c)\n"
	"        if gc.isenabled():\n"
	"            gc.collect()\n"
	"        bm._=None\n"
	"        for n in ('path','argv','ps1','ps2','last_type','last_value','last_traceback','path_hooks','path_importer_cache','meta_path','__interactivehook__'):\n"
	"            sa(sys,n,None)\n"
	"        for n in ('stdin','stdout','stderr'):\n"
	"            sa(sys,n,ga(sys,'__'+n+'__',None))\n"
	"        w=[wr(m) for m in [sm.pop(k) for k in [k for k in sm if k not in s.b]+['__main__'] if k in sm] if bi(m,mt)]\n"
	"        m=None\n"
	"        gc.collect()\n"
	"        for r in rv(w):\n"
	"            d=ga(r(),'__dict__',None)\n"
	"            if ty(d) is dict:\n"
	"                for k in ls(d):\n"
	"                    if k[:1]=='_' and k[1:2]!='_':\n"
	"                        d[k]=None\n"
	"                for k in ls(d):\n"
	"                    if k!='__builtins__':\n"
	"                        d[k]=None\n"
	"        w=r=d=None\n"
	"        gc.collect()\n"
	"        try:\n"
	"            for f in (sys.stdout,sys.stderr):\n"
	"                if f is not None and not f.closed:\n"
	"                    f.flush()\n"
	"        except be:\n"
	"            raise se(s.c)\n"
	"        os._exit(s.c)\n"
	"_sluice_e=_sluice_end()\n"
	"def _sluice_hook(t,v,tb,h=sys.__excepthook__,bi=isinstance,be=BaseException,e=_sluice_e):\n"
	"    while tb is not None and tb.tb_frame.f_code.co_filename=='<string>':\n"
	"        tb=tb.tb_next\n"
	"    try:\n"
	"        h(t,v.with_traceback(tb) if bi(v,be) else v,tb)\n"
	"    finally:\n"
	"        d=e.d\n"
	"        if d is not None:\n"
	"            e.d=None\n"
	"            d.pop('__file__',None)\n"
	"            d.pop('__cached__',None)\n"
	"def _sluice(hook=_sluice_hook,e=_sluice_e,b=_sluice_b,sys=sys,os=os,_socket=_socket,st=set,mt=type(sys),gc=gc):\n"
	"    gc.freeze()\n"
	"    s=_socket.socket(_socket.AF_UNIX,_socket.SOCK_SEQPACKET,0,3)\n"
	"    m,a,_,_=s.recvmsg(1<<20,_socket.CMSG_SPACE(4))\n"
	"    s.close()\n"
	"    if not a or a[0][1]!=_socket.SCM_RIGHTS or len(a[0][2])<4:\n"
	"        os._exit(127)\n"
	"    fd=int.from_bytes(a[0][2][:4],sys.byteorder)\n"
	"    if fd!=0:\n"
	"        os.dup2(fd,0)\n"
	"        os.close(fd)\n"
	"    argv=[os.fsdecode(w) for w in m.split(b'\\0')]\n"
	"    path=argv[0]\n"
	"    ext=sys.modules['_frozen_importlib_external']\n"
	"    src=None\n"
	"    zi=sys.modules['zipimport']\n"
	"    try:\n"
	"        zi.zipimporter(path)\n"
	"    except zi.ZipImportError:\n"
	"        try:\n"
	"            if not path.endswith('.pyc') and os.stat(path).st_size<=1048576:\n"
	"                with open(path,'rb') as f:\n"
	"                    src=f.read()\n"
	"        except OSError:\n"
	"            pass\n"
	"    except Exception:\n"
	"        pass\n"
	"    o=sys.orig_argv\n"
	"    if src is None or b'\\0' in src or src[:2]==ext.MAGIC_NUMBER[:2]:\n"
	"        os.execv(sys.executable,[o[0]]+o[1:-2]+argv)\n"
	"    sys.orig_argv=o[:-2]+argv\n"
	"    if sys.path and sys.path[0]=='':\n"
	"        sys.path[0]=os.path.dirname(path)\n"
	"    sys.argv=argv\n"
	"    sys.excepthook=hook\n"
	"    for k in st(sys.modules)-b:\n"
	"        del sys.modules[k]\n"
	"    e.b=st(sys.modules)\n"
	"    e.o=sys.modules['__main__']\n"
	"    j=mt('__main__')\n"
	"    g=e.g=j.__dict__\n"
	"    g.update(__loader__=ext.SourceFileLoader('__main__',path),__annotations__={},__builtins__=sys.modules['builtins'],__file__=path,__cached__=None)\n"
	"    sys.modules['__main__']=j\n"
	"    return compile(src,path,'exec',dont_inherit=True),g\n"
	ZYGOTE_RUNNER_RUN;
/* clang-format on */

/* The header of a park_job: all but the tail. */
#define PARK_HEAD offsetof(struct park_job, tail)

/* Whether the zygote at fd (-1: none) is there to take a request. */
static bool
park_zygote_alive(int fd)
{
	struct pollfd p = { fd, POLLOUT, 0 };

	return fd != -1 && poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLHUP | POLLERR)) == 0;
}

/* See park.h. */
int
park_start(struct park *k, const struct agent_conf *c, const struct runtime *rt,
    const struct warm *w, const struct park_zygote *z,
    const struct slot_nets *nets, struct error *e)
{
	struct supervise_job sj;
	struct manifest m;
	char entry[1] = "";
	int sock[2] = { -1, -1 }, wake[2] = { -1, -1 }, slotfd = -1;
	int parked = -1;
	double left;

	memset(k, 0, sizeof(*k));
	k->sock = k->wake = -1;
	/* The job a parked sandbox is built for: the runtime's, with no
	   limit, argument or variable of its own. */
	memset(&m, 0, sizeof(m));
	snprintf(m.runtime, sizeof(m.runtime), "%s", rt->name);
	m.entry = entry;
	if (slot_dirs(c, e) == -1 ||
	    cgroup_detect(&k->cs, c->cgroup_root, c->cgroup_parent, c->cgroup,
		e) == -1 ||
	    slot_park(c, &k->slot, &slotfd, &parked) == -1)
		return -1;
	if (plan_build(&k->plan, &m, c, k->slot, k->cs.memory, e) == -1) {
		close(slotfd);
		close(parked);
		return -1;
	}
	if (plan_warm_argv(&k->plan, park_runner) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) == -1 ||
	    pipe2(wake, O_CLOEXEC | O_NONBLOCK) == -1)
		goto fail;
	memset(&sj, 0, sizeof(sj));
	sj.conf = c;
	sj.plan = &k->plan;
	sj.cg = &k->cs;
	sj.evfd = -1;
	sj.slotfd = slotfd;
	sj.wakefd = wake[1];
	/* The slot's network namespace if the session keeps one (it holds
	   the slot's lock now), else a new one; a new IPC namespace. */
	sj.spare_ns[0] = k->plan.userns ? -1 : slot_net(nets, c, k->slot);
	sj.spare_ns[1] = -1;
	/* The template's copy instead of the mounts it holds, as a cold
	   run takes it; the sandbox then sees the host's files as of the
	   template's build, so it waits for its job no longer than a
	   template is taken (WARM_MAX_AGE_SECONDS), a bound of 30 s on
	   either path. */
	sj.template_fd = warm_find(w, rt->name, &k->plan);
	left = WARM_MAX_AGE_SECONDS - warm_age(w);
	k->wait_ms = sj.template_fd != -1 && left < PARK_MAX_SECONDS
	    ? (int)(left * 1000)
	    : PARK_MAX_SECONDS * 1000;
	sj.parkfd = sock[1];
	sj.parked_lock = parked;
	/* The session's zygote, if it was started for this very command
	   and environment and is still there (a dead one's socket hangs
	   up: park as without one), and the job's CPU time can be read
	   from its cgroup (the job is not the supervisor's descendant). */
	sj.zygotefd = -1;
	if (rt->zygote && z != NULL && park_zygote_alive(z->fd) && k->cs.cpu &&
	    zygote_hash(k->plan.argv, k->plan.envp) == z->hash &&
	    (sj.zygotefd = fcntl(z->fd, F_DUPFD_CLOEXEC, 3)) == -1)
		goto fail;
	if ((k->sup = supervise_start(&sj,
		 (const int[2]){ wake[0], sock[0] })) == -1) {
		/* Not this child's to keep: a stopped zygote lives on while
		   any process holds its socket (agent_zygote_drop()). */
		if (sj.zygotefd != -1)
			close(sj.zygotefd);
		goto fail;
	}
	/* The supervisor holds the slot's locks and the wake pipe's write
	   end now. */
	close(slotfd);
	close(parked);
	close(sock[1]);
	close(wake[1]);
	k->zygote = sj.zygotefd != -1;
	if (sj.zygotefd != -1)
		close(sj.zygotefd);
	k->sock = sock[0];
	k->wake = wake[0];
	snprintf(k->base_dir, sizeof(k->base_dir), "%s", c->base_dir);
	snprintf(k->runtime, sizeof(k->runtime), "%s", rt->name);
	k->out_files_max = c->out_files_max;
	k->active = true;
	return 0;
fail:
	/* Every failure after plan_build() is told so, with errno. */
	error_set(e, ERR_SYS, "cannot park: %s", strerror(errno));
	close(slotfd);
	close(parked);
	for (int i = 0; i < 2; i++) {
		if (sock[i] != -1)
			close(sock[i]);
		if (wake[i] != -1)
			close(wake[i]);
	}
	plan_release(&k->plan);
	return -1;
}

/* See park.h. */
int
park_wait(struct park *k, char *line, size_t size)
{
	struct pollfd pfd[2] = { { STDIN_FILENO, POLLIN, 0 },
		{ k->active ? k->sock : -1, POLLIN, 0 } };
	int timeout = k->active ? k->wait_ms : -1;
	size_t len = 0;
	ssize_t r;
	char *nl;

	while (len + 1 < size) {
		if (poll(pfd, 2, timeout) <= 0 || pfd[1].revents != 0)
			return -1;
		if ((r = read(STDIN_FILENO, line + len, size - 1 - len)) <= 0)
			return -1;
		len += (size_t)r;
		line[len] = '\0';
		if ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			return 0;
		}
	}
	return -1;
}

/* Whether a and b are the same cgroups. */
static bool
park_same_cgroups(const struct cgroup_sys *a, const struct cgroup_sys *b)
{
	return a->version == b->version && strcmp(a->root, b->root) == 0 &&
	    strcmp(a->parent, b->parent) == 0 && a->memory == b->memory &&
	    a->pids == b->pids && a->cpu == b->cpu && a->memsw == b->memsw;
}

/* The runner's words of p, NUL-separated, into buf; their length, or -1
   if they do not fit or p's command is not the parked one. */
static ssize_t
park_tail(const struct park *k, const struct plan *p, char *buf, size_t size)
{
	ssize_t at = plan_warm_tail(p, &k->plan);
	size_t n = 0, w;

	if (at == -1)
		return -1;
	for (; p->argv[at] != NULL; at++) {
		w = strlen(p->argv[at]) + 1;
		if (w > size - n)
			return -1;
		if (buf != NULL)
			memcpy(buf + n, p->argv[at], w);
		n += w;
	}
	/* No trailing NUL: the runner splits on each. */
	return (ssize_t)n - 1;
}

/* See park.h. */
bool
park_fits(const struct park *k, const char *runtime, const struct plan *p,
    const struct agent_conf *c, const struct cgroup_sys *cs)
{
	struct pollfd pfd = { k->sock, POLLIN, 0 };

	/* A supervisor that has gone (or is going: it wrote nothing, so
	   anything readable is its end) takes no job: start it cold. */
	if (!k->active || poll(&pfd, 1, 0) != 0)
		return false;
	/* Another runtime may have the same command and binds: it did not
	   ask to be warmed. */
	return strcmp(k->runtime, runtime) == 0 &&
	    plan_same_sandbox(&k->plan, p) && park_same_cgroups(&k->cs, cs) &&
	    strcmp(k->base_dir, c->base_dir) == 0 &&
	    k->out_files_max == c->out_files_max &&
	    park_tail(k, p, NULL, PARK_TAIL_MAX) != -1;
}

/* See park.h. */
int
park_hand(struct park *k, const struct jobdir *jd, int evfd,
    const struct plan *p, struct error *e)
{
	static struct park_job j;
	struct iovec iov[2];
	int fds[2] = { jd->fd, evfd }, rc;
	ssize_t n;

	memset(&j, 0, PARK_HEAD);
	j.jd = *jd;
	j.jd.fd = j.jd.parentfd = -1; /* the descriptors go as such */
	n = park_tail(k, p, j.tail, sizeof(j.tail));
	iov[0].iov_base = &j;
	iov[0].iov_len = PARK_HEAD;
	iov[1].iov_base = j.tail;
	iov[1].iov_len = n < 0 ? 0 : (size_t)n;
	rc = n < 0 ? -1 : sandbox_send_fds(k->sock, iov, 2, fds, 2);
	if (rc == -1)
		error_set(e, ERR_SYS,
		    "sandbox error: the parked sandbox has gone");
	close(k->sock);
	k->sock = -1;
	k->active = false;
	plan_release(&k->plan);
	return rc;
}

/* See park.h. */
void
park_discard(struct park *k)
{
	if (!k->active)
		return;
	/* The supervisor sees the socket close, kills the sandbox, removes
	   its cgroup and exits, freeing the slot. */
	close(k->sock);
	close(k->wake);
	k->sock = k->wake = -1;
	while (waitpid(k->sup, NULL, 0) == -1 && errno == EINTR)
		;
	k->active = false;
	plan_release(&k->plan);
}

/* See park.h. */
int
park_recv(int sock, struct park_job *j, size_t *tail_len, int *evfd)
{
	int fds[2];
	ssize_t r;

	r = sandbox_recv_fds(sock, j, sizeof(*j), fds, 2);
	j->jd.fd = fds[0];
	j->jd.parentfd = -1;
	*evfd = fds[1];
	if (r <= 0 || (size_t)r <= PARK_HEAD ||
	    memchr(j->jd.name, '\0', sizeof(j->jd.name)) == NULL)
		return -1;
	*tail_len = (size_t)r - PARK_HEAD;
	return 0;
}

/* See park.h. */
int
park_to_runner(int sock, int stdin_fd, const char *tail, size_t len)
{
	struct iovec iov = { (void *)tail, len };

	return sandbox_send_fds(sock, &iov, 1, &stdin_fd, 1);
}

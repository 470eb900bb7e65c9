/*
 * The supervisor: see supervise.h.  One job, one process, one epoll loop.
 * Every limit is an event source: the wall limit a timerfd at the deadline,
 * the CPU limit a timerfd re-armed for the earliest moment the summed CPU
 * time could reach the limit, output a byte count on the pipes, memory the
 * cgroup's OOM count and the filter's notifications, cancellation an
 * inotify watch and SIGTERM.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include "files.h"
#include "park.h"
#include "sandbox.h"
#include "supervise.h"
#include "util.h"
#include "verdict.h"
#include "zygote.h"

/* memfd_create: sealed against ever being made executable (Linux 6.3). */
#ifndef MFD_NOEXEC_SEAL
#define SUP_MFD_NOEXEC_SEAL 0x0008U
#else
#define SUP_MFD_NOEXEC_SEAL MFD_NOEXEC_SEAL
#endif

#define SUPERVISE_SETUP_SECONDS 30
#define SUPERVISE_CPU_TICK_MIN 0.005

/* What woke the loop; the first four are the streams of captured output,
   their indexes in struct sup's st[]. */
enum sup_source {
	SUP_OUT,
	SUP_ERR,
	SUP_COUT, /* a compile stage's */
	SUP_CERR,
	SRC_SIGNAL,
	SRC_SOCK,
	SRC_WALL,
	SRC_CPU,
	SRC_CANCEL,
	SRC_NOTIFY,
	SRC_ZYGOTE
};
#define SUP_NSTREAMS (SUP_CERR + 1)

/* One stream of captured output. */
struct sup_stream {
	const char *name;
	const char *file_name; /* in the job directory */
	int pipe; /* read end, -1 once at EOF */
	int file; /* JOBDIR/file_name */
	uint64_t kept; /* bytes written to the file */
	uint64_t seen; /* bytes read from the pipe */
};

/* The streams as the supervisor starts. */
static const struct sup_stream sup_streams_init[SUP_NSTREAMS] = {
	{ "stdout", "stdout", -1, -1, 0, 0 },
	{ "stderr", "stderr", -1, -1, 0, 0 },
	{ "the compile stage's stdout", "compile.stdout", -1, -1, 0, 0 },
	{ "the compile stage's stderr", "compile.stderr", -1, -1, 0, 0 },
};

struct sup {
	struct supervise_job *sj;
	const struct plan *p;
	pid_t init;
	int sock, epfd, sigfd, wallfd, cpufd, inofd, notifyfd, outdirfd;
	int runner; /* a warm start's runner socket */
	/* A zygote's job (zygote.h): what the request hands it until it is
	   sent (stdout's and stderr's write ends, the runner's end), then
	   the reply socket its messages and status come on; else -1. */
	int zout, zerr, zrunner, zreply;
	struct filter_prog prog; /* the run's filter, for the zygote */
	/* The run's stdout and stderr, then a compile stage's. */
	struct sup_stream st[SUP_NSTREAMS];
	bool compiling; /* the compile stage runs, or failed */
	const struct limits *lim; /* the limits of the stage that runs */
	struct result_stage cres; /* a compile stage that ended ok */
	int peakfd; /* the run's peak memory (cgroup_restage()), or -1 */
	uint64_t oom_base; /* OOM kills before the run */
	double cpu_base_s; /* CPU seconds before the run, without a cgroup */
	bool reaped;
	bool killed; /* init was sent SIGKILL: as a cold init would then
			report none, no status of a zygote's counts */
	bool attached; /* init was born in its v2 cgroup */
	ino_t pidns; /* init's PID namespace, or 0 (mode "user": it tells
			the job's processes; sup_go() reads it before init
			hides itself, and before that the job has none) */
	struct rusage ru;
	struct verdict_facts facts;
	char error[480];
	uint64_t cpu_base_ns;
	int ncpu;
	struct timespec start_mono, end_mono;
	char started_at[40], finished_at[40];
};

/* Record a sandbox failure (the first one wins). */
static void __attribute__((format(printf, 2, 3)))
sup_fail(struct sup *s, const char *fmt, ...)
{
	va_list ap;

	if (s->facts.sandbox_failed)
		return;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	s->facts.sandbox_failed = true;
	s->facts.error = s->error;
}

/* Record a sandbox failure and end the job (sup_kill(), below). */
#define SUP_ABORT(s, ...) \
	do { \
		sup_fail(s, __VA_ARGS__); \
		sup_kill(s, KILL_NONE); \
	} while (0)

/* Append an event and wake run's follower. */
static void
sup_event(struct sup *s, json_t *ev)
{
	(void)jobdir_event(s->sj->evfd, ev);
	if (s->sj->wakefd != -1 && write(s->sj->wakefd, "", 1) == -1 &&
	    errno != EAGAIN) {
		/* run has gone (a dropped link): nobody to wake. */
		close(s->sj->wakefd);
		s->sj->wakefd = -1;
	}
}

/* Add a descriptor to the loop. */
static int
sup_watch(struct sup *s, int fd, enum sup_source src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = src };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Remove a descriptor from the loop and close it. */
static void
sup_unwatch(struct sup *s, int *fd)
{
	if (*fd == -1)
		return;
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

/* Arm a timerfd to fire once after seconds. */
static void
sup_arm(int fd, double seconds)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (seconds < 1e-6)
		seconds = 1e-6;
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec = (long)((seconds - floor(seconds)) * 1e9);
	(void)timerfd_settime(fd, 0, &its, NULL);
}

/* Read utime+stime+cutime+cstime (in ticks) from /proc/<pid>/stat. */
static uint64_t
sup_proc_ticks(const char *pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v[4];
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* Fields after the command's closing parenthesis start at 3 (state);
	   utime is field 14. */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (i = 0; i < 11 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL ||
	    sscanf(p, " %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]) != 4)
		return 0;
	return v[0] + v[1] + v[2] + v[3];
}

/*
 * Whether the process /proc/<name> is one of the job's, init aside: of the
 * slot's uid, or in mode "user" (where on the host every job is the agent's
 * account) in init's PID namespace.
 */
static bool
sup_proc_is_job(struct sup *s, int procfd, const char *name)
{
	char path[64];
	struct stat st;

	if (name[0] < '0' || name[0] > '9' || atoi(name) == (int)s->init)
		return false;
	if (!s->p->userns)
		return fstatat(procfd, name, &st, 0) == 0 &&
		    st.st_uid == s->p->uid;
	snprintf(path, sizeof(path), "%s/ns/pid", name);
	return s->pidns != 0 && fstatat(procfd, path, &st, 0) == 0 &&
	    st.st_ino == s->pidns;
}

/*
 * CPU time of the job without a CPU cgroup: init's own and reaped
 * children's ticks, plus every live process of the job (with its reaped
 * children).  Each dead process is counted once, in the parent that reaped
 * it.
 */
static double
sup_cpu_fallback(struct sup *s)
{
	char pid[32];
	struct dirent *de;
	uint64_t ticks;
	DIR *d;

	snprintf(pid, sizeof(pid), "%d", (int)s->init);
	ticks = sup_proc_ticks(pid);
	if ((d = opendir("/proc")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (sup_proc_is_job(s, dirfd(d), de->d_name))
				ticks += sup_proc_ticks(de->d_name);
		closedir(d);
	}
	return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

/* Kill the job: SIGKILL to init ends the whole PID namespace. */
static void
sup_kill(struct sup *s, enum verdict_kill why)
{
	double cpu;

	/* Without a CPU cgroup, what the killed processes used is lost with
	   them (the kernel does not add it to init's children's times), so
	   read it now. */
	if (!s->sj->cg->cpu && s->init > 0 && !s->reaped &&
	    (cpu = sup_cpu_fallback(s)) > s->facts.cpu_seconds)
		s->facts.cpu_seconds = cpu;
	if (s->facts.killed == KILL_NONE && why != KILL_NONE)
		s->facts.killed = why;
	if (s->init > 0 && !s->reaped) {
		kill(s->init, SIGKILL);
		s->killed = true;
	}
}

/*
 * If init was started and is not reaped yet, kill it and wait for it (its
 * end is the end of its PID namespace: the kernel has killed every other
 * process of it).  Only then may the slot's cgroup be removed or its lock
 * freed: else the next job could take the slot while this one's processes
 * still run in it.
 */
static void
sup_reap(struct sup *s)
{
	if (s->init <= 0 || s->reaped)
		return;
	(void)kill(s->init, SIGKILL);
	while (waitpid(s->init, NULL, 0) == -1 && errno == EINTR)
		;
	s->reaped = true;
	if (s->end_mono.tv_sec == 0 && s->end_mono.tv_nsec == 0)
		clock_gettime(CLOCK_MONOTONIC, &s->end_mono);
}

/* The job's CPU seconds in a reading of the cgroup's CPU time. */
static double
sup_cpu_cgroup(const struct sup *s, uint64_t ns)
{
	return ns > s->cpu_base_ns ? (double)(ns - s->cpu_base_ns) / 1e9 : 0;
}

/* CPU seconds the job has used so far. */
static double
sup_cpu_used(struct sup *s)
{
	uint64_t ns;

	if (s->sj->cg->cpu && cgroup_cpu_ns(s->sj->cg, s->p->uid, &ns) == 0)
		return sup_cpu_cgroup(s, ns);
	return sup_cpu_fallback(s) - s->cpu_base_s;
}

/* The CPU timer: kill at the limit, else check again at the earliest
   moment the limit could be reached with every CPU busy. */
static void
sup_cpu_check(struct sup *s)
{
	double used = sup_cpu_used(s), left;

	if (used >= s->lim->cpu_seconds) {
		s->facts.cpu_seconds = used;
		sup_kill(s, KILL_CPU);
		return;
	}
	left = (s->lim->cpu_seconds - used) / s->ncpu;
	sup_arm(s->cpufd,
	    left < SUPERVISE_CPU_TICK_MIN ? SUPERVISE_CPU_TICK_MIN : left);
}

/* Read one chunk from an output pipe, keep what the limit allows. */
static void
sup_output(struct sup *s, struct sup_stream *st)
{
	char buf[65536];
	uint64_t limit = s->lim->output_bytes, keep;
	ssize_t n;

	n = read(st->pipe, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		sup_unwatch(s, &st->pipe);
		return;
	}
	st->seen += (uint64_t)n;
	if (st->kept < limit) {
		keep = limit - st->kept;
		if (keep > (uint64_t)n)
			keep = (uint64_t)n;
		if (util_write_all(st->file, buf, keep) == -1)
			SUP_ABORT(s, "cannot save %s: %s", st->name,
			    strerror(errno));
		st->kept += keep;
	}
	if (st->seen > limit && s->facts.killed == KILL_NONE) {
		s->facts.output_stream = st->name;
		sup_kill(s, KILL_OUTPUT);
	}
}

/*
 * Read what a stream's pipe holds now, and close it.  Only once every
 * process that could write to it is dead: what they wrote is there; a
 * write end that lives on only in flight (an SCM_RIGHTS message in a
 * socket no process holds) writes nothing more, and must not keep the
 * supervisor waiting for an end of file it would see only when the
 * kernel's collector runs.
 */
static void
sup_drain(struct sup *s, struct sup_stream *st)
{
	int avail;

	while (st->pipe != -1 && ioctl(st->pipe, FIONREAD, &avail) == 0 &&
	    avail > 0)
		sup_output(s, st);
	sup_unwatch(s, &st->pipe);
}

/* The job's seccomp notification descriptor: watch it (the first only). */
static void
sup_notify_fd(struct sup *s, int *fd)
{
	if (*fd != -1 && s->notifyfd == -1) {
		s->notifyfd = *fd;
		*fd = -1;
		if (sup_watch(s, s->notifyfd, SRC_NOTIFY) == -1)
			sup_unwatch(s, &s->notifyfd);
	}
}

/* Watch the job directory for JOBDIR/cancel (inofd is made already). */
static int
sup_watch_cancel(struct sup *s)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->sj->jd->fd);
	return inotify_add_watch(s->inofd, path, IN_CREATE | IN_MOVED_TO) == -1
	    ? -1
	    : 0;
}

static void sup_stage(struct sup *s, int status);

/* The compile stage's part of the result, its verdict in c. */
static struct result_stage
sup_stage_result(const struct sup *s, const struct result *c,
    double cpu_seconds, double wall_seconds, uint64_t memory_peak_bytes)
{
	const struct sup_stream *out = &s->st[SUP_COUT],
				*err = &s->st[SUP_CERR];

	return (struct result_stage){ .verdict = c->verdict,
		.exit_code = c->exit_code,
		.signal = c->signal,
		.cpu_seconds = cpu_seconds,
		.wall_seconds = wall_seconds,
		.memory_peak_bytes = memory_peak_bytes,
		.stdout_bytes = out->kept,
		.stderr_bytes = err->kept,
		.stdout_truncated = out->seen > out->kept,
		.stderr_truncated = err->seen > err->kept,
		.limits = s->p->compile.limits };
}

/* Whether the OOM killer has killed in the slot's cgroup since the run
   started. */
static bool
sup_oom_killed(struct sup *s)
{
	struct cgroup_stats cst;
	struct error e;

	error_init(&e);
	return cgroup_stats(s->sj->cg, s->p->uid, &cst, &e) == 0 &&
	    cst.oom_kills > s->oom_base;
}

/*
 * A message from init or the job on *sock: init's socket, or a zygote's
 * reply socket, on which the zygote, the job's parent, sends the job's
 * status once the job has ended (init, which holds the namespace, is then
 * killed).
 */
static void
sup_message(struct sup *s, int *sock)
{
	struct sandbox_msg m;
	int fd;

	if (sandbox_recv(*sock, &m, &fd) == -1) {
		/* The zygote closes the socket after the status: without
		   one, the zygote was killed and has lost the job.  Should
		   the OOM killer have been at work in the slot's cgroup
		   meanwhile, that is the job's memory, not the sandbox's
		   failure. */
		if (sock == &s->zreply && !s->facts.have_status && !s->killed) {
			if (!sup_oom_killed(s))
				sup_fail(s, "the zygote lost the job");
			sup_kill(s, KILL_NONE);
		}
		sup_unwatch(s, sock);
		return;
	}
	switch (m.type) {
	case SANDBOX_STATUS:
		if (sock == &s->zreply && s->killed)
			break;
		s->facts.have_status = true;
		s->facts.status = m.value;
		if (sock == &s->zreply && s->init > 0 && !s->reaped)
			kill(s->init, SIGKILL);
		break;
	case SANDBOX_NOTIFY_FD:
		sup_notify_fd(s, &fd);
		break;
	case SANDBOX_STAGE:
		sup_stage(s, m.value);
		break;
	case SANDBOX_ERROR:
		SUP_ABORT(s, "%s", m.text);
		break;
	default:
		SUP_ABORT(s, "unexpected message %u from the sandbox", m.type);
	}
	if (fd != -1)
		close(fd);
}

/* A seccomp notification: an allocation larger than the memory limit. */
static void
sup_notify(struct sup *s, uint32_t events)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;

	if (events & (EPOLLHUP | EPOLLERR)) {
		sup_unwatch(s, &s->notifyfd);
		return;
	}
	if (seccomp_notify_alloc(&req, &resp) != 0)
		return;
	if (seccomp_notify_receive(s->notifyfd, req) == 0) {
		resp->id = req->id;
		resp->val = 0;
		resp->error = -ENOMEM;
		resp->flags = 0;
		(void)seccomp_notify_respond(s->notifyfd, resp);
		s->facts.memory_hit = true;
	}
	seccomp_notify_free(req, resp);
}

/* Signals: init's end, or a request to stop. */
static void
sup_signal(struct sup *s)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	if (read(s->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo != SIGCHLD) {
		sup_kill(s, KILL_CANCEL);
		return;
	}
	while ((pid = wait4(-1, &status, WNOHANG, &s->ru)) > 0)
		if (pid == s->init && !s->reaped) {
			s->reaped = true;
			clock_gettime(CLOCK_MONOTONIC, &s->end_mono);
			util_now_rfc3339(s->finished_at,
			    sizeof(s->finished_at));
		}
}

/* The cancel watch: the cancel verb creates JOBDIR/cancel. */
static void
sup_cancel_watch(struct sup *s)
{
	char buf[4096] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	if ((n = read(s->inofd, buf, sizeof(buf))) <= 0)
		return;
	for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)p;
		if (ev->len > 0 && strcmp(ev->name, "cancel") == 0)
			sup_kill(s, KILL_CANCEL);
	}
}

/*
 * The compile stage has ended (init's STAGE: every process of it gone, its
 * output closed).  If it ended ok, keep what it was and let the run go
 * with the run's limits, timers, clocks and peak; else end the job, whose
 * verdict sup_finish() takes from the facts gathered so far.
 */
static void
sup_stage(struct sup *s, int status)
{
	struct cgroup_stats cst;
	struct timespec now;
	struct result tmp;
	struct error e;
	double cpu;

	if (!s->compiling || s->facts.have_status) {
		SUP_ABORT(s, "unexpected message %u from the sandbox",
		    SANDBOX_STAGE);
		return;
	}
	s->facts.have_status = true;
	s->facts.status = status;
	sup_drain(s, &s->st[SUP_COUT]);
	sup_drain(s, &s->st[SUP_CERR]);
	clock_gettime(CLOCK_MONOTONIC, &now);
	cpu = sup_cpu_used(s);
	if (cgroup_stats(s->sj->cg, s->p->uid, &cst, &e) == -1) {
		SUP_ABORT(s, "%s", e.msg);
		return;
	}
	if (cst.oom_kills > 0)
		s->facts.memory_hit = true;
	if (s->facts.cpu_seconds < cpu)
		s->facts.cpu_seconds = cpu;
	s->facts.limits = s->lim;
	s->facts.clamped = s->p->compile.clamped;
	result_init(&tmp);
	verdict_decide(&s->facts, &tmp);
	if (tmp.verdict != VERDICT_OK) {
		sup_kill(s, KILL_NONE);
		return;
	}
	/* Its output is drained and closed: nothing more of it comes. */
	s->cres = sup_stage_result(s, &tmp, cpu,
	    util_elapsed(&s->start_mono, &now), cst.memory_peak_bytes);
	/* The run, from here: its own facts, clocks and listener. */
	s->oom_base = cst.oom_kills;
	s->cpu_base_ns = cst.cpu_ns;
	if (!s->sj->cg->cpu)
		s->cpu_base_s = sup_cpu_fallback(s);
	memset(&s->facts, 0, sizeof(s->facts));
	s->compiling = false;
	s->lim = &s->p->limits;
	sup_unwatch(s, &s->notifyfd);
	s->start_mono = now;
	/* Its limits on the same cgroup.  Memory the compile stage left
	   (what it wrote to /job is charged to the slot) that the run's
	   limit cannot hold means the run cannot start within its limit:
	   the job's, as a limit too small to start it is (verdict.h). */
	if (cgroup_restage(s->sj->cg, s->p->uid, &s->p->compile.limits,
		&s->p->limits, &s->peakfd, &e) == -1) {
		if (e.code == ERR_BUSY)
			s->facts.memory_hit = true;
		SUP_ABORT(s, "%s", e.msg);
		return;
	}
	sup_arm(s->wallfd, s->lim->wall_seconds);
	sup_arm(s->cpufd, s->lim->cpu_seconds / s->ncpu);
	if (sandbox_send(s->sock, SANDBOX_GO, 0, NULL, -1, NULL) == -1)
		SUP_ABORT(s, "the sandbox's init died after the compile stage");
}

/* Dispatch one ready descriptor. */
static void
sup_dispatch(struct sup *s, const struct epoll_event *ev)
{
	uint64_t ticks;

	switch ((enum sup_source)ev->data.u32) {
	case SUP_OUT:
	case SUP_ERR:
	case SUP_COUT:
	case SUP_CERR:
		sup_output(s, &s->st[ev->data.u32]);
		break;
	case SRC_SIGNAL:
		sup_signal(s);
		break;
	case SRC_SOCK:
		sup_message(s, &s->sock);
		break;
	case SRC_ZYGOTE:
		sup_message(s, &s->zreply);
		break;
	case SRC_WALL:
		if (read(s->wallfd, &ticks, sizeof(ticks)) == sizeof(ticks))
			sup_kill(s, KILL_WALL);
		break;
	case SRC_CPU:
		if (read(s->cpufd, &ticks, sizeof(ticks)) == sizeof(ticks) &&
		    !s->reaped)
			sup_cpu_check(s);
		break;
	case SRC_CANCEL:
		sup_cancel_watch(s);
		break;
	case SRC_NOTIFY:
		sup_notify(s, ev->events);
		break;
	}
}

/* Create the files in JOBDIR of streams from to to - 1, in order. */
static bool
sup_output_files(struct sup *s, int from, int to)
{
	const char *name;

	for (; from < to; from++) {
		name = s->st[from].file_name;
		s->st[from].file = openat(s->sj->jd->fd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (s->st[from].file == -1) {
			sup_fail(s, "cannot create %s: %s", name,
			    strerror(errno));
			return false;
		}
	}
	return true;
}

/*
 * The job's stdin: a sealed in-memory copy of JOBDIR/stdin if it is a
 * regular file, else /dev/null.  Never the host file itself: rootless the
 * job's uid on the host is the account, which owns it, so through
 * /proc/self/fd/0 the job could reopen it for writing, grow it, chmod it
 * or set its xattrs; and under either agent its readlink would show the
 * job directory's host path.  The copy reads and seeks as the file did; it
 * is named "stdin" (readlink shows /memfd:stdin), its seals forbid every
 * change, and it is at most the job's disk_bytes (the submission's bound
 * in the sandbox too).
 */
static int
sup_stdin(struct sup *s)
{
	const unsigned seals = F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW |
	    F_SEAL_SHRINK;
	struct error e;
	struct stat st;
	off_t left;
	ssize_t n;
	int fd, mfd = -1;

	fd = openat(s->sj->jd->fd, "stdin",
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		sup_fail(s, "stdin is not a regular file");
		return -1;
	}
	/* A regular file of the account's own, with one link. */
	if (jobdir_owned(s->sj->jd, fd, "stdin", false, &e) == -1) {
		sup_fail(s, "%s", e.msg);
		goto fail;
	}
	if (fstat(fd, &st) == -1 || st.st_size < 0) {
		sup_fail(s, "cannot read stdin: %s", strerror(errno));
		goto fail;
	}
	if ((uint64_t)st.st_size > s->p->limits.disk_bytes) {
		sup_fail(s,
		    "stdin (%lld bytes) is larger than the job's disk_bytes "
		    "(%llu)",
		    (long long)st.st_size,
		    (unsigned long long)s->p->limits.disk_bytes);
		goto fail;
	}
	/* Not executable where the kernel can say so (6.3); older kernels
	   refuse the flag. */
	mfd = memfd_create("stdin",
	    MFD_CLOEXEC | MFD_ALLOW_SEALING | SUP_MFD_NOEXEC_SEAL);
	if (mfd == -1 && errno == EINVAL)
		mfd = memfd_create("stdin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd == -1) {
		sup_fail(s, "cannot copy stdin: memfd_create: %s",
		    strerror(errno));
		goto fail;
	}
	/* The size seen above and no more: the account may still be
	   writing the file, and a file that shrank is an error. */
	for (left = st.st_size; left > 0; left -= n)
		if ((n = sendfile(mfd, fd, NULL, (size_t)left)) <= 0) {
			sup_fail(s, "cannot copy stdin: %s",
			    n == 0 ? "it shrank" : strerror(errno));
			goto fail;
		}
	if (fcntl(mfd, F_ADD_SEALS, seals) == -1 ||
	    lseek(mfd, 0, SEEK_SET) != 0) {
		sup_fail(s, "cannot seal stdin: %s", strerror(errno));
		goto fail;
	}
	close(fd);
	return mfd;
fail:
	if (mfd != -1)
		close(mfd);
	close(fd);
	return -1;
}

/* The kernel's clone_args, as far as CLONE_INTO_CGROUP (Linux 5.7). */
struct sup_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};
#define SUP_CLONE_INTO_CGROUP 0x200000000ULL

/*
 * Create init in new namespaces, like fork.  On cgroup v2 it is born inside
 * the slot's cgroup (clone3 with CLONE_INTO_CGROUP), so no migration is
 * needed; *attached says whether that happened.
 */
static pid_t
sup_clone(struct sup *s, bool *attached)
{
	uint64_t flags = SANDBOX_CLONE_FLAGS;
	struct sup_clone_args args;
	struct error e;
	pid_t pid;
	int fd;

	/* init enters those given instead (sandbox_enter_spare()). */
	if (s->sj->spare_ns[0] != -1)
		flags &= ~(uint64_t)CLONE_NEWNET;
	if (s->sj->spare_ns[1] != -1)
		flags &= ~(uint64_t)CLONE_NEWIPC;
	/* Mode "user": a user namespace of the job's own, made with the
	   others so that it owns them all (a PID namespace that it does not
	   own could not have its /proc mounted from inside). */
	if (s->p->userns)
		flags |= CLONE_NEWUSER;
	*attached = false;
	if (s->sj->cg->version == CGROUP_V2 &&
	    (fd = cgroup_open_dir(s->sj->cg, s->p->uid, &e)) != -1) {
		memset(&args, 0, sizeof(args));
		args.flags = flags | SUP_CLONE_INTO_CGROUP;
		args.exit_signal = SIGCHLD;
		args.cgroup = (uint64_t)fd;
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
		close(fd);
		if (pid != -1) {
			*attached = true;
			return pid;
		}
		/* An older kernel: fall back to clone and a migration. */
	}
	pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL,
	    NULL);
	return pid;
}

/*
 * Start init in its namespaces with the job's stdio, the socket and the
 * submission's directory; keep the read ends, the socket and whether init
 * was born in its cgroup.
 */
static bool
sup_spawn(struct sup *s)
{
	char root[PATH_MAX], empty[PATH_MAX];
	/* the pipes of stream i (enum sup_source) at 2i, the socket at 8 */
	int fds[10] = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	struct sandbox_io io;
	int runner[2] = { -1, -1 };
	sigset_t all;
	int in, files = -1, i;

	/* A warm start has no job yet: its stdin and submission come at the
	   handoff, and its runner gets a socket to take them on. */
	if (s->sj->parkfd != -1) {
		if ((in = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
		    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
			runner) == -1) {
			sup_fail(s, "cannot park: %s", strerror(errno));
			goto out;
		}
		s->runner = runner[0];
	} else if ((in = sup_stdin(s)) == -1)
		goto out;
	else if ((files = openat(s->sj->jd->fd, "files",
		      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		sup_fail(s, "cannot open files/: %s", strerror(errno));
		goto out;
	}
	if (pipe2(&fds[0], O_CLOEXEC) == -1 ||
	    pipe2(&fds[2], O_CLOEXEC) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, &fds[8]) ==
		-1 ||
	    (s->p->has_compile &&
		(pipe2(&fds[4], O_CLOEXEC) == -1 ||
		    pipe2(&fds[6], O_CLOEXEC) == -1))) {
		sup_fail(s, "cannot make pipes: %s", strerror(errno));
		goto out;
	}
	/* Namespaces made outside the job's user namespace are owned by
	   the agent's: init could not enter them.  Clone makes its own. */
	if (s->p->userns) {
		sandbox_spare_close(s->sj->spare_ns);
		if (s->sj->template_fd != -1)
			close(s->sj->template_fd);
		s->sj->template_fd = -1;
	}
	snprintf(root, sizeof(root), "%s/root", s->sj->conf->base_dir);
	snprintf(empty, sizeof(empty), "%s/empty", s->sj->conf->base_dir);
	io.stdin_fd = in;
	io.stdout_fd = fds[1];
	io.stderr_fd = fds[3];
	io.sock = fds[9];
	io.files_dirfd = files;
	io.files_owner = s->sj->jd != NULL ? s->sj->jd->owner : 0;
	/* In the job's user namespace the agent's account, who owns the
	   job directory (agent_caller_check()), is the slot's uid; any
	   other owner shows as the overflow uid and is refused. */
	if (s->p->userns)
		io.files_owner = s->p->uid;
	io.root_dir = root;
	io.empty_dir = empty;
	io.cg = s->sj->cg;
	/* In its user namespace init has no right to the cgroup files,
	   which are the agent's: the supervisor moves it (sup_setup()). */
	io.enter_cgroup = s->sj->cg->version == CGROUP_V1 && !s->p->userns;
	io.spare_ns[0] = s->sj->spare_ns[0];
	io.spare_ns[1] = s->sj->spare_ns[1];
	io.template_fd = s->sj->template_fd;
	io.runner_fd = runner[1];
	io.zygote = s->sj->zygotefd != -1;
	/* A zygote's job gets the runner's end and the output pipes from
	   the zygote (sup_zygote()), not from init. */
	if (io.zygote) {
		io.runner_fd = -1;
		s->zrunner = runner[1];
		runner[1] = -1;
		if ((s->zout = fcntl(fds[1], F_DUPFD_CLOEXEC, 3)) == -1 ||
		    (s->zerr = fcntl(fds[3], F_DUPFD_CLOEXEC, 3)) == -1) {
			sup_fail(s, "cannot keep the output pipes: %s",
			    strerror(errno));
			goto out;
		}
	}
	io.compile_out_fd = fds[5];
	io.compile_err_fd = fds[7];
	if ((s->init = sup_clone(s, &s->attached)) == -1) {
		sup_fail(s, "cannot create namespaces: %s", strerror(errno));
		goto out;
	}
	if (s->init == 0) {
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		sandbox_init_main(s->p, &io);
	}
	s->sock = fds[8];
	fds[8] = -1;
	/* The read ends (a compile stage's -1 without one). */
	for (i = 0; i < SUP_NSTREAMS; i++) {
		s->st[i].pipe = fds[2 * i];
		fds[2 * i] = -1;
		if (s->st[i].pipe != -1)
			(void)fcntl(s->st[i].pipe, F_SETFL, O_NONBLOCK);
	}
out:
	for (i = 0; i < 10; i++)
		if (fds[i] != -1)
			close(fds[i]);
	/* init has them, or nobody will: the job alone may hold them. */
	sandbox_spare_close(s->sj->spare_ns);
	if (s->sj->template_fd != -1)
		close(s->sj->template_fd);
	s->sj->template_fd = -1;
	if (runner[1] != -1)
		close(runner[1]);
	if (in != -1)
		close(in);
	if (files != -1)
		close(files);
	return s->init > 0;
}

/*
 * One message on sock (init's, or a zygote's reply socket) within
 * timeout_s seconds (0: only one already queued), as sandbox_recv() reads
 * it; 0, or -1 when none came or its sender has gone.
 */
static int
sup_recv(int sock, struct sandbox_msg *m, int *fd, int timeout_s)
{
	struct pollfd pfd = { sock, POLLIN, 0 };

	*fd = -1;
	if (poll(&pfd, 1, timeout_s * 1000) != 1)
		return -1;
	return sandbox_recv(sock, m, fd);
}

/*
 * init has gone during setup: record what it said before it went (an
 * ERROR waiting on the socket) if it said anything, else what.
 */
static void
sup_setup_lost(struct sup *s, const char *what)
{
	struct sandbox_msg m;
	int fd;

	if (sup_recv(s->sock, &m, &fd, 0) == 0 && m.type == SANDBOX_ERROR)
		sup_fail(s, "%s", m.text);
	else
		sup_fail(s, "%s", what);
	if (fd != -1)
		close(fd);
}

/*
 * Wait up to SUPERVISE_SETUP_SECONDS for init's READY at the end of its
 * setup or of a warm start's handoff; at the handoff the job's
 * notification descriptor, sent while it was parked, comes first and is
 * watched.  False after recording why not (lost: what to say when init
 * says nothing).
 */
static bool
sup_expect_ready(struct sup *s, bool handoff, const char *lost)
{
	struct sandbox_msg m;
	int fd;

	for (;;) {
		if (sup_recv(s->sock, &m, &fd, SUPERVISE_SETUP_SECONDS) == -1) {
			sup_fail(s, "%s", lost);
			return false;
		}
		if (m.type != SANDBOX_NOTIFY_FD || !handoff)
			break;
		sup_notify_fd(s, &fd);
		if (fd != -1)
			close(fd);
	}
	if (fd != -1)
		close(fd);
	if (m.type == SANDBOX_ERROR)
		sup_fail(s, "%s", m.text);
	else if (m.type != SANDBOX_READY)
		sup_fail(s, "unexpected message %u %s", m.type,
		    handoff ? "at the handoff" : "during setup");
	return m.type == SANDBOX_READY;
}

/* Write one /proc/<init>/ file of init's user namespace. */
static int
sup_userns_write(struct sup *s, const char *name, const char *val)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)s->init, name);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) != -1)
		n = write(fd, val, strlen(val));
	if (n != (ssize_t)strlen(val))
		sup_fail(s, "cannot %s %s: %s", fd == -1 ? "open" : "write",
		    path, n == -1 ? strerror(errno) : "short write");
	if (fd != -1)
		close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/*
 * Mode "user": map the slot's uid and gid in init's user namespace to the
 * agent's own (its account's: main.c refuses mode "user" as root), one id
 * each, so
 * that the job has the ids it has under the root agent and no other id
 * exists inside.  Only a process outside may write them, and only once;
 * init waits for CGROUP_DONE before it needs them.  setgroups is denied
 * first, as the kernel demands of an unprivileged gid_map: nothing in the
 * namespace can ever change its supplementary groups.
 */
static int
sup_userns_map(struct sup *s)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (sup_userns_write(s, "setgroups", "deny") == -1)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)s->p->uid,
	    (unsigned)uid);
	if (sup_userns_write(s, "uid_map", map) == -1)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)s->p->gid,
	    (unsigned)gid);
	return sup_userns_write(s, "gid_map", map);
}

/* Compile the seccomp filter for a stage's limits and send it to init. */
static bool
sup_send_filter(struct sup *s, const struct limits *lim)
{
	struct filter_prog prog;
	struct error e;

	error_init(&e);
	if (filter_build(lim->memory_bytes, s->sj->cg->memory, &prog, &e) ==
	    -1) {
		sup_fail(s, "%s", e.msg);
		return false;
	}
	if (sandbox_send(s->sock, SANDBOX_FILTER, 0, NULL, -1, &prog) == -1) {
		sup_setup_lost(s, "cannot send the filter");
		return false;
	}
	if (lim == &s->p->limits)
		s->prog = prog;
	return true;
}

/* Take init through its setup: cgroup, filter, root; until it is ready. */
static bool
sup_setup(struct sup *s)
{
	struct error e;

	if (s->p->userns && sup_userns_map(s) == -1)
		return false;
	if ((s->sj->cg->version == CGROUP_V2 ||
		(s->sj->cg->version == CGROUP_V1 && s->p->userns)) &&
	    !s->attached &&
	    cgroup_attach(s->sj->cg, s->p->uid, s->init, &e) == -1) {
		sup_fail(s, "%s", e.msg);
		return false;
	}
	if (sandbox_send(s->sock, SANDBOX_CGROUP_DONE, 0, NULL, -1, NULL) ==
	    -1) {
		sup_setup_lost(s, "the sandbox's init died during setup");
		return false;
	}
	/* Compile the filters while init builds the root on the other CPU:
	   the run's, then a compile stage's, which refuses what its own
	   memory limit refuses. */
	if (!sup_send_filter(s, &s->p->limits) ||
	    (s->p->has_compile && !sup_send_filter(s, &s->p->compile.limits)))
		return false;
	return sup_expect_ready(s, false,
	    "the sandbox's init did not finish its setup");
}

/* Hold the job's /out, start the clocks and let the job go. */
static bool
sup_go(struct sup *s)
{
	struct stat st;
	char path[64];

	/* The tmpfs outlives the namespace for as long as this descriptor
	   does, so the files can be collected after every process of the
	   job is dead. */
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)s->init);
	if (stat(path, &st) == 0)
		s->pidns = st.st_ino;
	snprintf(path, sizeof(path), "/proc/%d/root/out", (int)s->init);
	s->outdirfd = open(path,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->outdirfd == -1) {
		sup_fail(s, "cannot open the job's /out: %s", strerror(errno));
		return false;
	}
	/* The job's CPU time counts from here, the interpreter's start
	   included, warm or cold. */
	if (s->sj->cg->cpu)
		(void)cgroup_cpu_ns(s->sj->cg, s->p->uid, &s->cpu_base_ns);
	/* A warm start's clocks start, and its job's start is told, at the
	   handoff (sup_handoff()). */
	if (s->sj->parkfd == -1) {
		clock_gettime(CLOCK_MONOTONIC, &s->start_mono);
		util_now_rfc3339(s->started_at, sizeof(s->started_at));
	}
	if (sandbox_send(s->sock, SANDBOX_GO, 0, NULL, -1, NULL) == -1) {
		sup_fail(s, "the sandbox's init died before the start");
		return false;
	}
	if (s->sj->parkfd == -1)
		sup_event(s, json_pack("{s:s}", "event", "started"));
	return true;
}

/*
 * A parked sandbox that gets no job (the run went cold, or gone, or the
 * sandbox died waiting): kill it, remove its cgroup and exit, leaving no
 * trace and writing nothing; the slot's lock goes with this process.
 */
static void __attribute__((noreturn)) sup_discard(struct sup *s)
{
	struct error e;

	sup_reap(s);
	(void)cgroup_destroy(s->sj->cg, s->p->uid, &e);
	_exit(0);
}

/*
 * A warm start: wait for the run to hand over its job (park.h), then do
 * what a cold start did before its go: the output files, the cancel watch,
 * the submission copied into /job, and the runner given stdin and argv.
 * Discards the sandbox if no job comes; a failure after the handoff is the
 * job's, recorded in its result.
 */
static void
sup_handoff(struct sup *s)
{
	static struct park_job j;
	struct pollfd pfd[3] = { { s->sj->parkfd, POLLIN, 0 },
		{ s->sigfd, POLLIN, 0 }, { s->zreply, POLLIN, 0 } };
	uint64_t cpu_copy = 0, now;
	size_t len;
	int in = -1, files = -1, evfd;

	/* A zygote's job says nothing before its script comes: anything on
	   its reply socket (its end, as when the zygote was killed: the
	   job's status would be lost) discards the sandbox, and the
	   session parks another. */
	if (poll(pfd, 3, (PARK_MAX_SECONDS + 5) * 1000) != 1 ||
	    pfd[1].revents != 0 || pfd[2].revents != 0 ||
	    park_recv(s->sj->parkfd, &j, &len, &evfd) == -1)
		sup_discard(s);
	close(s->sj->parkfd);
	close(s->sj->parked_lock);
	s->sj->parkfd = s->sj->parked_lock = -1;
	s->sj->jd = &j.jd;
	s->sj->evfd = evfd;
	if (!sup_output_files(s, SUP_OUT, SUP_COUT))
		goto fail;
	if (sup_watch_cancel(s) == -1) {
		sup_fail(s, "cannot watch for a cancel: %s", strerror(errno));
		goto fail;
	}
	if ((in = sup_stdin(s)) == -1)
		goto fail;
	if ((files = openat(j.jd.fd, "files",
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		sup_fail(s, "cannot open files/: %s", strerror(errno));
		goto fail;
	}
	/* init copies it in, inside the slot's cgroup: its pages are the
	   job's, as a cold start's are. */
	if (s->sj->cg->cpu)
		(void)cgroup_cpu_ns(s->sj->cg, s->p->uid, &cpu_copy);
	if (sandbox_send(s->sock, SANDBOX_FILES, (int32_t)j.jd.owner, NULL,
		files, NULL) == -1) {
		sup_fail(s, "the sandbox's init died before the handoff");
		goto fail;
	}
	/* init says when it has copied the submission in. */
	if (!sup_expect_ready(s, true,
		"the sandbox's init did not copy the submission in"))
		goto fail;
	/* A cold start's copy is init's, before the clock: so is this one
	   (the runner waits meanwhile). */
	if (s->sj->cg->cpu && cgroup_cpu_ns(s->sj->cg, s->p->uid, &now) == 0 &&
	    cpu_copy != 0 && now > cpu_copy)
		s->cpu_base_ns += now - cpu_copy;
	clock_gettime(CLOCK_MONOTONIC, &s->start_mono);
	util_now_rfc3339(s->started_at, sizeof(s->started_at));
	if (park_to_runner(s->runner, in, j.tail, len) == -1) {
		sup_fail(s, "the parked interpreter has gone");
		goto fail;
	}
	sup_event(s, json_pack("{s:s}", "event", "started"));
	goto out;
fail:
	sup_kill(s, KILL_NONE);
out:
	if (in != -1)
		close(in);
	if (files != -1)
		close(files);
	close(s->runner);
	s->runner = -1;
}

/*
 * A zygote's warm start (zygote.h): ask the zygote for the job's process
 * in init's namespaces, with the run's ids, limits, filter and cgroups,
 * and wait until it is ready (its filter's listener has come).  From here
 * its messages and its status come on s->zreply.
 */
static bool
sup_zygote(struct sup *s)
{
	static struct zygote_req r;
	struct sandbox_msg m;
	int pair[2] = { -1, -1 }, fds[ZYGOTE_NFDS], fd = -1, i;
	bool ok = false;

	memset(&r, 0, sizeof(r));
	r.uid = s->p->uid;
	r.gid = s->p->gid;
	memcpy(r.workdir, s->p->workdir, sizeof(r.workdir));
	r.cs = *s->sj->cg;
	r.nrlimits = (uint32_t)s->p->nrlimits;
	for (i = 0; i < (int)s->p->nrlimits; i++) {
		r.rlimits[i].resource = s->p->rlimits[i].resource;
		r.rlimits[i].soft = s->p->rlimits[i].soft;
		r.rlimits[i].hard = s->p->rlimits[i].hard;
	}
	r.prog = s->prog;
	fds[ZYGOTE_FD_INIT] = (int)syscall(SYS_pidfd_open, s->init, 0);
	fds[ZYGOTE_FD_STDIN] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[ZYGOTE_FD_STDOUT] = s->zout;
	fds[ZYGOTE_FD_STDERR] = s->zerr;
	fds[ZYGOTE_FD_RUNNER] = s->zrunner;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0)
		fds[ZYGOTE_FD_REPLY] = pair[1];
	else
		fds[ZYGOTE_FD_REPLY] = -1;
	for (i = 0; i < ZYGOTE_NFDS; i++)
		if (fds[i] == -1)
			break;
	if (i < ZYGOTE_NFDS)
		sup_fail(s, "cannot ask the zygote: %s", strerror(errno));
	else if (zygote_request(s->sj->zygotefd, &r, fds) == -1)
		sup_fail(s, "the zygote has gone: %s", strerror(errno));
	else {
		s->zreply = pair[0];
		pair[0] = -1;
	}
	for (i = 0; i < ZYGOTE_NFDS; i++)
		if (fds[i] != -1)
			close(fds[i]);
	if (pair[0] != -1)
		close(pair[0]);
	close(s->sj->zygotefd);
	s->sj->zygotefd = s->zout = s->zerr = s->zrunner = -1;
	if (s->zreply == -1)
		return false;
	/* Its ids, limits and filter are set, or it says why not. */
	if (sup_recv(s->zreply, &m, &fd, SUPERVISE_SETUP_SECONDS) == -1)
		sup_fail(s, "the zygote's job did not start");
	else if (m.type == SANDBOX_ERROR)
		sup_fail(s, "%s", m.text);
	else if (m.type != SANDBOX_NOTIFY_FD || fd == -1)
		sup_fail(s, "unexpected message %u from the zygote", m.type);
	else {
		sup_notify_fd(s, &fd);
		ok = true;
	}
	if (fd != -1)
		close(fd);
	return ok;
}

/* Set up the event sources of the loop. */
static int
sup_loop_init(struct sup *s)
{
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	/* Non-blocking: a timer re-armed in the batch its expiry came in
	   (sup_stage()) has nothing to read. */
	s->wallfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->cpufd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->inofd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (s->wallfd == -1 || s->cpufd == -1 || s->inofd == -1)
		return -1;
	/* A warm start's job directory comes at the handoff. */
	if (s->sj->jd != NULL && sup_watch_cancel(s) == -1)
		return -1;
	if (sup_watch(s, s->sigfd, SRC_SIGNAL) == -1 ||
	    sup_watch(s, s->wallfd, SRC_WALL) == -1 ||
	    sup_watch(s, s->cpufd, SRC_CPU) == -1 ||
	    sup_watch(s, s->inofd, SRC_CANCEL) == -1)
		return -1;
	return 0;
}

/*
 * Create the output files (a warm start's come at the handoff), set up the
 * loop, start init and take it through setup; false after recording why
 * not.
 */
static bool
sup_start(struct sup *s)
{
	if (!sup_output_files(s, s->sj->parkfd == -1 ? SUP_OUT : SUP_COUT,
		s->compiling ? SUP_NSTREAMS : SUP_COUT))
		return false;
	if (sup_loop_init(s) == -1) {
		sup_fail(s, "cannot set up the supervisor: %s",
		    strerror(errno));
		return false;
	}
	return sup_spawn(s) && sup_setup(s) && sup_go(s) &&
	    (s->sj->zygotefd == -1 || sup_zygote(s));
}

/* Run the loop until init is gone and both pipes are closed. */
static void
sup_loop(struct sup *s)
{
	struct epoll_event evs[16];
	bool bad;
	int n, i;

	/* Every stream's pipe is open here but a compile stage's without
	   one (sup_spawn()). */
	bad = sup_watch(s, s->sock, SRC_SOCK) == -1 ||
	    (s->zreply != -1 && sup_watch(s, s->zreply, SRC_ZYGOTE) == -1);
	for (i = 0; i < SUP_NSTREAMS && !bad; i++)
		bad = s->st[i].pipe != -1 &&
		    sup_watch(s, s->st[i].pipe, (enum sup_source)i) == -1;
	if (bad)
		SUP_ABORT(s, "epoll: %s", strerror(errno));
	sup_arm(s->wallfd, s->lim->wall_seconds);
	sup_arm(s->cpufd, s->lim->cpu_seconds / s->ncpu);
	/* A cancel that came before the watch existed. */
	if (faccessat(s->sj->jd->fd, "cancel", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		sup_kill(s, KILL_CANCEL);
	while (!s->reaped || s->st[SUP_OUT].pipe != -1 ||
	    s->st[SUP_ERR].pipe != -1 || s->st[SUP_COUT].pipe != -1 ||
	    s->st[SUP_CERR].pipe != -1) {
		n = epoll_wait(s->epfd, evs, 16, -1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			SUP_ABORT(s, "epoll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++)
			sup_dispatch(s, &evs[i]);
		/* init is gone, and with it every process of the namespace:
		   what they wrote is in the pipes. */
		for (i = 0; i < SUP_NSTREAMS && s->reaped; i++)
			sup_drain(s, &s->st[i]);
	}
	/* init sends the status just before it exits; it may still be
	   queued behind the SIGCHLD. */
	while (s->sock != -1 && !s->facts.have_status &&
	    poll(&(struct pollfd){ s->sock, POLLIN, 0 }, 1, 0) == 1)
		sup_message(s, &s->sock);
}

/* Times, CPU and memory into r while the cgroup exists, then remove it:
   nothing of the job may survive it. */
static void
sup_measure(struct sup *s, struct result *r)
{
	struct cgroup_stats cst;
	struct error e;

	if (s->started_at[0] == '\0')
		util_now_rfc3339(s->started_at, sizeof(s->started_at));
	if (s->finished_at[0] == '\0')
		util_now_rfc3339(s->finished_at, sizeof(s->finished_at));
	snprintf(r->started_at, sizeof(r->started_at), "%s", s->started_at);
	snprintf(r->finished_at, sizeof(r->finished_at), "%s", s->finished_at);
	if (s->start_mono.tv_sec != 0)
		r->wall_seconds = util_elapsed(&s->start_mono, &s->end_mono);
	if (cgroup_stats(s->sj->cg, s->p->uid, &cst, &e) == -1)
		sup_fail(s, "%s", e.msg);
	if (s->sj->cg->cpu)
		r->cpu_seconds = sup_cpu_cgroup(s, cst.cpu_ns);
	else {
		r->cpu_seconds = (double)s->ru.ru_utime.tv_sec +
		    (double)s->ru.ru_utime.tv_usec / 1e6 +
		    (double)s->ru.ru_stime.tv_sec +
		    (double)s->ru.ru_stime.tv_usec / 1e6;
		/* A compile stage's, before the run. */
		r->cpu_seconds = r->cpu_seconds > s->cpu_base_s
		    ? r->cpu_seconds - s->cpu_base_s
		    : 0;
		/* What /proc showed before a kill, which the rusage lacks. */
		if (r->cpu_seconds < s->facts.cpu_seconds)
			r->cpu_seconds = s->facts.cpu_seconds;
	}
	/* After a compile stage, the run's own peak where the kernel can
	   start it again (cgroup_restage()). */
	if (s->peakfd != -1)
		(void)cgroup_peak_read(s->peakfd, &cst.memory_peak_bytes);
	r->memory_peak_bytes = cst.memory_peak_bytes != 0
	    ? cst.memory_peak_bytes
	    : (uint64_t)s->ru.ru_maxrss * 1024;
	if (cst.oom_kills > s->oom_base)
		s->facts.memory_hit = true;
	if (cgroup_destroy(s->sj->cg, s->p->uid, &e) == -1)
		sup_fail(s, "%s", e.msg);
}

/* Copy the job's /out into JOBDIR/out and drop the last reference to its
   tmpfs; returns how many entries were not copied. */
static unsigned
sup_collect(struct sup *s, struct result *r)
{
	unsigned skipped = 0;
	struct error e;
	int outfd;

	if (s->outdirfd == -1)
		return 0;
	if ((mkdirat(s->sj->jd->fd, "out", 0755) == -1 && errno != EEXIST) ||
	    (outfd = openat(s->sj->jd->fd, "out",
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		sup_fail(s, "cannot create out/: %s", strerror(errno));
	else {
		if (files_copy_out(s->outdirfd, outfd,
			s->sj->conf->out_files_max, s->p->limits.disk_bytes, r,
			&skipped, &e) == -1)
			sup_fail(s, "%s", e.msg);
		close(outfd);
	}
	close(s->outdirfd);
	s->outdirfd = -1;
	return skipped;
}

/*
 * A job whose compile stage did not end ok: what was measured is the
 * stage's (r holds it), and so are the facts.  The stage's verdict goes in
 * r->compile; the job's is compile_error, or what stopped it: a cancel, or
 * the sandbox (a node's fault is not the program's).  No run happened.
 */
static void
sup_compile_failed(struct sup *s, struct result *r)
{
	struct result c;

	result_init(&c);
	s->facts.limits = &s->p->compile.limits;
	s->facts.clamped = s->p->compile.clamped;
	verdict_decide(&s->facts, &c);
	r->compile = sup_stage_result(s, &c, r->cpu_seconds, r->wall_seconds,
	    r->memory_peak_bytes);
	r->exit_code = -1;
	r->signal = 0;
	r->cpu_seconds = r->wall_seconds = 0;
	r->memory_peak_bytes = 0;
	if (c.verdict == VERDICT_SANDBOX_ERROR) {
		r->verdict = c.verdict;
		snprintf(r->message, sizeof(r->message), "%s", c.message);
		return;
	}
	r->has_compile = true;
	r->verdict = c.verdict == VERDICT_CANCELLED ? VERDICT_CANCELLED
						    : VERDICT_COMPILE_ERROR;
	snprintf(r->message, sizeof(r->message), "compile stage: %s",
	    c.message);
}

/* Write the result and the finished event, release everything, exit. */
static void __attribute__((noreturn)) sup_finish(struct sup *s)
{
	struct result r;
	unsigned skipped;
	struct error e;
	size_t n;

	/* Whichever way the job ended (a failure in the loop or before it
	   included), nothing of it runs past here: the cgroup is removed
	   and the slot's lock freed below. */
	sup_reap(s);
	if (s->sj->jd == NULL)
		sup_discard(s);
	result_init(&r);
	r.limits = s->p->limits;
	sup_measure(s, &r);
	skipped = sup_collect(s, &r);
	r.stdout_bytes = s->st[SUP_OUT].kept;
	r.stderr_bytes = s->st[SUP_ERR].kept;
	r.stdout_truncated = s->st[SUP_OUT].seen > s->st[SUP_OUT].kept;
	r.stderr_truncated = s->st[SUP_ERR].seen > s->st[SUP_ERR].kept;
	if (s->facts.cpu_seconds < r.cpu_seconds)
		s->facts.cpu_seconds = r.cpu_seconds;
	if (s->compiling)
		sup_compile_failed(s, &r);
	else {
		s->facts.limits = &s->p->limits;
		s->facts.clamped = s->p->clamped;
		verdict_decide(&s->facts, &r);
		r.has_compile = s->p->has_compile;
		r.compile = s->cres;
	}
	if (skipped > 0 && (n = strlen(r.message)) < sizeof(r.message))
		snprintf(r.message + n, sizeof(r.message) - n,
		    "%s%u entries of /out were not copied (links, special "
		    "files, or over the caps)",
		    n > 0 ? "; " : "", skipped);
	/* The slot is free once its cgroup and tmpfs are gone; free it
	   before the finished event so the next job finds it. */
	close(s->sj->slotfd);
	if (result_write_at(s->sj->jd->fd, "result.json", &r, &e) == -1)
		_exit(1);
	sup_event(s,
	    json_pack("{s:s, s:o}", "event", "finished", "result",
		result_to_json(&r)));
	result_release(&r);
	_exit(0);
}

/* Run a job to its end; see supervise.h. */
void
supervise_main(struct supervise_job *sj)
{
	struct sup s;
	struct error e;
	cpu_set_t cpus;
	sigset_t mask;

	memset(&s, 0, sizeof(s));
	s.sj = sj;
	s.p = sj->plan;
	s.sock = s.epfd = s.sigfd = s.wallfd = s.cpufd = s.inofd = -1;
	s.notifyfd = s.outdirfd = s.runner = -1;
	s.zout = s.zerr = s.zrunner = s.zreply = -1;
	memcpy(s.st, sup_streams_init, sizeof(s.st));
	s.peakfd = -1;
	s.compiling = s.p->has_compile;
	s.lim = s.compiling ? &s.p->compile.limits : &s.p->limits;
	s.ncpu = 1;
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 &&
	    CPU_COUNT(&cpus) > 0)
		s.ncpu = CPU_COUNT(&cpus);
	umask(022);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1 ||
	    (s.sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) == -1)
		sup_fail(&s, "signalfd: %s", strerror(errno));
	else if (cgroup_prepare(sj->cg, s.p->uid, s.lim, &e) == -1)
		sup_fail(&s, "%s", e.msg);
	else if (sup_start(&s)) {
		if (sj->parkfd != -1)
			sup_handoff(&s);
		sup_loop(&s);
	}
	/* An init a failed start left (after the loop init is reaped, or
	   was killed already): killed here, and waited for by sup_finish(),
	   so that nothing of it is left. */
	sup_kill(&s, KILL_NONE);
	sup_finish(&s);
}

/* See supervise.h. */
pid_t
supervise_start(struct supervise_job *sj, const int caller_fds[2])
{
	int devnull;
	pid_t pid;

	if ((pid = fork()) != 0)
		return pid;
	/* The caller's ends: with one held here too, the caller's going
	   would never be seen. */
	close(caller_fds[0]);
	if (caller_fds[1] != -1)
		close(caller_fds[1]);
	/* Detach: a session of its own, with nothing of the caller's
	   terminal or pipes; when the caller exits, init adopts it.  One
	   fork, not two (a grandchild costs the job's start a couple of
	   milliseconds): the supervisor leads its session but can never
	   gain a controlling terminal, since every file it opens by a name
	   the account controls is opened O_NOCTTY (and O_NOFOLLOW, checked
	   to be a regular file), and the rest are its own or the kernel's.
	   If it dies before it starts, the events lock is left unheld and
	   follow settles the job. */
	if (setsid() == -1)
		_exit(1);
	if ((devnull = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(devnull, 0) == -1 || dup2(devnull, 1) == -1 ||
	    dup2(devnull, 2) == -1)
		_exit(1);
	if (devnull > 2)
		close(devnull);
	supervise_main(sj);
}

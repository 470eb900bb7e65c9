/*
 * sluice-agent: runs one untrusted submission in a disposable sandbox.
 * The verbs are in agent_verbs[] below; INTERFACES.md section 1 is the
 * contract.  Exit status: 0 done, 2 bad usage, manifest or path (with a
 * JSON error on stdout), 1 anything else.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cgroup.h"
#include "check.h"
#include "conf.h"
#include "files.h"
#include "filter.h"
#include "jobdir.h"
#include "manifest.h"
#include "park.h"
#include "plan.h"
#include "sandbox.h"
#include "serve.h"
#include "sftp.h"
#include "slot.h"
#include "supervise.h"
#include "trust.h"
#include "util.h"
#include "warm.h"
#include "zygote.h"

#define AGENT_VERSION_PROBE_SECONDS 5
#define AGENT_CLEAN_MAX 1000
#define AGENT_IDS_FRESH_SECONDS 10
#define AGENT_KEEP_SETTLED_SECONDS 2

struct agent {
	const char *config_path;
	struct agent_conf conf;
	int jobsfd; /* <base_dir>/jobs, checked by trust_open() */
	bool kept; /* conf is the session's kept copy */
};

/*
 * What a session keeps for its requests (serve only; see agent_keep()): the
 * policy as last read through trust_open() and checked by trust_ids(), with
 * the identity of the file it came from; the namespaces for the next run;
 * the runtimes' templates.  A request still opens the config through the
 * walk, and if the file has that identity takes this copy instead of the
 * parse and the account lookups (about 2 ms a job); any change to the file
 * (a new inode, content, owner or mode: its ctime moves) makes the request
 * read it anew.
 */
static struct {
	bool valid;
	struct stat st; /* fstat() of the descriptor it was parsed from */
	struct timespec ids_at; /* CLOCK_MONOTONIC of the last trust_ids() */
	struct agent_conf conf;
	struct stat ids_st[4]; /* agent_ids_files[], as of the last check */
	int ns[2]; /* the next run's network and IPC namespaces
		      (sandbox_spare_ns()), or -1 */
	struct slot_nets nets; /* the slots' network namespaces (slot.h) */
	bool nets_all; /* every cold run's slot has one */
	struct warm warm; /* the runtimes' templates (warm.h) */
	struct stat warm_st; /* the config file they were built from */
} agent_kept = { .ns = { -1, -1 } };

/* A session's parked run, in the request child that holds it. */
static struct park agent_parked;

/*
 * A session's zygote (zygote.h), for the warm_start runtime with zygote =
 * true, started for that runtime's parked command and environment, and
 * again when they change and every WARM_MAX_AGE_SECONDS (a fresh hash
 * secret and address layout); after one that exited by itself, not before
 * WARM_MAX_AGE_SECONDS.
 */
static struct {
	struct park_zygote z;
	pid_t pid;
	time_t at, not_before;
} agent_zygote = { { -1, 0 }, -1, 0, 0 };

/* Whether this agent has a sluice-zygote a session would start. */
static bool
agent_zygote_usable(void)
{
#ifdef ZYGOTE_PYTHON
	char path[PATH_MAX];
	struct error e;
	int fd;

	error_init(&e);
	if (zygote_path(path, sizeof(path)) == -1 ||
	    (fd = trust_open(path, false, &e)) == -1)
		return false;
	close(fd);
	return true;
#else
	return false;
#endif
}

/* Zygotes stopped while jobs they forked may still run: each ends once
   its last job has (zygote.h), and is reaped here.  Room for as many as
   can be alive at once, so that stopping one never waits: each alive has
   a job, parked or running, that came from a parked run, and no more than
   warm_slots of those live at once (serve.c parks no more while they do);
   a request's child holds no zygote's socket (agent_zygote_drop()). */
static pid_t agent_zygote_old[CONF_SLOTS_MAX + 8];

/* In a request's child: the session's zygote is not its to keep alive
   (a stopped zygote ends once no process holds its socket's other end
   and its last job has ended); a park takes its own copy
   (park_start()). */
static void
agent_zygote_drop(void)
{
	if (agent_zygote.z.fd != -1)
		close(agent_zygote.z.fd);
	agent_zygote.z.fd = -1;
	agent_zygote.pid = -1;
}

/* Reap the stopped zygotes that have ended; with wait, the first one too,
   however long its jobs take. */
static void
agent_zygote_reap(bool wait)
{
	size_t i;
	pid_t r;

	for (i = 0; i < sizeof(agent_zygote_old) / sizeof(*agent_zygote_old);
	     i++) {
		if (agent_zygote_old[i] <= 0)
			continue;
		while ((r = waitpid(agent_zygote_old[i], NULL,
			    wait && i == 0 ? 0 : WNOHANG)) == -1 &&
		    errno == EINTR)
			;
		if (r != 0) /* reaped, or not a child of this session's */
			agent_zygote_old[i] = 0;
	}
}

/*
 * Stop the session's zygote: it takes no more requests (its socket's end),
 * and the jobs it forked go on, their statuses sent as they end; then it
 * exits.
 */
static void
agent_zygote_stop(void)
{
	size_t i, n = sizeof(agent_zygote_old) / sizeof(*agent_zygote_old);

	if (agent_zygote.pid > 0) {
		agent_zygote_reap(false);
		for (i = 0; i < n && agent_zygote_old[i] > 0; i++)
			;
		if (i == n) {
			agent_zygote_reap(true);
			i = 0;
		}
		agent_zygote_old[i] = agent_zygote.pid;
	}
	agent_zygote_drop();
}

/* Keep the zygote the kept policy asks for (agent_keep()). */
static void
agent_zygote_keep(void)
{
	const struct runtime *rt = NULL;
	struct manifest m;
	struct plan p;
	struct error e;
	char entry[1] = "";
	time_t now = time(NULL);
	uint64_t h;
	int status;

	agent_zygote_reap(false);
	/* One that exited by itself (it could not start: say, the runtime's
	   interpreter is not its own, which it told stderr) is not started
	   again at once; one killed is. */
	if (agent_zygote.pid > 0 &&
	    waitpid(agent_zygote.pid, &status, WNOHANG) == agent_zygote.pid) {
		agent_zygote.pid = -1;
		if (WIFEXITED(status))
			agent_zygote.not_before = now + WARM_MAX_AGE_SECONDS;
		agent_zygote_stop();
	}
	if (agent_kept.valid && geteuid() == 0)
		rt = conf_warm_runtime(&agent_kept.conf);
	if (rt == NULL || !rt->zygote) {
		agent_zygote_stop();
		return;
	}
	memset(&m, 0, sizeof(m));
	snprintf(m.runtime, sizeof(m.runtime), "%s", rt->name);
	m.entry = entry;
	error_init(&e);
	if (plan_build(&p, &m, &agent_kept.conf, 0, false, &e) == -1)
		return;
	if (plan_warm_argv(&p, park_runner) == 0) {
		h = zygote_hash(p.argv, p.envp);
		if (agent_zygote.z.fd != -1 &&
		    (h != agent_zygote.z.hash ||
			now - agent_zygote.at > WARM_MAX_AGE_SECONDS))
			agent_zygote_stop();
		if (agent_zygote.z.fd == -1 && now >= agent_zygote.not_before) {
			if (zygote_start(p.argv, p.envp, &agent_zygote.z.fd,
				&agent_zygote.pid, &e) == 0) {
				agent_zygote.z.hash = h;
				agent_zygote.at = now;
			} else {
				/* Said once a while on the session's stderr:
				   jobs start as without it meanwhile. */
				fprintf(stderr,
				    "sluice-agent: no zygote: %s (again in "
				    "%d s)\n",
				    e.msg, WARM_MAX_AGE_SECONDS);
				agent_zygote.not_before = now +
				    WARM_MAX_AGE_SECONDS;
			}
		}
	}
	plan_release(&p);
}

/* Print a JSON object on stdout as one line. */
static void
agent_print(json_t *obj)
{
	char *text;

	if (obj == NULL)
		return;
	if ((text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(10))) !=
	    NULL) {
		printf("%s\n", text);
		free(text);
	}
	fflush(stdout);
	json_decref(obj);
}

/* The exit status an error calls for. */
static int
agent_exit_status(const struct error *e)
{
	switch (e->code) {
	case ERR_USAGE:
	case ERR_INVALID:
	case ERR_REFUSED:
	case ERR_NOTFOUND:
	case ERR_STATE:
		return 2;
	default:
		return 1;
	}
}

/* Report an error as JSON and return the exit status it calls for. */
static int
agent_fail(const struct error *e)
{
	json_t *obj = json_pack("{s:s, s:s}", "error", e->msg, "code",
	    error_code_name(e->code));

	if (obj != NULL && e->field[0] != '\0')
		json_object_set_new(obj, "field", json_string(e->field));
	agent_print(obj);
	return agent_exit_status(e);
}

/* The same for the sftp verb, whose stdout is the SFTP stream: one line
   on stderr instead. */
static int
agent_fail_text(const struct error *e)
{
	if (e->field[0] != '\0')
		fprintf(stderr, "sluice-agent: %s (setting '%s')\n", e->msg,
		    e->field);
	else
		fprintf(stderr, "sluice-agent: %s\n", e->msg);
	return agent_exit_status(e);
}

/* Everything run checks before it touches anything. */
static int
agent_run_check(struct agent *a, const struct jobdir *jd,
    const struct manifest *m, struct error *e)
{
	struct limits applied;
	struct stat st;
	int files, fd, rc;

	if (conf_runtime(&a->conf, m->runtime) == NULL)
		return error_set_field(e, ERR_INVALID, "runtime",
		    "unknown runtime '%s'", m->runtime);
	limit_resolve(&applied, &m->limits, m->limit_set, &a->conf.defaults,
	    &a->conf.ceilings, NULL);
	files = openat(jd->fd, "files",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (files == -1)
		return error_set_field(e, ERR_INVALID, "entry",
		    "the job has no files/ directory, so entry '%s' is not a "
		    "submitted file",
		    m->entry);
	rc = jobdir_owned(jd, files, "files", true, e);
	if (rc == 0)
		rc = files_check(files, jd->owner, m->entry,
		    FILES_SUBMISSION_MAX, applied.disk_bytes, e);
	close(files);
	if (rc == -1)
		return -1;
	fd = openat(jd->fd, "stdin",
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT)
		return error_set_field(e, ERR_REFUSED, "stdin",
		    "stdin must be a regular file");
	if (fd != -1) {
		rc = jobdir_owned(jd, fd, "stdin", false, e);
		/* The job gets a copy in memory (sup_stdin()), bounded as the
		   submission's copy in /job is. */
		if (rc == 0 && fstat(fd, &st) == 0 &&
		    (uint64_t)st.st_size > applied.disk_bytes)
			rc = error_set(e, ERR_INVALID,
			    "stdin (%lld bytes) is larger than the job's "
			    "disk_bytes (%llu)",
			    (long long)st.st_size,
			    (unsigned long long)applied.disk_bytes);
		close(fd);
		if (rc == -1) {
			snprintf(e->field, sizeof(e->field), "stdin");
			return -1;
		}
	}
	return 0;
}

/*
 * Whether this request child's parked sandbox (park.h) takes the job: its
 * plan on the parked slot must build that sandbox exactly.  On true, p is
 * that plan; on false the parked sandbox is discarded (its slot free
 * again) and p is empty.
 */
static bool
agent_run_parked(struct agent *a, const struct manifest *m,
    const struct cgroup_sys *cs, struct plan *p)
{
	struct error e;

	if (!agent_parked.active)
		return false;
	error_init(&e);
	if (plan_build(p, m, &a->conf, agent_parked.slot, cs->memory, &e) ==
		0 &&
	    park_fits(&agent_parked, m->runtime, p, &a->conf, cs))
		return true;
	plan_release(p);
	memset(p, 0, sizeof(*p));
	park_discard(&agent_parked);
	return false;
}

/* run: check, take a slot, start the supervisor, follow the events. */
static int
agent_run(struct agent *a, struct jobdir *jd, struct error *e)
{
	struct supervise_job sj;
	struct cgroup_sys cs;
	struct manifest m;
	struct plan p;
	unsigned slot;
	int evfd = -1, slotfd = -1, rc = 1, fd;
	int wake[2] = { -1, -1 };
	bool warm;

	memset(&p, 0, sizeof(p));
	if (jobdir_manifest(jd, &m, e) == -1) {
		park_discard(&agent_parked);
		return -1;
	}
	if (agent_run_check(a, jd, &m, e) == -1)
		goto fail;
	if (jobdir_state(jd) != JOBDIR_STAGED) {
		error_set(e, ERR_STATE,
		    "job '%s' has already been started; use wait", jd->name);
		goto fail;
	}
	if (slot_dirs(&a->conf, e) == -1 ||
	    cgroup_detect(&cs, a->conf.cgroup_root, a->conf.cgroup_parent,
		a->conf.cgroup, e) == -1)
		goto fail;
	slot = agent_parked.slot;
	if (!(warm = agent_run_parked(a, &m, &cs, &p)) &&
	    (slot_acquire(&a->conf, &slot, &slotfd, e) == -1 ||
		plan_build(&p, &m, &a->conf, slot, cs.memory, e) == -1))
		goto fail;
	if (jobdir_claim(jd, &evfd, e) == -1)
		goto fail;
	(void)jobdir_event(evfd,
	    json_pack("{s:s, s:s, s:i, s:b, s:b}", "event", "accepted", "job",
		m.id, "slot", (int)slot, "warm_start", warm, "zygote",
		warm && agent_parked.zygote));
	fflush(stdout);
	if (warm) {
		/* The parked supervisor takes the job; it holds the slot's
		   lock, and the events lock once it has evfd. */
		wake[0] = agent_parked.wake;
		agent_parked.wake = -1;
		if (park_hand(&agent_parked, jd, evfd, &p, e) == -1) {
			(void)jobdir_settle(jd, evfd, VERDICT_SANDBOX_ERROR,
			    &p.limits, e->msg, e);
			goto out;
		}
		goto follow;
	}
	/* The supervisor rings run through this pipe after each event;
	   without it, no supervisor is started (below). */
	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) == -1)
		wake[0] = wake[1] = -1;
	sj.conf = &a->conf;
	sj.plan = &p;
	sj.jd = jd;
	sj.cg = &cs;
	sj.evfd = evfd;
	sj.slotfd = slotfd;
	sj.wakefd = wake[1];
	sj.parkfd = sj.parked_lock = sj.zygotefd = -1;
	/* The namespaces the session made for this run, if any: only this
	   process has them now (agent_keep() closed its own).  The slot's
	   own network namespace rather than a new one, if the session keeps
	   one for it (slot.h): this process holds the slot's lock. */
	memcpy(sj.spare_ns, agent_kept.ns, sizeof(sj.spare_ns));
	agent_kept.ns[0] = agent_kept.ns[1] = -1;
	if (!p.userns &&
	    (fd = slot_net(&agent_kept.nets, &a->conf, slot)) != -1) {
		/* This process's copy, closed with the spares below. */
		if (sj.spare_ns[0] != -1)
			close(sj.spare_ns[0]);
		sj.spare_ns[0] = fd;
		agent_kept.nets.fd[slot] = -1;
	}
	/* The session's template for this plan, if it kept one. */
	sj.template_fd = warm_find(&agent_kept.warm, m.runtime, &p);
	if (wake[1] == -1 ||
	    supervise_start(&sj, (const int[2]){ wake[0], -1 }) == -1) {
		(void)jobdir_settle(jd, evfd, VERDICT_SANDBOX_ERROR, &p.limits,
		    "sandbox error: cannot start the supervisor", e);
		goto out;
	}
	sandbox_spare_close(sj.spare_ns);
follow:
	/* The supervisor holds its own references to both locks and to the
	   pipe's write end. */
	close(evfd);
	if (slotfd != -1)
		close(slotfd);
	if (wake[1] != -1)
		close(wake[1]);
	evfd = slotfd = wake[1] = -1;
	if (jobdir_follow(jd, &a->conf, STDOUT_FILENO, wake[0], e) == -1) {
		rc = errno == EPIPE ? 1 : -1;
		goto out;
	}
	rc = 0;
	goto out;
fail:
	rc = -1;
out:
	/* A job refused before it was handed over leaves the parked
	   sandbox unused. */
	park_discard(&agent_parked);
	if (evfd != -1)
		close(evfd);
	if (slotfd != -1)
		close(slotfd);
	if (wake[0] != -1)
		close(wake[0]);
	if (wake[1] != -1)
		close(wake[1]);
	plan_release(&p);
	manifest_release(&m);
	return rc;
}

/* wait: follow a started job's events to the end. */
static int
agent_wait(struct agent *a, struct jobdir *jd, struct error *e)
{
	if (jobdir_state(jd) == JOBDIR_STAGED)
		return error_set(e, ERR_STATE, "job '%s' has not been started",
		    jd->name);
	if (jobdir_follow(jd, &a->conf, STDOUT_FILENO, -1, e) == -1)
		return errno == EPIPE ? 1 : -1;
	return 0;
}

/* The state and result of a job, settling one whose supervisor died. */
static json_t *
agent_status_json(struct agent *a, struct jobdir *jd, struct error *e)
{
	enum jobdir_state st = jobdir_state(jd);
	json_t *res = NULL;

	if (st == JOBDIR_RUNNING && !jobdir_supervisor_alive(jd)) {
		if (jobdir_settle_lost(jd, &a->conf, e) == -1)
			return NULL;
		st = jobdir_state(jd);
	}
	if (st == JOBDIR_FINISHED)
		res = jobdir_read_result(jd);
	return json_pack("{s:s, s:o}", "state", jobdir_state_name(st), "result",
	    res != NULL ? res : json_null());
}

/* status: one JSON object. */
static int
agent_status(struct agent *a, struct jobdir *jd, struct error *e)
{
	json_t *obj = agent_status_json(a, jd, e);

	if (obj == NULL)
		return -1;
	agent_print(obj);
	return 0;
}

/* cancel: stop the job; its verdict becomes cancelled. */
static int
agent_cancel(struct agent *a, struct jobdir *jd, struct error *e)
{
	struct limits l;
	bool cancelled = false;
	json_t *obj;
	int evfd, fd, devnull, rc;

	if (jobdir_state(jd) == JOBDIR_STAGED) {
		/* Never started: claim it so run refuses it, and end it. */
		if (jobdir_claim(jd, &evfd, e) == 0) {
			jobdir_limits(jd, &a->conf, &l);
			rc = jobdir_settle(jd, evfd, VERDICT_CANCELLED, &l,
			    "cancelled before it started", e);
			close(evfd);
			if (rc == -1)
				return -1;
			cancelled = true;
		} else if (e->code != ERR_STATE)
			return -1;
	}
	if (jobdir_state(jd) == JOBDIR_RUNNING) {
		/* Only created: whatever the account put there already (a
		   link, a FIFO) is a request made, never opened. */
		fd = openat(jd->fd, "cancel",
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK |
			O_CLOEXEC,
		    0644);
		if (fd == -1 && errno == EEXIST)
			fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd == -1)
			return error_set(e, ERR_IO, "cannot request cancel: %s",
			    strerror(errno));
		close(fd);
		/* The supervisor sees the file at once; wait for the end. */
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		rc = jobdir_follow(jd, &a->conf, devnull, -1, e);
		close(devnull);
		if (rc == -1)
			return -1;
		cancelled = true;
	}
	if ((obj = agent_status_json(a, jd, e)) == NULL)
		return -1;
	json_object_set_new(obj, "cancelled", json_boolean(cancelled));
	agent_print(obj);
	return 0;
}

/* clean: remove a job directory that nothing runs in. */
static int
agent_clean(struct agent *a, struct jobdir *jd, struct error *e)
{
	if (jobdir_state(jd) == JOBDIR_RUNNING) {
		if (jobdir_supervisor_alive(jd))
			return error_set(e, ERR_BUSY,
			    "job '%s' is running; cancel it first", jd->name);
		if (jobdir_settle_lost(jd, &a->conf, e) == -1)
			return -1;
	}
	if (files_remove_tree(jd->fd, e) == -1)
		return -1;
	/* The name goes only if it is still the directory just emptied. */
	if (!jobdir_in_place(jd))
		return error_set(e, ERR_STATE, "job directory '%s' was moved",
		    jd->name);
	if (unlinkat(jd->parentfd, jd->name, AT_REMOVEDIR) == -1)
		return error_set(e, ERR_IO, "cannot remove '%s': %s", jd->name,
		    strerror(errno));
	agent_print(json_pack("{s:b}", "cleaned", 1));
	return 0;
}

/* Ask a runtime's interpreter (or compiler) for its version, as nobody
   (rootless: as the agent's account), briefly. */
static json_t *
agent_runtime_version(const struct runtime *rt)
{
	char buf[4096], *line, *p;
	struct pollfd pfd;
	size_t got = 0;
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	if (rt->version != NULL)
		return json_string(rt->version);
	if (pipe2(pipefd, O_CLOEXEC) == -1)
		return json_null();
	if ((pid = fork()) == 0) {
		/* A compiled runtime's version is its compiler's: its
		   command is what the compiler makes. */
		char *argv[] = { rt->compile != NULL ? rt->compile[0]
						     : rt->command[0],
			(char *)"--version", NULL };
		char *envp[] = { (char *)"PATH=/usr/bin:/bin", NULL };
		int devnull = open("/dev/null", O_RDONLY);

		/* Rootless, as the agent's own account: it has no other. */
		if (devnull == -1 || dup2(devnull, 0) == -1 ||
		    dup2(pipefd[1], 1) == -1 || dup2(pipefd[1], 2) == -1 ||
		    (geteuid() == 0 &&
			(setgroups(0, NULL) == -1 ||
			    setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534) == -1)) ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
			_exit(127);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	while (pid > 0 && got < sizeof(buf) - 1 &&
	    poll(&pfd, 1, AGENT_VERSION_PROBE_SECONDS * 1000) > 0) {
		if ((n = read(pipefd[0], buf + got, sizeof(buf) - 1 - got)) <=
		    0)
			break;
		got += (size_t)n;
	}
	close(pipefd[0]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	buf[got] = '\0';
	for (line = buf; *line == '\n' || *line == ' '; line++)
		;
	line[strcspn(line, "\n")] = '\0';
	for (p = line; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	if (strlen(line) > 128)
		line[128] = '\0';
	return line[0] != '\0' ? json_string(line) : json_null();
}

/*
 * info's "enforced": what enforces each limit on this node, so that the
 * dispatcher and a reader can tell what a node without a cgroup (a rootless
 * agent given none) holds to less strictly: memory by each process's
 * address space and the filter's check of one large allocation instead of
 * the job's total, processes by RLIMIT_NPROC (counted per user namespace
 * rootless, per slot uid as root), CPU time summed from /proc.
 */
static json_t *
agent_enforced(const struct cgroup_sys *cs)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "cpu_seconds",
	    cs->cpu ? "cgroup" : "proc", "wall_seconds", "supervisor",
	    "memory_bytes", cs->memory ? "cgroup" : "rlimit+seccomp",
	    "processes", cs->pids ? "cgroup" : "rlimit", "output_bytes",
	    "supervisor", "disk_bytes", "tmpfs", "open_files", "rlimit");
}

/* info: the node's capabilities as one JSON object. */
static int
agent_info(struct agent *a, struct error *e)
{
	static const char *ns[] = { "mnt", "pid", "net", "ipc", "uts", "cgroup",
		NULL };
	struct cgroup_sys cs;
	struct utsname un;
	json_t *features, *runtimes, *missing, *obj;
	char path[64], key[32], *text = NULL;
	struct stat st;
	size_t i, k;

	if (cgroup_detect(&cs, a->conf.cgroup_root, a->conf.cgroup_parent,
		a->conf.cgroup, e) == -1)
		return agent_fail(e);
	uname(&un);
	features = json_object();
	/* The filter's actions this kernel has; text stays NULL without. */
	(void)util_read_file_at(AT_FDCWD,
	    "/proc/sys/kernel/seccomp/actions_avail", 65536, &text, NULL, NULL);
	json_object_set_new(features, "seccomp",
	    json_boolean(text != NULL && strstr(text, "kill_process")));
	json_object_set_new(features, "seccomp_notify",
	    json_boolean(text != NULL && strstr(text, "user_notif")));
	free(text);
	for (i = 0; ns[i] != NULL; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		snprintf(key, sizeof(key), "%s_ns", ns[i]);
		json_object_set_new(features, key,
		    json_boolean(access(path, F_OK) == 0));
	}
	json_object_set_new(features, "cgroup_memory", json_boolean(cs.memory));
	json_object_set_new(features, "cgroup_pids", json_boolean(cs.pids));
	json_object_set_new(features, "cgroup_cpu", json_boolean(cs.cpu));
	/* Requests over one session: sluice-agent serve. */
	json_object_set_new(features, "serve", json_true());
	/* A runtime may have zygote = true: sluice-zygote is beside this
	   program, root's alone (zygote.h). */
	json_object_set_new(features, "zygote",
	    json_boolean(agent_zygote_usable()));
	runtimes = json_array();
	missing = json_array();
	for (i = 0; i < a->conf.nruntimes; i++) {
		const struct runtime *rt = &a->conf.runtimes[i];

		obj = json_pack("{s:s, s:o, s:b}", "name", rt->name, "version",
		    agent_runtime_version(rt), "compile", rt->compile != NULL);
		/* The longest a compile stage may take, for the dispatcher's
		   deadline of an attempt. */
		if (obj != NULL && rt->compile != NULL)
			json_object_set_new(obj, "compile_wall_seconds",
			    json_real(rt->compile_ceilings.wall_seconds));
		/* Whether it runs in the sandbox at all (check.h). */
		if (obj != NULL)
			json_object_update_new(obj,
			    check_runtime(&a->conf, rt, &cs));
		json_array_append_new(runtimes, obj);
		for (k = 0; k < rt->nbinds; k++)
			if (lstat(rt->binds[k], &st) == -1)
				json_array_append_new(missing,
				    json_string(rt->binds[k]));
	}
	obj = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:o, s:o, s:o, s:o, "
			"s:o}",
	    "agent_version", PACKAGE_VERSION, "kernel", un.release, "base_dir",
	    a->conf.base_dir, "slots", (int)a->conf.slots, "slots_busy",
	    (int)slot_busy(&a->conf), "cgroup", cgroup_version_name(cs.version),
	    "features", features, "runtimes", runtimes, "defaults",
	    limit_to_json(&a->conf.defaults), "ceilings",
	    limit_to_json(&a->conf.ceilings), "missing_binds", missing);
	if (obj != NULL) {
		json_object_set_new(obj, "filter", filter_describe(cs.memory));
		json_object_set_new(obj, "mode",
		    json_string(
			a->conf.mode == CONF_MODE_USER ? "user" : "root"));
		json_object_set_new(obj, "enforced", agent_enforced(&cs));
	}
	agent_print(obj);
	return 0;
}

/* Print usage. */
static void
agent_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice-agent [--config FILE] run    JOBDIR\n"
	    "       sluice-agent [--config FILE] wait   JOBDIR\n"
	    "       sluice-agent [--config FILE] status JOBDIR\n"
	    "       sluice-agent [--config FILE] cancel JOBDIR\n"
	    "       sluice-agent [--config FILE] clean  JOBDIR...\n"
	    "       sluice-agent [--config FILE] info\n"
	    "       sluice-agent [--config FILE] sftp\n"
	    "       sluice-agent [--config FILE] serve\n"
	    "Runs untrusted code in a disposable sandbox; see "
	    "sluice-agent(8).\n"
	    "The default config is " CONF_DEFAULT_PATH ".\n");
}

/* A job verb: 0 done; -1 failed, e says why (agent_verb() reports it); 1
   failed with nothing more to say (its output, or the job's result, says
   it already, or nobody reads it). */
typedef int (*agent_job_verb)(struct agent *, struct jobdir *, struct error *);

static const struct {
	const char *name;
	agent_job_verb fn;
} agent_verbs[] = {
	{ "run", agent_run },
	{ "wait", agent_wait },
	{ "status", agent_status },
	{ "cancel", agent_cancel },
	{ "clean", agent_clean },
};

/*
 * Root held for another account works only on that account's own job
 * directories: not on root's, nor on another account's sharing the node.
 */
static int
agent_caller_check(const struct jobdir *jd, struct error *e)
{
	uid_t caller;

	/* Without root the agent reaches only what its account may, and
	   works only on that account's job directories. */
	if (geteuid() != 0 && jd->owner != geteuid())
		return error_set(e, ERR_REFUSED,
		    "job directory '%s' belongs to uid %u, not to the "
		    "agent's account (uid %u)",
		    jd->name, (unsigned)jd->owner, (unsigned)geteuid());
	if (geteuid() != 0 || !trust_on_behalf())
		return 0;
	if (trust_caller(&caller) == -1)
		return error_set(e, ERR_REFUSED,
		    "cannot tell which account runs sluice-agent");
	if (jd->owner != caller)
		return error_set(e, ERR_REFUSED,
		    "job directory '%s' belongs to uid %u, not to the "
		    "caller (uid %u)",
		    jd->name, (unsigned)jd->owner, (unsigned)caller);
	return 0;
}

/* Whether a and b are the same file, unchanged. */
static bool
agent_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_mode == b->st_mode && a->st_uid == b->st_uid &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* The files trust_ids() reads besides NSS's other sources. */
static const char *const agent_ids_files[4] = { "/etc/passwd", "/etc/group",
	"/etc/subuid", "/etc/subgid" };

/* lstat() each of agent_ids_files[] into st (a missing one as zeros). */
static void
agent_ids_stat(struct stat st[4])
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (lstat(agent_ids_files[i], &st[i]) == -1)
			memset(&st[i], 0, sizeof(st[i]));
}

/*
 * Whether the kept slot ids still hold: the account files are those they
 * were checked against, and no more than AGENT_IDS_FRESH_SECONDS have
 * passed (for NSS sources that are not files: LDAP, sssd, systemd's).
 */
static bool
agent_ids_fresh(void)
{
	struct timespec now;
	struct stat st[4];
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (util_elapsed(&agent_kept.ids_at, &now) > AGENT_IDS_FRESH_SECONDS)
		return false;
	agent_ids_stat(st);
	for (i = 0; i < 4; i++)
		if (!agent_same_file(&st[i], &agent_kept.ids_st[i]))
			return false;
	return true;
}

/* Check the slot ids of c and note when, and against which files. */
static int
agent_ids_check(const struct agent_conf *c, struct error *e)
{
	struct stat st[4];

	agent_ids_stat(st);
	if (trust_ids(c, e) == -1)
		return -1;
	memcpy(agent_kept.ids_st, st, sizeof(st));
	clock_gettime(CLOCK_MONOTONIC, &agent_kept.ids_at);
	return 0;
}

/*
 * Take the kept policy into a->conf if fd, the config opened through the
 * walk, is still the file it came from; the ids are checked again unless
 * agent_ids_fresh().  1 taken, 0 not kept (parse fd), -1 refused.
 */
static int
agent_take_kept(struct agent *a, int fd, struct error *e)
{
	struct stat st;

	if (!agent_kept.valid || fstat(fd, &st) == -1 ||
	    !agent_same_file(&st, &agent_kept.st))
		return 0;
	/* This process's copy: handed over, never released twice. */
	a->conf = agent_kept.conf;
	agent_kept.valid = false;
	return !agent_ids_fresh() && trust_ids(&a->conf, e) == -1 ? -1 : 1;
}

/*
 * Compile, once for the session, the seccomp filter of a job of policy c
 * that gives no limits of its own (each parked run's, and most cold runs'),
 * so that each supervisor forked after copies it instead of compiling it
 * (filter_keep()).  Any other job's supervisor compiles its own as before.
 */
static void
agent_keep_filter(const struct agent_conf *c)
{
	struct cgroup_sys cs;
	struct limits l;
	struct error e;

	error_init(&e);
	if (cgroup_detect(&cs, c->cgroup_root, c->cgroup_parent, c->cgroup,
		&e) == -1)
		return;
	limit_resolve(&l, &c->defaults, 0, &c->defaults, &c->ceilings, NULL);
	filter_keep(l.memory_bytes, cs.memory);
}

/*
 * A session's hook (serve_keep_fn), run in the serving process at its
 * start, after each request has been handed to its child and when idle, so
 * off any job's path.  A run's child took the namespaces made for it: make
 * the next pair, which only a run's child keeps.  Then read and
 * check the policy as a verb would, unless the kept copy is still that
 * file's, its ids were checked in the last AGENT_IDS_FRESH_SECONDS and the
 * templates are younger than WARM_MAX_AGE_SECONDS; build the templates
 * again if the policy they came from changed or they are that old.  A
 * policy that fails is not kept and leaves no template: each request then
 * reads it and reports why.  A template needs no trust in this copy: a
 * job takes one only if its own plan's template steps are the same.
 * How many runs the session should keep parked (park.h): warm_slots, if
 * the kept policy has a runtime with warm_start.
 */
static unsigned
agent_keep(const char *verb, int fds[SERVE_KEEP_FDS], void *config_path)
{
	struct agent_conf c;
	struct stat st;
	struct error e;
	size_t i, n;
	int fd, rc;

	/* At the start and when idle (verb NULL) only if there are none.
	   Rootless, none: a job's init could not enter them (they would be
	   its account's user namespace's, not its own). */
	if (geteuid() == 0 &&
	    (verb == NULL ? agent_kept.ns[0] == -1 && agent_kept.ns[1] == -1
			  : strcmp(verb, "run") == 0)) {
		sandbox_spare_close(agent_kept.ns);
		/* None made: the next run's clone makes them.  No network
		   one while every cold run's slot has its own (slot.h). */
		(void)sandbox_spare_ns(agent_kept.ns, !agent_kept.nets_all);
	}
	if (agent_kept.valid && lstat(config_path, &st) == 0 &&
	    agent_same_file(&st, &agent_kept.st) && agent_ids_fresh() &&
	    warm_age(&agent_kept.warm) <= WARM_MAX_AGE_SECONDS)
		goto out;
	if (agent_kept.valid)
		conf_release(&agent_kept.conf);
	agent_kept.valid = false;
	error_init(&e);
	if ((fd = trust_open(config_path, false, &e)) == -1)
		goto drop;
	rc = fstat(fd, &st) == -1 ? -1 : conf_load_fd(fd, config_path, &c, &e);
	close(fd);
	if (rc == -1)
		goto drop;
	if (agent_ids_check(&c, &e) == -1) {
		conf_release(&c);
		goto drop;
	}
	agent_keep_filter(&c);
	/* Built under base_dir only if it passes the walk a verb makes: its
	   root and empty directories go into every job. */
	if (c.mode == CONF_MODE_USER)
		warm_drop(&agent_kept.warm);
	else if (agent_kept.warm.n == 0 ||
	    !agent_same_file(&st, &agent_kept.warm_st) ||
	    warm_age(&agent_kept.warm) > WARM_MAX_AGE_SECONDS) {
		if ((fd = trust_open(c.base_dir, true, &e)) == -1)
			warm_drop(&agent_kept.warm);
		else {
			close(fd);
			warm_build(&agent_kept.warm, &c);
		}
		agent_kept.warm_st = st;
	}
	/* A file changed in the last seconds could change again within the
	   same clock tick and keep this identity: read it again next time
	   (git's "racily clean" rule). */
	if (time(NULL) - st.st_ctim.tv_sec < AGENT_KEEP_SETTLED_SECONDS) {
		conf_release(&c);
		goto out;
	}
	agent_kept.conf = c;
	agent_kept.st = st;
	agent_kept.valid = true;
	goto out;
drop:
	warm_drop(&agent_kept.warm);
out:
	/* The slots' network namespaces, a few more each time, as root for
	   the sandboxes of mode "root" (mode "user" makes its own in the
	   job's user namespace). */
	if (agent_kept.valid && geteuid() == 0 &&
	    agent_kept.conf.mode == CONF_MODE_ROOT)
		agent_kept.nets_all = slot_nets_keep(&agent_kept.nets,
		    &agent_kept.conf);
	for (i = 0; i < SERVE_KEEP_FDS; i++)
		fds[i] = -1;
	agent_zygote_keep();
	fds[0] = agent_kept.ns[0];
	fds[1] = agent_kept.ns[1];
	fds[2] = agent_zygote.z.fd;
	for (i = 0; i < agent_kept.warm.n && i + 3 < SERVE_KEEP_FDS; i++)
		fds[i + 3] = agent_kept.warm.t[i].fd;
	for (n = 0; n < SLOT_NETS_MAX && i + 3 < SERVE_KEEP_FDS; n++)
		if (agent_kept.nets.fd[n] != -1)
			fds[3 + i++] = agent_kept.nets.fd[n];
	/* A policy that passed, with a runtime to warm: park warm_slots
	   runs. */
	return agent_kept.valid && conf_warm_runtime(&agent_kept.conf) != NULL
	    ? agent_kept.conf.warm_slots
	    : 0;
}

/*
 * Load the node's policy and check who may have chosen it: the config file,
 * base_dir and (for the job verbs) the jobs directory must be root's alone,
 * and the slot ids must belong to no account.
 */
static int
agent_load(struct agent *a, bool need_jobs, struct error *e)
{
	int fd, rc;

	/* One walk: the kept copy is compared with, or the policy parsed
	   from, the very file it opened. */
	if ((fd = trust_open(a->config_path, false, e)) == -1)
		return error_wrap(e, "config '%s'", a->config_path);
	rc = agent_take_kept(a, fd, e);
	a->kept = rc == 1;
	if (rc == 0 && conf_load_fd(fd, a->config_path, &a->conf, e) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	if (rc == -1 || (rc == 0 && trust_ids(&a->conf, e) == -1))
		goto fail;
	if (a->conf.mode == CONF_MODE_ROOT && geteuid() != 0) {
		error_set_field(e, ERR_REFUSED, "mode",
		    "mode = \"root\" but sluice-agent runs as uid %u, not "
		    "root: run it as root, or set mode = \"user\" (a "
		    "sandbox in a user namespace)",
		    (unsigned)geteuid());
		goto fail;
	}
	/* As root, the user namespace would map the slot's ids to ids of
	   the host's that are not the job directory's owner's, who could
	   then not stage files the job may read; root has the stronger
	   sandbox anyway. */
	if (a->conf.mode == CONF_MODE_USER && geteuid() == 0) {
		error_set_field(e, ERR_REFUSED, "mode",
		    "mode = \"user\" is for an agent run by an unprivileged "
		    "account; as root, use mode = \"root\"");
		goto fail;
	}
	if ((fd = trust_open(a->conf.base_dir, true, e)) == -1) {
		/* info describes a node that has no jobs yet, too. */
		if (!need_jobs && e->code == ERR_NOTFOUND) {
			error_init(e);
			return 0;
		}
		error_wrap(e, "base_dir");
		goto fail;
	}
	close(fd);
	if (!need_jobs)
		return 0;
	if ((a->jobsfd = trust_open(a->conf.jobs_dir, true, e)) == -1) {
		error_wrap(e, "the jobs directory");
		goto fail;
	}
	return 0;
fail:
	conf_release(&a->conf);
	return -1;
}

/*
 * One verb with its arguments, under the policy in config_path (a
 * serve_verb_fn: a session's request runs it in its own child, which takes
 * the session's kept policy only if the file is unchanged, so a changed
 * policy applies from the next request).
 */
static int
agent_verb(const char *verb, int nargs, char **args, void *config_path)
{
	struct agent a = { .config_path = config_path, .jobsfd = -1 };
	struct jobdir jd;
	struct error e;
	size_t i;
	int k, rc;

	error_init(&e);
	/* The namespaces a session made are for a run alone: any other
	   verb that held them (a wait can last as long as its job) would
	   keep a later job's namespaces, and what it leaves in them, alive
	   after that job. */
	if (strcmp(verb, "run") != 0)
		sandbox_spare_close(agent_kept.ns);
	agent_zygote_drop();
	if (agent_load(&a, strcmp(verb, "info") != 0, &e) == -1)
		return strcmp(verb, "sftp") == 0 ? agent_fail_text(&e)
						 : agent_fail(&e);
	if (strcmp(verb, "sftp") == 0) {
		if (nargs != 0)
			error_set(&e, ERR_USAGE, "sftp takes no arguments");
		else
			(void)sftp_serve(&a.conf, a.jobsfd, &e);
		rc = agent_fail_text(&e);
		goto out;
	}
	if (strcmp(verb, "info") == 0) {
		if (nargs != 0) {
			error_set(&e, ERR_USAGE, "info takes no arguments");
			rc = agent_fail(&e);
		} else
			rc = agent_info(&a, &e);
		goto out;
	}
	for (i = 0; i < sizeof(agent_verbs) / sizeof(agent_verbs[0]); i++)
		if (strcmp(agent_verbs[i].name, verb) == 0)
			break;
	if (i == sizeof(agent_verbs) / sizeof(agent_verbs[0])) {
		error_set(&e, ERR_USAGE, "unknown verb '%.32s'; see --help",
		    verb);
		rc = agent_fail(&e);
		goto out;
	}
	/* clean takes any number of JOBDIRs (the dispatcher batches them);
	   the other verbs exactly one. */
	if (nargs == 0 || (nargs != 1 && agent_verbs[i].fn != agent_clean) ||
	    nargs > AGENT_CLEAN_MAX) {
		error_set(&e, ERR_USAGE, "%s takes exactly one JOBDIR%s", verb,
		    agent_verbs[i].fn == agent_clean ? " (or up to 1000)" : "");
		rc = agent_fail(&e);
		goto out;
	}
	rc = 0;
	for (k = 0; k < nargs; k++) {
		int one = -1;

		error_init(&e);
		if (jobdir_open(&jd, &a.conf, a.jobsfd, args[k], &e) == 0) {
			if (agent_caller_check(&jd, &e) == 0)
				one = agent_verbs[i].fn(&a, &jd, &e);
			jobdir_close(&jd);
		}
		if (one == -1)
			one = agent_fail(&e);
		/* The first failure decides the exit status. */
		if (rc == 0)
			rc = one;
	}
out:
	if (a.jobsfd != -1)
		close(a.jobsfd);
	conf_release(&a.conf);
	return rc;
}

/*
 * A session's parked run (a serve_park_fn; park.h): in a child of the
 * session, load the policy as a run would and park a sandbox for its
 * warm_start runtime, then wait for the run request the session hands
 * over and run it.  When it cannot park or the parked sandbox is lost
 * (discarded after PARK_MAX_SECONDS, or its supervisor died), it says
 * "park gone" (SERVE_PARK_GONE) and still runs a request already handed to
 * it, cold, until the session closes its stdin: none is ever dropped.
 */
static int
agent_park(void *config_path)
{
	char line[64 + SERVE_REQUEST_MAX / 64], *words[3], *rest;
	const struct runtime *rt;
	struct agent a = { .config_path = config_path, .jobsfd = -1 };
	struct error e;
	int n = 0, rc = -1;

	error_init(&e);
	/* The namespaces made ahead are the next cold run's. */
	sandbox_spare_close(agent_kept.ns);
	if (agent_load(&a, true, &e) == 0) {
		close(a.jobsfd);
		if ((rt = conf_warm_runtime(&a.conf)) != NULL)
			rc = park_start(&agent_parked, &a.conf, rt,
			    &agent_kept.warm, &agent_zygote.z, &agent_kept.nets,
			    &e);
		/* The request reads the policy again, through the kept
		   copy while the file is unchanged. */
		if (a.kept) {
			agent_kept.conf = a.conf;
			agent_kept.valid = true;
		} else
			conf_release(&a.conf);
	}
	agent_zygote_drop();
	if (rc == -1 || park_wait(&agent_parked, line, sizeof(line)) == -1) {
		park_discard(&agent_parked);
		printf("%s\n", SERVE_PARK_GONE);
		fflush(stdout);
		if (park_wait(&agent_parked, line, sizeof(line)) == -1)
			return 0;
	}
	for (rest = line; n < 3 && (words[n] = strsep(&rest, " ")) != NULL;)
		n++;
	if (n != 2 || strcmp(words[0], "run") != 0) {
		park_discard(&agent_parked);
		return 2;
	}
	rc = agent_verb("run", 1, words + 1, config_path);
	/* A request refused before it reached agent_run() leaves the sandbox
	   parked: discard it (its slot free) before this child's end, when
	   the session parks the next. */
	park_discard(&agent_parked);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = CONF_DEFAULT_PATH, *verb;
	bool config_given = false;
	struct error e;
	int c;

	error_init(&e);
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			/* getopt keeps the last of several: a caller could
			   append its own to an operator's command line. */
			if (config_given) {
				error_set(&e, ERR_USAGE,
				    "--config is given twice");
				return agent_fail(&e);
			}
			config_given = true;
			config_path = optarg;
			break;
		case 'h':
			agent_usage(stdout);
			return 0;
		case 'V':
			printf("sluice-agent %s\n", PACKAGE_VERSION);
			return 0;
		default:
			error_set(&e, ERR_USAGE, "unknown option; see --help");
			return agent_fail(&e);
		}
	}
	if (optind >= argc) {
		error_set(&e, ERR_USAGE, "no verb given; see --help");
		return agent_fail(&e);
	}
	verb = argv[optind++];
	/* Without root, the agent is the account's own tool (mode "user"):
	   set-id to another account, it would act for its caller. */
	if (geteuid() != 0 && trust_on_behalf()) {
		error_set(&e, ERR_REFUSED,
		    "sluice-agent runs as uid %u gid %u for uid %u gid %u: "
		    "without root it runs only as the account that starts it, "
		    "with its group (never set-user-id or set-group-id)",
		    (unsigned)geteuid(), (unsigned)getegid(),
		    (unsigned)getuid(), (unsigned)getgid());
		return agent_fail(&e);
	}
	/* Root held for another account (sudo, doas, setuid) runs the node
	   owner's policy, never one the caller names. */
	if (config_given && geteuid() == 0 && trust_on_behalf()) {
		error_set(&e, ERR_REFUSED,
		    "--config is refused when sluice-agent runs as root on "
		    "behalf of another account; it reads " CONF_DEFAULT_PATH);
		return agent_fail(&e);
	}
	/* Root needs no supplementary group, and with none the account's
	   file-system ids (jobdir_open_own()) carry only its own rights. */
	if (geteuid() == 0 && setgroups(0, NULL) == -1) {
		error_set(&e, ERR_SYS, "setgroups: %s", strerror(errno));
		return agent_fail(&e);
	}
	if (strcmp(verb, "serve") == 0) {
		if (optind != argc) {
			error_set(&e, ERR_USAGE, "serve takes no arguments");
			return agent_fail(&e);
		}
		slot_nets_init(&agent_kept.nets);
		/* Room for what agent_keep() hands on. */
		_Static_assert(SERVE_KEEP_FDS >=
			3 + CONF_RUNTIMES_MAX + SLOT_NETS_MAX,
		    "SERVE_KEEP_FDS");
		return serve_main(agent_verb, agent_keep, agent_park,
		    (void *)config_path);
	}
	return agent_verb(verb, argc - optind, argv + optind,
	    (void *)config_path);
}

/* Job directories and their event logs: see jobdir.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "jobdir.h"
#include "manifest.h"
#include "slot.h"
#include "util.h"

#define JOBDIR_LINE_MAX (RESULT_MAX_BYTES + 4096)

/* Open the job directory at path, refusing anything but base/jobs/name. */
int
jobdir_open(struct jobdir *jd, const struct agent_conf *c, int jobsfd,
    const char *path, struct error *e)
{
	struct stat st;
	const char *jobs = c->jobs_dir;
	char buf[PATH_MAX], *slash;
	size_t n;

	jd->parentfd = jd->fd = -1;
	if (strlen(path) >= sizeof(buf))
		return error_set(e, ERR_REFUSED, "job directory path too long");
	strcpy(buf, path);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL)
		return error_set(e, ERR_REFUSED, "'%s' is not under '%s/'",
		    path, jobs);
	*slash = '\0';
	if (strcmp(buf, jobs) != 0)
		return error_set(e, ERR_REFUSED,
		    "'%s' is not directly under '%s/'", path, jobs);
	if (!util_token_ok(slash + 1, sizeof(jd->name) - 1) || slash[1] == '.')
		return error_set(e, ERR_REFUSED,
		    "'%s' is not a valid job directory name", slash + 1);
	strcpy(jd->name, slash + 1);
	/* jobs was opened once, checked, without following links; the name
	   is one component, opened below without following a link either. */
	jd->parentfd = fcntl(jobsfd, F_DUPFD_CLOEXEC, 0);
	if (jd->parentfd == -1)
		return error_set(e, ERR_SYS, "cannot use '%s': %s", jobs,
		    strerror(errno));
	jd->fd = openat(jd->parentfd, jd->name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (jd->fd == -1) {
		error_set(e, ERR_REFUSED, "cannot open job directory '%s': %s",
		    path,
		    errno == ELOOP || errno == ENOTDIR
			? "not a directory (symbolic links are refused)"
			: strerror(errno));
		jobdir_close(jd);
		return -1;
	}
	if (fstat(jd->fd, &st) == -1) {
		error_set(e, ERR_SYS, "cannot stat '%s': %s", path,
		    strerror(errno));
		jobdir_close(jd);
		return -1;
	}
	jd->owner = st.st_uid;
	jd->group = st.st_gid;
	jd->dev = st.st_dev;
	jd->ino = st.st_ino;
	return 0;
}

/* Check a file opened in the job directory: see jobdir.h. */
int
jobdir_owned(const struct jobdir *jd, int fd, const char *name, bool dir,
    struct error *e)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return error_set(e, ERR_IO, "cannot stat '%s': %s", name,
		    strerror(errno));
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return error_set(e, ERR_REFUSED, "'%s' is not a %s", name,
		    dir ? "directory" : "regular file");
	if (st.st_uid != jd->owner)
		return error_set(e, ERR_REFUSED,
		    "'%s' is owned by uid %u, not by the job directory's "
		    "owner (uid %u)",
		    name, (unsigned)st.st_uid, (unsigned)jd->owner);
	/* A second name is a hard link: the file may be someone else's. */
	if (S_ISREG(st.st_mode) && st.st_nlink != 1)
		return error_set(e, ERR_REFUSED,
		    "'%s' has %lu links: hard links are refused", name,
		    (unsigned long)st.st_nlink);
	return 0;
}

/* Close a job directory. */
void
jobdir_close(struct jobdir *jd)
{
	if (jd->fd != -1)
		close(jd->fd);
	if (jd->parentfd != -1)
		close(jd->parentfd);
	jd->fd = jd->parentfd = -1;
}

/* Open a file the agent itself wrote in the job directory: see jobdir.h. */
int
jobdir_open_own(const struct jobdir *jd, const char *name, int flags)
{
	struct stat st;
	uid_t fsuid;
	gid_t fsgid;
	int fd, err;

	/* With the account's file-system ids (and no supplementary group:
	   main() drops them), the kernel lets root open only what the
	   account itself could: whatever it put at this name, a link to a
	   file of root's is refused. */
	fsgid = (gid_t)setfsgid(jd->group);
	fsuid = (uid_t)setfsuid(jd->owner);
	fd = openat(jd->fd, name,
	    flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	err = errno;
	(void)setfsuid(fsuid);
	(void)setfsgid(fsgid);
	if (fd == -1) {
		errno = err;
		return -1;
	}
	/* A FIFO or a device is never the agent's. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	if ((flags & O_NONBLOCK) == 0)
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* Whether fd and name in the job directory are one file. */
static bool
jobdir_same(const struct jobdir *jd, int fd, const char *name)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 &&
	    fstatat(jd->fd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Whether the job directory is still at its name in jobs. */
bool
jobdir_in_place(const struct jobdir *jd)
{
	struct stat st;

	return fstatat(jd->parentfd, jd->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == jd->dev && st.st_ino == jd->ino;
}

/* Whether an open events file holds a supervisor's lock. */
static bool
jobdir_locked(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/* Whether name exists in the job directory (without following links). */
static bool
jobdir_has(const struct jobdir *jd, const char *name)
{
	struct stat st;

	return fstatat(jd->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The job's state. */
enum jobdir_state
jobdir_state(const struct jobdir *jd)
{
	if (jobdir_has(jd, "result.json"))
		return JOBDIR_FINISHED;
	if (jobdir_has(jd, "events"))
		return JOBDIR_RUNNING;
	return JOBDIR_STAGED;
}

/* The state's name. */
const char *
jobdir_state_name(enum jobdir_state st)
{
	static const char *const names[] = { "staged", "running", "finished" };

	return names[st];
}

/* Create and lock the events file. */
int
jobdir_claim(struct jobdir *jd, int *evfd, struct error *e)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	fd = openat(jd->fd, "events",
	    O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		if (errno == EEXIST)
			return error_set(e, ERR_STATE,
			    "job '%s' has already been started; use wait",
			    jd->name);
		return error_set(e, ERR_IO, "cannot create events: %s",
		    strerror(errno));
	}
	if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
		close(fd);
		return error_set(e, ERR_SYS, "cannot lock events: %s",
		    strerror(errno));
	}
	/* The account's, so that settling a lost job can append to it with
	   the account's rights (jobdir_open_own()). */
	if (geteuid() == 0 && fchown(fd, jd->owner, jd->group) == -1) {
		close(fd);
		return error_set(e, ERR_SYS,
		    "cannot give events to its owner: %s", strerror(errno));
	}
	*evfd = fd;
	return 0;
}

/* Append one event line. */
int
jobdir_event(int evfd, json_t *ev)
{
	char at[40], *line;
	size_t len;
	int rc = -1;

	util_now_rfc3339(at, sizeof(at));
	if (ev == NULL || json_object_set_new(ev, "at", json_string(at)) == -1)
		goto out;
	if ((line = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(10))) ==
	    NULL)
		goto out;
	len = strlen(line);
	line[len] = '\n';
	/* One write of the whole line: readers never see half an event. */
	rc = util_write_all(evfd, line, len + 1);
	free(line);
out:
	json_decref(ev);
	return rc;
}

/* Whether a supervisor holds the events lock. */
bool
jobdir_supervisor_alive(const struct jobdir *jd)
{
	bool alive;
	int fd;

	if ((fd = jobdir_open_own(jd, "events", O_RDONLY)) == -1)
		return false;
	alive = jobdir_locked(fd);
	close(fd);
	return alive;
}

/* Append the finished event carrying res (a new reference, which it takes). */
static int
jobdir_finished_event(int evfd, json_t *res, struct error *e)
{
	if (jobdir_event(evfd,
		json_pack("{s:s, s:o}", "event", "finished", "result", res)) ==
	    -1)
		return error_set(e, ERR_IO, "cannot write the finished event");
	return 0;
}

/* Settle a job with no run behind it. */
int
jobdir_settle(const struct jobdir *jd, int evfd, enum verdict v,
    const struct limits *l, const char *msg, struct error *e)
{
	struct result r;
	int rc;

	result_init(&r);
	r.verdict = v;
	r.limits = *l;
	snprintf(r.message, sizeof(r.message), "%s", msg);
	util_now_rfc3339(r.started_at, sizeof(r.started_at));
	snprintf(r.finished_at, sizeof(r.finished_at), "%s", r.started_at);
	rc = result_write_at(jd->fd, "result.json", &r, e);
	if (rc == 0)
		rc = jobdir_finished_event(evfd, result_to_json(&r), e);
	result_release(&r);
	return rc;
}

/* Read result.json as JSON. */
json_t *
jobdir_read_result(const struct jobdir *jd)
{
	char *text;
	size_t len;
	json_t *obj;

	int fd, rc;

	if ((fd = jobdir_open_own(jd, "result.json", O_RDONLY)) == -1)
		return NULL;
	rc = util_read_fd(fd, "result.json", RESULT_MAX_BYTES, &text, &len,
	    NULL);
	close(fd);
	if (rc == -1)
		return NULL;
	obj = json_loadb(text, len, 0, NULL);
	free(text);
	return obj;
}

/*
 * Scan the events: the slot named in the accepted event (or -1), whether a
 * finished event is there, and whether the file ends mid-line.
 */
static void
jobdir_scan(const struct jobdir *jd, int *slot, bool *finished, bool *partial)
{
	char *text, *line, *save = NULL;
	size_t len;
	json_t *ev;

	int fd, rc;

	*slot = -1;
	*finished = *partial = false;
	if ((fd = jobdir_open_own(jd, "events", O_RDONLY)) == -1)
		return;
	rc = util_read_fd(fd, "events", JOBDIR_LINE_MAX * 4, &text, &len, NULL);
	close(fd);
	if (rc == -1)
		return;
	*partial = len > 0 && text[len - 1] != '\n';
	/* Only whole lines count: an unterminated last line is what the
	   supervisor was writing when it died, or what the account (whose
	   file it is) put there; a follower never reads it as an event. */
	if (*partial) {
		while (len > 0 && text[len - 1] != '\n')
			len--;
		text[len] = '\0';
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *name;

		if ((ev = json_loads(line, 0, NULL)) == NULL)
			continue;
		name = json_string_value(json_object_get(ev, "event"));
		if (name != NULL && strcmp(name, "accepted") == 0 &&
		    json_is_integer(json_object_get(ev, "slot")))
			*slot = (int)json_integer_value(
			    json_object_get(ev, "slot"));
		if (name != NULL && strcmp(name, "finished") == 0)
			*finished = true;
		json_decref(ev);
	}
	free(text);
}

/* Read and parse the manifest of an open job directory. */
int
jobdir_manifest(const struct jobdir *jd, struct manifest *m, struct error *e)
{
	char *text;
	size_t len;
	int fd, rc;

	fd = openat(jd->fd, "job.json",
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		error_set(e, ERR_INVALID, "cannot open job.json: %s",
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
		return -1;
	}
	/* Root reads it, and a parse error quotes it: only the staging
	   account's own file, never a link to another. */
	if (jobdir_owned(jd, fd, "job.json", false, e) == -1 ||
	    util_read_fd(fd, "job.json", MANIFEST_MAX_BYTES, &text, &len, e) ==
		-1) {
		close(fd);
		if (e->code == ERR_IO || e->code == ERR_NOTFOUND)
			e->code = ERR_INVALID;
		return error_wrap(e, "job.json");
	}
	close(fd);
	rc = manifest_parse(text, len, m, e);
	free(text);
	return rc;
}

/* The limits the job runs with: see jobdir.h. */
void
jobdir_limits(const struct jobdir *jd, const struct agent_conf *c,
    struct limits *l)
{
	struct manifest m;
	struct error e;

	*l = c->defaults;
	if (jobdir_manifest(jd, &m, &e) == 0) {
		limit_resolve(l, &m.limits, m.limit_set, &c->defaults,
		    &c->ceilings, NULL);
		manifest_release(&m);
	}
}

/* Settle a started job whose supervisor died. */
int
jobdir_settle_lost(struct jobdir *jd, const struct agent_conf *c,
    struct error *e)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct cgroup_sys cs;
	struct limits l;
	bool finished, partial;
	int fd, slot, lfd, rc = 0;
	json_t *res;

	if ((fd = jobdir_open_own(jd, "events", O_WRONLY | O_APPEND)) == -1)
		return error_set(e, ERR_IO, "cannot open events: %s",
		    errno == EPERM ? "not the agent's own file"
				   : strerror(errno));
	/* Taking the lock proves the supervisor is gone, and makes this
	   process the only one that settles the job. */
	if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
		close(fd);
		return 0;
	}
	jobdir_scan(jd, &slot, &finished, &partial);
	if (finished)
		goto out;
	if (partial)
		(void)util_write_all(fd, "\n", 1);
	/* Its processes died with it (init has PDEATHSIG); remove its
	   cgroup unless a newer job already holds the slot. */
	if (slot >= 0 && (unsigned)slot < c->slots_all &&
	    (lfd = slot_try(c, (unsigned)slot)) != -1) {
		if (cgroup_detect(&cs, c->cgroup_root, c->cgroup_parent,
			c->cgroup, NULL) == 0)
			(void)cgroup_destroy(&cs, c->uid_base + (uid_t)slot,
			    NULL);
		close(lfd);
	}
	/* A result written just before the supervisor died stands. */
	if ((res = jobdir_read_result(jd)) != NULL)
		rc = jobdir_finished_event(fd, res, e);
	else {
		jobdir_limits(jd, c, &l);
		rc = jobdir_settle(jd, fd, VERDICT_SANDBOX_ERROR, &l,
		    "the agent's supervisor died before the job finished", e);
	}
out:
	close(fd);
	return rc;
}

/* Copy complete lines from buf to out_fd; note a finished event. */
static int
jobdir_emit(char *buf, size_t *len, int out_fd, bool *finished)
{
	char *start = buf, *nl;
	json_t *ev;
	size_t rest;

	while (
	    (nl = memchr(start, '\n', *len - (size_t)(start - buf))) != NULL) {
		*nl = '\0';
		if ((ev = json_loads(start, 0, NULL)) != NULL) {
			const char *name = json_string_value(
			    json_object_get(ev, "event"));

			if (name != NULL && strcmp(name, "finished") == 0)
				*finished = true;
			json_decref(ev);
		}
		*nl = '\n';
		if (util_write_all(out_fd, start, (size_t)(nl - start) + 1) ==
		    -1)
			return -1;
		start = nl + 1;
		if (*finished)
			break;
	}
	rest = *len - (size_t)(start - buf);
	memmove(buf, start, rest);
	*len = rest;
	return 0;
}

/* Follow the events until the finished event. */
int
jobdir_follow(struct jobdir *jd, const struct agent_conf *c, int out_fd,
    int wake_fd, struct error *e)
{
	char path[64], *buf, drain[4096];
	size_t len = 0;
	bool finished = false;
	struct pollfd pfd[2];
	int fd = -1, ino = -1, rc = -1, settles = 0;
	struct stat st;
	off_t pos = 0;
	ssize_t n;

	if ((buf = malloc(JOBDIR_LINE_MAX)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	if ((fd = jobdir_open_own(jd, "events", O_RDONLY)) == -1) {
		error_set(e, ERR_IO, "cannot open events: %s",
		    errno == EPERM ? "not the agent's own file"
				   : strerror(errno));
		goto out;
	}
	/* Watch the file opened, not a name, and before the first read so
	   that no write falls between. */
	if (wake_fd == -1) {
		ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (ino == -1 ||
		    inotify_add_watch(ino, path, IN_MODIFY | IN_CLOSE_WRITE) ==
			-1) {
			error_set(e, ERR_SYS, "cannot watch events: %s",
			    strerror(errno));
			goto out;
		}
	}
	pfd[0].fd = wake_fd != -1 ? wake_fd : ino;
	pfd[0].events = POLLIN;
	/* Whoever reads the events: once it has gone (a dropped SSH
	   session, a session's serve that ended), so does this follower. */
	pfd[1].fd = out_fd;
	pfd[1].events = 0;
	while (!finished) {
		n = read(fd, buf + len, JOBDIR_LINE_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_set(e, ERR_IO, "cannot read events: %s",
			    strerror(errno));
			goto out;
		}
		if (n > 0) {
			pos += n;
			len += (size_t)n;
			if (jobdir_emit(buf, &len, out_fd, &finished) == -1) {
				error_set(e, ERR_IO, "cannot write events: %s",
				    strerror(errno));
				goto out;
			}
			if (len == JOBDIR_LINE_MAX) {
				error_set(e, ERR_INVALID, "event too long");
				goto out;
			}
			continue;
		}
		/* At the end of the file: wait for more, and once a second
		   (or when the wake pipe closes) make sure there still is a
		   supervisor to write it. */
		if (poll(pfd, 2, pfd[0].fd != -1 ? 1000 : 50) > 0) {
			if (pfd[1].revents != 0) {
				errno = EPIPE;
				error_set(e, ERR_IO,
				    "the reader of events "
				    "has gone");
				goto out;
			}
			n = read(pfd[0].fd, drain, sizeof(drain));
			if (n > 0 || (n == -1 && errno == EAGAIN))
				continue;
			/* The supervisor closed its end: it has exited. */
			pfd[0].fd = -1;
			continue;
		}
		/* Everything below concerns the file being read: one that
		   was swapped away under us is an error, never a loop. */
		if (!jobdir_same(jd, fd, "events")) {
			error_set(e, ERR_STATE,
			    "job '%s': events was replaced while it was read",
			    jd->name);
			goto out;
		}
		/* Only the agent appends to it; a file that shrank was
		   truncated by the account, and what follows is not this
		   job's account. */
		if (fstat(fd, &st) == -1 || st.st_size < pos) {
			error_set(e, ERR_STATE,
			    "job '%s': events was truncated while it was read",
			    jd->name);
			goto out;
		}
		/* Settling takes the lock, so a live supervisor (or another
		   waiter settling first) makes it a no-op.  With nobody
		   holding it, settling ends the file with a finished event;
		   a file that still has none after that (its last line is
		   not the agent's) ends the follow with an error. */
		if (!jobdir_locked(fd)) {
			if (++settles > 2) {
				error_set(e, ERR_STATE,
				    "job '%s': its events end without a "
				    "finished event",
				    jd->name);
				goto out;
			}
			if (jobdir_settle_lost(jd, c, e) == -1)
				goto out;
		}
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (ino != -1)
		close(ino);
	free(buf);
	return rc;
}

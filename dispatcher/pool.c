/*
 * The node pool: see pool.h.  Each worker is a straight loop: connect,
 * ask for info, then serve commands and follow agent events until the
 * connection fails or the pool stops; then back off and start again.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libssh/libssh.h>

#include "job.h"
#include "log.h"
#include "manifest.h"
#include "pool.h"
#include "remote.h"
#include "util.h"

#define POOL_LINE_MAX (RESULT_MAX_BYTES + 4096)
#define POOL_SMALL_OUTPUT (64 * 1024)
#define POOL_TREE_DEPTH 16
#define POOL_WAIT_MS 250
#define POOL_CLEAN_BATCH 32
#define POOL_CLEAN_DELAY_MS 200

/* A job a worker follows on its node. */
struct pool_job {
	int64_t id;
	int attempt;
	char dir[64];
	struct remote_proc *proc; /* agent run or wait; NULL once done */
	bool accepted;
	bool finished;
	char started_at[40]; /* to post, once seen; then "" */
	char error[256]; /* the agent's JSON error, if any */
};

struct pool_worker {
	struct pool *pool;
	int index;
	const struct settings_node *conf;
	pthread_t thread;
	bool running;
	int wake[2];
	/* Shared with the main thread, under lock. */
	pthread_mutex_t lock;
	struct pool_cmd *cmds;
	size_t ncmds;
	size_t capcmds;
	bool quit;
	struct remote *remote;
	uint64_t epoch;
	/* The worker thread's own. */
	struct pool_info info;
	struct pool_job *jobs;
	size_t njobs;
	struct remote_proc **aux; /* agent clean and cancel, running
					   while the worker does other work */
	size_t naux;
	char cleans[POOL_CLEAN_BATCH][640]; /* directories waiting for one
					       batched agent clean */
	size_t ncleans;
	int64_t cleans_since; /* when the oldest was queued */
	double backoff;
};

struct pool {
	const struct settings *set;
	const struct spool *sp;
	struct event_base *base;
	struct event *notify;
	pool_event_cb cb;
	void *arg;
	pthread_mutex_t lock;
	struct pool_ev *head;
	struct pool_ev *tail;
	struct pool_worker *workers;
	size_t n;
};

/* Hand an event to the main thread. */
static void
pool_post(struct pool *p, struct pool_ev *ev)
{
	ev->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->next = ev;
	else
		p->head = ev;
	p->tail = ev;
	pthread_mutex_unlock(&p->lock);
	event_active(p->notify, EV_READ, 0);
}

/* A new event from this worker's node and connection, or NULL. */
static struct pool_ev *
worker_ev_new(struct pool_worker *w, enum pool_ev_type type, int64_t job,
    int attempt)
{
	struct pool_ev *ev = calloc(1, sizeof(*ev));

	if (ev == NULL)
		return NULL;
	ev->type = type;
	ev->node = w->index;
	ev->epoch = w->epoch;
	ev->job_id = job;
	ev->attempt = attempt;
	result_init(&ev->result);
	return ev;
}

/* Build and post an event about a job or the node. */
static void
worker_post(struct pool_worker *w, enum pool_ev_type type, int64_t job,
    int attempt, bool retryable, const char *reason)
{
	struct pool_ev *ev = worker_ev_new(w, type, job, attempt);

	if (ev == NULL)
		return; /* the main thread will see the node go down */
	ev->retryable = retryable;
	if (reason != NULL)
		snprintf(ev->reason, sizeof(ev->reason), "%s", reason);
	if (type == EV_NODE_UP)
		ev->info = w->info;
	pool_post(w->pool, ev);
}

/* Deliver queued events on the main thread. */
static void
pool_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pool *p = arg;
	struct pool_ev *ev, *next;

	pthread_mutex_lock(&p->lock);
	ev = p->head;
	p->head = p->tail = NULL;
	pthread_mutex_unlock(&p->lock);
	for (; ev != NULL; ev = next) {
		next = ev->next;
		p->cb(ev, p->arg);
	}
}

/* Free an event. */
void
pool_ev_free(struct pool_ev *ev)
{
	if (ev == NULL)
		return;
	result_release(&ev->result);
	free(ev->dir_ids);
	free(ev->dir_attempts);
	free(ev);
}

/* Copy a short printable string from JSON, or fail. */
static int
pool_json_text(const json_t *v, char *dst, size_t size, bool may_be_null)
{
	const char *s;
	size_t i, n;

	if (may_be_null && json_is_null(v)) {
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= size)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	memcpy(dst, s, n + 1);
	return 0;
}

/* Parse an agent's info, as untrusted input. */
int
pool_info_parse(const char *text, size_t len, struct pool_info *out,
    struct error *e)
{
	struct pool_info in;
	json_t *root, *v, *rt;
	unsigned present;
	size_t i;
	int rc = -1;

	memset(&in, 0, sizeof(in));
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) ==
		NULL ||
	    !json_is_object(root)) {
		error_set(e, ERR_INVALID,
		    "the agent's info is not a JSON object");
		goto out;
	}
	v = json_object_get(root, "base_dir");
	if (pool_json_text(v, in.base_dir, sizeof(in.base_dir), false) == -1 ||
	    in.base_dir[0] != '/' ||
	    (in.base_dir[1] != '\0' &&
		util_path_check(in.base_dir + 1, "base_dir", NULL) == -1)) {
		error_set(e, ERR_INVALID,
		    "the agent's base_dir is not a clean "
		    "absolute path");
		goto out;
	}
	v = json_object_get(root, "slots");
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 1024) {
		error_set(e, ERR_INVALID, "the agent's slots is not 1 to 1024");
		goto out;
	}
	in.slots = (unsigned)json_integer_value(v);
	if (pool_json_text(json_object_get(root, "agent_version"),
		in.agent_version, sizeof(in.agent_version), false) == -1 ||
	    pool_json_text(json_object_get(root, "cgroup"), in.cgroup,
		sizeof(in.cgroup), false) == -1) {
		error_set(e, ERR_INVALID,
		    "the agent's version or cgroup is "
		    "malformed");
		goto out;
	}
	if (limit_from_json(json_object_get(root, "defaults"), &in.defaults,
		&present, e) == -1 ||
	    present != (1u << LIMITS_N) - 1 ||
	    limit_from_json(json_object_get(root, "ceilings"), &in.ceilings,
		&present, e) == -1 ||
	    present != (1u << LIMITS_N) - 1) {
		error_set(e, ERR_INVALID,
		    "the agent's defaults or ceilings are "
		    "incomplete or malformed");
		goto out;
	}
	rt = json_object_get(root, "runtimes");
	if (!json_is_array(rt) || json_array_size(rt) > POOL_RUNTIMES_MAX) {
		error_set(e, ERR_INVALID, "the agent's runtimes are malformed");
		goto out;
	}
	for (i = 0; i < json_array_size(rt); i++) {
		v = json_array_get(rt, i);
		if (!json_is_object(v) ||
		    pool_json_text(json_object_get(v, "name"), in.runtimes[i],
			sizeof(in.runtimes[i]), false) == -1 ||
		    !util_token_ok(in.runtimes[i], 64) ||
		    pool_json_text(json_object_get(v, "version"),
			in.versions[i], sizeof(in.versions[i]), true) == -1) {
			error_set(e, ERR_INVALID,
			    "runtime %zu of the agent's "
			    "info is malformed",
			    i);
			goto out;
		}
		in.nruntimes++;
	}
	*out = in;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* The path of a job directory on the node. */
static void
worker_job_path(const struct pool_worker *w, const char *dir, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/jobs/%s", w->info.base_dir, dir);
}

/* The agent's argv with a verb and an optional job directory. */
static const char **
worker_argv(const struct pool_worker *w, const char *verb, const char *path)
{
	const char **argv;
	size_t i, n = w->conf->nagent;

	if ((argv = calloc(n + 3, sizeof(*argv))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		argv[i] = w->conf->agent[i];
	argv[n] = verb;
	argv[n + 1] = path;
	return argv;
}

/* Run an agent verb to completion; its stdout in *out (caller frees). */
static int
worker_agent(struct pool_worker *w, struct remote *r, const char *verb,
    const char *path, char **out, size_t *outlen, int *status, struct error *e)
{
	const char **argv = worker_argv(w, verb, path);
	int rc;

	if (argv == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	rc = remote_run(r, argv, NULL, 0, POOL_SMALL_OUTPUT * 16, out, outlen,
	    status, e);
	free(argv);
	return rc;
}

/* Ask the agent for its info. */
static int
worker_info(struct pool_worker *w, struct remote *r, struct error *e)
{
	char *out = NULL;
	size_t len = 0;
	int status, rc = -1;

	if (worker_agent(w, r, "info", NULL, &out, &len, &status, e) == -1)
		return error_wrap(e, "agent info");
	if (status != 0) {
		error_set(e, ERR_IO, "agent info exited with status %d: %.200s",
		    status, out != NULL ? out : "");
		goto out;
	}
	if (pool_info_parse(out, len, &w->info, e) == -1)
		goto out;
	rc = 0;
out:
	free(out);
	return rc;
}

/* The job this worker follows with that id, or NULL. */
static struct pool_job *
worker_job(struct pool_worker *w, int64_t id)
{
	size_t i;

	for (i = 0; i < w->njobs; i++)
		if (w->jobs[i].id == id)
			return &w->jobs[i];
	return NULL;
}

/* Start following a job (or return the existing record). */
static struct pool_job *
worker_job_add(struct pool_worker *w, int64_t id, int attempt)
{
	struct pool_job *j, *jobs;

	if ((j = worker_job(w, id)) != NULL) {
		if (j->proc != NULL)
			remote_proc_free(j->proc);
	} else {
		jobs = realloc(w->jobs, (w->njobs + 1) * sizeof(*jobs));
		if (jobs == NULL)
			return NULL;
		w->jobs = jobs;
		j = &w->jobs[w->njobs++];
	}
	memset(j, 0, sizeof(*j));
	j->id = id;
	j->attempt = attempt;
	job_dir_name(id, attempt, j->dir, sizeof(j->dir));
	return j;
}

/* Stop following a job. */
static void
worker_job_drop(struct pool_worker *w, struct pool_job *j)
{
	size_t i = (size_t)(j - w->jobs);

	if (j->proc != NULL)
		remote_proc_free(j->proc);
	memmove(&w->jobs[i], &w->jobs[i + 1], (w->njobs - i - 1) * sizeof(*j));
	w->njobs--;
}

/* Upload one spool directory level (files and subdirectories). */
static int
worker_put_tree(struct pool_worker *w, struct remote *r, int dirfd,
    const char *rpath, int depth, struct error *e)
{
	char child[1536], *data;
	struct dirent *de;
	struct stat st;
	size_t len;
	DIR *d;
	int fd, sub, rc = 0;

	if (depth > POOL_TREE_DEPTH)
		return error_set(e, ERR_INVALID, "submission nested too deep");
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
		-1 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return error_set(e, ERR_IO, "cannot read the spool: %s",
		    strerror(errno));
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", rpath, de->d_name);
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			rc = error_set(e, ERR_IO, "cannot stat spool file: %s",
			    strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd, de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1)
				rc = error_set(e, ERR_IO,
				    "cannot open spool directory: %s",
				    strerror(errno));
			else {
				rc = remote_mkdir(r, child, 0755, e);
				if (rc == 0)
					rc = worker_put_tree(w, r, sub, child,
					    depth + 1, e);
				close(sub);
			}
		} else if (S_ISREG(st.st_mode)) {
			rc = util_read_file_at(dirfd, de->d_name,
			    (size_t)w->pool->set->caps.max_total_bytes, &data,
			    &len, e);
			if (rc == 0) {
				rc = remote_put(r, child, data, len, 0644, e);
				free(data);
			}
		}
	}
	closedir(d);
	return rc;
}

/* Upload a job's spool in/ to its directory and start the agent. */
static int
worker_stage(struct pool_worker *w, struct remote *r, struct pool_job *j,
    struct error *e)
{
	const struct spool *sp = w->pool->sp;
	char path[640], sub[700], *data;
	const char **argv;
	size_t len;
	int filesfd, rc;

	worker_job_path(w, j->dir, path, sizeof(path));
	if (spool_read_input(sp, j->id, SPOOL_MANIFEST, MANIFEST_MAX_BYTES,
		&data, &len, e) == -1)
		return -1;
	snprintf(sub, sizeof(sub), "%s/job.json", path);
	rc = remote_put(r, sub, data, len, 0644, e);
	free(data);
	if (rc == -1)
		return -1;
	snprintf(sub, sizeof(sub), "%s/files", path);
	if (remote_mkdir(r, sub, 0755, e) == -1)
		return -1;
	if (spool_open_files(sp, j->id, &filesfd, e) == -1)
		return error_set(e, ERR_IO, "spool of job %lld has no files",
		    (long long)j->id);
	rc = worker_put_tree(w, r, filesfd, sub, 0, e);
	close(filesfd);
	if (rc == -1)
		return -1;
	if (spool_read_input(sp, j->id, SPOOL_STDIN,
		(size_t)w->pool->set->caps.max_total_bytes, &data, &len,
		e) == 0) {
		snprintf(sub, sizeof(sub), "%s/stdin", path);
		rc = remote_put(r, sub, data, len, 0644, e);
		free(data);
		if (rc == -1)
			return -1;
	} else if (e->code != ERR_NOTFOUND)
		return -1;
	if ((argv = worker_argv(w, "run", path)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	j->proc = remote_spawn(r, argv, e);
	free(argv);
	return j->proc == NULL ? -1 : 0;
}

/* Attach to a started job with agent wait. */
static int
worker_attach(struct pool_worker *w, struct remote *r, struct pool_job *j,
    struct error *e)
{
	char path[640];
	const char **argv;

	worker_job_path(w, j->dir, path, sizeof(path));
	if ((argv = worker_argv(w, "wait", path)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	j->proc = remote_spawn(r, argv, e);
	free(argv);
	return j->proc == NULL ? -1 : 0;
}

/* Find out how far a job got on the node and go on from there. */
static int
worker_recover(struct pool_worker *w, struct remote *r, struct pool_job *j,
    struct error *e)
{
	char path[640], *out = NULL;
	const char *state;
	size_t len;
	json_t *root = NULL;
	int status, rc = -1;

	worker_job_path(w, j->dir, path, sizeof(path));
	if (worker_agent(w, r, "status", path, &out, &len, &status, e) == -1)
		return -1;
	if (status == 2) {
		/* No such job directory: stage it afresh. */
		free(out);
		if (remote_mkdir(r, path, 0755, e) == -1)
			return -1;
		return worker_stage(w, r, j, e);
	}
	if (status != 0 || (root = json_loadb(out, len, 0, NULL)) == NULL ||
	    (state = json_string_value(json_object_get(root, "state"))) ==
		NULL) {
		error_set(e, ERR_INVALID, "agent status failed (status %d)",
		    status);
		goto out;
	}
	if (strcmp(state, "staged") == 0) {
		/* A partial upload: remove it and start over. */
		free(out);
		out = NULL;
		if (worker_agent(w, r, "clean", path, &out, &len, &status, e) ==
		    -1)
			goto out;
		if (status != 0) {
			error_set(e, ERR_IO, "agent clean failed (status %d)",
			    status);
			goto out;
		}
		if (remote_mkdir(r, path, 0755, e) == 0)
			rc = worker_stage(w, r, j, e);
	} else if (strcmp(state, "running") == 0 ||
	    strcmp(state, "finished") == 0)
		rc = worker_attach(w, r, j, e);
	else
		error_set(e, ERR_INVALID, "agent status reports '%.32s'",
		    state);
out:
	json_decref(root);
	free(out);
	return rc;
}

/* Fetch one level of a job's out/ into the spool. */
static int
worker_fetch_tree(struct pool_worker *w, struct remote *r, const char *rdir,
    int dstfd, const char *prefix, int depth, struct result *res,
    struct error *e)
{
	const struct settings *set = w->pool->set;
	struct remote_entry *ents = NULL;
	char rpath[1536], rel[UTIL_PATH_MAX + 1];
	uint64_t bytes;
	size_t n, i;
	int sub, rc = -1;

	if (remote_list(r, rdir, set->max_out_files + 64, &ents, &n, e) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		/* A path too long to name here is skipped, not cut short: a
		   shorter one would be another file. */
		if (snprintf(rpath, sizeof(rpath), "%s/%s", rdir,
			ents[i].name) >= (int)sizeof(rpath) ||
		    snprintf(rel, sizeof(rel), "%s%s", prefix, ents[i].name) >=
			(int)sizeof(rel)) {
			res->out_files_truncated = true;
			continue;
		}
		if (ents[i].type == REMOTE_REG) {
			/* Too many, or one too large to keep: skip it and say
			   so, rather than fail the whole job. */
			if (res->n_out_files >= set->max_out_files ||
			    ents[i].size > set->max_result_file_bytes) {
				res->out_files_truncated = true;
				continue;
			}
			if (remote_get(r, rpath, dstfd, ents[i].name,
				set->max_result_file_bytes, &bytes, e) == -1)
				goto out;
			if (result_add_file(res, rel, bytes) == -1) {
				error_set(e, ERR_NOMEM, "out of memory");
				goto out;
			}
		} else if (ents[i].type == REMOTE_DIR &&
		    depth < POOL_TREE_DEPTH) {
			/* Its entries' paths need room for a '/' as well. */
			if (strlen(rel) + 1 >= sizeof(rel)) {
				res->out_files_truncated = true;
				continue;
			}
			if (mkdirat(dstfd, ents[i].name, 0755) == -1 ||
			    (sub = openat(dstfd, ents[i].name,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				     O_CLOEXEC)) == -1) {
				error_set(e, ERR_IO, "cannot create '%s': %s",
				    rel, strerror(errno));
				goto out;
			}
			strcat(rel, "/");
			rc = worker_fetch_tree(w, r, rpath, sub, rel, depth + 1,
			    res, e);
			close(sub);
			if (rc == -1)
				goto out;
			rc = -1;
		}
		/* Links and special files: never fetched. */
	}
	rc = 0;
out:
	free(ents);
	return rc;
}

/* Fetch a finished job's result and outputs into the spool. */
static int
worker_collect(struct pool_worker *w, struct remote *r, struct pool_job *j,
    struct pool_ev *ev, struct error *e)
{
	const struct settings *set = w->pool->set;
	char tmp[640], path[640], rpath[700], *text = NULL;
	struct result res, claimed;
	uint64_t bytes;
	json_t *root = NULL;
	size_t len;
	int dfd = -1, filesfd = -1, rc = -1;

	result_init(&res);
	result_init(&claimed);
	if (spool_results_begin(w->pool->sp, j->id, tmp, sizeof(tmp), e) == -1)
		return -1;
	if ((dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		error_set(e, ERR_IO, "cannot open '%s': %s", tmp,
		    strerror(errno));
		goto out;
	}
	worker_job_path(w, j->dir, path, sizeof(path));
	snprintf(rpath, sizeof(rpath), "%s/result.json", path);
	if (remote_get(r, rpath, dfd, SPOOL_RESULT, RESULT_MAX_BYTES, &bytes,
		e) == -1)
		goto out;
	if (util_read_file_at(dfd, SPOOL_RESULT, RESULT_MAX_BYTES, &text, &len,
		e) == -1)
		goto out;
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL) {
		error_set(e, ERR_INVALID, "result.json is not JSON");
		goto out;
	}
	if (result_from_json(root, &claimed, e) == -1) {
		error_wrap(e, "malformed result.json");
		goto out;
	}
	snprintf(rpath, sizeof(rpath), "%s/stdout", path);
	if (remote_get(r, rpath, dfd, SPOOL_STDOUT, set->max_result_file_bytes,
		&bytes, e) == -1)
		goto out;
	snprintf(rpath, sizeof(rpath), "%s/stderr", path);
	if (remote_get(r, rpath, dfd, SPOOL_STDERR, set->max_result_file_bytes,
		&bytes, e) == -1)
		goto out;
	/* Keep the node's account of the run, but list the out files from
	   what really came back, not from what the node claims. */
	res = claimed;
	res.out_files = NULL; /* claimed keeps (and frees) its own list */
	res.n_out_files = 0;
	if (mkdirat(dfd, SPOOL_FILES, 0755) == -1 ||
	    (filesfd = openat(dfd, SPOOL_FILES,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		error_set(e, ERR_IO, "cannot create files/: %s",
		    strerror(errno));
		goto out;
	}
	snprintf(rpath, sizeof(rpath), "%s/out", path);
	if (worker_fetch_tree(w, r, rpath, filesfd, "", 0, &res, e) == -1)
		goto out;
	/* What the spool keeps is the checked result, re-encoded: nothing
	   of the node's own file is passed on. */
	if (spool_result_put(dfd, &res, e) == -1 ||
	    spool_results_commit(w->pool->sp, j->id, e) == -1)
		goto out;
	ev->result = res;
	res.out_files = NULL;
	res.n_out_files = 0;
	rc = 0;
out:
	if (filesfd != -1)
		close(filesfd);
	if (dfd != -1)
		close(dfd);
	json_decref(root);
	free(text);
	result_release(&res);
	result_release(&claimed);
	return rc;
}

/* Keep a started auxiliary command until it ends (worker_poll_aux). */
static void
worker_aux_add(struct pool_worker *w, struct remote_proc *p)
{
	struct remote_proc **aux;

	if ((aux = realloc(w->aux, (w->naux + 1) * sizeof(*aux))) == NULL) {
		remote_proc_free(p);
		return;
	}
	w->aux = aux;
	w->aux[w->naux++] = p;
}

/* Start an agent verb whose outcome nobody waits for. */
static void
worker_spawn_aux(struct pool_worker *w, struct remote *r, const char *verb,
    const char *path)
{
	const char **argv = worker_argv(w, verb, path);
	struct remote_proc *p;
	struct error e;

	if (argv == NULL)
		return;
	p = remote_spawn(r, argv, &e);
	free(argv);
	if (p == NULL) {
		log_warn("%s: agent %s %s: %s", w->conf->name, verb, path,
		    e.msg);
		return;
	}
	worker_aux_add(w, p);
}

/* Start one agent clean for every queued directory. */
static void
worker_flush_cleans(struct pool_worker *w, struct remote *r)
{
	struct remote_proc *p;
	const char **argv;
	struct error e;
	size_t i, n = w->conf->nagent;

	if (w->ncleans == 0)
		return;
	if ((argv = calloc(n + w->ncleans + 2, sizeof(*argv))) == NULL)
		return;
	for (i = 0; i < n; i++)
		argv[i] = w->conf->agent[i];
	argv[n] = "clean";
	for (i = 0; i < w->ncleans; i++)
		argv[n + 1 + i] = w->cleans[i];
	p = remote_spawn(r, argv, &e);
	free(argv);
	w->ncleans = 0;
	if (p == NULL) {
		/* What is left is purged when the node next comes up. */
		log_warn("%s: agent clean: %s", w->conf->name, e.msg);
		return;
	}
	worker_aux_add(w, p);
}

/* Ignore the output of an auxiliary command. */
static int
worker_aux_line(const char *line, size_t len, void *arg)
{
	return 0;
}

/* Reap auxiliary commands that have ended. */
static void
worker_poll_aux(struct pool_worker *w)
{
	struct error e;
	size_t i = 0;
	int status;

	while (i < w->naux) {
		if (remote_proc_poll(w->aux[i], 65536, worker_aux_line, NULL,
			&status, &e) == 1) {
			i++;
			continue;
		}
		remote_proc_free(w->aux[i]);
		w->aux[i] = w->aux[--w->naux];
	}
}

/* Carry out one command; -1 only when the connection is unusable. */
static int
worker_command(struct pool_worker *w, struct remote *r,
    const struct pool_cmd *c, struct error *e)
{
	struct pool_job *j;
	struct pool_ev *ev;
	char path[640], dir[64], *out = NULL;
	int64_t t0;
	size_t len;
	int status;

	switch (c->type) {
	case CMD_START:
	case CMD_RECOVER:
		if ((j = worker_job_add(w, c->job_id, c->attempt)) == NULL) {
			worker_post(w, EV_JOB_FAILED, c->job_id, c->attempt,
			    true, "out of memory on the dispatcher");
			return 0;
		}
		worker_job_path(w, j->dir, path, sizeof(path));
		t0 = util_now_ms();
		if (c->type == CMD_START &&
		    remote_mkdir(r, path, 0755, e) == 0) {
			if (worker_stage(w, r, j, e) == 0) {
				log_debug("%s: job %lld staged and started in "
					  "%lld ms",
				    w->conf->name, (long long)j->id,
				    (long long)(util_now_ms() - t0));
				return 0;
			}
		} else if (c->type == CMD_RECOVER || e->code == ERR_STATE) {
			if (worker_recover(w, r, j, e) == 0)
				return 0;
		}
		worker_post(w, EV_JOB_FAILED, c->job_id, c->attempt, true,
		    e->msg);
		worker_job_drop(w, j);
		return 0;
	case CMD_COLLECT:
		if ((ev = worker_ev_new(w, EV_JOB_COLLECTED, c->job_id,
			 c->attempt)) == NULL)
			return 0;
		j = worker_job(w, c->job_id);
		if (j == NULL) {
			/* Recovered after a restart straight into collecting. */
			j = worker_job_add(w, c->job_id, c->attempt);
			if (j == NULL) {
				free(ev);
				return 0;
			}
		}
		t0 = util_now_ms();
		if (worker_collect(w, r, j, ev, e) == 0) {
			log_debug("%s: job %lld collected in %lld ms",
			    w->conf->name, (long long)j->id,
			    (long long)(util_now_ms() - t0));
		} else {
			ev->type = EV_JOB_FAILED;
			ev->retryable = true;
			snprintf(ev->reason, sizeof(ev->reason),
			    "cannot collect the results from %s: %s",
			    w->conf->name, e->msg);
		}
		worker_job_drop(w, j);
		pool_post(w->pool, ev);
		return 0;
	case CMD_CLEAN:
		/* Nothing waits for a clean: queue it for the next batch,
		   one remote command for many directories. */
		job_dir_name(c->job_id, c->attempt, dir, sizeof(dir));
		if (w->ncleans == 0)
			w->cleans_since = util_now_ms();
		worker_job_path(w, dir, w->cleans[w->ncleans],
		    sizeof(w->cleans[0]));
		if (++w->ncleans == POOL_CLEAN_BATCH)
			worker_flush_cleans(w, r);
		return 0;
	case CMD_PURGE:
		/* Stop it if it still runs, then remove it; either step may
		   find nothing to do. */
		job_dir_name(c->job_id, c->attempt, dir, sizeof(dir));
		worker_job_path(w, dir, path, sizeof(path));
		(void)worker_agent(w, r, "cancel", path, &out, &len, &status,
		    e);
		free(out);
		out = NULL;
		(void)worker_agent(w, r, "clean", path, &out, &len, &status, e);
		free(out);
		return 0;
	case CMD_CANCEL:
		/* Fire and forget: the job's own run or wait channel reports
		   the cancelled verdict. */
		job_dir_name(c->job_id, c->attempt, dir, sizeof(dir));
		worker_job_path(w, dir, path, sizeof(path));
		worker_spawn_aux(w, r, "cancel", path);
		return 0;
	}
	return 0;
}

/* One line of agent events from a job's channel (untrusted). */
static int
worker_line(const char *line, size_t len, void *arg)
{
	struct pool_job *j = arg;
	const char *name, *at;
	json_t *root;

	if ((root = json_loadb(line, len, 0, NULL)) == NULL)
		return 0; /* not an event; ignore it */
	name = json_string_value(json_object_get(root, "event"));
	if (name == NULL) {
		const char *err = json_string_value(
		    json_object_get(root, "error"));

		if (err != NULL)
			snprintf(j->error, sizeof(j->error), "%s", err);
	} else if (strcmp(name, "accepted") == 0)
		j->accepted = true;
	else if (strcmp(name, "finished") == 0)
		j->finished = true;
	else if (strcmp(name, "started") == 0 &&
	    (at = json_string_value(json_object_get(root, "at"))) != NULL &&
	    strlen(at) < sizeof(j->started_at) &&
	    strspn(at, "0123456789-:.TZ") == strlen(at))
		strcpy(j->started_at, at);
	json_decref(root);
	return 0;
}

/* Read a job's events; post what they mean.  True if j was dropped. */
static bool
worker_poll_job(struct pool_worker *w, struct pool_job *j)
{
	bool was_accepted = j->accepted, was_finished = j->finished;
	struct error e;
	int status = -1, rc;

	error_init(&e);
	rc = remote_proc_poll(j->proc, POOL_LINE_MAX, worker_line, j, &status,
	    &e);
	if (!was_accepted && j->accepted)
		worker_post(w, EV_JOB_ACCEPTED, j->id, j->attempt, false, NULL);
	if (j->started_at[0] != '\0') {
		struct pool_ev *ev = worker_ev_new(w, EV_JOB_STARTED, j->id,
		    j->attempt);

		if (ev != NULL) {
			strcpy(ev->at, j->started_at);
			pool_post(w->pool, ev);
		}
		j->started_at[0] = '\0';
	}
	if (!was_finished && j->finished)
		worker_post(w, EV_JOB_FINISHED, j->id, j->attempt, false, NULL);
	if (rc == 1)
		return false;
	remote_proc_free(j->proc);
	j->proc = NULL;
	if (j->finished)
		return false; /* waiting for CMD_COLLECT */
	if (rc == -1)
		worker_post(w, EV_JOB_FAILED, j->id, j->attempt, true, e.msg);
	else {
		char reason[256];

		/* The agent refused the job (exit 2: its manifest or files
		   are bad, which no other node will like better), or failed
		   in some other way (try again elsewhere). */
		snprintf(reason, sizeof(reason),
		    "the agent on %s exited with "
		    "status %d: %s",
		    w->conf->name, status,
		    j->error[0] != '\0' ? j->error : "no reason given");
		worker_post(w, EV_JOB_FAILED, j->id, j->attempt, status != 2,
		    reason);
	}
	worker_job_drop(w, j);
	return true;
}

/* Report the job directories on the node, so the main thread can purge
   attempts it abandoned while the node was unreachable. */
static int
worker_list_dirs(struct pool_worker *w, struct remote *r, struct error *e)
{
	struct remote_entry *ents = NULL;
	struct pool_ev *ev;
	char path[640];
	size_t n, i;

	snprintf(path, sizeof(path), "%s/jobs", w->info.base_dir);
	if (remote_list(r, path, 100000, &ents, &n, e) == -1)
		return -1;
	if ((ev = worker_ev_new(w, EV_NODE_DIRS, 0, 0)) == NULL ||
	    (ev->dir_ids = calloc(n + 1, sizeof(*ev->dir_ids))) == NULL ||
	    (ev->dir_attempts = calloc(n + 1, sizeof(int))) == NULL) {
		pool_ev_free(ev);
		free(ents);
		return error_set(e, ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		unsigned long long id;
		int attempt, used = 0;

		/* Only our own names, <id>.<attempt>; anything else there is
		   the operator's. */
		if (ents[i].type != REMOTE_DIR ||
		    sscanf(ents[i].name, "%llu.%d%n", &id, &attempt, &used) !=
			2 ||
		    ents[i].name[used] != '\0' || attempt < 1)
			continue;
		ev->dir_ids[ev->ndirs] = (int64_t)id;
		ev->dir_attempts[ev->ndirs] = attempt;
		ev->ndirs++;
	}
	free(ents);
	pool_post(w->pool, ev);
	return 0;
}

/* Take the queued commands (those for this connection only). */
static struct pool_cmd *
worker_take(struct pool_worker *w, size_t *n, bool *quit)
{
	struct pool_cmd *cmds;

	pthread_mutex_lock(&w->lock);
	cmds = w->cmds;
	*n = w->ncmds;
	*quit = w->quit;
	w->cmds = NULL;
	w->ncmds = w->capcmds = 0;
	pthread_mutex_unlock(&w->lock);
	return cmds;
}

/* Drain the wake pipe. */
static void
worker_drain(struct pool_worker *w)
{
	char buf[256];

	while (read(w->wake[0], buf, sizeof(buf)) > 0)
		;
}

/* Serve one connection until it fails or the pool stops. */
static int
worker_session(struct pool_worker *w, struct remote *r, struct error *e)
{
	const struct settings *set = w->pool->set;
	int64_t now, last_ka, last_move;
	uint64_t packets, last_packets;
	struct pool_cmd *cmds;
	size_t n, i;
	bool quit;

	last_ka = last_move = util_now_ms();
	last_packets = remote_packets_in(r);
	for (;;) {
		if (remote_wait(r, w->wake[0], POOL_WAIT_MS, e) == -1)
			return -1;
		worker_drain(w);
		cmds = worker_take(w, &n, &quit);
		for (i = 0; i < n && !quit; i++) {
			if (cmds[i].epoch != w->epoch)
				continue; /* its jobs went back to the queue */
			if (worker_command(w, r, &cmds[i], e) == -1) {
				free(cmds);
				return -1;
			}
		}
		free(cmds);
		if (quit)
			return 0;
		for (i = 0; i < w->njobs;)
			if (w->jobs[i].proc == NULL ||
			    !worker_poll_job(w, &w->jobs[i]))
				i++;
		worker_poll_aux(w);
		if (w->ncleans > 0 &&
		    util_now_ms() - w->cleans_since >= POOL_CLEAN_DELAY_MS)
			worker_flush_cleans(w, r);
		now = util_now_ms();
		if (now - last_ka >= (int64_t)(set->keepalive_seconds * 1000)) {
			if (remote_keepalive(r) == -1)
				return error_set(e, ERR_IO,
				    "cannot send a keepalive");
			last_ka = now;
		}
		packets = remote_packets_in(r);
		if (packets != last_packets) {
			last_packets = packets;
			last_move = now;
		} else if (now - last_move >
		    (int64_t)(set->dead_after_seconds * 1000))
			return error_set(e, ERR_IO,
			    "no answer from the node for %.1f s",
			    (double)(now - last_move) / 1000);
	}
}

/* Sleep for the back-off (with jitter), waking early to quit. */
static bool
worker_backoff(struct pool_worker *w)
{
	const struct settings *set = w->pool->set;
	struct pollfd pfd = { w->wake[0], POLLIN, 0 };
	unsigned short jitter = 0;
	double delay;
	bool quit;

	if (w->backoff < set->reconnect_min_seconds)
		w->backoff = set->reconnect_min_seconds;
	/* Up to a quarter more, so that nodes do not reconnect in step
	   (sshd's MaxStartups drops bursts). */
	if (getrandom(&jitter, sizeof(jitter), 0) != sizeof(jitter))
		jitter = 0;
	delay = w->backoff * (1.0 + 0.25 * jitter / 65535.0);
	w->backoff *= 2;
	if (w->backoff > set->reconnect_max_seconds)
		w->backoff = set->reconnect_max_seconds;
	(void)poll(&pfd, 1, (int)(delay * 1000));
	worker_drain(w);
	pthread_mutex_lock(&w->lock);
	quit = w->quit;
	pthread_mutex_unlock(&w->lock);
	return !quit;
}

/* Forget everything of a connection that is gone. */
static void
worker_reset(struct pool_worker *w)
{
	size_t i;

	for (i = 0; i < w->njobs; i++)
		if (w->jobs[i].proc != NULL)
			remote_proc_free(w->jobs[i].proc);
	free(w->jobs);
	w->jobs = NULL;
	w->njobs = 0;
	w->ncleans = 0;
	for (i = 0; i < w->naux; i++)
		remote_proc_free(w->aux[i]);
	free(w->aux);
	w->aux = NULL;
	w->naux = 0;
	/* Commands for the old connection: their jobs are requeued. */
	pthread_mutex_lock(&w->lock);
	free(w->cmds);
	w->cmds = NULL;
	w->ncmds = w->capcmds = 0;
	pthread_mutex_unlock(&w->lock);
}

/* The worker thread. */
static void *
worker_main(void *arg)
{
	struct pool_worker *w = arg;
	const struct settings *set = w->pool->set;
	struct remote_opts o;
	struct remote *r;
	struct error e;
	bool quit = false;

	ssh_set_log_level(SSH_LOG_NOLOG);
	memset(&o, 0, sizeof(o));
	o.host = w->conf->host;
	o.port = w->conf->port;
	o.user = w->conf->user;
	o.identity = w->conf->identity;
	o.known_hosts = w->conf->known_hosts;
	o.connect_timeout_ms = (int)(set->connect_timeout_seconds * 1000);
	o.io_timeout_ms = (int)(set->io_timeout_seconds * 1000);
	while (!quit) {
		error_init(&e);
		r = remote_connect(&o, &e);
		if (r != NULL) {
			pthread_mutex_lock(&w->lock);
			w->remote = r;
			w->epoch++;
			quit = w->quit;
			pthread_mutex_unlock(&w->lock);
			if (!quit && worker_info(w, r, &e) == 0) {
				w->backoff = 0;
				worker_post(w, EV_NODE_UP, 0, 0, false, NULL);
				if (worker_list_dirs(w, r, &e) == 0 &&
				    worker_session(w, r, &e) == 0)
					quit = true;
			}
			pthread_mutex_lock(&w->lock);
			w->remote = NULL;
			pthread_mutex_unlock(&w->lock);
			worker_reset(w);
			remote_free(r);
		}
		if (quit)
			break;
		worker_post(w, EV_NODE_DOWN, 0, 0, false, e.msg);
		quit = !worker_backoff(w);
	}
	worker_reset(w);
	return NULL;
}

/* Create the pool. */
struct pool *
pool_new(const struct settings *s, const struct spool *sp,
    struct event_base *base, pool_event_cb cb, void *arg, struct error *e)
{
	struct pool *p;
	size_t i;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->workers = calloc(s->nnodes, sizeof(*p->workers))) == NULL) {
		free(p);
		error_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	p->set = s;
	p->sp = sp;
	p->base = base;
	p->cb = cb;
	p->arg = arg;
	pthread_mutex_init(&p->lock, NULL);
	p->notify = event_new(base, -1, EV_PERSIST, pool_notify_cb, p);
	if (p->notify == NULL) {
		pool_free(p);
		error_set(e, ERR_NOMEM, "cannot create the pool's event");
		return NULL;
	}
	for (i = 0; i < s->nnodes; i++) {
		struct pool_worker *w = &p->workers[i];

		w->pool = p;
		w->index = (int)i;
		w->conf = &s->nodes[i];
		w->wake[0] = w->wake[1] = -1;
		pthread_mutex_init(&w->lock, NULL);
		if (pipe2(w->wake, O_CLOEXEC | O_NONBLOCK) == -1) {
			error_set(e, ERR_SYS, "pipe: %s", strerror(errno));
			p->n = i + 1;
			pool_free(p);
			return NULL;
		}
	}
	p->n = s->nnodes;
	return p;
}

/* Start the workers. */
int
pool_start(struct pool *p, struct error *e)
{
	pthread_attr_t attr;
	size_t i;
	int rc;

	pthread_attr_init(&attr);
	/* Workers mostly sleep in poll; a small stack is plenty. */
	pthread_attr_setstacksize(&attr, 512 * 1024);
	for (i = 0; i < p->n; i++) {
		rc = pthread_create(&p->workers[i].thread, &attr, worker_main,
		    &p->workers[i]);
		if (rc != 0) {
			pthread_attr_destroy(&attr);
			return error_set(e, ERR_SYS, "pthread_create: %s",
			    strerror(rc));
		}
		p->workers[i].running = true;
	}
	pthread_attr_destroy(&attr);
	return 0;
}

/* Queue a command for a node's worker. */
void
pool_send(struct pool *p, int node, const struct pool_cmd *cmd)
{
	struct pool_worker *w = &p->workers[node];
	struct pool_cmd *cmds;

	pthread_mutex_lock(&w->lock);
	if (w->ncmds == w->capcmds) {
		size_t cap = w->capcmds ? w->capcmds * 2 : 16;

		if ((cmds = realloc(w->cmds, cap * sizeof(*cmds))) == NULL) {
			pthread_mutex_unlock(&w->lock);
			return; /* the job stays placed; a restart recovers */
		}
		w->cmds = cmds;
		w->capcmds = cap;
	}
	w->cmds[w->ncmds++] = *cmd;
	pthread_mutex_unlock(&w->lock);
	if (write(w->wake[1], "", 1) == -1 && errno != EAGAIN)
		return;
}

/* Break blocking calls that took too long. */
void
pool_watchdog(struct pool *p)
{
	int64_t now = util_now_ms(),
		limit = (int64_t)(p->set->io_timeout_seconds * 1000);
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct pool_worker *w = &p->workers[i];

		pthread_mutex_lock(&w->lock);
		if (w->remote != NULL && remote_busy_ms(w->remote, now) > limit)
			remote_abort(w->remote);
		pthread_mutex_unlock(&w->lock);
	}
}

/* Stop the workers and wait for them. */
void
pool_stop(struct pool *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct pool_worker *w = &p->workers[i];

		pthread_mutex_lock(&w->lock);
		w->quit = true;
		pthread_mutex_unlock(&w->lock);
		if (w->wake[1] != -1 && write(w->wake[1], "", 1) == -1 &&
		    errno != EAGAIN)
			continue;
	}
	for (i = 0; i < p->n; i++)
		if (p->workers[i].running) {
			pthread_join(p->workers[i].thread, NULL);
			p->workers[i].running = false;
		}
}

/* Free the pool. */
void
pool_free(struct pool *p)
{
	struct pool_ev *ev, *next;
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		struct pool_worker *w = &p->workers[i];

		if (w->wake[0] != -1)
			close(w->wake[0]);
		if (w->wake[1] != -1)
			close(w->wake[1]);
		free(w->cmds);
		pthread_mutex_destroy(&w->lock);
	}
	for (ev = p->head; ev != NULL; ev = next) {
		next = ev->next;
		pool_ev_free(ev);
	}
	if (p->notify != NULL)
		event_free(p->notify);
	pthread_mutex_destroy(&p->lock);
	free(p->workers);
	free(p);
}

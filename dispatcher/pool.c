/*
 * The node pool: see pool.h.  Each worker is a straight loop: connect,
 * ask for info, then serve commands and follow agent events until the
 * connection fails or the pool stops; then back off and start again.
 * What a command does on the node is in stage.c, collect.c and
 * agentproto.c; this file is the threads, the two queues and the loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "collect.h"
#include "log.h"
#include "pool.h"
#include "slurm.h"
#include "stage.h"
#include "util.h"

#define POOL_WAIT_MS 250
/* Times a job is followed again after its run or wait was killed. */
#define POOL_REATTACH_MAX 3
/* An agent whose slots are all taken (by jobs this daemon no longer
   counts, say) is asked again, with back-off, for this long before the
   attempt is given up as failed. */
#define POOL_BUSY_MAX_MS 60000
#define POOL_BUSY_BACKOFF_MIN_MS 200
#define POOL_BUSY_BACKOFF_MAX_MS 2000

/* A job a worker follows on its node. */
struct pool_job {
	int64_t id;
	int attempt;
	char path[640]; /* its directory on the node */
	struct remote_channel *proc; /* agent run or wait; NULL once done */
	bool via_session; /* run or wait went over the agent session */
	bool ended; /* via_session: the verb's exit status came */
	int status; /* ... and this is it */
	struct agentproto_events seen; /* what it said so far */
	bool told_accepted, told_finished; /* posted to the main thread */
	int reattached; /* times followed again after its verb was killed */
	int64_t busy_since; /* first "all slots are busy" refusal; 0 */
	int64_t run_at; /* ask the agent to run it again then; 0 */
	int busy_backoff_ms;
	/* SLURM nodes: the job in the cluster, as squeue last said. */
	char slurm_id[SLURM_ID_MAX]; /* "" until sbatch gave one */
	char slurm_told[SLURM_REASON_MAX]; /* the pending reason told */
	bool slurm_running; /* told it runs */
	bool slurm_cancel_sent; /* sluice's own scancel */
	bool slurm_ended; /* told FINISHED: collected next */
	enum slurm_state slurm_end; /* the state it ended in */
	int slurm_missing; /* polls in a row that did not find it */
	/* Recovered without a recorded id, and squeue could not say
	   whether its sbatch queued a job: asked again at each poll,
	   submitted only once squeue says there is none. */
	bool slurm_adopt;
	struct pool_cmd slurm_cmd; /* the recover command, for sbatch */
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
	struct agentproto ap;
	struct pool_job *jobs;
	size_t njobs;
	double backoff;
	int64_t slurm_polled; /* util_now_ms() of the last squeue */
	bool slurm_warned; /* squeue's failure was logged */
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

/* A new event from this worker's node and connection. */
static struct pool_ev *
pool_ev_new(struct pool_worker *w, enum pool_ev_type type, int64_t job,
    int attempt)
{
	struct pool_ev *ev = calloc(1, sizeof(*ev));

	/* An event lost would leave its job placed until a restart. */
	if (ev == NULL)
		fatal("out of memory");
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
pool_tell(struct pool_worker *w, enum pool_ev_type type, int64_t job,
    int attempt, bool retryable, const char *reason)
{
	struct pool_ev *ev = pool_ev_new(w, type, job, attempt);

	ev->retryable = retryable;
	if (reason != NULL)
		snprintf(ev->reason, sizeof(ev->reason), "%s", reason);
	if (type == POOL_EV_NODE_UP || type == POOL_EV_NODE_INFO)
		ev->info = w->ap.info;
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

/* The job this worker follows with that id, or NULL. */
static struct pool_job *
pool_job_find(struct pool_worker *w, int64_t id)
{
	size_t i;

	for (i = 0; i < w->njobs; i++)
		if (w->jobs[i].id == id)
			return &w->jobs[i];
	return NULL;
}

/* Start following a job (or start over with the existing record). */
static struct pool_job *
pool_job_add(struct pool_worker *w, int64_t id, int attempt)
{
	struct pool_job *j, *jobs;

	if ((j = pool_job_find(w, id)) != NULL) {
		if (j->proc != NULL)
			remote_channel_free(j->proc);
		agentproto_events_release(&j->seen);
	} else {
		jobs = realloc(w->jobs, (w->njobs + 1) * sizeof(*jobs));
		if (jobs == NULL)
			fatal("out of memory");
		w->jobs = jobs;
		j = &w->jobs[w->njobs++];
	}
	memset(j, 0, sizeof(*j));
	j->id = id;
	j->attempt = attempt;
	agentproto_job_path(&w->ap, id, attempt, j->path, sizeof(j->path));
	return j;
}

/* Stop following a job. */
static void
pool_job_drop(struct pool_worker *w, struct pool_job *j)
{
	size_t i = (size_t)(j - w->jobs);

	if (j->proc != NULL)
		remote_channel_free(j->proc);
	agentproto_events_release(&j->seen);
	memmove(&w->jobs[i], &w->jobs[i + 1], (w->njobs - i - 1) * sizeof(*j));
	w->njobs--;
}

/*
 * Read what a job this worker follows has written to its stdout and stderr
 * so far, from the offsets asked for on, and post it (POOL_EV_JOB_OUTPUT).
 * Only the attempt followed here is read.  A failure reads as nothing
 * (with the reason): following output never takes a node down; a lost
 * connection is found out by the session's own checks.
 */
static void
pool_peek(struct pool_worker *w, struct remote *r, const struct pool_cmd *c)
{
	static const char *const names[2] = { "stdout", "stderr" };
	struct pool_ev *ev = pool_ev_new(w, POOL_EV_JOB_OUTPUT, c->job_id,
	    c->attempt);
	struct pool_job *j = pool_job_find(w, c->job_id);
	char path[700];
	struct error e;
	size_t s, n;

	if (j == NULL || j->attempt != c->attempt) {
		snprintf(ev->reason, sizeof(ev->reason),
		    "the attempt is not followed on %s", w->conf->name);
		pool_post(w->pool, ev);
		return;
	}
	for (s = 0; s < 2; s++) {
		ev->out_offset[s] = c->offset[s];
		if ((ev->out_data[s] = malloc(POOL_PEEK_MAX)) == NULL)
			fatal("out of memory");
		snprintf(path, sizeof(path), "%s/%s", j->path, names[s]);
		error_init(&e);
		n = 0;
		if (remote_sftp_read_at(r, path, c->offset[s], ev->out_data[s],
			POOL_PEEK_MAX, &n, &e) == -1) {
			/* Not there yet: the agent has not started it. */
			if (e.code != ERR_NOTFOUND)
				snprintf(ev->reason, sizeof(ev->reason), "%s",
				    e.msg);
			n = 0;
		}
		ev->out_len[s] = n;
		if (n == 0) {
			free(ev->out_data[s]);
			ev->out_data[s] = NULL;
		}
	}
	pool_post(w->pool, ev);
}

/* Whether this worker's node is a SLURM cluster's login node. */
static bool
pool_is_slurm(const struct pool_worker *w)
{
	return w->conf->kind == NODE_KIND_SLURM;
}

/* Squeue polls in a row that must miss a job (and sacct not know it)
   before it is taken to have left the cluster. */
#define POOL_SLURM_MISSING_MAX 3
/* Ids asked about in one squeue or sacct. */
#define POOL_SLURM_BATCH 256

/*
 * Run a SLURM command (argv from slurm.h, freed here) to completion: its
 * stdout (at most cap bytes) in *out.  -1 if it could not be run.
 */
static int
pool_slurm_cmd(struct remote *r, char **argv, size_t argc, const char *input,
    size_t cap, char **out, size_t *len, int *status, struct error *e)
{
	int rc;

	if (argv == NULL)
		fatal("out of memory");
	rc = remote_channel_run(r, (const char *const *)argv, input,
	    input != NULL ? strlen(input) : 0, cap, out, len, status, e);
	util_strv_free(argv, argc);
	return rc;
}

/* scancel one id or --name=...; its exit status, -1 if it did not run. */
static int
pool_slurm_scancel_word(struct pool_worker *w, struct remote *r,
    const char *word)
{
	struct error e;
	size_t argc;
	char **argv;
	int status;

	argv = slurm_scancel_argv(w->conf, word, &argc);
	error_init(&e);
	if (pool_slurm_cmd(r, argv, argc, NULL, 4096, NULL, NULL, &status,
		&e) == -1)
		status = -1;
	if (status != 0)
		log_warn("%s: scancel %s: %s", w->conf->name, word,
		    e.msg[0] != '\0' ? e.msg : remote_channel_stderr(r));
	return status;
}

/*
 * Ask squeue for the account's SLURM jobs of job id's name that run in
 * jobdir (slurm_byname_argv()).  Returns how many there are (at most 64),
 * with the id of one (a live one first) in sid and *live; -1 if squeue
 * could not say.
 */
static int
pool_slurm_byname(struct pool_worker *w, struct remote *r, int64_t id,
    const char *jobdir, char sid[SLURM_ID_MAX], bool *live, struct error *e)
{
	char *out = NULL, **argv;
	size_t argc, len = 0, found;
	int status;

	argv = slurm_byname_argv(w->conf, id, &argc);
	if (pool_slurm_cmd(r, argv, argc, NULL, SLURM_OUTPUT_MAX(8), &out, &len,
		&status, e) == -1)
		return -1;
	if (status != 0) {
		free(out);
		return error_set(e, ERR_IO,
		    "squeue exited with status %d: %.200s", status,
		    remote_channel_stderr(r));
	}
	found = slurm_byname_parse(out, len, jobdir, sid, live);
	free(out);
	return found > 64 ? 64 : (int)found;
}

/*
 * Cancel what an sbatch whose id was not read queued all the same (it
 * failed after queueing the job, as SLURM's "Socket timed out" can, or
 * printed no id): the account's jobs of the attempt's name in its
 * directory, by id, so that another sluice's job of the same name is left
 * alone.  If squeue cannot say, scancel --name=sluice-ID as a last resort.
 */
static void
pool_slurm_cancel_unrecorded(struct pool_worker *w, struct remote *r,
    int64_t id, const char *jobdir)
{
	char sid[SLURM_ID_MAX], last[SLURM_ID_MAX] = "", name[64];
	struct error e;
	bool live;
	int k, n;

	for (k = 0; k < 4; k++) {
		error_init(&e);
		n = pool_slurm_byname(w, r, id, jobdir, sid, &live, &e);
		if (n == -1) {
			log_warn("%s: job %lld: squeue by name: %s",
			    w->conf->name, (long long)id, e.msg);
			snprintf(name, sizeof(name), "--name=sluice-%lld",
			    (long long)id);
			(void)pool_slurm_scancel_word(w, r, name);
			return;
		}
		/* None left, or scancel did not take the last one. */
		if (n == 0 || !live || strcmp(sid, last) == 0)
			return;
		(void)pool_slurm_scancel_word(w, r, sid);
		memcpy(last, sid, sizeof(last));
	}
}

/* Submit a staged attempt with sbatch; its id goes to the main thread. */
static void
pool_slurm_submit(struct pool_worker *w, struct remote *r,
    const struct pool_cmd *c, struct pool_job *j)
{
	const struct settings_node *nd = w->conf;
	const struct settings *set = w->pool->set;
	struct pool_ev *ev;
	char *script, *out = NULL, reason[256];
	size_t argc, len = 0, k;
	struct error e;
	char **argv;
	int status;

	error_init(&e);
	if (stage_put(&w->ap, r, w->pool->sp, set->caps.max_total_bytes, j->id,
		j->path, &e) == -1) {
		snprintf(reason, sizeof(reason), "cannot stage on %s: %s",
		    nd->name, e.msg);
		goto failed;
	}
	/* Only one attempt of a job is in the cluster at a time: what an
	   earlier attempt's sbatch queued without its id being read (the
	   connection was lost meanwhile) is cancelled before this one. */
	for (k = 1; k < (size_t)j->attempt && k < 16; k++) {
		char old[640];

		agentproto_job_path(&w->ap, j->id, (int)k, old, sizeof(old));
		pool_slurm_cancel_unrecorded(w, r, j->id, old);
	}
	if ((script = slurm_script(nd, j->id, j->attempt, j->path)) == NULL)
		fatal("out of memory");
	argv = slurm_sbatch_argv(nd, j->id, j->path,
	    slurm_time_minutes(c->wall_seconds, 0,
		nd->slurm.time_margin_seconds),
	    slurm_mem_mb(c->memory_bytes, nd->slurm.memory_margin_bytes),
	    &argc);
	if (pool_slurm_cmd(r, argv, argc, script, 4096, &out, &len, &status,
		&e) == -1) {
		free(script);
		snprintf(reason, sizeof(reason), "cannot run sbatch on %s: %s",
		    nd->name, e.msg);
		/* Its output over the cap, say: it ran.  A lost connection
		   cancels nothing now (the next attempt's submission does,
		   or a restart adopts it). */
		if (e.code != ERR_IO)
			goto unknown;
		goto failed;
	}
	free(script);
	if (status != 0) {
		snprintf(reason, sizeof(reason),
		    "sbatch on %s exited with status %d: %.160s", nd->name,
		    status, remote_channel_stderr(r));
		free(out);
		goto unknown;
	}
	if (slurm_sbatch_parse(out, len, j->slurm_id, &e) == -1) {
		snprintf(reason, sizeof(reason), "%s: %s", nd->name, e.msg);
		free(out);
		goto unknown;
	}
	free(out);
	/* An id this node already follows for another job is a lie (or
	   SLURM's ids wrapped): taking it would make that job's squeue line
	   this one's, and this job's scancel that job's. */
	for (k = 0; k < w->njobs; k++)
		if (&w->jobs[k] != j &&
		    strcmp(w->jobs[k].slurm_id, j->slurm_id) == 0) {
			snprintf(reason, sizeof(reason),
			    "sbatch on %s printed job id %s, which is job "
			    "%lld's",
			    nd->name, j->slurm_id, (long long)w->jobs[k].id);
			j->slurm_id[0] = '\0';
			goto unknown;
		}
	log_info("%s: job %lld attempt %d is SLURM job %s", nd->name,
	    (long long)j->id, j->attempt, j->slurm_id);
	ev = pool_ev_new(w, POOL_EV_JOB_SUBMITTED, j->id, j->attempt);
	memcpy(ev->slurm_id, j->slurm_id, sizeof(ev->slurm_id));
	pool_post(w->pool, ev);
	return;
unknown:
	/* sbatch ran, and may have queued the job all the same. */
	pool_slurm_cancel_unrecorded(w, r, j->id, j->path);
failed:
	pool_tell(w, POOL_EV_JOB_FAILED, j->id, j->attempt, true, reason);
	pool_job_drop(w, j);
}

/* scancel one job; a failure (it had ended already) is only logged. */
static void
pool_slurm_scancel(struct pool_worker *w, struct remote *r, struct pool_job *j)
{
	struct error e;
	size_t argc;
	char **argv;
	int status;

	if (j->slurm_id[0] == '\0')
		return;
	j->slurm_cancel_sent = true;
	error_init(&e);
	argv = slurm_scancel_argv(w->conf, j->slurm_id, &argc);
	if (pool_slurm_cmd(r, argv, argc, NULL, 4096, NULL, NULL, &status,
		&e) == -1 ||
	    status != 0)
		log_warn("%s: scancel %s: %s", w->conf->name, j->slurm_id,
		    e.msg[0] != '\0' ? e.msg : remote_channel_stderr(r));
}

/*
 * A recovered attempt without a recorded id: an sbatch may have queued it
 * just before the daemon stopped, into this attempt's directory.  Ask
 * squeue for the jobs of its name in that directory: one found is adopted
 * (its id recorded and followed, as if sbatch had just printed it); none,
 * and the attempt is submitted.  If squeue cannot say, nothing is
 * submitted (the job might run twice): j->slurm_adopt asks again at the
 * next poll.
 */
static void
pool_slurm_adopt(struct pool_worker *w, struct remote *r, struct pool_job *j)
{
	char id[SLURM_ID_MAX];
	struct pool_ev *ev;
	struct error e;
	bool live;
	size_t k;
	int found;

	error_init(&e);
	found = pool_slurm_byname(w, r, j->id, j->path, id, &live, &e);
	if (found == -1) {
		if (!j->slurm_adopt)
			log_warn("%s: job %lld: cannot ask squeue for an "
				 "unrecorded SLURM job (asked again, nothing "
				 "submitted meanwhile): %s",
			    w->conf->name, (long long)j->id, e.msg);
		j->slurm_adopt = true;
		return;
	}
	j->slurm_adopt = false;
	if (found == 0) {
		pool_slurm_submit(w, r, &j->slurm_cmd, j);
		return;
	}
	if (found > 1)
		log_warn("%s: job %lld: %d SLURM jobs in %s; following %s",
		    w->conf->name, (long long)j->id, found, j->path, id);
	for (k = 0; k < w->njobs; k++)
		if (&w->jobs[k] != j && strcmp(w->jobs[k].slurm_id, id) == 0) {
			pool_tell(w, POOL_EV_JOB_FAILED, j->id, j->attempt,
			    true, "squeue named another job's SLURM id");
			pool_job_drop(w, j);
			return;
		}
	memcpy(j->slurm_id, id, sizeof(j->slurm_id));
	log_info("%s: job %lld attempt %d is SLURM job %s (queued before the "
		 "restart, adopted)",
	    w->conf->name, (long long)j->id, j->attempt, j->slurm_id);
	ev = pool_ev_new(w, POOL_EV_JOB_SUBMITTED, j->id, j->attempt);
	memcpy(ev->slurm_id, j->slurm_id, sizeof(ev->slurm_id));
	pool_post(w->pool, ev);
}

/* A SLURM node's start and recover commands. */
static void
pool_slurm_start(struct pool_worker *w, struct remote *r,
    const struct pool_cmd *c)
{
	struct pool_job *j;

	if ((j = pool_job_find(w, c->job_id)) != NULL &&
	    j->attempt == c->attempt &&
	    (j->slurm_id[0] != '\0' || j->slurm_adopt))
		return; /* followed already */
	j = pool_job_add(w, c->job_id, c->attempt);
	if (c->type == POOL_CMD_RECOVER && c->slurm_id[0] != '\0') {
		/* Followed again by the next squeue. */
		snprintf(j->slurm_id, sizeof(j->slurm_id), "%s", c->slurm_id);
		if (c->cancel)
			pool_slurm_scancel(w, r, j);
		return;
	}
	if (c->type == POOL_CMD_RECOVER) {
		/* Placed, but no id recorded: adopt what its sbatch queued
		   before the daemon stopped, or submit. */
		j->slurm_cmd = *c;
		pool_slurm_adopt(w, r, j);
		return;
	}
	pool_slurm_submit(w, r, c, j);
}

/*
 * A followed job left the cluster (or SLURM no longer knows it): collect
 * its result if the agent wrote one, else end the attempt as SLURM's state
 * says.  True if j was dropped.
 */
static bool
pool_slurm_ended(struct pool_worker *w, struct remote *r, struct pool_job *j,
    enum slurm_state st)
{
	struct pool_ev *ev;
	char path[700], byte;
	struct error e;
	size_t n = 0;

	j->slurm_ended = true;
	j->slurm_end = st;
	snprintf(path, sizeof(path), "%s/" AGENTPROTO_RESULT, j->path);
	error_init(&e);
	/* A node lost (or a preemption) loses the attempt, whatever the
	   agent wrote: it is run again. */
	if (!slurm_state_node_lost(st) &&
	    remote_sftp_read_at(r, path, 0, &byte, 1, &n, &e) == 0) {
		log_info("%s: SLURM job %s of job %lld ended %s", w->conf->name,
		    j->slurm_id, (long long)j->id, slurm_state_name(st));
		pool_tell(w, POOL_EV_JOB_FINISHED, j->id, j->attempt, false,
		    NULL);
		return false; /* POOL_CMD_COLLECT next */
	}
	ev = pool_ev_new(w, POOL_EV_JOB_ENDED, j->id, j->attempt);
	slurm_end_map(st, j->slurm_id, j->slurm_cancel_sent, &ev->end);
	log_info("%s: SLURM job %s of job %lld ended %s without a result: %s",
	    w->conf->name, j->slurm_id, (long long)j->id, slurm_state_name(st),
	    ev->end.reason);
	/* A node that failed may have left the sandbox running (a slurmd
	   gone does not kill what it started): stop it through the agent. */
	if (!ev->end.final)
		agentproto_cancel(&w->ap, r, j->path);
	pool_post(w->pool, ev);
	pool_job_drop(w, j);
	return true;
}

/* What squeue said of one followed job: tell what changed. */
static bool
pool_slurm_seen(struct pool_worker *w, struct remote *r, struct pool_job *j,
    const struct slurm_status *s)
{
	char reason[256];

	if (!s->found) {
		if (++j->slurm_missing < POOL_SLURM_MISSING_MAX)
			return false;
		return pool_slurm_ended(w, r, j, SLURM_UNKNOWN);
	}
	j->slurm_missing = 0;
	if (slurm_state_ended(s->state))
		return pool_slurm_ended(w, r, j, s->state);
	if (slurm_state_running(s->state)) {
		if (j->slurm_running)
			return false;
		j->slurm_running = true;
		snprintf(reason, sizeof(reason), "running on %s (SLURM job %s)",
		    w->conf->name, j->slurm_id);
		pool_tell(w, POOL_EV_JOB_ACCEPTED, j->id, j->attempt, false,
		    reason);
		{
			struct pool_ev *ev = pool_ev_new(w, POOL_EV_JOB_STARTED,
			    j->id, j->attempt);

			util_now_rfc3339(ev->at, sizeof(ev->at));
			pool_post(w->pool, ev);
		}
		return false;
	}
	/* Waiting in the cluster (pending, requeued, suspended). */
	snprintf(reason, sizeof(reason), "%s in SLURM: %s",
	    s->state == SLURM_SUSPENDED ? "suspended" : "pending",
	    s->reason[0] != '\0' ? s->reason : slurm_state_name(s->state));
	if (strcmp(reason, j->slurm_told) != 0) {
		snprintf(j->slurm_told, sizeof(j->slurm_told), "%s", reason);
		pool_tell(w, POOL_EV_JOB_ACCEPTED, j->id, j->attempt, false,
		    reason);
	}
	return false;
}

/*
 * squeue failed (slurmctld down, or a command that never ends): a job
 * whose cancel sluice sent ends all the same once its agent has written
 * result.json (the batch script's trap runs the agent's cancel), so that
 * an API cancel does not wait for squeue to come back.  Nothing else is
 * decided without squeue.
 */
static void
pool_slurm_without_squeue(struct pool_worker *w, struct remote *r,
    struct pool_job **jobs, size_t n)
{
	char path[700], byte;
	struct pool_job *j;
	struct error e;
	size_t i, got;

	for (i = 0; i < n; i++) {
		j = pool_job_find(w, jobs[i]->id);
		if (j == NULL || !j->slurm_cancel_sent || j->slurm_ended)
			continue;
		snprintf(path, sizeof(path), "%s/" AGENTPROTO_RESULT, j->path);
		error_init(&e);
		got = 0;
		if (remote_sftp_read_at(r, path, 0, &byte, 1, &got, &e) == 0 &&
		    got == 1)
			(void)pool_slurm_ended(w, r, j, SLURM_CANCELLED);
	}
}

/*
 * Ask squeue (and sacct for the ids it no longer knows) about the followed
 * jobs, at most POOL_SLURM_BATCH at a time, and act on what changed.  A
 * squeue that fails (slurmctld down, or it did not end within the
 * command's deadline) is tried again next time: nothing is decided on it
 * but the end of a job sluice cancelled whose result is there.  -1 only
 * if the connection is lost.
 */
static int
pool_slurm_poll_batch(struct pool_worker *w, struct remote *r,
    struct pool_job **jobs, struct slurm_status *st, size_t n, struct error *e)
{
	char *out = NULL, **argv;
	size_t argc, len = 0, i, bad, missing = 0;
	int status;

	argv = slurm_squeue_argv(w->conf, st, n, &argc);
	if (pool_slurm_cmd(r, argv, argc, NULL, SLURM_OUTPUT_MAX(n), &out, &len,
		&status, e) == -1) {
		if (e->code == ERR_IO)
			return -1;
		/* Too much output (a lying login node), or no channel now:
		   nothing is decided on it. */
		if (!w->slurm_warned)
			log_warn("%s: squeue: %s", w->conf->name, e->msg);
		w->slurm_warned = true;
		pool_slurm_without_squeue(w, r, jobs, n);
		return 0;
	}
	bad = slurm_squeue_parse(out, len, st, n);
	free(out);
	out = NULL;
	/* squeue refuses a list of ids it all forgot ("Invalid job id
	   specified"): that says they are gone; any other failure says
	   nothing. */
	if (status != 0 &&
	    strstr(remote_channel_stderr(r), "Invalid job id") == NULL) {
		if (!w->slurm_warned)
			log_warn("%s: squeue exited with status %d: %.200s",
			    w->conf->name, status, remote_channel_stderr(r));
		w->slurm_warned = true;
		pool_slurm_without_squeue(w, r, jobs, n);
		return 0;
	}
	w->slurm_warned = false;
	if (bad > 0)
		log_warn("%s: %zu lines of squeue's output ignored",
		    w->conf->name, bad);
	for (i = 0; i < n; i++)
		if (!st[i].found)
			missing++;
	if (missing > 0) {
		struct slurm_status *ask = calloc(missing, sizeof(*ask));
		size_t k = 0;

		if (ask == NULL)
			fatal("out of memory");
		for (i = 0; i < n; i++)
			if (!st[i].found)
				ask[k++] = st[i];
		argv = slurm_sacct_argv(w->conf, ask, k, &argc);
		if (pool_slurm_cmd(r, argv, argc, NULL, SLURM_OUTPUT_MAX(k),
			&out, &len, &status, e) == -1) {
			free(ask);
			if (e->code == ERR_IO)
				return -1;
		} else {
			/* No accounting (no slurmdbd): nothing is known. */
			if (status == 0)
				(void)slurm_sacct_parse(out, len, ask, k);
			free(out);
			for (i = 0, k = 0; i < n; i++)
				if (!st[i].found)
					st[i] = ask[k++];
			free(ask);
		}
	}
	/* Jobs are dropped from w->jobs as they end: by id, not by index. */
	for (i = 0; i < n; i++) {
		struct pool_job *j = pool_job_find(w, jobs[i]->id);

		if (j != NULL)
			(void)pool_slurm_seen(w, r, j, &st[i]);
	}
	return 0;
}

/* Poll the cluster when it is due. */
static int
pool_slurm_poll(struct pool_worker *w, struct remote *r, struct error *e)
{
	int64_t now = util_now_ms();
	struct slurm_status *st;
	struct pool_job **jobs;
	size_t i, n = 0;
	int rc = 0;

	if (now - w->slurm_polled <
	    (int64_t)(w->conf->slurm.poll_seconds * 1000))
		return 0;
	w->slurm_polled = now;
	/* Unrecorded jobs squeue could not be asked about: again.  By id:
	   w->jobs moves as jobs are dropped. */
	for (i = 0; i < w->njobs; i++)
		if (w->jobs[i].slurm_adopt) {
			int64_t id = w->jobs[i].id;

			pool_slurm_adopt(w, r, &w->jobs[i]);
			if (i < w->njobs && w->jobs[i].id != id)
				i--;
		}
	if (w->njobs == 0)
		return 0;
	st = calloc(w->njobs, sizeof(*st));
	jobs = calloc(w->njobs, sizeof(*jobs));
	if (st == NULL || jobs == NULL)
		fatal("out of memory");
	/* Copies: w->jobs moves as jobs end. */
	for (i = 0; i < w->njobs; i++) {
		if (w->jobs[i].slurm_id[0] == '\0' || w->jobs[i].slurm_ended)
			continue;
		memcpy(st[n].id, w->jobs[i].slurm_id, sizeof(st[n].id));
		jobs[n] = calloc(1, sizeof(**jobs));
		if (jobs[n] == NULL)
			fatal("out of memory");
		jobs[n]->id = w->jobs[i].id;
		n++;
	}
	for (i = 0; i < n && rc == 0; i += POOL_SLURM_BATCH)
		rc = pool_slurm_poll_batch(w, r, jobs + i, st + i,
		    n - i < POOL_SLURM_BATCH ? n - i : POOL_SLURM_BATCH, e);
	for (i = 0; i < n; i++)
		free(jobs[i]);
	free(jobs);
	free(st);
	return rc;
}

/* A SLURM node is up once squeue answers (its bin_dir, its config). */
static int
pool_slurm_check(struct pool_worker *w, struct remote *r, struct error *e)
{
	size_t argc, len = 0;
	char *out = NULL, **argv;
	int status;

	argv = slurm_version_argv(w->conf, &argc);
	if (pool_slurm_cmd(r, argv, argc, NULL, 4096, &out, &len, &status, e) ==
	    -1)
		return error_wrap(e, "squeue --version");
	free(out);
	if (status != 0)
		return error_set(e, ERR_IO,
		    "squeue --version exited with status %d: %.200s", status,
		    remote_channel_stderr(r));
	/* The cluster's slots are what sluice keeps there at once. */
	w->ap.info.slots = w->conf->slurm.max_jobs;
	w->ap.info.slots_busy = 0;
	w->slurm_polled = 0;
	return 0;
}

/* Carry out one command; -1 only when the connection is unusable. */
static int
pool_command(struct pool_worker *w, struct remote *r, const struct pool_cmd *c,
    struct error *e)
{
	const struct settings *set = w->pool->set;
	const struct spool *sp = w->pool->sp;
	struct pool_job *j;
	struct pool_ev *ev;
	char path[640];
	int64_t t0;
	int rc;

	if (pool_is_slurm(w) &&
	    (c->type == POOL_CMD_START || c->type == POOL_CMD_RECOVER)) {
		pool_slurm_start(w, r, c);
		return 0;
	}
	if (pool_is_slurm(w) && c->type == POOL_CMD_CANCEL) {
		if ((j = pool_job_find(w, c->job_id)) != NULL &&
		    j->attempt == c->attempt)
			pool_slurm_scancel(w, r, j);
		return 0;
	}
	switch (c->type) {
	case POOL_CMD_START:
	case POOL_CMD_RECOVER:
		/* Followed over the session already: a second request with
		   the same tag would be refused, and read as the job's. */
		if ((j = pool_job_find(w, c->job_id)) != NULL &&
		    j->attempt == c->attempt && j->via_session && !j->ended)
			return 0;
		j = pool_job_add(w, c->job_id, c->attempt);
		if (c->type == POOL_CMD_START)
			rc = stage_start(&w->ap, r, sp,
			    set->caps.max_total_bytes, j->id, j->path, &j->proc,
			    e);
		else
			rc = stage_recover(&w->ap, r, sp,
			    set->caps.max_total_bytes, j->id, j->path, &j->proc,
			    e);
		if (rc == 0) {
			j->via_session = j->proc == NULL;
			return 0;
		}
		pool_tell(w, POOL_EV_JOB_FAILED, c->job_id, c->attempt, true,
		    e->msg);
		pool_job_drop(w, j);
		return 0;
	case POOL_CMD_COLLECT:
		ev = pool_ev_new(w, POOL_EV_JOB_COLLECTED, c->job_id,
		    c->attempt);
		/* Recovered after a restart straight into collecting, the
		   job is not followed yet. */
		if ((j = pool_job_find(w, c->job_id)) == NULL)
			j = pool_job_add(w, c->job_id, c->attempt);
		t0 = util_now_ms();
		if (collect_job(r, sp, set, j->id, j->path,
			j->seen.finished_line, j->seen.finished_len,
			&ev->result, e) == 0) {
			log_debug("%s: job %lld collected in %lld ms",
			    w->conf->name, (long long)j->id,
			    (long long)(util_now_ms() - t0));
			/* SLURM's SIGTERM reached the agent as a cancel:
			   SLURM knows why (a scancel from outside, its time
			   limit). */
			if (j->slurm_ended)
				slurm_result_adjust(j->slurm_end,
				    j->slurm_cancel_sent, &ev->result.verdict,
				    ev->result.message,
				    sizeof(ev->result.message));
		} else {
			ev->type = POOL_EV_JOB_FAILED;
			ev->retryable = true;
			snprintf(ev->reason, sizeof(ev->reason),
			    "cannot collect the results from %s: %s",
			    w->conf->name, e->msg);
		}
		pool_job_drop(w, j);
		pool_post(w->pool, ev);
		return 0;
	case POOL_CMD_CLEAN:
		/* Nothing waits for a clean: batched, one remote command for
		   many directories. */
		agentproto_job_path(&w->ap, c->job_id, c->attempt, path,
		    sizeof(path));
		agentproto_clean(&w->ap, r, path);
		return 0;
	case POOL_CMD_PURGE:
		agentproto_job_path(&w->ap, c->job_id, c->attempt, path,
		    sizeof(path));
		agentproto_purge(&w->ap, r, path);
		return 0;
	case POOL_CMD_CANCEL:
		agentproto_job_path(&w->ap, c->job_id, c->attempt, path,
		    sizeof(path));
		agentproto_cancel(&w->ap, r, path);
		return 0;
	case POOL_CMD_PEEK:
		pool_peek(w, r, c);
		return 0;
	case POOL_CMD_INFO: {
		/* Only the slots' count is taken from it: the rest (where
		   its jobs are, whether it serves) stays as it was read when
		   the connection came up.  Always answered, so that the core
		   asks again; a node that cannot answer is found out by the
		   commands that matter. */
		struct agentproto_info now;

		if (pool_is_slurm(w)) {
			pool_tell(w, POOL_EV_NODE_INFO, 0, 0, false, NULL);
			return 0;
		}
		rc = agentproto_info(&w->ap, r, &now, e);
		if (rc == 0 && now.slots_busy <= w->ap.info.slots)
			w->ap.info.slots_busy = now.slots_busy;
		pool_tell(w, POOL_EV_NODE_INFO, 0, 0, false,
		    rc == 0 ? NULL : e->msg);
		return 0;
	}
	}
	return 0;
}

/*
 * Follow a job again whose run or wait ended without its end (a session or
 * channel lost, a follower killed): with wait if it started, with run if
 * its run never reached the agent (the directory is still staged).
 */
static int
pool_follow_again(struct pool_worker *w, struct pool_job *j, struct error *e)
{
	enum agentproto_state st = AGENTPROTO_STARTED;

	if (!j->seen.accepted &&
	    agentproto_status(&w->ap, w->remote, j->path, &st, e) == -1)
		return -1;
	if (st == AGENTPROTO_ABSENT)
		return error_set(e, ERR_IO, "its directory is gone from %s",
		    w->conf->name);
	j->reattached++;
	j->ended = false;
	if (agentproto_start(&w->ap, w->remote, j->path,
		st == AGENTPROTO_STARTED, &j->proc, e) == -1)
		return -1;
	j->via_session = j->proc == NULL;
	return 0;
}

/* Schedule another run request for a job the agent refused as busy;
   false once it has waited long enough. */
static bool
pool_busy_again(struct pool_worker *w, struct pool_job *j)
{
	int64_t now = util_now_ms();

	if (j->busy_since == 0) {
		j->busy_since = now;
		j->busy_backoff_ms = POOL_BUSY_BACKOFF_MIN_MS;
		log_info("%s: job %lld waits: %s", w->conf->name,
		    (long long)j->id, j->seen.error);
	} else if (now - j->busy_since >= POOL_BUSY_MAX_MS)
		return false;
	else if ((j->busy_backoff_ms *= 2) > POOL_BUSY_BACKOFF_MAX_MS)
		j->busy_backoff_ms = POOL_BUSY_BACKOFF_MAX_MS;
	j->run_at = now + j->busy_backoff_ms;
	agentproto_events_release(&j->seen);
	return true;
}

/* Send the run requests whose back-off is over. */
static void
pool_run_due(struct pool_worker *w)
{
	int64_t now = util_now_ms();
	struct error e;
	size_t i;

	for (i = 0; i < w->njobs;) {
		struct pool_job *j = &w->jobs[i];

		if (j->run_at == 0 || now < j->run_at) {
			i++;
			continue;
		}
		j->run_at = 0;
		j->ended = false;
		error_init(&e);
		if (agentproto_start(&w->ap, w->remote, j->path, false,
			&j->proc, &e) == 0) {
			j->via_session = j->proc == NULL;
			i++;
			continue;
		}
		pool_tell(w, POOL_EV_JOB_FAILED, j->id, j->attempt, true,
		    e.msg);
		pool_job_drop(w, j);
	}
}

/* Read a job's events; post what they mean.  True if j was dropped. */
static bool
pool_poll_job(struct pool_worker *w, struct pool_job *j)
{
	struct error e;
	int status = -1, rc;

	error_init(&e);
	if (j->via_session) {
		/* Its lines came through pool_session_line(). */
		rc = j->ended ? 0 : 1;
		status = j->status;
	} else
		rc = remote_channel_poll(j->proc, AGENTPROTO_LINE_MAX,
		    agentproto_event_line, &j->seen, &status, &e);
	if (!j->told_accepted && j->seen.accepted) {
		j->told_accepted = true;
		pool_tell(w, POOL_EV_JOB_ACCEPTED, j->id, j->attempt, false,
		    NULL);
	}
	if (j->seen.started_at[0] != '\0') {
		struct pool_ev *ev = pool_ev_new(w, POOL_EV_JOB_STARTED, j->id,
		    j->attempt);

		strcpy(ev->at, j->seen.started_at);
		pool_post(w->pool, ev);
		j->seen.started_at[0] = '\0';
	}
	if (!j->told_finished && j->seen.finished) {
		j->told_finished = true;
		pool_tell(w, POOL_EV_JOB_FINISHED, j->id, j->attempt, false,
		    NULL);
	}
	if (rc == 1)
		return false;
	remote_channel_free(j->proc);
	j->proc = NULL;
	j->via_session = false;
	if (j->seen.finished)
		return false; /* waiting for POOL_CMD_COLLECT */
	/* A run or wait killed by a signal (its session or channel went,
	   not the agent's own answer) leaves the job running on the node:
	   follow it again with wait, a few times at most, before the
	   attempt is given up. */
	if (rc == 0 && (status < 0 || status >= 128) &&
	    j->reattached < POOL_REATTACH_MAX) {
		error_init(&e);
		if (pool_follow_again(w, j, &e) == 0)
			return false;
		rc = -1;
	}
	/* Refused for now (every slot taken): not the job's fault nor a
	   lost node's, so no attempt is spent; its directory is still as
	   staged, and the agent is asked again a little later. */
	if (rc == 0 && status == 1 && strcmp(j->seen.code, "busy") == 0 &&
	    !j->seen.accepted && j->reattached == 0 && pool_busy_again(w, j))
		return false;
	if (rc == -1)
		pool_tell(w, POOL_EV_JOB_FAILED, j->id, j->attempt, true,
		    e.msg);
	else {
		char reason[256];

		/* The agent refused the job (exit 2: its manifest or files
		   are bad, which no other node will like better), or failed
		   in some other way (try again elsewhere). */
		if (j->seen.error[0] != '\0')
			snprintf(reason, sizeof(reason),
			    "the agent on %s exited with status %d: %s",
			    w->conf->name, status, j->seen.error);
		else if (j->seen.garbage[0] != '\0')
			snprintf(reason, sizeof(reason),
			    "the agent on %s exited with status %d after "
			    "output that is not the agent's: %s",
			    w->conf->name, status, j->seen.garbage);
		else
			snprintf(reason, sizeof(reason),
			    "the agent on %s exited with status %d and no "
			    "reason",
			    w->conf->name, status);
		/* After a second start, exit 2 is about how far the job got,
		   not about the job itself: try it again elsewhere. */
		pool_tell(w, POOL_EV_JOB_FAILED, j->id, j->attempt,
		    status != 2 || j->reattached > 0, reason);
	}
	pool_job_drop(w, j);
	return true;
}

/* Report the job directories on the node, so the main thread can purge
   attempts it abandoned while the node was unreachable. */
static int
pool_list_dirs(struct pool_worker *w, struct remote *r, struct error *e)
{
	struct pool_ev *ev = pool_ev_new(w, POOL_EV_NODE_DIRS, 0, 0);

	if (agentproto_dirs(&w->ap, r, &ev->dir_ids, &ev->dir_attempts,
		&ev->ndirs, e) == -1) {
		pool_ev_free(ev);
		return -1;
	}
	pool_post(w->pool, ev);
	return 0;
}

/* Take the queued commands (those for this connection only). */
static struct pool_cmd *
pool_take(struct pool_worker *w, size_t *n, bool *quit)
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
pool_drain_wake(struct pool_worker *w)
{
	char buf[256];

	while (read(w->wake[0], buf, sizeof(buf)) > 0)
		;
}

/* A line (or the end) of a job's run or wait, from the agent session. */
static void
pool_session_line(int64_t id, int attempt, const char *line, size_t len,
    bool ended, int status, void *arg)
{
	struct pool_worker *w = arg;
	struct pool_job *j = pool_job_find(w, id);

	/* Only the attempt this worker follows through the session; the
	   node's lines are untrusted, and a tag may be stale. */
	if (j == NULL || j->attempt != attempt || !j->via_session || j->ended)
		return;
	if (ended) {
		j->ended = true;
		j->status = status;
	} else
		(void)agentproto_event_line(line, len, &j->seen);
}

/*
 * The session ended: follow every job it followed again (pool_follow_again:
 * wait, or run if the request never reached the agent), over a new
 * session or as commands.  The events start over;
 * pool_poll_job() tells the main thread only what is new.
 */
static void
pool_session_lost(struct pool_worker *w)
{
	struct error e;
	size_t i;

	for (i = 0; i < w->njobs;) {
		struct pool_job *j = &w->jobs[i];

		if (!j->via_session || j->ended) {
			i++;
			continue;
		}
		error_init(&e);
		if (pool_follow_again(w, j, &e) == 0) {
			i++;
			continue;
		}
		pool_tell(w, POOL_EV_JOB_FAILED, j->id, j->attempt, true,
		    e.msg);
		pool_job_drop(w, j);
	}
}

/* Serve one connection until it fails or the pool stops. */
static int
pool_session(struct pool_worker *w, struct remote *r, struct error *e)
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
		pool_drain_wake(w);
		cmds = pool_take(w, &n, &quit);
		for (i = 0; i < n && !quit; i++) {
			if (cmds[i].epoch != w->epoch)
				continue; /* its jobs went back to the queue */
			if (pool_command(w, r, &cmds[i], e) == -1) {
				free(cmds);
				return -1;
			}
		}
		free(cmds);
		if (quit)
			return 0;
		if (pool_is_slurm(w) && pool_slurm_poll(w, r, e) == -1)
			return -1;
		if (agentproto_session_poll(&w->ap, r, pool_session_line, w) ==
		    0)
			pool_session_lost(w);
		pool_run_due(w);
		for (i = 0; i < w->njobs;)
			if ((w->jobs[i].proc == NULL &&
				!w->jobs[i].via_session) ||
			    !pool_poll_job(w, &w->jobs[i]))
				i++;
		agentproto_poll(&w->ap, r);
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
pool_backoff(struct pool_worker *w)
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
	pool_drain_wake(w);
	pthread_mutex_lock(&w->lock);
	quit = w->quit;
	pthread_mutex_unlock(&w->lock);
	return !quit;
}

/* Forget everything of a connection that is gone. */
static void
pool_reset(struct pool_worker *w)
{
	size_t i;

	for (i = 0; i < w->njobs; i++) {
		if (w->jobs[i].proc != NULL)
			remote_channel_free(w->jobs[i].proc);
		agentproto_events_release(&w->jobs[i].seen);
	}
	free(w->jobs);
	w->jobs = NULL;
	w->njobs = 0;
	agentproto_reset(&w->ap);
	/* Commands for the old connection: their jobs are requeued. */
	pthread_mutex_lock(&w->lock);
	free(w->cmds);
	w->cmds = NULL;
	w->ncmds = w->capcmds = 0;
	pthread_mutex_unlock(&w->lock);
}

/* The worker thread. */
static void *
pool_main(void *arg)
{
	struct pool_worker *w = arg;
	const struct settings *set = w->pool->set;
	struct remote_opts o;
	struct remote *r;
	struct error e;
	bool quit = false;

	memset(&o, 0, sizeof(o));
	o.host = w->conf->host;
	o.port = w->conf->port;
	o.user = w->conf->user;
	o.identity = w->conf->identity;
	o.known_hosts = w->conf->known_hosts;
	o.connect_timeout_ms = (int)(set->connect_timeout_seconds * 1000);
	o.io_timeout_ms = (int)(set->io_timeout_seconds * 1000);
	/* A command (sbatch, squeue, an agent verb) ends within twice
	   io_timeout_seconds, however much it trickles (sluice.conf(5)). */
	o.run_timeout_ms = 2 * o.io_timeout_ms;
	while (!quit) {
		error_init(&e);
		r = remote_connect(&o, &e);
		if (r != NULL) {
			pthread_mutex_lock(&w->lock);
			w->remote = r;
			w->epoch++;
			quit = w->quit;
			pthread_mutex_unlock(&w->lock);
			if (!quit &&
			    agentproto_info(&w->ap, r, &w->ap.info, &e) == 0 &&
			    (!pool_is_slurm(w) ||
				pool_slurm_check(w, r, &e) == 0)) {
				w->backoff = 0;
				/* A login node runs no jobs: no session. */
				if (!pool_is_slurm(w))
					agentproto_session_open(&w->ap, r);
				pool_tell(w, POOL_EV_NODE_UP, 0, 0, false,
				    NULL);
				if (pool_list_dirs(w, r, &e) == 0 &&
				    pool_session(w, r, &e) == 0)
					quit = true;
			}
			pthread_mutex_lock(&w->lock);
			w->remote = NULL;
			pthread_mutex_unlock(&w->lock);
			pool_reset(w);
			remote_free(r);
		}
		if (quit)
			break;
		pool_tell(w, POOL_EV_NODE_DOWN, 0, 0, false, e.msg);
		quit = !pool_backoff(w);
	}
	pool_reset(w);
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
		agentproto_init(&w->ap, w->conf);
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
		rc = pthread_create(&p->workers[i].thread, &attr, pool_main,
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

		/* A command lost would leave its job placed until a
		   restart: better the restart now. */
		if ((cmds = realloc(w->cmds, cap * sizeof(*cmds))) == NULL)
			fatal("out of memory");
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
	int64_t now = util_now_ms();
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct pool_worker *w = &p->workers[i];

		pthread_mutex_lock(&w->lock);
		if (w->remote != NULL && remote_overdue(w->remote, now))
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

/* Following a job's output while it runs: see follow.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sys/queue.h>

#include "fmt.h"
#include "follow.h"
#include "log.h"
#include "reply.h"
#include "util.h"
#include "view.h"

/* A read whose answer has not come in this long is taken as lost (its
   node went down and dropped the command). */
#define FOLLOW_PEEK_LOST_MS 15000
/* A job nobody follows any more is forgotten after this long (until then
   its last read still counts for FOLLOW_PEEK_MS). */
#define FOLLOW_LINGER_MS 10000
#define FOLLOW_OFFSET_MAX (1ULL << 53) /* what a JSON number holds exactly */

/* The last piece read of one stream: len bytes from offset on. */
struct follow_chunk {
	uint64_t offset;
	char *data;
	size_t len;
};

/* A request held until there is something for it. */
struct follow_req {
	struct follow_job *fj;
	struct evhttp_request *req;
	uint64_t offset[2]; /* stdout's, stderr's */
	int attempt; /* asked for; 0: whichever runs */
	struct event *timer;
	struct follow_req *next;
};

/* A job someone follows (or followed a moment ago). */
struct follow_job {
	struct follow_set *set;
	int64_t id;
	int attempt; /* of the chunks; 0 until a read came */
	struct follow_chunk chunk[2];
	struct follow_req *reqs;
	bool peeking; /* a read is on its way */
	int64_t peek_sent_ms;
	int64_t idle_since_ms; /* when its last request left */
	struct follow_job *next;
};

struct follow_set {
	struct core *core;
	struct waiter_set *ws;
	struct follow_job *jobs;
	size_t njobs;
	struct event *tick; /* every FOLLOW_PEEK_MS while jobs are kept */
	bool ticking;
};

/* The followed job of that id, or NULL. */
static struct follow_job *
follow_job_find(struct follow_set *fs, int64_t id)
{
	struct follow_job *fj;

	for (fj = fs->jobs; fj != NULL; fj = fj->next)
		if (fj->id == id)
			return fj;
	return NULL;
}

/* Forget what was read of a job (another attempt began). */
static void
follow_chunks_clear(struct follow_job *fj)
{
	int s;

	for (s = 0; s < 2; s++) {
		free(fj->chunk[s].data);
		memset(&fj->chunk[s], 0, sizeof(fj->chunk[s]));
	}
}

/* Free a request (answered or dropped) out of its job's list. */
static void
follow_req_free(struct follow_req *fr)
{
	struct follow_req **p;

	for (p = &fr->fj->reqs; *p != NULL; p = &(*p)->next)
		if (*p == fr) {
			*p = fr->next;
			break;
		}
	if (fr->fj->reqs == NULL)
		fr->fj->idle_since_ms = util_now_ms();
	event_free(fr->timer);
	free(fr);
}

/* Free a followed job and its requests (unanswered). */
static void
follow_job_free(struct follow_set *fs, struct follow_job *fj)
{
	struct follow_job **p;

	for (p = &fs->jobs; *p != NULL; p = &(*p)->next)
		if (*p == fj) {
			*p = fj->next;
			fs->njobs--;
			break;
		}
	while (fj->reqs != NULL)
		follow_req_free(fj->reqs);
	follow_chunks_clear(fj);
	free(fj);
}

/* One stream's part of an answer: {"offset", "bytes", "base64"}. */
static json_t *
follow_stream_json(uint64_t offset, const char *data, size_t len)
{
	char *b64 = fmt_base64((const unsigned char *)data, len);
	json_t *v;

	if (b64 == NULL)
		return NULL;
	v = json_pack("{s:I, s:I, s:s}", "offset", (json_int_t)offset, "bytes",
	    (json_int_t)len, "base64", b64);
	free(b64);
	return v;
}

/* Send an answer: the job's state, the attempt, the bytes of each stream
   from offset[s] on (len[s] of data[s]), and whether that is all. */
static void
follow_reply(struct core *c, struct evhttp_request *req, const struct job *j,
    int attempt, const uint64_t offset[2], const char *const data[2],
    const size_t len[2], bool complete)
{
	char id[24];
	json_t *obj;

	snprintf(id, sizeof(id), "%lld", (long long)j->id);
	obj = json_pack("{s:s, s:s, s:i, s:b, s:o, s:o}", "id", id, "state",
	    job_state_name(j->state), "attempt", attempt, "complete", complete,
	    "stdout", follow_stream_json(offset[0], data[0], len[0]), "stderr",
	    follow_stream_json(offset[1], data[1], len[1]));
	/* NULL (out of memory) is answered 500. */
	reply_json(&c->metrics, req, 200, obj);
}

/*
 * Answer about a job that has ended, from the spool: the ended attempt's
 * output from the offsets on (from 0 if the attempt asked for is another),
 * at most FOLLOW_ENDED_CHUNK of each stream; complete once that reaches
 * the end of both.
 */
static void
follow_reply_ended(struct core *c, struct evhttp_request *req,
    const struct job *j, const uint64_t asked[2], int attempt)
{
	uint64_t offset[2] = { asked[0], asked[1] };
	const char *data[2] = { "", "" };
	char *whole[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 }, size;
	bool complete = true;
	struct error e;
	int s;

	if (attempt != 0 && attempt != j->attempts)
		offset[0] = offset[1] = 0;
	for (s = 0; s < 2 && j->has_result; s++) {
		error_init(&e);
		if (view_stream(c, j->id, s == 1, &whole[s], &size, &e) == -1) {
			if (e.code == ERR_NOTFOUND)
				continue;
			reply_error(&c->metrics, req, 500, e.msg, NULL);
			goto out;
		}
		if (offset[s] >= size)
			continue;
		len[s] = size - offset[s];
		if (len[s] > FOLLOW_ENDED_CHUNK) {
			len[s] = FOLLOW_ENDED_CHUNK;
			complete = false;
		}
		data[s] = whole[s] + offset[s];
	}
	follow_reply(c, req, j, j->attempts, offset, data, len, complete);
out:
	free(whole[0]);
	free(whole[1]);
}

/* Answer a held request with no bytes: its wait is over, or the job runs
   another attempt than the one it asked for (from 0 then). */
static void
follow_reply_empty(struct core *c, struct evhttp_request *req,
    const struct job *j, const uint64_t asked[2], int attempt)
{
	static const uint64_t zero[2] = { 0, 0 };
	const char *data[2] = { "", "" };
	size_t len[2] = { 0, 0 };
	bool other = attempt != 0 && attempt != j->attempts;

	follow_reply(c, req, j, j->attempts, other ? zero : asked, data, len,
	    false);
}

/* Whether the chunks hold bytes for fr: of its attempt, past an offset. */
static bool
follow_has_data(const struct follow_job *fj, const struct follow_req *fr)
{
	const struct follow_chunk *ch;
	int s;

	if (fj->attempt == 0 ||
	    (fr->attempt != 0 && fr->attempt != fj->attempt))
		return false;
	for (s = 0; s < 2; s++) {
		ch = &fj->chunk[s];
		if (ch->len > 0 && fr->offset[s] >= ch->offset &&
		    fr->offset[s] < ch->offset + ch->len)
			return true;
	}
	return false;
}

/* Answer fr from the chunks (follow_has_data() is true) with j's state. */
static void
follow_reply_chunks(struct core *c, struct evhttp_request *req,
    const struct follow_job *fj, const uint64_t asked[2], const struct job *j)
{
	const char *data[2] = { "", "" };
	size_t len[2] = { 0, 0 };
	const struct follow_chunk *ch;
	int s;

	for (s = 0; s < 2; s++) {
		ch = &fj->chunk[s];
		if (ch->len > 0 && asked[s] >= ch->offset &&
		    asked[s] < ch->offset + ch->len) {
			data[s] = ch->data + (asked[s] - ch->offset);
			len[s] = (size_t)(ch->offset + ch->len - asked[s]);
		}
	}
	follow_reply(c, req, j, fj->attempt, asked, data, len, false);
}

/* Answer every held request of fj that the chunks have bytes for. */
static void
follow_answer_ready(struct follow_set *fs, struct follow_job *fj)
{
	struct follow_req *fr, *next;
	struct error e;
	struct job j;
	bool loaded = false;

	for (fr = fj->reqs; fr != NULL; fr = next) {
		next = fr->next;
		if (!follow_has_data(fj, fr))
			continue;
		if (!loaded) {
			error_init(&e);
			if (view_job_get(fs->core, fj->id, &j, &e) == -1)
				return; /* gone: the wait ends them */
			loaded = true;
		}
		follow_reply_chunks(fs->core, fr->req, fj, fr->offset, &j);
		follow_req_free(fr);
	}
}

/* The placement of job id, or NULL if it is not on a node. */
static const struct core_active *
follow_active(const struct core *c, int64_t id)
{
	size_t i;

	for (i = 0; i < c->nactive; i++)
		if (c->active[i].id == id)
			return &c->active[i];
	return NULL;
}

/*
 * One job's turn of the tick: requests for an attempt that is no longer
 * the job's are answered (from 0, the new one); a read is sent if someone
 * waits, the job is on a node that is up, none is on its way, and the last
 * was FOLLOW_PEEK_MS ago.  Returns false if fj was freed (idle too long).
 */
static bool
follow_job_tick(struct follow_set *fs, struct follow_job *fj, int64_t now)
{
	struct core *c = fs->core;
	const struct core_active *a = follow_active(c, fj->id);
	struct pool_cmd cmd;
	struct follow_req *fr, *next;
	struct error e;
	struct job j;
	bool any = false;
	int s;

	if (fj->peeking && now - fj->peek_sent_ms > FOLLOW_PEEK_LOST_MS)
		fj->peeking = false;
	if (fj->reqs == NULL) {
		if (!fj->peeking &&
		    now - fj->idle_since_ms > FOLLOW_LINGER_MS) {
			follow_job_free(fs, fj);
			return false;
		}
		return true;
	}
	if (a == NULL)
		return true; /* queued, or just ended: on_final answers */
	if (fj->attempt != 0 && fj->attempt != a->attempt) {
		follow_chunks_clear(fj);
		fj->attempt = 0;
	}
	for (fr = fj->reqs; fr != NULL; fr = next) {
		next = fr->next;
		if (fr->attempt == 0 || fr->attempt == a->attempt)
			continue;
		error_init(&e);
		if (view_job_get(c, fj->id, &j, &e) == -1)
			break;
		follow_reply_empty(c, fr->req, &j, fr->offset, fr->attempt);
		follow_req_free(fr);
	}
	if (fj->reqs == NULL || fj->peeking ||
	    now - fj->peek_sent_ms < FOLLOW_PEEK_MS || a->recovering ||
	    !c->nodes[a->node].connected)
		return true;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = POOL_CMD_PEEK;
	cmd.epoch = c->nodes[a->node].epoch;
	cmd.job_id = fj->id;
	cmd.attempt = a->attempt;
	/* From the earliest offset any follower has: one read for all. */
	for (fr = fj->reqs; fr != NULL; fr = fr->next) {
		for (s = 0; s < 2; s++)
			if (!any || fr->offset[s] < cmd.offset[s])
				cmd.offset[s] = fr->offset[s];
		any = true;
	}
	pool_send(c->pool, a->node, &cmd);
	fj->peeking = true;
	fj->peek_sent_ms = now;
	return true;
}

/* The tick: every followed job's turn; stops when none is left. */
static void
follow_tick(evutil_socket_t fd, short what, void *arg)
{
	struct follow_set *fs = arg;
	struct follow_job *fj, *next;
	int64_t now = util_now_ms();

	(void)fd;
	(void)what;
	core_batch_flush(fs->core);
	for (fj = fs->jobs; fj != NULL; fj = next) {
		next = fj->next;
		(void)follow_job_tick(fs, fj, now);
	}
	if (fs->jobs == NULL) {
		evtimer_del(fs->tick);
		fs->ticking = false;
	}
}

/* The core's output hook: keep what was read, answer who it is for. */
static void
follow_on_output(struct pool_ev *ev, void *arg)
{
	struct follow_set *fs = arg;
	struct follow_job *fj = follow_job_find(fs, ev->job_id);
	int s;

	if (fj == NULL)
		return;
	fj->peeking = false;
	if (ev->reason[0] != '\0')
		log_debug("job %lld: its output could not be read: %s",
		    (long long)ev->job_id, ev->reason);
	/* Only the attempt on its node now counts (a late answer about an
	   earlier one is dropped). */
	{
		const struct core_active *a = follow_active(fs->core, fj->id);

		if (a == NULL || a->attempt != ev->attempt)
			return;
	}
	if (fj->attempt != ev->attempt) {
		follow_chunks_clear(fj);
		fj->attempt = ev->attempt;
	}
	for (s = 0; s < 2; s++) {
		if (ev->out_len[s] == 0 || ev->out_data[s] == NULL)
			continue;
		free(fj->chunk[s].data);
		fj->chunk[s].offset = ev->out_offset[s];
		fj->chunk[s].data = ev->out_data[s];
		fj->chunk[s].len = ev->out_len[s];
		ev->out_data[s] = NULL;
	}
	follow_answer_ready(fs, fj);
}

/* The end of a job: answer its followers from the spool, forget it. */
static void
follow_on_final(const struct job *j, void *arg)
{
	struct follow_set *fs = arg;
	struct follow_job *fj = follow_job_find(fs, j->id);

	if (fj == NULL)
		return;
	while (fj->reqs != NULL) {
		follow_reply_ended(fs->core, fj->reqs->req, j, fj->reqs->offset,
		    fj->reqs->attempt);
		follow_req_free(fj->reqs);
	}
	follow_job_free(fs, fj);
}

/* A held request whose wait is over: answer it as things are now. */
static void
follow_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct follow_req *fr = arg;
	struct core *c = fr->fj->set->core;
	struct error e;
	struct job j;

	(void)fd;
	(void)what;
	core_batch_flush(c);
	error_init(&e);
	if (view_job_get(c, fr->fj->id, &j, &e) == -1)
		reply_error(&c->metrics, fr->req, 404, "no such job", NULL);
	else if (job_state_final(j.state))
		follow_reply_ended(c, fr->req, &j, fr->offset, fr->attempt);
	else
		follow_reply_empty(c, fr->req, &j, fr->offset, fr->attempt);
	follow_req_free(fr);
}

/*
 * The query's stdout_offset, stderr_offset and attempt (each at most once,
 * decimal); false after replying 400.  Other parameters are not ours.
 */
static bool
follow_query(struct core *c, struct evhttp_request *req, uint64_t offset[2],
    int *attempt)
{
	static const char *const names[3] = { "stdout_offset", "stderr_offset",
		"attempt" };
	struct evkeyvalq params;
	struct evkeyval *kv;
	uint64_t v[3] = { 0, 0, 0 };
	int seen[3] = { 0, 0, 0 }, k;
	char msg[128];
	bool ok = true;

	if (!reply_query(req, &params)) {
		reply_error(&c->metrics, req, 400,
		    "the query string is not NAME=VALUE&...", "query");
		return false;
	}
	TAILQ_FOREACH(kv, &params, next)
	for (k = 0; k < 3 && ok; k++) {
		if (strcmp(kv->key, names[k]) != 0)
			continue;
		if (seen[k]++ > 0 || kv->value[0] == '\0' ||
		    strspn(kv->value, "0123456789") != strlen(kv->value) ||
		    !util_parse_u64(kv->value, &v[k]) ||
		    v[k] > (k == 2 ? (uint64_t)1000000 : FOLLOW_OFFSET_MAX)) {
			snprintf(msg, sizeof(msg),
			    "%s must be a whole number from 0 to %s, given "
			    "once",
			    names[k], k == 2 ? "1000000" : "2^53");
			reply_error(&c->metrics, req, 400, msg, names[k]);
			ok = false;
		}
	}
	evhttp_clear_headers(&params);
	if (!ok)
		return false;
	offset[0] = v[0];
	offset[1] = v[1];
	*attempt = (int)v[2];
	return true;
}

/* Hold fr's request: a followed job for it, its wait, and the tick. */
static int
follow_hold(struct follow_set *fs, struct follow_req *fr, int64_t id,
    double wait_seconds)
{
	struct follow_job *fj = follow_job_find(fs, id);
	struct timeval tv;

	if (fj == NULL) {
		if (fs->njobs >= FOLLOW_JOBS_MAX)
			return -1;
		if ((fj = calloc(1, sizeof(*fj))) == NULL)
			fatal("out of memory");
		fj->set = fs;
		fj->id = id;
		fj->next = fs->jobs;
		fs->jobs = fj;
		fs->njobs++;
	}
	fr->fj = fj;
	if ((fr->timer = evtimer_new(fs->core->base, follow_timeout, fr)) ==
	    NULL)
		fatal("out of memory");
	tv.tv_sec = (time_t)wait_seconds;
	tv.tv_usec = (suseconds_t)((wait_seconds - (double)tv.tv_sec) * 1e6);
	evtimer_add(fr->timer, &tv);
	fr->next = fj->reqs;
	fj->reqs = fr;
	if (!fs->ticking) {
		tv.tv_sec = 0;
		tv.tv_usec = FOLLOW_PEEK_MS * 1000;
		evtimer_add(fs->tick, &tv);
		fs->ticking = true;
	}
	/* A first read at once, not a tick later. */
	(void)follow_job_tick(fs, fj, util_now_ms());
	return 0;
}

/* A GET /v1/jobs/ID/output. */
void
follow_request(struct follow_set *fs, struct evhttp_request *req,
    const struct job *j, double wait_seconds)
{
	struct core *c = fs->core;
	struct follow_job *fj;
	struct follow_req *fr;
	uint64_t offset[2];
	int attempt;

	if (!follow_query(c, req, offset, &attempt))
		return;
	if (job_state_final(j->state)) {
		follow_reply_ended(c, req, j, offset, attempt);
		return;
	}
	fj = follow_job_find(fs, j->id);
	if ((attempt != 0 && attempt != j->attempts) || wait_seconds <= 0) {
		follow_reply_empty(c, req, j, offset, attempt);
		return;
	}
	if ((fr = calloc(1, sizeof(*fr))) == NULL)
		fatal("out of memory");
	fr->req = req;
	fr->offset[0] = offset[0];
	fr->offset[1] = offset[1];
	fr->attempt = attempt;
	if (fj != NULL) {
		fr->fj = fj;
		if (follow_has_data(fj, fr)) {
			follow_reply_chunks(c, req, fj, offset, j);
			free(fr);
			return;
		}
	}
	if (wait_seconds > c->set.wait_max_seconds)
		wait_seconds = c->set.wait_max_seconds;
	if (follow_hold(fs, fr, j->id, wait_seconds) == -1) {
		free(fr);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "5");
		reply_error(&c->metrics, req, 503,
		    "too many jobs are followed at once", NULL);
	}
}

/* Create the set and hook it up. */
struct follow_set *
follow_set_new(struct core *c, struct waiter_set *ws)
{
	struct follow_set *fs;

	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return NULL;
	fs->core = c;
	fs->ws = ws;
	if ((fs->tick = event_new(c->base, -1, EV_PERSIST, follow_tick, fs)) ==
	    NULL) {
		free(fs);
		return NULL;
	}
	core_on_output(c, follow_on_output, fs);
	waiter_set_chain(ws, follow_on_final, fs);
	return fs;
}

/* Unhook and free the set. */
void
follow_set_free(struct follow_set *fs)
{
	if (fs == NULL)
		return;
	core_on_output(fs->core, NULL, NULL);
	waiter_set_chain(fs->ws, NULL, NULL);
	while (fs->jobs != NULL)
		follow_job_free(fs, fs->jobs);
	event_free(fs->tick);
	free(fs);
}

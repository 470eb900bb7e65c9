/*
 * The read side of the API: see view.h.  Nothing here changes a job, a
 * node or the store.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "jsonw.h"
#include "log.h"
#include "manifest.h"
#include "request.h"
#include "util.h"
#include "view.h"

#define VIEW_INLINE_MAX (64 * 1024)

/* Read a job row; a queued job says why it waits now. */
int
view_job_get(struct core *c, int64_t id, struct job *out, struct error *e)
{
	if (core_job_view(c, id, out, e) == -1)
		return -1;
	if (out->phase == PHASE_QUEUED)
		core_waiting_reason(c, out, out->reason, sizeof(out->reason));
	return 0;
}

/* A job's attempts: where each ran and how it ended. */
int
view_job_attempts(struct core *c, int64_t id, json_t **out, struct error *e)
{
	return store_attempts_get(c->st, id, out, e);
}

/* List jobs, newest first; queued ones say why they wait now. */
int
view_jobs_list(struct core *c, const char *tenant, int state, int64_t before,
    int limit, struct job *out, int *n, struct error *e)
{
	int i;

	if (store_jobs_list(c->st, tenant, state, before, limit, out, n, e) ==
	    -1)
		return -1;
	for (i = 0; i < *n; i++)
		if (out[i].phase == PHASE_QUEUED)
			core_waiting_reason(c, &out[i], out[i].reason,
			    sizeof(out[i].reason));
	return 0;
}

/* A page of the jobs a filter selects, with the reasons of queued ones. */
int
view_jobs_find(struct core *c, const struct store_job_filter *f, int limit,
    struct job *out, int *n, struct error *e)
{
	int i;

	if (store_jobs_find(c->st, f, limit, out, n, e) == -1)
		return -1;
	for (i = 0; i < *n; i++)
		if (out[i].phase == PHASE_QUEUED)
			core_waiting_reason(c, &out[i], out[i].reason,
			    sizeof(out[i].reason));
	return 0;
}

/* Read a job's stdout or stderr. */
int
view_stream(struct core *c, int64_t id, bool err, char **out, size_t *len,
    struct error *e)
{
	return spool_read_result(&c->sp, id, err ? SPOOL_STDERR : SPOOL_STDOUT,
	    (size_t)c->set.max_result_file_bytes, out, len, e);
}

/* Read a file the job left in /out. */
int
view_out_file(struct core *c, int64_t id, const char *name, char **out,
    size_t *len, struct error *e)
{
	return spool_read_out_file(&c->sp, id, name,
	    (size_t)c->set.max_result_file_bytes, out, len, e);
}

/* A spool result file as a JSON string for inline display: at most
   64 KiB, bytes that are not UTF-8 written as U+FFFD (jw_str()), null if
   it cannot be read.  Sets *cut if the file was longer. */
static void
view_inline_text(struct core *c, int64_t id, const char *name,
    struct evbuffer *b, bool *cut)
{
	char *data = NULL;
	size_t len = 0;
	struct error e;

	*cut = false;
	if (spool_read_result(&c->sp, id, name, 16 * 1024 * 1024, &data, &len,
		&e) == -1) {
		jw_null(b);
		return;
	}
	if (len > VIEW_INLINE_MAX) {
		len = VIEW_INLINE_MAX;
		*cut = true;
	}
	jw_str(b, data, len);
	free(data);
}

/* The judgement of a job with an expected output (out/judgement), or
   null: none was asked for, or the program did not end ok. */
static void
view_judgement(struct core *c, const struct job *j, struct evbuffer *b)
{
	char *data = NULL;
	size_t len;
	struct error e;

	if (j->has_result &&
	    spool_read_result(&c->sp, j->id, SPOOL_JUDGEMENT, 32, &data, &len,
		&e) == 0 &&
	    (strcmp(data, "accepted") == 0 ||
		strcmp(data, "wrong_answer") == 0))
		jw_string(b, data);
	else
		jw_null(b);
	free(data);
}

/* A compile stage's object (r->has_compile), or null. */
static void
view_compile(struct core *c, const struct job *j, const struct result *r,
    bool with_output, struct evbuffer *b)
{
	const struct result_stage *st = &r->compile;
	bool cut_out = false, cut_err = false;
	json_t *limits;
	struct jw w;

	if (!r->has_compile) {
		jw_null(b);
		return;
	}
	jw_open(&w, b);
	jw_key(&w, "verdict");
	jw_string(b, verdict_name(st->verdict));
	jw_key(&w, "exit_code");
	jw_int_or_null(b, st->exit_code >= 0, st->exit_code);
	jw_key(&w, "signal");
	jw_int_or_null(b, st->signal > 0, st->signal);
	jw_key(&w, "cpu_seconds");
	jw_real_or_null(b, true, st->cpu_seconds);
	jw_key(&w, "wall_seconds");
	jw_real_or_null(b, true, st->wall_seconds);
	jw_key(&w, "memory_peak_bytes");
	jw_int(b, (int64_t)st->memory_peak_bytes);
	if (with_output) {
		jw_key(&w, "stdout");
		view_inline_text(c, j->id, SPOOL_COMPILE_STDOUT, b, &cut_out);
		jw_key(&w, "stderr");
		view_inline_text(c, j->id, SPOOL_COMPILE_STDERR, b, &cut_err);
	}
	jw_key(&w, "stdout_truncated");
	jw_bool(b, cut_out || st->stdout_truncated);
	jw_key(&w, "stderr_truncated");
	jw_bool(b, cut_err || st->stderr_truncated);
	jw_key(&w, "limits");
	if ((limits = limit_to_json(&st->limits)) != NULL)
		jw_json(b, limits);
	else
		jw_raw(b, "{}");
	json_decref(limits);
	jw_close(&w);
}

/* A job's callback (callback.h): {"url", "state", "attempts",
   "last_error"}, or null if it has none. */
static void
view_callback(struct core *c, const struct job *j, struct evbuffer *b)
{
	struct store_callback row;
	struct error e;
	struct jw w;

	if (store_callback_get(c->st, j->id, &row, &e) == -1) {
		jw_null(b);
		return;
	}
	jw_open(&w, b);
	jw_key(&w, "url");
	jw_string(b, row.url);
	jw_key(&w, "state");
	jw_string(b, row.state);
	jw_key(&w, "attempts");
	jw_int(b, row.attempts);
	jw_key(&w, "last_error");
	jw_str_or_null(b, row.last_error);
	jw_close(&w);
}

/* A job id as the API gives it: a string of digits. */
static void
view_id_str(struct evbuffer *b, int64_t id)
{
	jw_raw(b, "\"");
	jw_int(b, id);
	jw_raw(b, "\"");
}

/* The job object into b; with_output adds the inline stdout and stderr. */
static void
view_job_object(struct core *c, const struct job *j, bool with_output,
    struct evbuffer *b)
{
	bool cut_out = false, cut_err = false, have_r = false;
	json_t *labels, *limits;
	struct result r;
	struct error e;
	struct jw w;
	size_t i;

	result_init(&r);
	if (j->has_result && spool_result_get(&c->sp, j->id, &r, &e) == 0)
		have_r = true;
	jw_open(&w, b);
	jw_key(&w, "id");
	view_id_str(b, j->id);
	jw_key(&w, "name");
	jw_str_or_null(b, j->name);
	jw_key(&w, "state");
	jw_string(b, job_state_name(j->state));
	jw_key(&w, "verdict");
	if (j->has_result)
		jw_string(b, j->verdict);
	else
		jw_null(b);
	jw_key(&w, "judgement");
	view_judgement(c, j, b);
	jw_key(&w, "reason");
	jw_string(b, j->reason);
	jw_key(&w, "runtime");
	jw_string(b, j->runtime);
	jw_key(&w, "tenant");
	jw_string(b, j->tenant);
	jw_key(&w, "node");
	jw_str_or_null(b, j->node);
	jw_key(&w, "attempts");
	jw_int(b, j->attempts);
	jw_key(&w, "submitted_at");
	jw_str_or_null(b, j->submitted_at);
	jw_key(&w, "started_at");
	jw_str_or_null(b, j->started_at);
	jw_key(&w, "attempt_started_at");
	jw_str_or_null(b, j->attempt_started_at);
	jw_key(&w, "slurm_job_id");
	jw_str_or_null(b, j->slurm_job_id);
	jw_key(&w, "finished_at");
	jw_str_or_null(b, j->finished_at);
	jw_key(&w, "exit_code");
	jw_int_or_null(b, j->has_result && j->exit_code >= 0, j->exit_code);
	jw_key(&w, "signal");
	jw_int_or_null(b, j->has_result && j->signal > 0, j->signal);
	jw_key(&w, "cpu_seconds");
	jw_real_or_null(b, j->has_result, j->cpu_seconds);
	jw_key(&w, "wall_seconds");
	jw_real_or_null(b, j->has_result, j->wall_seconds);
	jw_key(&w, "memory_peak_bytes");
	jw_int_or_null(b, j->has_result, (int64_t)j->memory_peak_bytes);
	if (with_output) {
		jw_key(&w, "stdout");
		if (j->has_result)
			view_inline_text(c, j->id, SPOOL_STDOUT, b, &cut_out);
		else
			jw_null(b);
		jw_key(&w, "stderr");
		if (j->has_result)
			view_inline_text(c, j->id, SPOOL_STDERR, b, &cut_err);
		else
			jw_null(b);
	}
	jw_key(&w, "stdout_truncated");
	jw_bool(b, cut_out || (have_r && r.stdout_truncated));
	jw_key(&w, "stderr_truncated");
	jw_bool(b, cut_err || (have_r && r.stderr_truncated));
	jw_key(&w, "out_files");
	jw_raw(b, "[");
	for (i = 0; have_r && i < r.n_out_files; i++) {
		struct jw f;

		if (i > 0)
			jw_raw(b, ",");
		jw_open(&f, b);
		jw_key(&f, "name");
		jw_string(b, r.out_files[i].name);
		jw_key(&f, "bytes");
		jw_int(b, (int64_t)r.out_files[i].bytes);
		jw_close(&f);
	}
	jw_raw(b, "]");
	jw_key(&w, "out_files_truncated");
	jw_bool(b, have_r && r.out_files_truncated);
	jw_key(&w, "compile");
	view_compile(c, j, &r, with_output, b);
	/* The row's limits and labels are JSON this daemon wrote; a job
	   without any (most) is not parsed. */
	jw_key(&w, "limits");
	if (have_r)
		limits = limit_to_json(&r.limits);
	else if (strcmp(j->limits, "{}") == 0)
		limits = NULL;
	else
		limits = json_loads(j->limits, 0, NULL);
	if (limits != NULL)
		jw_json(b, limits);
	else
		jw_raw(b, "{}");
	json_decref(limits);
	jw_key(&w, "labels");
	if (strcmp(j->labels, "[]") == 0)
		jw_raw(b, "[]");
	else {
		/* A row whose labels do not parse (a store edited by hand)
		   shows none, as the key is documented to be an array. */
		if ((labels = json_loads(j->labels, 0, NULL)) != NULL &&
		    json_is_array(labels))
			jw_json(b, labels);
		else
			jw_raw(b, "[]");
		json_decref(labels);
	}
	jw_key(&w, "callback");
	view_callback(c, j, b);
	jw_close(&w);
	result_release(&r);
}

/* The job object of the API. */
struct evbuffer *
view_job_text(struct core *c, const struct job *j)
{
	struct evbuffer *b = evbuffer_new();

	if (b != NULL)
		view_job_object(c, j, true, b);
	return b;
}

/* The job object as a tree. */
json_t *
view_job_json(struct core *c, const struct job *j)
{
	struct evbuffer *b = view_job_text(c, j);
	json_t *obj = NULL;

	if (b != NULL)
		obj = json_loadb((const char *)evbuffer_pullup(b, -1),
		    evbuffer_get_length(b), JSON_ALLOW_NUL, NULL);
	if (b != NULL)
		evbuffer_free(b);
	return obj;
}

/* A copy of len bytes into a new NUL-terminated buffer. */
static int
view_copy(const void *data, size_t len, char **out, size_t *outlen,
    struct error *e)
{
	char *p;

	if ((p = malloc(len + 1)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	if (len > 0)
		memcpy(p, data, len);
	p[len] = '\0';
	*out = p;
	*outlen = len;
	return 0;
}

/* An input of a job not yet placed, from the request body the store
   keeps; 1 if the store has no body (the spool has the inputs). */
static int
view_input_stored(struct core *c, int64_t id, enum view_input which, char **out,
    size_t *len, struct error *e)
{
	struct submission sub;
	char *body = NULL;
	size_t blen, i;
	int status, rc = -1;

	memset(&sub, 0, sizeof(sub));
	if (store_submission_get(c->st, id, &body, &blen, e) == -1)
		return e->code == ERR_NOTFOUND ? 1 : -1;
	/* The daemon took this body once: it parses again. */
	if (request_parse(body, blen, &c->set.caps, &sub, &status, e) == -1)
		goto out;
	switch (which) {
	case VIEW_INPUT_ENTRY:
		for (i = 0; i < sub.nfiles; i++)
			if (strcmp(sub.files[i].name, sub.entry) == 0)
				break;
		if (i == sub.nfiles) {
			error_set(e, ERR_NOTFOUND, "no entry file");
			goto out;
		}
		rc = view_copy(sub.files[i].data, sub.files[i].len, out, len,
		    e);
		break;
	case VIEW_INPUT_STDIN:
	case VIEW_INPUT_EXPECTED:
		if ((which == VIEW_INPUT_STDIN ? sub.stdin_data
					       : sub.expected) == NULL) {
			error_set(e, ERR_NOTFOUND, "no such input");
			goto out;
		}
		rc = which == VIEW_INPUT_STDIN
		    ? view_copy(sub.stdin_data, sub.stdin_len, out, len, e)
		    : view_copy(sub.expected, sub.expected_len, out, len, e);
		break;
	}
out:
	request_release(&sub);
	free(body);
	return rc;
}

/* One input of a job as submitted. */
int
view_job_input(struct core *c, int64_t id, enum view_input which, char **out,
    size_t *len, struct error *e)
{
	struct manifest m;
	char *text = NULL;
	size_t tlen;
	int rc, fd = -1;

	if ((rc = view_input_stored(c, id, which, out, len, e)) != 1)
		return rc;
	if (which == VIEW_INPUT_STDIN)
		return spool_read_input(&c->sp, id, SPOOL_STDIN,
		    (size_t)c->set.caps.max_total_bytes, out, len, e);
	if (which == VIEW_INPUT_EXPECTED)
		return spool_read_input(&c->sp, id, SPOOL_EXPECTED,
		    (size_t)c->set.caps.max_file_bytes, out, len, e);
	/* The entry: named by the manifest, under in/files/. */
	memset(&m, 0, sizeof(m));
	rc = -1;
	if (spool_read_input(&c->sp, id, SPOOL_MANIFEST, 1024 * 1024, &text,
		&tlen, e) == -1 ||
	    manifest_parse(text, tlen, &m, e) == -1 ||
	    util_path_check(m.entry, "entry", e) == -1 ||
	    spool_open_files(&c->sp, id, &fd, e) == -1)
		goto out;
	rc = util_read_file_at(fd, m.entry, (size_t)c->set.caps.max_file_bytes,
	    out, len, e);
out:
	if (fd != -1)
		close(fd);
	manifest_release(&m);
	free(text);
	return rc;
}

/* A page of the job list: {"jobs": [...], "next_before": ...}. */
struct evbuffer *
view_jobs_page_text(struct core *c, const struct job *jobs, int n,
    int64_t next_before)
{
	struct evbuffer *b = evbuffer_new();
	struct jw w;
	int i;

	if (b == NULL)
		return NULL;
	jw_open(&w, b);
	jw_key(&w, "jobs");
	jw_raw(b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jw_raw(b, ",");
		view_job_object(c, &jobs[i], false, b);
	}
	jw_raw(b, "]");
	jw_key(&w, "next_before");
	if (next_before > 0)
		view_id_str(b, next_before);
	else
		jw_null(b);
	jw_close(&w);
	return b;
}

/* A string or null when empty. */
static json_t *
view_str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

/* The runtimes the nodes offer, one entry per name and version. */
json_t *
view_runtimes_json(struct core *c)
{
	json_t *list = json_array(), *entry, *x;
	const char *name, *ver, *xv;
	size_t i, k, m;

	for (i = 0; i < c->nnodes; i++) {
		struct core_node *n = &c->nodes[i];

		for (k = 0; n->known && k < n->info.nruntimes; k++) {
			name = n->info.runtimes[k];
			ver = n->info.versions[k];
			entry = NULL;
			for (m = 0; m < json_array_size(list); m++) {
				x = json_array_get(list, m);
				xv = json_string_value(
				    json_object_get(x, "version"));
				if (strcmp(json_string_value(
					       json_object_get(x, "name")),
					name) == 0 &&
				    strcmp(xv != NULL ? xv : "", ver) == 0)
					entry = x;
			}
			if (entry == NULL) {
				entry = json_pack("{s:s, s:o, s:b, s:[]}",
				    "name", name, "version",
				    view_str_or_null(ver), "compile",
				    n->info.compiled[k], "nodes");
				json_array_append_new(list, entry);
			}
			json_array_append_new(json_object_get(entry, "nodes"),
			    json_string(n->conf->name));
		}
	}
	return json_pack("{s:o}", "runtimes", list);
}

/* Seconds since the epoch of a time as the dispatcher writes them
   (util_time_rfc3339()), or 0 if there is none. */
static double
view_epoch_seconds(const char *s)
{
	struct tm tm;
	char *rest;
	double frac = 0;

	memset(&tm, 0, sizeof(tm));
	if (s[0] == '\0' ||
	    (rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	if (*rest == '.')
		frac = strtod(rest, NULL);
	return (double)timegm(&tm) + frac;
}

/* One gauge per node: name, help, and a value for each (with decimals
   digits after the point). */
static void
view_metrics_node_gauge(struct core *c, struct evbuffer *b, const char *name,
    const char *help, int decimals, double (*value)(const struct core_node *))
{
	size_t k;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help,
	    name);
	for (k = 0; k < c->nnodes; k++) {
		evbuffer_add_printf(b, "%s{node=\"", name);
		metrics_label_value(b, c->nodes[k].conf->name);
		evbuffer_add_printf(b, "\"} %.*f\n", decimals,
		    value(&c->nodes[k]));
	}
}

static double
view_node_up(const struct core_node *n)
{
	return n->connected ? 1 : 0;
}

static double
view_node_slots(const struct core_node *n)
{
	return n->known ? n->info.slots : 0;
}

static double
view_node_busy(const struct core_node *n)
{
	return n->busy;
}

static double
view_node_elsewhere(const struct core_node *n)
{
	return n->elsewhere;
}

static double
view_node_drained(const struct core_node *n)
{
	return n->drained ? 1 : 0;
}

static double
view_node_last_seen(const struct core_node *n)
{
	return view_epoch_seconds(n->last_seen);
}

/* The per-node gauges. */
static void
view_metrics_nodes(struct core *c, struct evbuffer *b)
{
	view_metrics_node_gauge(c, b, "sluice_node_up",
	    "1 if the dispatcher's session to the node is up.", 0,
	    view_node_up);
	view_metrics_node_gauge(c, b, "sluice_node_slots",
	    "Slots the node's agent offers (0 until it first connects).", 0,
	    view_node_slots);
	view_metrics_node_gauge(c, b, "sluice_node_busy",
	    "Slots taken by this dispatcher's jobs.", 0, view_node_busy);
	view_metrics_node_gauge(c, b, "sluice_node_busy_elsewhere",
	    "Slots the agent says are taken by others.", 0,
	    view_node_elsewhere);
	view_metrics_node_gauge(c, b, "sluice_node_drained",
	    "1 if an operator drained the node.", 0, view_node_drained);
	view_metrics_node_gauge(c, b, "sluice_node_last_seen_timestamp_seconds",
	    "When the node was last heard from (its connection, or an "
	    "event of a job on it), in seconds since the epoch (0: not "
	    "since the daemon started).",
	    3, view_node_last_seen);
}

/* Jobs queued and placed, per tenant (each token's, and any other whose
   jobs are in the queue or on a node); of tenant only, if not NULL. */
static void
view_metrics_tenants(struct core *c, struct evbuffer *b, const char *only)
{
	int64_t *queued = calloc(c->ntenants + 1, sizeof(*queued));
	size_t i, k;

	if (queued == NULL)
		return;
	/* One pass over the queue's classes, not one per tenant. */
	for (k = 0; k < c->nclasses; k++)
		for (i = 0; i < c->ntenants; i++)
			if (strcmp(c->classes[k].q.tenant,
				c->tenants[i].name) == 0) {
				queued[i] += (int64_t)(c->classes[k].n -
				    c->classes[k].head);
				break;
			}
	evbuffer_add_printf(b,
	    "# HELP sluice_tenant_jobs_queued Jobs waiting in the queue, by "
	    "tenant.\n# TYPE sluice_tenant_jobs_queued gauge\n");
	for (i = 0; i < c->ntenants; i++) {
		if (only != NULL && strcmp(c->tenants[i].name, only) != 0)
			continue;
		evbuffer_add_printf(b, "sluice_tenant_jobs_queued{tenant=\"");
		metrics_label_value(b, c->tenants[i].name);
		evbuffer_add_printf(b, "\"} %lld\n", (long long)queued[i]);
	}
	evbuffer_add_printf(b,
	    "# HELP sluice_tenant_jobs_running Jobs placed on a node (staging, "
	    "running, or their results coming back), by tenant.\n"
	    "# TYPE sluice_tenant_jobs_running gauge\n");
	for (i = 0; i < c->ntenants; i++) {
		if (only != NULL && strcmp(c->tenants[i].name, only) != 0)
			continue;
		evbuffer_add_printf(b, "sluice_tenant_jobs_running{tenant=\"");
		metrics_label_value(b, c->tenants[i].name);
		evbuffer_add_printf(b, "\"} %u\n", c->tenants[i].placed);
	}
	free(queued);
}

/* The metrics in Prometheus text format, every tenant's. */
char *
view_metrics_text(struct core *c)
{
	return view_metrics_text_for(c, NULL);
}

/* The metrics in Prometheus text format, as tenant (NULL: all) sees them. */
char *
view_metrics_text_for(struct core *c, const char *tenant)
{
	static const enum job_phase live[] = { PHASE_QUEUED, PHASE_STAGING,
		PHASE_RUNNING, PHASE_COLLECTING };
	static const enum sched_node_state nstates[] = { SCHED_UP, SCHED_DOWN,
		SCHED_DRAINING, SCHED_DRAINED };
	struct evbuffer *b = evbuffer_new();
	struct callback_stats cs;
	int64_t n;
	struct error e;
	size_t i, k, len;
	char *text;

	if (b == NULL)
		return NULL;
	evbuffer_add_printf(b,
	    "# HELP sluice_jobs Jobs not yet ended, by state and "
	    "phase.\n# TYPE sluice_jobs gauge\n");
	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		/* The queue's length from memory: counting its rows reads
		   them all. */
		if (live[i] == PHASE_QUEUED)
			n = (int64_t)c->nqueue;
		else if (store_jobs_count(c->st, NULL, 1u << live[i], &n, &e) ==
		    -1)
			n = 0;
		evbuffer_add_printf(b,
		    "sluice_jobs{state=\"%s\",phase=\"%s\"} %lld\n",
		    job_state_name(job_phase_state(live[i])),
		    job_phase_name(live[i]), (long long)n);
	}
	/* Counted as jobs end, since the daemon started: never read from
	   the jobs table, whose rows retention and purge remove. */
	evbuffer_add_printf(b,
	    "# HELP sluice_jobs_finished_total Jobs that ended since the "
	    "daemon started, by final state.\n"
	    "# TYPE sluice_jobs_finished_total counter\n");
	for (i = 0; i < 9; i++)
		if (job_state_final((enum job_state)i))
			evbuffer_add_printf(b,
			    "sluice_jobs_finished_total{state=\"%s\"} %llu\n",
			    job_state_name((enum job_state)i),
			    (unsigned long long)c->metrics.finished[i]);
	metrics_text_counters(&c->metrics, b, tenant);
	view_metrics_tenants(c, b, tenant);
	metrics_text_jobs(&c->metrics, b);
	evbuffer_add_printf(b,
	    "# HELP sluice_nodes Nodes by state.\n"
	    "# TYPE sluice_nodes gauge\n");
	for (i = 0; i < sizeof(nstates) / sizeof(nstates[0]); i++) {
		n = 0;
		for (k = 0; k < c->nnodes; k++)
			if (c->nodes[k].state == nstates[i])
				n++;
		evbuffer_add_printf(b, "sluice_nodes{state=\"%s\"} %lld\n",
		    sched_state_name(nstates[i]), (long long)n);
	}
	evbuffer_add_printf(b,
	    "# HELP sluice_ssh_reconnects_total Reconnections to a "
	    "node after it was up.\n"
	    "# TYPE sluice_ssh_reconnects_total counter\n");
	for (k = 0; k < c->nnodes; k++) {
		evbuffer_add_printf(b, "sluice_ssh_reconnects_total{node=\"");
		metrics_label_value(b, c->nodes[k].conf->name);
		evbuffer_add_printf(b, "\"} %llu\n",
		    (unsigned long long)c->nodes[k].reconnects);
	}
	view_metrics_nodes(c, b);
	metrics_text_responses(&c->metrics, b);
	evbuffer_add_printf(b,
	    "# HELP sluice_store_unsaved_jobs Job states whose commit "
	    "failed and is retried.\n"
	    "# TYPE sluice_store_unsaved_jobs gauge\n"
	    "sluice_store_unsaved_jobs %zu\n"
	    "# HELP sluice_store_commit_failures_total Commits of a job's "
	    "state the store refused.\n"
	    "# TYPE sluice_store_commit_failures_total counter\n"
	    "sluice_store_commit_failures_total %llu\n"
	    "# HELP sluice_state_free_bytes Bytes free under the state "
	    "directory.\n"
	    "# TYPE sluice_state_free_bytes gauge\n"
	    "sluice_state_free_bytes %llu\n"
	    "# HELP sluice_submit_commits_total Commits of accepted "
	    "submissions (those of one turn of the loop go in one).\n"
	    "# TYPE sluice_submit_commits_total counter\n"
	    "sluice_submit_commits_total %llu\n",
	    c->nunsaved, (unsigned long long)c->commit_failures,
	    (unsigned long long)core_free_bytes(c),
	    (unsigned long long)c->submit_commits);
	callback_stats(c->callbacks, &cs);
	if (store_callbacks_count(c->st, "pending", &n, &e) == -1)
		n = 0;
	evbuffer_add_printf(b,
	    "# HELP sluice_callbacks_delivered_total Callbacks answered "
	    "2xx.\n"
	    "# TYPE sluice_callbacks_delivered_total counter\n"
	    "sluice_callbacks_delivered_total %llu\n"
	    "# HELP sluice_callback_attempts_failed_total Callback attempts "
	    "without a 2xx answer.\n"
	    "# TYPE sluice_callback_attempts_failed_total counter\n"
	    "sluice_callback_attempts_failed_total %llu\n"
	    "# HELP sluice_callbacks_failed_total Callbacks given up on.\n"
	    "# TYPE sluice_callbacks_failed_total counter\n"
	    "sluice_callbacks_failed_total %llu\n"
	    "# HELP sluice_callbacks_pending Callbacks of ended jobs not yet "
	    "delivered nor given up on.\n"
	    "# TYPE sluice_callbacks_pending gauge\n"
	    "sluice_callbacks_pending %lld\n"
	    "# HELP sluice_callbacks_in_flight Callback attempts under "
	    "way.\n"
	    "# TYPE sluice_callbacks_in_flight gauge\n"
	    "sluice_callbacks_in_flight %llu\n",
	    (unsigned long long)cs.delivered,
	    (unsigned long long)cs.attempts_failed,
	    (unsigned long long)cs.failed, (long long)n,
	    (unsigned long long)cs.in_flight);
	metrics_text_process(&c->metrics, b);
	len = evbuffer_get_length(b);
	if ((text = malloc(len + 1)) != NULL) {
		evbuffer_remove(b, text, len);
		text[len] = '\0';
	}
	evbuffer_free(b);
	return text;
}

/* One node as the API shows it. */
static json_t *
view_node_object(struct core_node *n)
{
	json_t *rts = json_array(), *labels = json_array();
	json_t *failing = json_array();
	size_t k;

	for (k = 0; n->known && k < n->info.nruntimes; k++)
		json_array_append_new(rts,
		    json_pack("{s:s, s:o, s:b}", "name", n->info.runtimes[k],
			"version", view_str_or_null(n->info.versions[k]),
			"compile", n->info.compiled[k]));
	for (k = 0; n->known && k < n->info.nfailing; k++)
		json_array_append_new(failing,
		    json_pack("{s:s, s:s}", "name", n->info.failing[k], "error",
			n->info.failing_errors[k]));
	for (k = 0; k < n->conf->nlabels; k++)
		json_array_append_new(labels, json_string(n->conf->labels[k]));
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:o, s:o, s:o, "
			 "s:o}",
	    "name", n->conf->name, "kind",
	    n->conf->kind == NODE_KIND_SLURM ? "slurm" : "agent", "state",
	    sched_state_name(n->state), "reason", n->reason, "slots",
	    n->known ? (int)n->info.slots : 0, "busy", (int)n->busy,
	    "busy_elsewhere", (int)n->elsewhere, "runtimes", rts,
	    "failing_runtimes", failing, "labels", labels, "last_seen",
	    view_str_or_null(n->last_seen));
}

/* The pool as the API shows it. */
json_t *
view_nodes_json(struct core *c)
{
	json_t *nodes = json_array();
	size_t i;

	for (i = 0; i < c->nnodes; i++)
		json_array_append_new(nodes, view_node_object(&c->nodes[i]));
	return json_pack("{s:o}", "nodes", nodes);
}

/* One node as the API shows it, or NULL. */
json_t *
view_node_json(struct core *c, const char *name)
{
	struct core_node *n = core_node_find(c, name);

	return n != NULL ? view_node_object(n) : NULL;
}

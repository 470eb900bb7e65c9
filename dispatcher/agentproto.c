/* The agent's command-line protocol: see agentproto.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agentproto.h"
#include "job.h"
#include "log.h"
#include "util.h"

/* The most a verb run to completion may print (info, status). */
#define AGENTPROTO_OUTPUT_MAX (1024 * 1024)
#define AGENTPROTO_CLEAN_DELAY_MS 200
/* The most directories a node's jobs/ may hold before it is a lie. */
#define AGENTPROTO_DIRS_MAX 100000
/* Sessions lost on one connection before its verbs go as commands. */
#define AGENTPROTO_SESSION_RETRIES 3

/* Copy a short printable string from JSON, or fail. */
static int
agentproto_json_text(const json_t *v, char *dst, size_t size, bool may_be_null)
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

/*
 * A runtime's compile flag and check (absent from an older agent): one
 * that is "ok" or "unchecked" is offered (runtimes[k] stays, nruntimes
 * grows), one that "failed" moves to the failing list with its error.
 */
static int
agentproto_check(const json_t *v, struct agentproto_info *in, size_t k)
{
	const json_t *check = json_object_get(v, "check");
	const json_t *compile = json_object_get(v, "compile");
	const char *word;
	size_t f;

	const json_t *wall = json_object_get(v, "compile_wall_seconds");

	if (compile != NULL && !json_is_boolean(compile))
		return -1;
	in->compiled[k] = json_is_true(compile);
	/* Bounded as a wall limit is (limit.h). */
	in->compile_wall[k] = 0;
	if (wall != NULL &&
	    (!json_is_number(wall) ||
		limit_check_value(limit_index("wall_seconds"),
		    json_number_value(wall), NULL) == -1))
		return -1;
	if (wall != NULL)
		in->compile_wall[k] = json_number_value(wall);
	if (check == NULL) {
		in->nruntimes++;
		return 0;
	}
	if (!json_is_string(check))
		return -1;
	word = json_string_value(check);
	if (strcmp(word, "ok") == 0 || strcmp(word, "unchecked") == 0) {
		in->nruntimes++;
		return 0;
	}
	if (strcmp(word, "failed") != 0)
		return -1;
	f = in->nfailing;
	memcpy(in->failing[f], in->runtimes[k], sizeof(in->failing[f]));
	if (agentproto_json_text(json_object_get(v, "check_error"),
		in->failing_errors[f], sizeof(in->failing_errors[f]),
		false) == -1)
		return -1;
	in->nfailing++;
	return 0;
}

/* Parse an agent's info, as untrusted input. */
int
agentproto_info_parse(const char *text, size_t len, struct agentproto_info *out,
    struct error *e)
{
	struct agentproto_info in;
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
	if (agentproto_json_text(v, in.base_dir, sizeof(in.base_dir), false) ==
		-1 ||
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
	/* Optional (older agents do not say). */
	v = json_object_get(root, "slots_busy");
	if (v != NULL &&
	    (!json_is_integer(v) || json_integer_value(v) < 0 ||
		json_integer_value(v) > (json_int_t)in.slots)) {
		error_set(e, ERR_INVALID,
		    "the agent's slots_busy is not 0 to its slots");
		goto out;
	}
	in.slots_busy = v != NULL ? (unsigned)json_integer_value(v) : 0;
	if (agentproto_json_text(json_object_get(root, "agent_version"),
		in.agent_version, sizeof(in.agent_version), false) == -1 ||
	    agentproto_json_text(json_object_get(root, "cgroup"), in.cgroup,
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
	if (!json_is_array(rt) ||
	    json_array_size(rt) > AGENTPROTO_RUNTIMES_MAX) {
		error_set(e, ERR_INVALID, "the agent's runtimes are malformed");
		goto out;
	}
	for (i = 0; i < json_array_size(rt); i++) {
		size_t k = in.nruntimes;

		v = json_array_get(rt, i);
		if (!json_is_object(v) ||
		    agentproto_json_text(json_object_get(v, "name"),
			in.runtimes[k], sizeof(in.runtimes[k]), false) == -1 ||
		    !util_token_ok(in.runtimes[k], 64) ||
		    agentproto_json_text(json_object_get(v, "version"),
			in.versions[k], sizeof(in.versions[k]), true) == -1 ||
		    agentproto_check(v, &in, k) == -1) {
			error_set(e, ERR_INVALID,
			    "runtime %zu of the agent's "
			    "info is malformed",
			    i);
			goto out;
		}
	}
	v = json_object_get(json_object_get(root, "features"), "serve");
	in.serve = json_is_true(v);
	*out = in;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* Start with nothing running. */
void
agentproto_init(struct agentproto *ap, const struct settings_node *conf)
{
	memset(ap, 0, sizeof(*ap));
	ap->conf = conf;
}

/* Forget the verbs of a connection that is gone. */
void
agentproto_reset(struct agentproto *ap)
{
	size_t i;

	ap->ncleans = 0;
	if (ap->session != NULL)
		remote_channel_free(ap->session);
	ap->session = NULL;
	ap->session_broken = false;
	ap->session_failures = 0;
	for (i = 0; i < ap->naux; i++)
		remote_channel_free(ap->aux[i]);
	free(ap->aux);
	ap->aux = NULL;
	ap->naux = 0;
}

/* The path of a job directory on the node. */
void
agentproto_job_path(const struct agentproto *ap, int64_t id, int attempt,
    char *buf, size_t len)
{
	char dir[64];

	job_dir_name(id, attempt, dir, sizeof(dir));
	snprintf(buf, len, "%s/jobs/%s", ap->info.base_dir, dir);
}

/* The agent's argv with a verb and an optional job directory. */
static const char **
agentproto_argv(const struct agentproto *ap, const char *verb, const char *path)
{
	const char **argv;
	size_t i, n = ap->conf->nagent;

	if ((argv = calloc(n + 3, sizeof(*argv))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		argv[i] = ap->conf->agent[i];
	argv[n] = verb;
	argv[n + 1] = path;
	return argv;
}

/* Run an agent verb to completion; its stdout in *out (caller frees). */
static int
agentproto_call(struct agentproto *ap, struct remote *r, const char *verb,
    const char *path, char **out, size_t *outlen, int *status, struct error *e)
{
	const char **argv = agentproto_argv(ap, verb, path);
	int rc;

	if (argv == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	rc = remote_channel_run(r, argv, NULL, 0, AGENTPROTO_OUTPUT_MAX, out,
	    outlen, status, e);
	free(argv);
	return rc;
}

/* See agentproto.h. */
void
agentproto_info_error(int status, const char *out, size_t len, struct error *e)
{
	const char *msg, *field;
	json_t *v;

	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		len--;
	v = out != NULL ? json_loadb(out, len, JSON_REJECT_DUPLICATES, NULL)
			: NULL;
	msg = json_string_value(json_object_get(v, "error"));
	field = json_string_value(json_object_get(v, "field"));
	if (msg != NULL && field != NULL)
		error_set(e, ERR_IO, "agent info: %.200s (setting '%.64s')",
		    msg, field);
	else if (msg != NULL)
		error_set(e, ERR_IO, "agent info: %.200s", msg);
	else
		error_set(e, ERR_IO, "agent info exited with status %d: %.*s",
		    status, (int)(len < 200 ? len : 200),
		    out != NULL ? out : "");
	json_decref(v);
}

/* Ask the agent for its info. */
int
agentproto_info(struct agentproto *ap, struct remote *r,
    struct agentproto_info *out_info, struct error *e)
{
	char *out = NULL;
	size_t len = 0;
	int status, rc = -1;

	if (agentproto_call(ap, r, "info", NULL, &out, &len, &status, e) == -1)
		return error_wrap(e, "agent info");
	if (status != 0) {
		agentproto_info_error(status, out, len, e);
		goto out;
	}
	if (agentproto_info_parse(out, len, out_info, e) == -1)
		goto out;
	rc = 0;
out:
	free(out);
	return rc;
}

/*
 * Send one request over the session: "TAG VERB PATH..." (the paths are job
 * directories: no blank, no newline).  False if there is no session or it
 * is lost; the caller then runs the verb as a command.
 */
static bool
agentproto_request(struct agentproto *ap, const char *tag, const char *verb,
    const char *const *paths, size_t n)
{
	struct error e;
	size_t len, i, off;
	char *line;

	if (ap->session == NULL || ap->session_broken)
		return false;
	len = strlen(tag) + strlen(verb) + 3;
	for (i = 0; i < n; i++)
		len += strlen(paths[i]) + 1;
	if ((line = malloc(len)) == NULL)
		fatal("out of memory");
	off = (size_t)snprintf(line, len, "%s %s", tag, verb);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(line + off, len - off, " %s", paths[i]);
	line[off++] = '\n';
	if (remote_channel_write(ap->session, line, off, &e) == -1) {
		/* agentproto_session_poll() ends it, so that the jobs it
		   followed are attached again. */
		log_warn("%s: the agent session is lost: %s", ap->conf->name,
		    e.msg);
		ap->session_broken = true;
	}
	free(line);
	return !ap->session_broken;
}

/* Open the resident session: see agentproto.h. */
void
agentproto_session_open(struct agentproto *ap, struct remote *r)
{
	const char **argv;
	struct error e;

	/* A node whose sessions keep ending is served by commands. */
	if (!ap->info.serve || ap->session != NULL ||
	    ap->session_failures >= AGENTPROTO_SESSION_RETRIES)
		return;
	if ((argv = agentproto_argv(ap, "serve", NULL)) == NULL)
		fatal("out of memory");
	ap->session = remote_channel_spawn(r, argv, &e);
	free(argv);
	if (ap->session == NULL) {
		log_warn("%s: no agent session, one command per verb: %s",
		    ap->conf->name, e.msg);
		ap->session_failures++;
	}
}

/* The session's lines, routed to the job whose directory is the tag. */
struct agentproto_route {
	agentproto_session_cb cb;
	void *arg;
};

static int
agentproto_session_line(const char *line, size_t len, void *arg)
{
	struct agentproto_route *rt = arg;
	int attempt, used = 0, status;
	const char *sp;
	int64_t id;

	/* Tags of requests no job follows (cancel, clean) start with a
	   letter; a job's is its directory's name.  Anything else from
	   the node is ignored. */
	if ((sp = memchr(line, ' ', len)) == NULL ||
	    !job_dir_parse(line, (size_t)(sp - line), &id, &attempt))
		return 0;
	sp++;
	len -= (size_t)(sp - line);
	if (len > 5 && strncmp(sp, "exit ", 5) == 0) {
		if (sscanf(sp + 5, "%d%n", &status, &used) != 1 ||
		    (size_t)used != len - 5 || status < 0 || status > 255)
			return 0;
		rt->cb(id, attempt, NULL, 0, true, status, rt->arg);
		return 0;
	}
	rt->cb(id, attempt, sp, len, false, 0, rt->arg);
	return 0;
}

/* Read the session: see agentproto.h. */
int
agentproto_session_poll(struct agentproto *ap, struct remote *r,
    agentproto_session_cb cb, void *arg)
{
	struct agentproto_route rt = { cb, arg };
	struct error e;
	int status = -1, rc;

	if (ap->session == NULL)
		return 1;
	error_init(&e);
	rc = ap->session_broken
	    ? -1
	    : remote_channel_poll(ap->session, AGENTPROTO_LINE_MAX + 64,
		  agentproto_session_line, &rt, &status, &e);
	if (rc == 1)
		return 1;
	log_warn("%s: the agent session ended (%s)", ap->conf->name,
	    ap->session_broken ? "a request could not be sent"
		: rc == -1     ? e.msg
			       : "its command exited");
	remote_channel_free(ap->session);
	ap->session = NULL;
	ap->session_broken = false;
	ap->session_failures++;
	agentproto_session_open(ap, r);
	return 0;
}

/* The tag of a request that no job follows. */
static void
agentproto_tag(struct agentproto *ap, char prefix, char *buf, size_t len)
{
	snprintf(buf, len, "%c%llu", prefix, (unsigned long long)++ap->tags);
}

/* Start agent run or agent wait on a job directory. */
int
agentproto_start(struct agentproto *ap, struct remote *r, const char *path,
    bool attach, struct remote_channel **proc, struct error *e)
{
	const char **argv;
	struct remote_channel *p;
	const char *name = strrchr(path, '/');

	if (name != NULL &&
	    agentproto_request(ap, name + 1, attach ? "wait" : "run", &path,
		1)) {
		*proc = NULL;
		return 0;
	}
	if ((argv = agentproto_argv(ap, attach ? "wait" : "run", path)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	p = remote_channel_spawn(r, argv, e);
	free(argv);
	if (p == NULL)
		return -1;
	*proc = p;
	return 0;
}

/* How far a job directory got. */
int
agentproto_status(struct agentproto *ap, struct remote *r, const char *path,
    enum agentproto_state *st, struct error *e)
{
	char *out = NULL;
	const char *state;
	json_t *root = NULL;
	size_t len;
	int status, rc = -1;

	if (agentproto_call(ap, r, "status", path, &out, &len, &status, e) ==
	    -1)
		return -1;
	if (status == 2) {
		/* No such job directory. */
		*st = AGENTPROTO_ABSENT;
		rc = 0;
		goto out;
	}
	if (status != 0 || (root = json_loadb(out, len, 0, NULL)) == NULL ||
	    (state = json_string_value(json_object_get(root, "state"))) ==
		NULL) {
		error_set(e, ERR_INVALID, "agent status failed (status %d)",
		    status);
		goto out;
	}
	if (strcmp(state, "staged") == 0)
		*st = AGENTPROTO_STAGED;
	else if (strcmp(state, "running") == 0 ||
	    strcmp(state, "finished") == 0)
		*st = AGENTPROTO_STARTED;
	else {
		error_set(e, ERR_INVALID, "agent status reports '%.32s'",
		    state);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	free(out);
	return rc;
}

/* Remove a job directory and wait for it. */
int
agentproto_clean_now(struct agentproto *ap, struct remote *r, const char *path,
    struct error *e)
{
	char *out = NULL;
	size_t len;
	int status;

	if (agentproto_call(ap, r, "clean", path, &out, &len, &status, e) == -1)
		return -1;
	free(out);
	if (status != 0)
		return error_set(e, ERR_IO, "agent clean failed (status %d)",
		    status);
	return 0;
}

/* Stop a job if it runs, then remove its directory. */
void
agentproto_purge(struct agentproto *ap, struct remote *r, const char *path)
{
	char *out = NULL;
	struct error e;
	size_t len;
	int status;

	(void)agentproto_call(ap, r, "cancel", path, &out, &len, &status, &e);
	free(out);
	out = NULL;
	(void)agentproto_call(ap, r, "clean", path, &out, &len, &status, &e);
	free(out);
}

/* Keep a started verb until it ends (agentproto_poll()). */
static void
agentproto_aux_add(struct agentproto *ap, struct remote_channel *p)
{
	struct remote_channel **aux;

	aux = realloc(ap->aux, (ap->naux + 1) * sizeof(*aux));
	if (aux == NULL)
		fatal("out of memory");
	ap->aux = aux;
	ap->aux[ap->naux++] = p;
}

/* Start agent cancel without waiting. */
void
agentproto_cancel(struct agentproto *ap, struct remote *r, const char *path)
{
	const char **argv;
	struct remote_channel *p;
	struct error e;
	char tag[32];

	agentproto_tag(ap, 'x', tag, sizeof(tag));
	if (agentproto_request(ap, tag, "cancel", &path, 1))
		return;
	if ((argv = agentproto_argv(ap, "cancel", path)) == NULL)
		fatal("out of memory");
	p = remote_channel_spawn(r, argv, &e);
	free(argv);
	if (p == NULL) {
		log_warn("%s: agent cancel %s: %s", ap->conf->name, path,
		    e.msg);
		return;
	}
	agentproto_aux_add(ap, p);
}

/* Start one agent clean for every queued directory. */
static void
agentproto_flush_cleans(struct agentproto *ap, struct remote *r)
{
	struct remote_channel *p;
	const char **argv;
	struct error e;
	size_t i, n = ap->conf->nagent;

	const char *paths[AGENTPROTO_CLEAN_BATCH];
	char tag[32];

	if (ap->ncleans == 0)
		return;
	for (i = 0; i < ap->ncleans; i++)
		paths[i] = ap->cleans[i];
	agentproto_tag(ap, 'c', tag, sizeof(tag));
	if (agentproto_request(ap, tag, "clean", paths, ap->ncleans)) {
		ap->ncleans = 0;
		return;
	}
	if ((argv = calloc(n + ap->ncleans + 2, sizeof(*argv))) == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++)
		argv[i] = ap->conf->agent[i];
	argv[n] = "clean";
	for (i = 0; i < ap->ncleans; i++)
		argv[n + 1 + i] = ap->cleans[i];
	p = remote_channel_spawn(r, argv, &e);
	free(argv);
	ap->ncleans = 0;
	if (p == NULL) {
		/* What is left is purged when the node next comes up. */
		log_warn("%s: agent clean: %s", ap->conf->name, e.msg);
		return;
	}
	agentproto_aux_add(ap, p);
}

/* Queue a directory for the next batched clean. */
void
agentproto_clean(struct agentproto *ap, struct remote *r, const char *path)
{
	if (ap->ncleans == 0)
		ap->cleans_since = util_now_ms();
	snprintf(ap->cleans[ap->ncleans], sizeof(ap->cleans[0]), "%s", path);
	if (++ap->ncleans == AGENTPROTO_CLEAN_BATCH)
		agentproto_flush_cleans(ap, r);
}

/* Ignore the output of a verb nobody waits for. */
static int
agentproto_aux_line(const char *line, size_t len, void *arg)
{
	return 0;
}

/* Reap the verbs that ended; start a clean batch that is due. */
void
agentproto_poll(struct agentproto *ap, struct remote *r)
{
	struct error e;
	size_t i = 0;
	int status;

	while (i < ap->naux) {
		if (remote_channel_poll(ap->aux[i], 65536, agentproto_aux_line,
			NULL, &status, &e) == 1) {
			i++;
			continue;
		}
		remote_channel_free(ap->aux[i]);
		ap->aux[i] = ap->aux[--ap->naux];
	}
	if (ap->ncleans > 0 &&
	    util_now_ms() - ap->cleans_since >= AGENTPROTO_CLEAN_DELAY_MS)
		agentproto_flush_cleans(ap, r);
}

/* List the job directories on the node. */
int
agentproto_dirs(struct agentproto *ap, struct remote *r, int64_t **ids,
    int **attempts, size_t *count, struct error *e)
{
	struct remote_entry *ents = NULL;
	char path[640];
	size_t n, i, k = 0;
	int64_t *idv;
	int *atv;

	snprintf(path, sizeof(path), "%s/jobs", ap->info.base_dir);
	if (remote_sftp_list(r, path, AGENTPROTO_DIRS_MAX, &ents, &n, e) == -1)
		return -1;
	if ((idv = calloc(n + 1, sizeof(*idv))) == NULL ||
	    (atv = calloc(n + 1, sizeof(*atv))) == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++) {
		/* Only our own names, <id>.<attempt>; anything else there is
		   the operator's. */
		if (ents[i].type == REMOTE_DIR &&
		    job_dir_parse(ents[i].name, strlen(ents[i].name), &idv[k],
			&atv[k]))
			k++;
	}
	free(ents);
	*ids = idv;
	*attempts = atv;
	*count = k;
	return 0;
}

/* The start of an untrusted line, quoted and printable, into dst. */
static void
agentproto_quote(const char *line, size_t len, char *dst, size_t size)
{
	size_t i, k = 0;

	dst[k++] = '\'';
	/* Room kept for an escape, "...", the quote and the NUL. */
	for (i = 0; i < len && k + 10 < size; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\'' && ch != '\\')
			dst[k++] = (char)ch;
		else
			k += (size_t)snprintf(dst + k, size - k, "\\x%02x", ch);
	}
	if (i < len)
		k += (size_t)snprintf(dst + k, size - k, "...");
	snprintf(dst + k, size - k, "'");
}

/* One line of agent events from a job's channel (untrusted). */
int
agentproto_event_line(const char *line, size_t len, void *arg)
{
	struct agentproto_events *ev = arg;
	const char *name, *at;
	json_t *root;

	if ((root = json_loadb(line, len, 0, NULL)) == NULL) {
		/* Not an event: ignored, but its start is kept to be quoted
		   if the verb ends without one. */
		if (ev->garbage[0] == '\0')
			agentproto_quote(line, len, ev->garbage,
			    sizeof(ev->garbage));
		return 0;
	}
	name = json_string_value(json_object_get(root, "event"));
	if (name == NULL) {
		const char *err = json_string_value(
		    json_object_get(root, "error"));
		const char *code = json_string_value(
		    json_object_get(root, "code"));

		if (err != NULL)
			snprintf(ev->error, sizeof(ev->error), "%s", err);
		if (code != NULL && strlen(code) < sizeof(ev->code))
			strcpy(ev->code, code);
	} else if (strcmp(name, "accepted") == 0)
		ev->accepted = true;
	else if (strcmp(name, "finished") == 0) {
		ev->finished = true;
		/* Kept for collect_job(), which checks it as it would check
		   result.json; one too long for that file is not kept. */
		if (ev->finished_line == NULL && len <= RESULT_MAX_BYTES) {
			if ((ev->finished_line = malloc(len + 1)) == NULL)
				fatal("out of memory");
			memcpy(ev->finished_line, line, len);
			ev->finished_line[len] = '\0';
			ev->finished_len = len;
		}
	} else if (strcmp(name, "started") == 0 &&
	    (at = json_string_value(json_object_get(root, "at"))) != NULL &&
	    strlen(at) < sizeof(ev->started_at) &&
	    strspn(at, "0123456789-:.TZ") == strlen(at))
		strcpy(ev->started_at, at);
	json_decref(root);
	return 0;
}

/* Free what an agentproto_events holds and zero it. */
void
agentproto_events_release(struct agentproto_events *ev)
{
	free(ev->finished_line);
	memset(ev, 0, sizeof(*ev));
}

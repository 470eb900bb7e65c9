/* Which jobs list and cancel act on: see jobsel.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jobsel.h"
#include "util.h"

#define JOBSEL_PAGE 1000 /* jobs asked for in one request */
#define JOBSEL_QUERY_MAX (24 * 1024)

/* Start an empty selection. */
void
jobsel_init(struct jobsel *s)
{
	memset(s, 0, sizeof(*s));
}

/* Free a selection's lists. */
void
jobsel_release(struct jobsel *s)
{
	size_t i;

	for (i = 0; i < s->nids; i++)
		free(s->ids[i]);
	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	jobsel_init(s);
}

/* Add states. */
int
jobsel_states(struct jobsel *s, const char *arg, struct error *e)
{
	const char *p = arg, *name;
	char one[32];
	size_t len;

	do {
		len = strcspn(p, ",");
		if (len == 0 || len >= sizeof(one))
			return error_set(e, ERR_USAGE,
			    "'%s' is not a list of job states", arg);
		memcpy(one, p, len);
		one[len] = '\0';
		if (strcasecmp(one, "all") == 0)
			s->states = JOBSEL_STATES_ALL;
		else if ((name = fmt_state_canonical(one)) != NULL)
			s->states |= 1u << fmt_state_index(name);
		else
			return error_set(e, ERR_USAGE,
			    "'%s' is not a job state", one);
		p += len;
	} while (*p++ == ',');
	return 0;
}

/*
 * Add the comma-separated values of arg to list[*n], each checked by ok
 * first: all of them, or (e set) none.
 */
static int
jobsel_list(char **list, size_t *n, const char *arg,
    bool (*ok)(const char *v, size_t len), const char *what, struct error *e)
{
	const char *p = arg;
	size_t len, count = 0, had = *n;

	do {
		len = strcspn(p, ",");
		if (!ok(p, len))
			return error_set(e, ERR_USAGE,
			    "'%s' is not a list of %s", arg, what);
		count++;
		p += len;
	} while (*p++ == ',');
	if (*n + count > JOBSEL_VALUES_MAX)
		return error_set(e, ERR_USAGE, "more than %d %s",
		    JOBSEL_VALUES_MAX, what);
	for (p = arg; count > 0; count--, p += len + 1) {
		len = strcspn(p, ",");
		if ((list[*n] = strndup(p, len)) == NULL) {
			while (*n > had)
				free(list[--*n]);
			return error_set(e, ERR_NOMEM, "out of memory");
		}
		(*n)++;
	}
	return 0;
}

/* Whether the len bytes at v are a job id (not 0). */
static bool
jobsel_id_ok(const char *v, size_t len)
{
	return len > 0 && len <= FMT_JOB_ID_MAX &&
	    strspn(v, "0123456789") >= len && strspn(v, "0") < len;
}

/* Whether the len bytes at v are a job name, as the API takes one. */
static bool
jobsel_name_ok(const char *v, size_t len)
{
	char one[JOBSEL_NAME_MAX + 1];

	if (len == 0 || len > JOBSEL_NAME_MAX)
		return false;
	memcpy(one, v, len);
	one[len] = '\0';
	return util_token_ok(one, JOBSEL_NAME_MAX);
}

/* Add ids. */
int
jobsel_ids(struct jobsel *s, const char *arg, struct error *e)
{
	return jobsel_list(s->ids, &s->nids, arg, jobsel_id_ok, "job ids", e);
}

/* Add names. */
int
jobsel_names(struct jobsel *s, const char *arg, struct error *e)
{
	return jobsel_list(s->names, &s->nnames, arg, jobsel_name_ok,
	    "job names (1 to 64 characters of [A-Za-z0-9._+-] each)", e);
}

/* Set the label. */
int
jobsel_label(struct jobsel *s, const char *arg, struct error *e)
{
	if (!util_token_ok(arg, sizeof(s->label) - 1))
		return error_set(e, ERR_USAGE,
		    "'%s' is not a label (1 to 64 characters of "
		    "[A-Za-z0-9._+-])",
		    arg);
	if (s->label[0] != '\0')
		return error_set(e, ERR_USAGE, "one --label only");
	snprintf(s->label, sizeof(s->label), "%s", arg);
	return 0;
}

/* Set the tenant. */
int
jobsel_tenant(struct jobsel *s, const char *arg, struct error *e)
{
	if (!util_token_ok(arg, sizeof(s->tenant) - 1))
		return error_set(e, ERR_USAGE, "'%s' is not a tenant's name",
		    arg);
	if (s->me)
		return error_set(e, ERR_USAGE,
		    "--me and --tenant exclude each other");
	if (s->tenant[0] != '\0')
		return error_set(e, ERR_USAGE, "one --tenant only");
	snprintf(s->tenant, sizeof(s->tenant), "%s", arg);
	return 0;
}

/* Select the token's own tenant. */
int
jobsel_me(struct jobsel *s, struct error *e)
{
	if (s->tenant[0] != '\0')
		return error_set(e, ERR_USAGE,
		    "--me and --tenant exclude each other");
	s->me = true;
	return 0;
}

/* Ask whose the token is, for --me. */
int
jobsel_resolve(struct cli *cli, struct jobsel *s)
{
	struct client_response r;
	const char *tenant;
	json_t *who = NULL;
	int rc;

	if (!s->me || s->tenant[0] != '\0')
		return 0;
	client_response_init(&r);
	if ((rc = cli_request(cli, "GET", "/v1/whoami", NULL, -1, &r)) != 0)
		goto out;
	/* A dispatcher older than --me: say what to do instead. */
	if (r.status == 404) {
		cli_warn("the dispatcher does not say whose a token is (no "
			 "GET /v1/whoami: another version?); give the tenant "
			 "with -u");
		rc = EX_PROTOCOL;
		goto out;
	}
	if (r.status / 100 != 2) {
		rc = cli_http_exit(cli, &r, "the token's tenant");
		goto out;
	}
	who = json_loadb(r.body, r.body_len, JSON_REJECT_DUPLICATES, NULL);
	tenant = fmt_json_str(who, "tenant");
	if (tenant == NULL || !util_token_ok(tenant, sizeof(s->tenant) - 1)) {
		cli_warn("the dispatcher's answer to GET /v1/whoami has no "
			 "tenant's name");
		rc = EX_PROTOCOL;
		goto out;
	}
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	rc = 0;
out:
	json_decref(who);
	client_response_release(&r);
	return rc;
}

/* Set --since or --until. */
int
jobsel_when(struct jobsel *s, bool since, const char *arg, double now,
    struct error *e)
{
	double t;

	if (fmt_when_parse(arg, now, &t) == -1)
		return error_set(e, ERR_USAGE,
		    "'%s' is not a time: give YYYY-MM-DD[THH:MM[:SS]] (local "
		    "time), an RFC 3339 time, now-2h, today or yesterday",
		    arg);
	if (t < 0)
		return error_set(e, ERR_USAGE, "'%s' is before 1970", arg);
	fmt_time_utc(t, since ? s->since : s->until,
	    since ? sizeof(s->since) : sizeof(s->until));
	return 0;
}

/* See jobsel.h. */
int
jobsel_option(struct jobsel *s, int ch, int label_ch, const char *arg,
    double now, int *rc, struct error *e)
{
	if (ch == label_ch)
		*rc = jobsel_label(s, arg, e);
	else if (ch == 't')
		*rc = jobsel_states(s, arg, e);
	else if (ch == 'j')
		*rc = jobsel_ids(s, arg, e);
	else if (ch == 'n')
		*rc = jobsel_names(s, arg, e);
	else if (ch == 'u')
		*rc = jobsel_tenant(s, arg, e);
	else if (ch == 'S' || ch == 'E')
		*rc = jobsel_when(s, ch == 'S', arg, now, e);
	else
		return 0;
	return 1;
}

/* Check the selection as a whole. */
int
jobsel_check(const struct jobsel *s, struct error *e)
{
	if (s->since[0] != '\0' && s->until[0] != '\0' &&
	    strcmp(s->since, s->until) >= 0)
		return error_set(e, ERR_USAGE,
		    "--since (%s) is not before --until (%s)", s->since,
		    s->until);
	return 0;
}

/* Whether nothing is filtered. */
bool
jobsel_empty(const struct jobsel *s)
{
	return (s->states == 0 || s->states == JOBSEL_STATES_ALL) &&
	    s->nids == 0 && s->nnames == 0 && s->label[0] == '\0' &&
	    s->tenant[0] == '\0' && !s->me && s->since[0] == '\0' &&
	    s->until[0] == '\0';
}

/* Append text to buf at *len; -1 if it does not fit. */
static int
jobsel_add(char *buf, size_t size, size_t *len, const char *text)
{
	size_t n = strlen(text);

	if (*len + n >= size)
		return -1;
	memcpy(buf + *len, text, n + 1);
	*len += n;
	return 0;
}

/* Append "&key=v1,v2" (no '&' first) to buf at *len; -1 if it does not
   fit.  The values are tokens, digits and times: nothing to escape. */
static int
jobsel_param(char *buf, size_t size, size_t *len, const char *key,
    char *const *values, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i == 0 &&
		    ((*len > 0 && jobsel_add(buf, size, len, "&") == -1) ||
			jobsel_add(buf, size, len, key) == -1 ||
			jobsel_add(buf, size, len, "=") == -1))
			return -1;
		if ((i > 0 && jobsel_add(buf, size, len, ",") == -1) ||
		    jobsel_add(buf, size, len, values[i]) == -1)
			return -1;
	}
	return 0;
}

/* The selection as a query. */
int
jobsel_query(const struct jobsel *s, char *buf, size_t size)
{
	char *states[9], *one[1];
	size_t len = 0, n = 0;
	int i;

	if (size == 0)
		return -1;
	buf[0] = '\0';
	if (s->states != 0 && s->states != JOBSEL_STATES_ALL)
		for (i = 0; fmt_state_name(i) != NULL; i++)
			if (s->states & (1u << i))
				states[n++] = (char *)fmt_state_name(i);
	if (jobsel_param(buf, size, &len, "state", states, n) == -1 ||
	    jobsel_param(buf, size, &len, "id", s->ids, s->nids) == -1 ||
	    jobsel_param(buf, size, &len, "name", s->names, s->nnames) == -1)
		return -1;
	one[0] = (char *)s->label;
	if (jobsel_param(buf, size, &len, "label", one, s->label[0] != '\0') ==
	    -1)
		return -1;
	one[0] = (char *)s->tenant;
	if (jobsel_param(buf, size, &len, "tenant", one,
		s->tenant[0] != '\0') == -1)
		return -1;
	one[0] = (char *)s->since;
	if (jobsel_param(buf, size, &len, "since", one, s->since[0] != '\0') ==
	    -1)
		return -1;
	one[0] = (char *)s->until;
	return jobsel_param(buf, size, &len, "until", one, s->until[0] != '\0');
}

/* Whether v is one of the n strings of list. */
static bool
jobsel_in(char *const *list, size_t n, const char *v)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		if (strcmp(list[i], v) == 0)
			return true;
	return false;
}

/* Whether a job is selected. */
bool
jobsel_match(const struct jobsel *s, const json_t *job)
{
	const char *v;
	const json_t *l;
	size_t i;
	int st;

	if (s->states != 0 && s->states != JOBSEL_STATES_ALL &&
	    ((st = fmt_state_index(fmt_json_str(job, "state"))) < 0 ||
		!(s->states & (1u << st))))
		return false;
	if (s->nids > 0 && !jobsel_in(s->ids, s->nids, fmt_json_str(job, "id")))
		return false;
	if (s->nnames > 0 &&
	    !jobsel_in(s->names, s->nnames, fmt_json_str(job, "name")))
		return false;
	if (s->label[0] != '\0') {
		json_array_foreach (json_object_get(job, "labels"), i, l)
			if (json_is_string(l) &&
			    strcmp(json_string_value(l), s->label) == 0)
				break;
		if (i == json_array_size(json_object_get(job, "labels")))
			return false;
	}
	if (s->tenant[0] != '\0' &&
	    ((v = fmt_json_str(job, "tenant")) == NULL ||
		strcmp(v, s->tenant) != 0))
		return false;
	/* Times as the dispatcher writes them compare as text. */
	v = fmt_json_str(job, "submitted_at");
	if (s->since[0] != '\0' && (v == NULL || strcmp(v, s->since) < 0))
		return false;
	if (s->until[0] != '\0' && (v == NULL || strcmp(v, s->until) >= 0))
		return false;
	return true;
}

/* Fetch the selected jobs. */
int
jobsel_fetch(struct cli *cli, const struct jobsel *s, long limit, json_t **out)
{
	json_t *all = json_array(), *page = NULL, *jobs, *next, *job;
	char *path = NULL, before[64] = "";
	size_t i, qlen;
	long want;
	int rc = EX_OSERR, n;

	if (all == NULL || (path = malloc(JOBSEL_QUERY_MAX)) == NULL)
		goto out;
	n = snprintf(path, JOBSEL_QUERY_MAX, "/v1/jobs?");
	if (jobsel_query(s, path + n, JOBSEL_QUERY_MAX - (size_t)n - 64) ==
	    -1) {
		cli_warn("the selection is too long for one request");
		rc = EX_USAGE;
		goto out;
	}
	qlen = strlen(path);
	for (;;) {
		want = limit - (long)json_array_size(all);
		if (want > JOBSEL_PAGE)
			want = JOBSEL_PAGE;
		n = (int)qlen;
		n += snprintf(path + n, JOBSEL_QUERY_MAX - (size_t)n,
		    "%slimit=%ld", path[n - 1] == '?' ? "" : "&", want);
		if (before[0] != '\0')
			snprintf(path + n, JOBSEL_QUERY_MAX - (size_t)n,
			    "&before=%s", before);
		json_decref(page);
		page = NULL;
		if ((rc = cli_call(cli, "GET", path, NULL, NULL, &page)) != 0)
			goto out;
		jobs = json_object_get(page, "jobs");
		if (!json_is_array(jobs)) {
			cli_warn("the dispatcher's job list has no \"jobs\"");
			rc = EX_PROTOCOL;
			goto out;
		}
		json_array_foreach (jobs, i, job) {
			if ((long)json_array_size(all) >= limit)
				break;
			if (!jobsel_match(s, job))
				continue;
			if (json_array_append(all, job) == -1) {
				rc = EX_OSERR;
				goto out;
			}
		}
		next = json_object_get(page, "next_before");
		if ((long)json_array_size(all) >= limit ||
		    json_array_size(jobs) == 0 || !json_is_string(next) ||
		    !fmt_job_id_ok(json_string_value(next)) ||
		    strcmp(json_string_value(next), before) == 0)
			break;
		snprintf(before, sizeof(before), "%s", json_string_value(next));
	}
	/* As the API shapes one page, with the last page's cursor. */
	next = json_object_get(page, "next_before");
	if ((*out = json_pack("{s:O, s:O}", "jobs", all, "next_before",
		 next != NULL ? next : json_null())) == NULL) {
		rc = EX_OSERR;
		goto out;
	}
	rc = 0;
out:
	if (rc == EX_OSERR)
		cli_warn("out of memory");
	free(path);
	json_decref(page);
	json_decref(all);
	return rc;
}

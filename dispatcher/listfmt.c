/* The columns of `sluice list`: see listfmt.h. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"
#include "listfmt.h"

/*
 * The fields: squeue's letter where it has one for the same thing (0:
 * none), the name, squeue -O's names for it, the header, whether it is
 * right-justified unless the format says, and what it is.
 */
static const struct listfmt_def {
	char letter;
	const char *name;
	const char *aliases[3];
	const char *header;
	bool right;
	const char *help;
} listfmt_defs[] = {
	[LISTFMT_ID] = { 'i', "id", { "jobid" }, "JOBID", true,
	    "the job's id" },
	[LISTFMT_NAME] = { 'j', "name", { "jobname" }, "NAME", false,
	    "its name (submit -J)" },
	[LISTFMT_TENANT] = { 'u', "tenant", { "user", "username" }, "TENANT",
	    false, "the tenant (the token's name): squeue's user" },
	[LISTFMT_RUNTIME] = { 'P', "runtime", { "partition" }, "RUNTIME", false,
	    "its runtime: squeue's partition" },
	[LISTFMT_ST] = { 't', "st", { "statecompact" }, "ST", true,
	    "its state's code: PD, R, CD, ..." },
	[LISTFMT_STATE] = { 'T', "state", { "statelong" }, "STATE", false,
	    "its state: PENDING, RUNNING, ..." },
	[LISTFMT_TIME] = { 'M', "time", { "timeused" }, "TIME", true,
	    "its current attempt's run; 0:00 if pending" },
	[LISTFMT_WHERE] = { 'R', "where", { "reasonlist", "nodereason" },
	    "NODE(REASON)", false, "its node, or (why it waits) if pending" },
	[LISTFMT_NODE] = { 'N', "node", { "nodelist" }, "NODE", false,
	    "the node of its latest attempt" },
	[LISTFMT_REASON] = { 'r', "reason", { 0 }, "REASON", false,
	    "why it waits, or how it ended" },
	[LISTFMT_SUBMITTED] = { 'V', "submitted",
	    { "submittime", "submitted_at" }, "SUBMIT_TIME", false,
	    "when it was submitted (UTC)" },
	[LISTFMT_STARTED] = { 'S', "started", { "starttime", "started_at" },
	    "START_TIME", false, "when it first started" },
	[LISTFMT_FINISHED] = { 'e', "finished", { "endtime", "finished_at" },
	    "END_TIME", false, "when it ended" },
	[LISTFMT_TIME_LIMIT] = { 'l', "time_limit", { "timelimit" },
	    "TIME_LIMIT", true, "its wall_seconds limit" },
	[LISTFMT_MEMORY] = { 'm', "memory", { "minmemory" }, "MEMORY", true,
	    "its memory_bytes limit" },
	[LISTFMT_LABELS] = { 'f', "labels", { "feature", "features" }, "LABELS",
	    false, "the labels it asked for: features" },
	[LISTFMT_ATTEMPTS] = { 0, "attempts", { "restartcnt" }, "ATTEMPTS",
	    true, "attempts started so far" },
	[LISTFMT_VERDICT] = { 0, "verdict", { 0 }, "VERDICT", false,
	    "how its program ended: ok, exited, ..." },
	[LISTFMT_EXIT_CODE] = { 0, "exit_code", { "exitcode" }, "EXIT_CODE",
	    true, "its program's exit code" },
	[LISTFMT_SIGNAL] = { 0, "signal", { 0 }, "SIGNAL", true,
	    "the signal that killed its program" },
	[LISTFMT_CPU_SECONDS] = { 0, "cpu_seconds", { "totalcpu" },
	    "CPU_SECONDS", true, "CPU time its program used" },
	[LISTFMT_WALL_SECONDS] = { 0, "wall_seconds", { "elapsed" },
	    "WALL_SECONDS", true, "wall time of its last attempt's run" },
	[LISTFMT_MAX_RSS] = { 0, "max_rss", { "memory_peak_bytes" }, "MAX_RSS",
	    true, "its program's peak memory" },
};
#define LISTFMT_NDEFS (sizeof(listfmt_defs) / sizeof(listfmt_defs[0]))

/* Add a column of field def to f; -1 (e set) if there is no room. */
static int
listfmt_add(struct listfmt *f, size_t def, bool right_given, size_t width,
    struct error *e)
{
	if (f->ncols == LISTFMT_COLS_MAX)
		return error_set(e, ERR_INVALID, "more than %d columns",
		    LISTFMT_COLS_MAX);
	f->fields[f->ncols] = (enum listfmt_field)def;
	f->headers[f->ncols] = listfmt_defs[def].header;
	/* As squeue: '.' right-justifies; a width alone left-justifies. */
	f->right[f->ncols] = right_given ||
	    (width == 0 && listfmt_defs[def].right);
	f->widths[f->ncols] = width;
	f->ncols++;
	return 0;
}

/* Read an optional '.' and width at *p, moving past them. */
static int
listfmt_width(const char **p, bool *right, size_t *width, struct error *e)
{
	*right = false;
	*width = 0;
	if (**p == '.') {
		*right = true;
		(*p)++;
	}
	for (; **p >= '0' && **p <= '9'; (*p)++) {
		*width = *width * 10 + (size_t)(**p - '0');
		if (*width > LISTFMT_WIDTH_MAX)
			return error_set(e, ERR_INVALID,
			    "a width is at most %d", LISTFMT_WIDTH_MAX);
	}
	return 0;
}

/* squeue -o's way: "%.10i %j %T". */
static int
listfmt_parse_letters(const char *spec, struct listfmt *f, struct error *e)
{
	const char *p = spec;
	size_t width, i;
	bool right;

	while (*p != '\0') {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (*p != '%')
			return error_set(e, ERR_INVALID,
			    "'%c' at byte %zu: only white space may stand "
			    "between %% columns (--parsable puts '|' between "
			    "them)",
			    (unsigned char)*p >= 0x20 && *p != 0x7f ? *p : '?',
			    (size_t)(p - spec) + 1);
		p++;
		if (listfmt_width(&p, &right, &width, e) == -1)
			return -1;
		if (*p == '\0')
			return error_set(e, ERR_INVALID,
			    "the format ends in the middle of a %% column");
		for (i = 0; i < LISTFMT_NDEFS; i++)
			if (listfmt_defs[i].letter != 0 &&
			    listfmt_defs[i].letter == *p)
				break;
		if (i == LISTFMT_NDEFS)
			return error_set(e, ERR_INVALID,
			    "unknown field '%%%c' (sluice list --helpformat "
			    "lists them)",
			    (unsigned char)*p >= 0x20 && *p != 0x7f ? *p : '?');
		p++;
		if (listfmt_add(f, i, right, width, e) == -1)
			return -1;
	}
	return 0;
}

/* Whether the len bytes at s name def i, in any case. */
static bool
listfmt_named(size_t i, const char *s, size_t len)
{
	const struct listfmt_def *d = &listfmt_defs[i];
	size_t k;

	if (strlen(d->name) == len && strncasecmp(d->name, s, len) == 0)
		return true;
	for (k = 0; k < 3 && d->aliases[k] != NULL; k++)
		if (strlen(d->aliases[k]) == len &&
		    strncasecmp(d->aliases[k], s, len) == 0)
			return true;
	return false;
}

/* squeue -O's way: "id,name:20,state,time:.8". */
static int
listfmt_parse_names(const char *spec, struct listfmt *f, struct error *e)
{
	const char *p = spec, *name, *q;
	size_t len, width, i;
	bool right;

	while (*p != '\0') {
		if (*p == ',' || *p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		name = p;
		len = strcspn(p, ",: \t");
		p += len;
		right = false;
		width = 0;
		if (*p == ':') {
			p++;
			q = p;
			if (listfmt_width(&p, &right, &width, e) == -1)
				return -1;
			if (p == q + (right ? 1 : 0) ||
			    (*p != '\0' && strchr(", \t", *p) == NULL))
				return error_set(e, ERR_INVALID,
				    "'%.*s:' wants a width, such as :10 or "
				    ":.10",
				    (int)(len > 64 ? 64 : len), name);
		}
		for (i = 0; i < LISTFMT_NDEFS; i++)
			if (listfmt_named(i, name, len))
				break;
		if (i == LISTFMT_NDEFS) {
			char shown[65];
			size_t k;

			for (k = 0; k < len && k < sizeof(shown) - 1; k++)
				shown[k] = (unsigned char)name[k] >= 0x20 &&
					name[k] != 0x7f
				    ? name[k]
				    : '?';
			shown[k] = '\0';
			return error_set(e, ERR_INVALID,
			    "unknown field '%s' (sluice list --helpformat "
			    "lists them)",
			    shown);
		}
		if (listfmt_add(f, i, right, width, e) == -1)
			return -1;
	}
	return 0;
}

/* Parse a format. */
int
listfmt_parse(const char *spec, struct listfmt *out, struct error *e)
{
	struct listfmt f;

	memset(&f, 0, sizeof(f));
	if (strlen(spec) > LISTFMT_SPEC_MAX)
		return error_set(e, ERR_INVALID, "a format is at most %d bytes",
		    LISTFMT_SPEC_MAX);
	if ((strchr(spec, '%') != NULL
		    ? listfmt_parse_letters(spec, &f, e)
		    : listfmt_parse_names(spec, &f, e)) == -1)
		return -1;
	if (f.ncols == 0)
		return error_set(e, ERR_INVALID, "the format has no column");
	*out = f;
	return 0;
}

/* A member of obj that is a string, or "". */
static const char *
listfmt_str(const json_t *obj, const char *key)
{
	const char *s = fmt_json_str(obj, key);

	return s != NULL ? s : "";
}

/* A number member of obj as text (integers as such, reals to the
   millisecond), or "". */
static void
listfmt_number(const json_t *v, char *buf, size_t size)
{
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%.3f", json_real_value(v));
	else
		snprintf(buf, size, "%s", "");
}

/* The cell of one field. */
void
listfmt_cell(enum listfmt_field field, const json_t *job, double now, char *buf,
    size_t size)
{
	const json_t *limits = json_object_get(job, "limits"), *v;
	struct fmt_job_row row;
	size_t i, n;

	if (size == 0)
		return;
	buf[0] = '\0';
	switch (field) {
	case LISTFMT_ID:
	case LISTFMT_NAME:
	case LISTFMT_TENANT:
	case LISTFMT_RUNTIME:
	case LISTFMT_STATE:
	case LISTFMT_NODE:
	case LISTFMT_REASON:
	case LISTFMT_SUBMITTED:
	case LISTFMT_STARTED:
	case LISTFMT_FINISHED:
	case LISTFMT_VERDICT: {
		static const char *const keys[] = {
			[LISTFMT_ID] = "id",
			[LISTFMT_NAME] = "name",
			[LISTFMT_TENANT] = "tenant",
			[LISTFMT_RUNTIME] = "runtime",
			[LISTFMT_STATE] = "state",
			[LISTFMT_NODE] = "node",
			[LISTFMT_REASON] = "reason",
			[LISTFMT_SUBMITTED] = "submitted_at",
			[LISTFMT_STARTED] = "started_at",
			[LISTFMT_FINISHED] = "finished_at",
			[LISTFMT_VERDICT] = "verdict",
		};

		snprintf(buf, size, "%s", listfmt_str(job, keys[field]));
		break;
	}
	case LISTFMT_ST:
		snprintf(buf, size, "%s",
		    fmt_state_code(fmt_json_str(job, "state")));
		break;
	case LISTFMT_TIME:
		fmt_elapsed(fmt_job_elapsed(job, now), buf, size);
		break;
	case LISTFMT_WHERE:
		fmt_job_row(job, now, &row);
		snprintf(buf, size, "%s", row.where);
		break;
	case LISTFMT_TIME_LIMIT:
		v = json_object_get(limits, "wall_seconds");
		if (json_is_number(v))
			fmt_elapsed(json_number_value(v), buf, size);
		break;
	case LISTFMT_MEMORY:
	case LISTFMT_MAX_RSS:
		v = field == LISTFMT_MEMORY
		    ? json_object_get(limits, "memory_bytes")
		    : json_object_get(job, "memory_peak_bytes");
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			fmt_size((uint64_t)json_integer_value(v), buf, size);
		break;
	case LISTFMT_LABELS:
		json_array_foreach (json_object_get(job, "labels"), i, v) {
			if (!json_is_string(v))
				continue;
			n = strlen(buf);
			snprintf(buf + n, size - n, "%s%s", n > 0 ? "," : "",
			    json_string_value(v));
		}
		break;
	case LISTFMT_ATTEMPTS:
	case LISTFMT_EXIT_CODE:
	case LISTFMT_SIGNAL:
	case LISTFMT_CPU_SECONDS:
	case LISTFMT_WALL_SECONDS: {
		static const char *const keys[] = {
			[LISTFMT_ATTEMPTS] = "attempts",
			[LISTFMT_EXIT_CODE] = "exit_code",
			[LISTFMT_SIGNAL] = "signal",
			[LISTFMT_CPU_SECONDS] = "cpu_seconds",
			[LISTFMT_WALL_SECONDS] = "wall_seconds",
		};

		listfmt_number(json_object_get(job, keys[field]), buf, size);
		break;
	}
	}
}

/* Print the fields. */
void
listfmt_help(FILE *f)
{
	size_t i, k;

	for (i = 0; i < LISTFMT_NDEFS; i++) {
		const struct listfmt_def *d = &listfmt_defs[i];
		char letter[4] = "";

		if (d->letter != 0)
			snprintf(letter, sizeof(letter), "%%%c", d->letter);
		fprintf(f, "  %-3s %-13s %-13s %s\n", letter, d->name,
		    d->header, d->help);
		for (k = 0; k < 3 && d->aliases[k] != NULL; k++)
			fprintf(f, "%s%s", k == 0 ? "      also " : ", ",
			    d->aliases[k]);
		if (k > 0)
			fputc('\n', f);
	}
}

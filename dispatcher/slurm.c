/* The SLURM node kind's pure logic: see slurm.h. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"
#include "slurm.h"
#include "util.h"

static const struct {
	const char *name;
	enum slurm_state state;
} slurm_states[] = {
	{ "PENDING", SLURM_PENDING },
	{ "REQUEUED", SLURM_REQUEUED },
	{ "REQUEUE_HOLD", SLURM_REQUEUED },
	{ "REQUEUE_FED", SLURM_REQUEUED },
	{ "RESV_DEL_HOLD", SLURM_PENDING },
	{ "SUSPENDED", SLURM_SUSPENDED },
	{ "STOPPED", SLURM_SUSPENDED },
	{ "CONFIGURING", SLURM_CONFIGURING },
	{ "POWER_UP_NODE", SLURM_CONFIGURING },
	{ "RUNNING", SLURM_RUNNING },
	{ "RESIZING", SLURM_RUNNING },
	{ "SIGNALING", SLURM_RUNNING },
	{ "COMPLETING", SLURM_COMPLETING },
	{ "STAGE_OUT", SLURM_COMPLETING },
	{ "COMPLETED", SLURM_COMPLETED },
	{ "FAILED", SLURM_FAILED },
	{ "CANCELLED", SLURM_CANCELLED },
	{ "TIMEOUT", SLURM_TIMEOUT },
	{ "OUT_OF_MEMORY", SLURM_OUT_OF_MEMORY },
	{ "NODE_FAIL", SLURM_NODE_FAIL },
	{ "PREEMPTED", SLURM_PREEMPTED },
	{ "BOOT_FAIL", SLURM_BOOT_FAIL },
	{ "DEADLINE", SLURM_DEADLINE },
	{ "SPECIAL_EXIT", SLURM_ENDED_OTHER },
	{ "REVOKED", SLURM_ENDED_OTHER },
};
#define SLURM_NSTATES (sizeof(slurm_states) / sizeof(slurm_states[0]))

/* A state's name. */
const char *
slurm_state_name(enum slurm_state s)
{
	size_t i;

	for (i = 0; i < SLURM_NSTATES; i++)
		if (slurm_states[i].state == s)
			return slurm_states[i].name;
	return "UNKNOWN";
}

/* The state called name. */
enum slurm_state
slurm_state_parse(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < SLURM_NSTATES; i++)
		if (strlen(slurm_states[i].name) == len &&
		    memcmp(slurm_states[i].name, name, len) == 0)
			return slurm_states[i].state;
	return SLURM_UNKNOWN;
}

/* Whether s is an end. */
bool
slurm_state_ended(enum slurm_state s)
{
	return s >= SLURM_COMPLETED;
}

/* Whether s is a running state. */
bool
slurm_state_running(enum slurm_state s)
{
	return s == SLURM_CONFIGURING || s == SLURM_RUNNING ||
	    s == SLURM_COMPLETING;
}

/* Whether s loses the attempt with its node. */
bool
slurm_state_node_lost(enum slurm_state s)
{
	return s == SLURM_NODE_FAIL || s == SLURM_PREEMPTED ||
	    s == SLURM_BOOT_FAIL;
}

/* What SLURM knows of an end the agent saw as a cancel. */
void
slurm_result_adjust(enum slurm_state st, bool cancel_asked,
    enum verdict *verdict, char *message, size_t size)
{
	if (cancel_asked || *verdict != VERDICT_CANCELLED)
		return;
	switch (st) {
	case SLURM_CANCELLED:
		snprintf(message, size, "cancelled in SLURM (scancel)");
		break;
	case SLURM_TIMEOUT:
		*verdict = VERDICT_WALL_LIMIT;
		snprintf(message, size, "SLURM time limit");
		break;
	case SLURM_OUT_OF_MEMORY:
		*verdict = VERDICT_MEMORY_LIMIT;
		snprintf(message, size, "SLURM memory limit (OUT_OF_MEMORY)");
		break;
	default:
		break;
	}
}

/* How an end without a result ends the attempt. */
void
slurm_end_map(enum slurm_state st, const char *slurm_id, bool cancel_asked,
    struct slurm_end *out)
{
	memset(out, 0, sizeof(*out));
	switch (st) {
	case SLURM_CANCELLED:
		out->final = true;
		out->state = JOB_CANCELLED;
		out->has_verdict = true;
		out->verdict = VERDICT_CANCELLED;
		snprintf(out->reason, sizeof(out->reason), "%s",
		    cancel_asked ? "cancelled"
				 : "cancelled in SLURM (scancel)");
		return;
	case SLURM_TIMEOUT:
		out->final = true;
		out->state = JOB_TIMEOUT;
		out->has_verdict = true;
		out->verdict = VERDICT_WALL_LIMIT;
		snprintf(out->reason, sizeof(out->reason), "SLURM time limit");
		return;
	case SLURM_OUT_OF_MEMORY:
		out->final = true;
		out->state = JOB_OUT_OF_MEMORY;
		out->has_verdict = true;
		out->verdict = VERDICT_MEMORY_LIMIT;
		snprintf(out->reason, sizeof(out->reason),
		    "SLURM memory limit (OUT_OF_MEMORY)");
		return;
	case SLURM_NODE_FAIL:
	case SLURM_PREEMPTED:
	case SLURM_BOOT_FAIL:
		out->node_lost = true;
		snprintf(out->reason, sizeof(out->reason),
		    "SLURM job %s ended %s", slurm_id, slurm_state_name(st));
		return;
	default:
		if (cancel_asked) {
			out->final = true;
			out->state = JOB_CANCELLED;
			out->has_verdict = true;
			out->verdict = VERDICT_CANCELLED;
			snprintf(out->reason, sizeof(out->reason), "cancelled");
			return;
		}
		snprintf(out->reason, sizeof(out->reason),
		    st == SLURM_UNKNOWN
			? "SLURM no longer knows job %s, and it left no result"
			: "SLURM job %s ended %s without a result",
		    slurm_id, slurm_state_name(st));
		return;
	}
}

/* Whether id is 1 to 19 digits, not starting with 0. */
bool
slurm_id_ok(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > 19 || id[0] == '0')
		return false;
	for (i = 0; i < n; i++)
		if (id[i] < '0' || id[i] > '9')
			return false;
	return true;
}

/* The entry of st for the id of len bytes, or NULL. */
static struct slurm_status *
slurm_find(struct slurm_status *st, size_t n, const char *id, size_t len)
{
	size_t i;

	if (len == 0 || len >= SLURM_ID_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		if (strlen(st[i].id) == len && memcmp(st[i].id, id, len) == 0)
			return &st[i];
	return NULL;
}

/*
 * One line "ID|STATE[ more]|REASON" (sacct: no reason; the state's first
 * word counts, as in "CANCELLED by 0").  0 if taken, -1 if ignored.
 */
static int
slurm_line(const char *line, size_t len, bool sacct, struct slurm_status *st,
    size_t n)
{
	const char *bar1, *bar2, *end, *word_end;
	struct slurm_status *s;
	enum slurm_state state;
	size_t i, k;

	end = line + len;
	if (len > SLURM_LINE_MAX || (bar1 = memchr(line, '|', len)) == NULL)
		return -1;
	bar2 = memchr(bar1 + 1, '|', (size_t)(end - bar1 - 1));
	if (sacct) {
		/* A trailing '|' (sacct -P ends some fields so) is fine. */
		if (bar2 != NULL && bar2 + 1 != end)
			return -1;
		if (bar2 == NULL)
			bar2 = end;
	} else if (bar2 == NULL)
		return -1;
	word_end = memchr(bar1 + 1, ' ', (size_t)(bar2 - bar1 - 1));
	if (word_end == NULL || !sacct)
		word_end = bar2;
	state = slurm_state_parse(bar1 + 1, (size_t)(word_end - bar1 - 1));
	if (state == SLURM_UNKNOWN)
		return -1;
	s = slurm_find(st, n, line, (size_t)(bar1 - line));
	if (s == NULL || s->found)
		return -1;
	s->found = true;
	s->state = state;
	s->reason[0] = '\0';
	if (!sacct) {
		/* Printable, cut: it goes into the job's reason. */
		for (i = 0, k = 0;
		     bar2 + 1 + i < end && k < sizeof(s->reason) - 1; i++) {
			unsigned char c = (unsigned char)bar2[1 + i];

			s->reason[k++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
		}
		s->reason[k] = '\0';
	}
	return 0;
}

/* Split out into lines and take each. */
static size_t
slurm_lines(const char *out, size_t len, bool sacct, struct slurm_status *st,
    size_t n)
{
	const char *p = out, *end = out + len, *nl;
	size_t bad = 0, l;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = (size_t)((nl != NULL ? nl : end) - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l > 0 && slurm_line(p, l, sacct, st, n) == -1)
			bad++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return bad;
}

/* Read squeue's lines. */
size_t
slurm_squeue_parse(const char *out, size_t len, struct slurm_status *st,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		st[i].found = false;
		st[i].state = SLURM_UNKNOWN;
		st[i].reason[0] = '\0';
	}
	return slurm_lines(out, len, false, st, n);
}

/* Read sacct's lines into the entries not found yet. */
size_t
slurm_sacct_parse(const char *out, size_t len, struct slurm_status *st,
    size_t n)
{
	return slurm_lines(out, len, true, st, n);
}

/* The job of a name that runs in jobdir. */
size_t
slurm_byname_parse(const char *out, size_t len, const char *jobdir,
    char id[SLURM_ID_MAX], bool *live)
{
	const char *p = out, *end = out + len, *nl, *bar1, *bar2;
	size_t l, dl = strlen(jobdir), found = 0;
	struct slurm_status st;

	id[0] = '\0';
	*live = false;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = (size_t)((nl != NULL ? nl : end) - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		/* "ID|STATE|REASON|DIR": the directory is the end. */
		if (l <= SLURM_LINE_MAX && l > dl + 1 && p[l - dl - 1] == '|' &&
		    memcmp(p + l - dl, jobdir, dl) == 0 &&
		    (bar1 = memchr(p, '|', l)) != NULL &&
		    (bar2 = memchr(bar1 + 1, '|',
			 (size_t)(p + l - bar1 - 1))) != NULL &&
		    (size_t)(bar1 - p) < SLURM_ID_MAX) {
			memset(&st, 0, sizeof(st));
			memcpy(st.id, p, (size_t)(bar1 - p));
			st.state = slurm_state_parse(bar1 + 1,
			    (size_t)(bar2 - bar1 - 1));
			if (slurm_id_ok(st.id) && st.state != SLURM_UNKNOWN) {
				found++;
				if (id[0] == '\0' ||
				    (!*live && !slurm_state_ended(st.state))) {
					memcpy(id, st.id, SLURM_ID_MAX);
					*live = !slurm_state_ended(st.state);
				}
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return found;
}

/* The id sbatch --parsable printed. */
int
slurm_sbatch_parse(const char *out, size_t len, char id[SLURM_ID_MAX],
    struct error *e)
{
	char buf[SLURM_ID_MAX], seen[41];
	size_t n = 0, i, k;

	/* "ID" or "ID;CLUSTER", then line ends or blanks at most. */
	while (n < len && out[n] >= '0' && out[n] <= '9')
		n++;
	i = n;
	if (i < len && out[i] == ';')
		for (i++; i < len &&
		     (isalnum((unsigned char)out[i]) || out[i] == '_' ||
			 out[i] == '-' || out[i] == '.');
		     i++)
			;
	while (i < len && (out[i] == '\n' || out[i] == '\r' || out[i] == ' '))
		i++;
	if (n == 0 || n >= sizeof(buf) || i != len) {
		/* What it printed, printable and cut, for the operator. */
		for (k = 0; k < len && k < sizeof(seen) - 1; k++)
			seen[k] = out[k] < 0x20 || out[k] >= 0x7f ? '?'
								  : out[k];
		seen[k] = '\0';
		return error_set(e, ERR_INVALID,
		    "sbatch did not print a job id (--parsable): '%s'", seen);
	}
	memcpy(buf, out, n);
	buf[n] = '\0';
	if (!slurm_id_ok(buf))
		return error_set(e, ERR_INVALID,
		    "sbatch printed '%s', not a job id", buf);
	memcpy(id, buf, n + 1);
	return 0;
}

/* --time in minutes. */
unsigned long
slurm_time_minutes(double wall_seconds, double compile_wall_seconds,
    double margin_seconds)
{
	double m = ceil(
	    (wall_seconds + compile_wall_seconds + margin_seconds) / 60.0);

	if (!(m >= 1))
		return 1;
	if (m > 1e7)
		return 10000000;
	return (unsigned long)m;
}

/* --mem in MiB. */
uint64_t
slurm_mem_mb(uint64_t memory_bytes, uint64_t margin_bytes)
{
	const uint64_t mib = 1024 * 1024;
	uint64_t b = memory_bytes + margin_bytes;

	if (b < memory_bytes) /* wrapped */
		b = UINT64_MAX;
	b = b / mib + (b % mib != 0);
	return b == 0 ? 1 : b;
}

/* A growing argv of new strings. */
struct slurm_argv {
	char **v;
	size_t n;
	bool failed;
};

static void slurm_push(struct slurm_argv *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append one formatted word. */
static void
slurm_push(struct slurm_argv *a, const char *fmt, ...)
{
	char **v;
	va_list ap;
	char *w;

	if (a->failed)
		return;
	va_start(ap, fmt);
	if (vasprintf(&w, fmt, ap) == -1)
		w = NULL;
	va_end(ap);
	if (w == NULL || (v = realloc(a->v, (a->n + 2) * sizeof(*v))) == NULL) {
		free(w);
		a->failed = true;
		return;
	}
	a->v = v;
	a->v[a->n++] = w;
	a->v[a->n] = NULL;
}

/* The finished array, or NULL (freed) on failure. */
static char **
slurm_done(struct slurm_argv *a, size_t *n)
{
	if (a->failed) {
		util_strv_free(a->v, a->n);
		return NULL;
	}
	*n = a->n;
	return a->v;
}

/* A SLURM command's path: bin_dir/name, or name (the login PATH). */
static void
slurm_push_cmd(struct slurm_argv *a, const struct settings_node *nd,
    const char *name)
{
	if (nd->slurm.bin_dir[0] != '\0')
		slurm_push(a, "%s/%s", nd->slurm.bin_dir, name);
	else
		slurm_push(a, "%s", name);
}

/* sbatch's argv. */
char **
slurm_sbatch_argv(const struct settings_node *nd, int64_t id,
    const char *jobdir, unsigned long minutes, uint64_t mem_mb, size_t *n)
{
	const struct settings_slurm *sl = &nd->slurm;
	struct slurm_argv a = { NULL, 0, false };
	size_t i;

	slurm_push_cmd(&a, nd, "sbatch");
	slurm_push(&a, "--parsable");
	slurm_push(&a, "--job-name=sluice-%lld", (long long)id);
	if (sl->partition[0] != '\0')
		slurm_push(&a, "--partition=%s", sl->partition);
	if (sl->account[0] != '\0')
		slurm_push(&a, "--account=%s", sl->account);
	if (sl->qos[0] != '\0')
		slurm_push(&a, "--qos=%s", sl->qos);
	slurm_push(&a, "--time=%lu", minutes);
	slurm_push(&a, "--mem=%lluM", (unsigned long long)mem_mb);
	slurm_push(&a, "--cpus-per-task=1");
	slurm_push(&a, "--ntasks=1");
	slurm_push(&a, "--no-requeue");
	slurm_push(&a, "--output=/dev/null");
	slurm_push(&a, "--error=/dev/null");
	slurm_push(&a, "--chdir=%s", jobdir);
	for (i = 0; i < sl->noptions; i++)
		slurm_push(&a, "%s", sl->options[i]);
	return slurm_done(&a, n);
}

/* The ids as one "-j" list. */
static void
slurm_push_ids(struct slurm_argv *a, const char *opt,
    const struct slurm_status *st, size_t nst)
{
	size_t i, len = strlen(opt) + 1;
	char *w;

	for (i = 0; i < nst; i++)
		len += strlen(st[i].id) + 1;
	if (a->failed || (w = malloc(len)) == NULL) {
		a->failed = true;
		return;
	}
	strcpy(w, opt);
	for (i = 0; i < nst; i++) {
		if (i > 0)
			strcat(w, ",");
		strcat(w, st[i].id);
	}
	slurm_push(a, "%s", w);
	free(w);
}

/* squeue's argv. */
char **
slurm_squeue_argv(const struct settings_node *nd, const struct slurm_status *st,
    size_t nst, size_t *n)
{
	struct slurm_argv a = { NULL, 0, false };

	slurm_push_cmd(&a, nd, "squeue");
	slurm_push(&a, "-h");
	slurm_push(&a, "--states=all");
	slurm_push_ids(&a, "--jobs=", st, nst);
	slurm_push(&a, "-o");
	slurm_push(&a, "%%i|%%T|%%r");
	return slurm_done(&a, n);
}

/* squeue's argv for a job's name, with each job's directory. */
char **
slurm_byname_argv(const struct settings_node *nd, int64_t id, size_t *n)
{
	struct slurm_argv a = { NULL, 0, false };

	slurm_push_cmd(&a, nd, "squeue");
	slurm_push(&a, "-h");
	slurm_push(&a, "--states=all");
	slurm_push(&a, "--user=%s", nd->user);
	slurm_push(&a, "--name=sluice-%lld", (long long)id);
	slurm_push(&a, "-o");
	slurm_push(&a, "%%i|%%T|%%r|%%Z");
	return slurm_done(&a, n);
}

/* sacct's argv. */
char **
slurm_sacct_argv(const struct settings_node *nd, const struct slurm_status *st,
    size_t nst, size_t *n)
{
	struct slurm_argv a = { NULL, 0, false };

	slurm_push_cmd(&a, nd, "sacct");
	slurm_push(&a, "-n");
	slurm_push(&a, "-P");
	slurm_push(&a, "-X");
	slurm_push_ids(&a, "--jobs=", st, nst);
	slurm_push(&a, "--format=JobIDRaw,State");
	return slurm_done(&a, n);
}

/* scancel's argv. */
char **
slurm_scancel_argv(const struct settings_node *nd, const char *id, size_t *n)
{
	struct slurm_argv a = { NULL, 0, false };

	slurm_push_cmd(&a, nd, "scancel");
	slurm_push(&a, "%s", id);
	return slurm_done(&a, n);
}

/* squeue --version's argv. */
char **
slurm_version_argv(const struct settings_node *nd, size_t *n)
{
	struct slurm_argv a = { NULL, 0, false };

	slurm_push_cmd(&a, nd, "squeue");
	slurm_push(&a, "--version");
	return slurm_done(&a, n);
}

/* The agent's argv with a verb and the job directory, quoted. */
static char *
slurm_agent_line(const struct settings_node *nd, const char *verb,
    const char *jobdir)
{
	const char **argv;
	char *line;
	size_t i;

	if ((argv = calloc(nd->nagent + 3, sizeof(*argv))) == NULL)
		return NULL;
	for (i = 0; i < nd->nagent; i++)
		argv[i] = nd->agent[i];
	argv[i++] = verb;
	argv[i++] = jobdir;
	argv[i] = NULL;
	line = remote_channel_quote(argv);
	free(argv);
	return line;
}

/* The batch script. */
char *
slurm_script(const struct settings_node *nd, int64_t id, int attempt,
    const char *jobdir)
{
	char *run = slurm_agent_line(nd, "run", jobdir);
	char *cancel = slurm_agent_line(nd, "cancel", jobdir);
	char *script = NULL;

	/*
	 * The agent's run stays in the foreground of a background job, so
	 * that the shell can take SLURM's SIGTERM (scancel, its time limit)
	 * while it waits: the trap cancels the sandbox through the agent,
	 * waits for the run to report, and ends.  The agent writes the
	 * job's files itself (sbatch's own output goes to /dev/null).
	 */
	if (run != NULL && cancel != NULL &&
	    asprintf(&script,
		"#!/bin/sh\n"
		"# sluice job %lld, attempt %d\n"
		"sluice_cancel() {\n"
		"\t%s >/dev/null 2>&1\n"
		"\twait \"$sluice_pid\"\n"
		"\texit 143\n"
		"}\n"
		"trap sluice_cancel TERM INT HUP\n"
		"%s </dev/null >/dev/null 2>&1 &\n"
		"sluice_pid=$!\n"
		"wait \"$sluice_pid\"\n",
		(long long)id, attempt, cancel, run) == -1)
		script = NULL;
	free(run);
	free(cancel);
	return script;
}

/* sluice list: the caller's jobs as an squeue-like table, newest first. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd.h"

#define CMD_LIST_DEFAULT 100
#define CMD_LIST_MAX 100000
#define CMD_LIST_PAGE 1000 /* jobs asked for in one request */

enum {
	CMD_LIST_STATE = CLI_OPT_VERB,
	CMD_LIST_LIMIT
};

/* Print the verb's usage. */
static void
cmd_list_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice list [-t|--state S] [--limit N] [-h|--noheader]\n"
	    "                   [--parsable | --json]\n"
	    "Lists jobs, newest first (all of them with the admin token, "
	    "else the\ntoken's own), as squeue does:\n\n"
	    "  JOBID TENANT RUNTIME ST TIME NODE(REASON)\n\n"
	    "ST is PD (PENDING), R (RUNNING), CG (COMPLETING), CD "
	    "(COMPLETED), F (FAILED),\nTO (TIMEOUT), OOM (OUT_OF_MEMORY), "
	    "CA (CANCELLED) or NF (NODE_FAIL).  TIME\nhas run from start to "
	    "end (or now) as [days-]hours:minutes:seconds or\n"
	    "minutes:seconds, 0:00 if it has not started.  NODE(REASON) is "
	    "the node, or\nwhy a pending job waits in parentheses.\n\n"
	    "  -t, --state S      only jobs in state S (a name or a code: "
	    "RUNNING, r, PD)\n"
	    "  --limit N          at most N jobs (default %d)\n"
	    "  -h, --noheader     no header line\n"
	    "  --parsable         '|' between the columns, none at the end\n"
	    "  --json             {\"jobs\": [...], \"next_before\": ...} as "
	    "the API gives it\n"
	    "%s\n%s",
	    CMD_LIST_DEFAULT, cli_common_help, cli_exit_help);
}

/* Fetch up to limit jobs, page after page, into *out; 0 or a status. */
static int
cmd_list_fetch(struct cli *cli, const char *state, long limit, json_t **out)
{
	char path[CLI_PATH_MAX], before[64] = "";
	json_t *all = json_array(), *page = NULL, *jobs, *next, *job;
	long want;
	size_t i;
	int rc = EX_OSERR, n;

	if (all == NULL)
		goto out;
	for (;;) {
		want = limit - (long)json_array_size(all);
		if (want > CMD_LIST_PAGE)
			want = CMD_LIST_PAGE;
		n = snprintf(path, sizeof(path), "/v1/jobs?limit=%ld", want);
		if (state != NULL)
			n += snprintf(path + n, sizeof(path) - (size_t)n,
			    "&state=%s", state);
		if (before[0] != '\0')
			snprintf(path + n, sizeof(path) - (size_t)n,
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
	json_decref(page);
	json_decref(all);
	return rc;
}

/* A job's line, in rows (cells point into it). */
struct cmd_list_rows {
	double now;
	struct fmt_job_row row;
};

static void
cmd_list_row(const json_t *job, const char **cells, void *arg)
{
	struct cmd_list_rows *rows = arg;

	fmt_job_row(job, rows->now, &rows->row);
	cells[0] = rows->row.id;
	cells[1] = rows->row.tenant;
	cells[2] = rows->row.runtime;
	cells[3] = rows->row.st;
	cells[4] = rows->row.time;
	cells[5] = rows->row.where;
}

/* List jobs. */
static int
cmd_list_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, CMD_LIST_LIMIT },
		CLI_OPTIONS_LISTING,
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = { "JOBID", "TENANT", "RUNTIME",
		"ST", "TIME", "NODE(REASON)" };
	static const bool right[] = { true, false, false, true, true, false };
	struct cmd_list_rows rows;
	struct cli_listing out;
	const char *state = NULL;
	struct table t;
	struct timespec now;
	json_t *list = NULL;
	long limit = CMD_LIST_DEFAULT;
	struct cli cli;
	char *end;
	int ch, rc;

	cli_init(&cli, "list");
	cli_listing_init(&out);
	table_init(&t, 6, headers, right);
	while ((ch = cli_getopt(&cli, argc, argv, ":ht:", opts)) != -1) {
		switch (ch) {
		case CLI_OPT_HELP:
			cmd_list_usage(stdout);
			return 0;
		case 't':
			if ((state = fmt_state_canonical(optarg)) == NULL)
				return cli_usage_error(&cli,
				    "'%s' is not a job state", optarg);
			break;
		case CMD_LIST_LIMIT:
			limit = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' ||
			    *end != '\0' || limit < 1 || limit > CMD_LIST_MAX)
				return cli_usage_error(&cli,
				    "--limit wants 1 to %d, not '%s'",
				    CMD_LIST_MAX, optarg);
			break;
		default:
			if (cli_listing_opt(&out, ch))
				break;
			return cli_bad_option(&cli, ch, argv);
		}
	}
	if ((rc = cli_listing_check(&cli, &out, argc, argv)) != 0)
		return rc;
	if ((rc = cli_connect(&cli)) != 0 ||
	    (rc = cmd_list_fetch(&cli, state, limit, &list)) != 0)
		goto out;
	clock_gettime(CLOCK_REALTIME, &now);
	rows.now = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	rc = cli_listing_print(&out, list, "jobs", &t, cmd_list_row, &rows);
out:
	table_release(&t);
	json_decref(list);
	return rc;
}

const struct cmd_entry cmd_list_entry = {
	"list",
	"list jobs (squeue-like)",
	cmd_list_exec,
};

/* sluice list: the caller's jobs as an squeue-like table, newest first. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "jobsel.h"
#include "listfmt.h"

#define CMD_LIST_DEFAULT 100
#define CMD_LIST_MAX 100000
#define CMD_LIST_ITERATE_MAX 86400

enum {
	CMD_LIST_LIMIT = CLI_OPT_VERB,
	CMD_LIST_LABEL,
	CMD_LIST_ME,
	CMD_LIST_HELPFORMAT
};

/* Print the verb's usage. */
static void
cmd_list_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice list [-t STATES] [-j IDS] [-n NAMES] [--label L] "
	    "[-u TENANT | --me]\n"
	    "                   [-S|--since TIME] [-E|--until TIME] "
	    "[--limit N]\n"
	    "                   [-o FORMAT] [-i SECONDS] [-h|--noheader]\n"
	    "                   [--parsable | --json]\n"
	    "Lists jobs, newest first (all of them with the admin token, "
	    "else the\ntoken's own), as squeue does:\n\n"
	    "  JOBID NAME TENANT RUNTIME ST TIME NODE(REASON)\n\n"
	    "ST is PD (PENDING), R (RUNNING), CG (COMPLETING), CD "
	    "(COMPLETED), F (FAILED),\nTO (TIMEOUT), OOM (OUT_OF_MEMORY), "
	    "CA (CANCELLED) or NF (NODE_FAIL).  TIME\nhas run from the "
	    "current attempt's start to its end (or now) as\n"
	    "[days-]hours:minutes:seconds or minutes:seconds; 0:00 while "
	    "pending, after a\nrequeue too.  NODE(REASON) is the node, or "
	    "why a pending job waits in\nparentheses.\n\n"
	    "  -t, --states S,... only jobs in these states (names or "
	    "codes: R,PD;\n"
	    "                     running; all)\n"
	    "  -j, --jobs ID,...  only these jobs\n"
	    "  -n, --name N,...   only jobs of these names (submit -J)\n"
	    "  --label L          only jobs that asked for label L\n"
	    "  -u, --tenant T     only tenant T's jobs (another tenant's "
	    "with the admin\n"
	    "                     token only); --user T is the same\n"
	    "  --me               only the token's own tenant's jobs (as "
	    "squeue --me)\n"
	    "  -S, --since TIME   only jobs submitted at TIME or later\n"
	    "  -E, --until TIME   only jobs submitted before TIME.  A TIME is "
	    "YYYY-MM-DD,\n"
	    "                     YYYY-MM-DDTHH:MM[:SS] (local time), an RFC "
	    "3339 time,\n"
	    "                     now-N[s|m|h|d|w], today or yesterday\n"
	    "  --limit N          at most N jobs (default %d)\n"
	    "  -o, --format F     the columns: \"%%i %%j %%T %%M %%R\" or "
	    "\"id,name,state\"\n"
	    "                     (default: $SLUICE_FORMAT, or \"%s\");\n"
	    "                     --helpformat lists the fields\n"
	    "  -i, --iterate S    list again every S seconds until "
	    "interrupted\n"
	    "  -h, --noheader     no header line\n"
	    "  --parsable         '|' between the columns, none at the end\n"
	    "  --json             {\"jobs\": [...], \"next_before\": ...} as "
	    "the API gives it\n"
	    "%s\n%s",
	    CMD_LIST_DEFAULT, LISTFMT_DEFAULT, cli_common_help, cli_exit_help);
}

/* Print the fields of -o/--format. */
static void
cmd_list_helpformat(FILE *f)
{
	fprintf(f,
	    "The fields of sluice list -o/--format (and SLUICE_FORMAT), by "
	    "squeue -o's\nletter and by name (squeue -O's names too):\n\n");
	listfmt_help(f);
	fprintf(f,
	    "\nAs squeue -o: \"%%i %%.20j %%T\": each column a %%, an "
	    "optional '.' (right-\njustified), an optional minimum width and "
	    "the letter, white space between.\nAs squeue -O: \"id,name:20,"
	    "state\": names (any case) with an optional\n\":[.]width\".  A "
	    "value is never cut.\n");
}

/* What a line of the table is made of. */
struct cmd_list_rows {
	double now;
	const struct listfmt *fmt;
	char cells[LISTFMT_COLS_MAX][LISTFMT_CELL_MAX];
};

/* A job's line, in rows (cells point into it). */
static void
cmd_list_row(const json_t *job, const char **cells, void *arg)
{
	struct cmd_list_rows *rows = arg;
	size_t i;

	for (i = 0; i < rows->fmt->ncols; i++) {
		listfmt_cell(rows->fmt->fields[i], job, rows->now,
		    rows->cells[i], sizeof(rows->cells[i]));
		cells[i] = rows->cells[i];
	}
}

/* The current time in Unix seconds. */
static double
cmd_list_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Fetch and print the list once. */
static int
cmd_list_once(struct cli *cli, const struct jobsel *sel, long limit,
    const struct listfmt *fmt, const struct cli_listing *out, bool stamp)
{
	struct cmd_list_rows *rows = NULL;
	json_t *list = NULL;
	struct table t;
	char when[64];
	time_t now;
	int rc;

	table_init(&t, fmt->ncols, fmt->headers, fmt->right);
	table_set_widths(&t, fmt->widths);
	if ((rows = calloc(1, sizeof(*rows))) == NULL) {
		cli_warn("out of memory");
		rc = EX_OSERR;
		goto out;
	}
	if ((rc = jobsel_fetch(cli, sel, limit, &list)) != 0)
		goto out;
	/* squeue -i's line above each table, for people (not scripts). */
	if (stamp) {
		now = time(NULL);
		strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Y",
		    localtime(&now));
		printf("%s\n", when);
	}
	rows->now = cmd_list_now();
	rows->fmt = fmt;
	rc = cli_listing_print(out, list, "jobs", &t, cmd_list_row, rows);
out:
	free(rows);
	table_release(&t);
	json_decref(list);
	return rc;
}

/* List jobs. */
static int
cmd_list_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 't' },
		{ "states", required_argument, NULL, 't' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "name", required_argument, NULL, 'n' },
		{ "label", required_argument, NULL, CMD_LIST_LABEL },
		{ "tenant", required_argument, NULL, 'u' },
		{ "user", required_argument, NULL, 'u' },
		{ "me", no_argument, NULL, CMD_LIST_ME },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'E' },
		{ "format", required_argument, NULL, 'o' },
		{ "helpformat", no_argument, NULL, CMD_LIST_HELPFORMAT },
		{ "iterate", required_argument, NULL, 'i' },
		{ "limit", required_argument, NULL, CMD_LIST_LIMIT },
		CLI_OPTIONS_LISTING,
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL, *from = "--format";
	struct cli_listing out;
	struct listfmt fmt;
	struct jobsel sel;
	long limit = CMD_LIST_DEFAULT, iterate = 0;
	double now = cmd_list_now();
	struct error e;
	struct cli cli;
	char *end;
	int ch, rc;

	cli_init(&cli, "list");
	cli_listing_init(&out);
	jobsel_init(&sel);
	error_init(&e);
	while ((ch = cli_getopt(&cli, argc, argv,
		    ":ht:j:n:u:S:E:o:O:i:", opts)) != -1) {
		rc = 0;
		switch (ch) {
		case CLI_OPT_HELP:
			cmd_list_usage(stdout);
			goto out;
		case CMD_LIST_HELPFORMAT:
			cmd_list_helpformat(stdout);
			goto out;
		case 't':
		case 'j':
		case 'n':
		case CMD_LIST_LABEL:
		case 'u':
		case 'S':
		case 'E':
			(void)jobsel_option(&sel, ch, CMD_LIST_LABEL, optarg,
			    now, &rc, &e);
			break;
		case CMD_LIST_ME:
			rc = jobsel_me(&sel, &e);
			break;
		case 'o':
		case 'O':
			format = optarg;
			break;
		case 'i':
			iterate = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' ||
			    *end != '\0' || iterate < 1 ||
			    iterate > CMD_LIST_ITERATE_MAX) {
				rc = cli_usage_error(&cli,
				    "--iterate wants 1 to %d seconds, not "
				    "'%s'",
				    CMD_LIST_ITERATE_MAX, optarg);
				goto out;
			}
			break;
		case CMD_LIST_LIMIT:
			limit = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' ||
			    *end != '\0' || limit < 1 || limit > CMD_LIST_MAX) {
				rc = cli_usage_error(&cli,
				    "--limit wants 1 to %d, not '%s'",
				    CMD_LIST_MAX, optarg);
				goto out;
			}
			break;
		default:
			if (cli_listing_opt(&out, ch))
				break;
			rc = cli_bad_option(&cli, ch, argv);
			goto out;
		}
		if (rc == -1) {
			rc = e.code == ERR_NOMEM
			    ? (cli_warn("out of memory"), EX_OSERR)
			    : cli_usage_error(&cli, "%s", e.msg);
			goto out;
		}
	}
	if ((rc = cli_listing_check(&cli, &out, argc, argv)) != 0)
		goto out;
	if (jobsel_check(&sel, &e) == -1) {
		rc = cli_usage_error(&cli, "%s", e.msg);
		goto out;
	}
	if (format != NULL && out.json) {
		rc = cli_usage_error(&cli,
		    "--format and --json exclude each other");
		goto out;
	}
	/* SLUICE_FORMAT is the default, as SQUEUE_FORMAT is squeue's; with
	   --json no format is used, and none is read. */
	if (format != NULL && format[0] == '\0') {
		rc = cli_usage_error(&cli, "--format is empty");
		goto out;
	}
	if (format == NULL && !out.json &&
	    (format = getenv("SLUICE_FORMAT")) != NULL && format[0] != '\0')
		from = "SLUICE_FORMAT";
	else if (format == NULL || format[0] == '\0')
		format = LISTFMT_DEFAULT;
	if (listfmt_parse(format, &fmt, &e) == -1) {
		rc = cli_usage_error(&cli, "%s '%s': %s", from, format, e.msg);
		goto out;
	}
	if ((rc = cli_connect(&cli)) != 0 ||
	    (rc = jobsel_resolve(&cli, &sel)) != 0)
		goto out;
	for (;;) {
		rc = cmd_list_once(&cli, &sel, limit, &fmt, &out,
		    iterate > 0 && out.header && !out.json && !out.parsable);
		/* As squeue -i: on until interrupted, through a dispatcher
		   that is down or busy for a while. */
		if (iterate == 0 ||
		    (rc != 0 && rc != EX_UNAVAILABLE && rc != EX_TEMPFAIL))
			break;
		sleep((unsigned)iterate);
	}
out:
	jobsel_release(&sel);
	return rc;
}

const struct cmd_entry cmd_list_entry = {
	"list",
	"list jobs (squeue-like)",
	cmd_list_exec,
};

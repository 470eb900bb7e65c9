/* sluice cancel: stop jobs, queued or running. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd.h"
#include "jobsel.h"

#define CMD_CANCEL_SELECT_MAX 100000 /* jobs one filtered cancel acts on */

enum {
	CMD_CANCEL_LABEL = CLI_OPT_VERB,
	CMD_CANCEL_ME,
	CMD_CANCEL_ALL
};

/* Print the verb's usage. */
static void
cmd_cancel_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice cancel ID...\n"
	    "       sluice cancel [-t STATES] [-n NAMES] [--label L] "
	    "[-u TENANT | --me]\n"
	    "                     [-S TIME] [-E TIME] | --all\n"
	    "Cancels each job: a queued one ends CANCELLED at once, a "
	    "running one is\nkilled on its node and ends CANCELLED (verdict "
	    "cancelled) soon after.\nPrints one line per job: \"job ID: "
	    "cancelled\", or \"job ID: cancel requested\n(STATE)\" while "
	    "its node stops it.  A job named by its ID that has already\n"
	    "ended is an error (65); the others are still cancelled, and the "
	    "exit status\nis the first error's.\n\n"
	    "As scancel, the second form cancels every job not yet ended that "
	    "the filters\nselect (all of them must match), of the token's "
	    "tenant, or of every tenant\nwith the admin token; one that ends "
	    "meanwhile is skipped.  Without a filter\nit would cancel every "
	    "job, so it wants --all to say so.\n\n"
	    "  -t, --states S,... only jobs in these states: PENDING (PD), "
	    "RUNNING (R),\n"
	    "                     COMPLETING (CG)\n"
	    "  -n, --name N,...   only jobs of these names (submit -J)\n"
	    "  --label L          only jobs that asked for label L\n"
	    "  -u, --tenant T     only tenant T's jobs (--user T too)\n"
	    "  --me               only the token's own tenant's jobs (as "
	    "scancel --me)\n"
	    "  -S, --since TIME   only jobs submitted at TIME or later (as "
	    "sluice list)\n"
	    "  -E, --until TIME   only jobs submitted before TIME\n"
	    "  --all              every job not yet ended (with no filter)\n"
	    "%s\n%s",
	    cli_common_help, cli_exit_help);
}

/*
 * Cancel one job; returns 0 or an exit status.  With quiet_ended, a job
 * that has ended (409) or is gone (404) since it was listed is said on
 * stderr and is no error.
 */
static int
cmd_cancel_one(struct cli *cli, const char *id, bool quiet_ended)
{
	char path[CLI_PATH_MAX], what[64];
	struct client_response r;
	const char *state;
	json_t *job = NULL;
	int rc;

	snprintf(path, sizeof(path), "/v1/jobs/%s", id);
	snprintf(what, sizeof(what), "job %s", id);
	client_response_init(&r);
	if ((rc = cli_request(cli, "DELETE", path, NULL, -1, &r)) != 0)
		goto out;
	if (quiet_ended && (r.status == 409 || r.status == 404)) {
		cli_warn("job %s: skipped: it has %s since it was listed", id,
		    r.status == 409 ? "ended" : "gone");
		goto out;
	}
	if (r.status / 100 != 2) {
		rc = cli_http_exit(cli, &r, what);
		goto out;
	}
	job = json_loadb(r.body, r.body_len, JSON_REJECT_DUPLICATES, NULL);
	state = fmt_json_str(job, "state");
	if (state != NULL && strcmp(state, "CANCELLED") == 0)
		printf("job %s: cancelled\n", id);
	else
		printf("job %s: cancel requested (%s)\n", id,
		    state != NULL ? state : "?");
	rc = fflush(stdout) == EOF ? EX_IOERR : 0;
out:
	json_decref(job);
	client_response_release(&r);
	return rc;
}

/* Cancel the jobs of ids[n]; the first error's status. */
static int
cmd_cancel_ids(struct cli *cli, char *const *ids, size_t n, bool quiet_ended)
{
	int rc, first = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		rc = cmd_cancel_one(cli, ids[i], quiet_ended);
		if (rc != 0 && first == 0)
			first = rc;
		/* Without a dispatcher, the next ones fail the same way. */
		if (rc == EX_UNAVAILABLE)
			break;
	}
	return first;
}

/*
 * Cancel what a selection selects among the jobs not yet ended: list
 * them first (the ids of that moment), then cancel each.
 */
static int
cmd_cancel_selected(struct cli *cli, struct jobsel *sel)
{
	const unsigned live = 1u << fmt_state_index("PENDING") |
	    1u << fmt_state_index("RUNNING") |
	    1u << fmt_state_index("COMPLETING");
	const json_t *jobs, *job;
	json_t *list = NULL;
	char **ids = NULL;
	size_t i, n = 0;
	int rc;

	sel->states = sel->states == 0 || sel->states == JOBSEL_STATES_ALL
	    ? live
	    : sel->states & live;
	if ((rc = jobsel_fetch(cli, sel, CMD_CANCEL_SELECT_MAX, &list)) != 0)
		goto out;
	jobs = json_object_get(list, "jobs");
	if ((ids = calloc(json_array_size(jobs) + 1, sizeof(*ids))) == NULL) {
		cli_warn("out of memory");
		rc = EX_OSERR;
		goto out;
	}
	/* jobsel_fetch() kept only what the selection selects; the id is
	   checked once more before it goes into a path. */
	json_array_foreach (jobs, i, job)
		if (fmt_json_str(job, "id") != NULL &&
		    fmt_job_id_ok(fmt_json_str(job, "id")) &&
		    jobsel_match(sel, job))
			ids[n++] = (char *)fmt_json_str(job, "id");
	rc = cmd_cancel_ids(cli, ids, n, true);
out:
	free(ids);
	json_decref(list);
	return rc;
}

/* Cancel every job named, or every job selected. */
static int
cmd_cancel_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 't' },
		{ "states", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "label", required_argument, NULL, CMD_CANCEL_LABEL },
		{ "tenant", required_argument, NULL, 'u' },
		{ "user", required_argument, NULL, 'u' },
		{ "me", no_argument, NULL, CMD_CANCEL_ME },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'E' },
		{ "all", no_argument, NULL, CMD_CANCEL_ALL },
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	struct timespec ts;
	struct jobsel sel;
	struct error e;
	struct cli cli;
	bool all = false, filtered = false;
	int ch, i, rc = 0;

	cli_init(&cli, "cancel");
	jobsel_init(&sel);
	error_init(&e);
	clock_gettime(CLOCK_REALTIME, &ts);
	while (
	    (ch = cli_getopt(&cli, argc, argv, ":ht:n:u:S:E:", opts)) != -1) {
		rc = 0;
		switch (ch) {
		case 'h':
		case CLI_OPT_HELP:
			cmd_cancel_usage(stdout);
			goto out;
		case 't':
		case 'n':
		case CMD_CANCEL_LABEL:
		case 'u':
		case 'S':
		case 'E':
			(void)jobsel_option(&sel, ch, CMD_CANCEL_LABEL, optarg,
			    (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, &rc,
			    &e);
			break;
		case CMD_CANCEL_ME:
			rc = jobsel_me(&sel, &e);
			break;
		case CMD_CANCEL_ALL:
			all = true;
			break;
		default:
			rc = cli_bad_option(&cli, ch, argv);
			goto out;
		}
		if (rc == -1) {
			rc = e.code == ERR_NOMEM
			    ? (cli_warn("out of memory"), EX_OSERR)
			    : cli_usage_error(&cli, "%s", e.msg);
			goto out;
		}
		filtered = filtered || ch != CMD_CANCEL_ALL;
	}
	if (jobsel_check(&sel, &e) == -1) {
		rc = cli_usage_error(&cli, "%s", e.msg);
		goto out;
	}
	/* Ended states select nothing to cancel: a mistake, not a no-op. */
	if (sel.states != 0 && sel.states != JOBSEL_STATES_ALL &&
	    (sel.states &
		(1u << fmt_state_index("PENDING") |
		    1u << fmt_state_index("RUNNING") |
		    1u << fmt_state_index("COMPLETING"))) != sel.states) {
		rc = cli_usage_error(&cli,
		    "only jobs PENDING, RUNNING or COMPLETING can be "
		    "cancelled");
		goto out;
	}
	if (optind < argc && (filtered || all)) {
		rc = cli_usage_error(&cli,
		    "give the IDs of jobs or filters (or --all), not both");
		goto out;
	}
	if (optind == argc && !filtered && !all) {
		rc = cli_usage_error(&cli,
		    "give the ID of a job to cancel, or filters (-t, -n, "
		    "--label, -u, --me, -S, -E), or --all");
		goto out;
	}
	/* -t all is a filter that filters nothing. */
	if (optind == argc && filtered && jobsel_empty(&sel)) {
		rc = cli_usage_error(&cli,
		    "these filters select every job: say --all to cancel "
		    "them all");
		goto out;
	}
	if (filtered && all) {
		rc = cli_usage_error(&cli,
		    "--all cancels every job: it takes no filter");
		goto out;
	}
	for (i = optind; i < argc; i++)
		if (!fmt_job_id_ok(argv[i])) {
			rc = cli_usage_error(&cli, "'%s' is not a job id",
			    argv[i]);
			goto out;
		}
	if ((rc = cli_connect(&cli)) != 0)
		goto out;
	if (optind < argc)
		rc = cmd_cancel_ids(&cli, argv + optind,
		    (size_t)(argc - optind), false);
	else if ((rc = jobsel_resolve(&cli, &sel)) == 0)
		rc = cmd_cancel_selected(&cli, &sel);
out:
	jobsel_release(&sel);
	return rc;
}

const struct cmd_entry cmd_cancel_entry = {
	"cancel",
	"cancel jobs (by id, or scancel-like by filters)",
	cmd_cancel_exec,
};

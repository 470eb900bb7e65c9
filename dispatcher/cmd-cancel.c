/* sluice cancel: stop jobs, queued or running. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"

/* Print the verb's usage. */
static void
cmd_cancel_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice cancel ID...\n"
	    "Cancels each job: a queued one ends CANCELLED at once, a "
	    "running one is\nkilled on its node and ends CANCELLED (verdict "
	    "cancelled) soon after.\nPrints one line per job: \"job ID: "
	    "cancelled\", or \"job ID: cancel requested\n(STATE)\" while "
	    "its node stops it.  A job that has already ended is an\n"
	    "error (65); the others are still cancelled, and the exit status "
	    "is the first\nerror's.\n\n"
	    "%s\n%s",
	    cli_common_help, cli_exit_help);
}

/* Cancel one job; returns 0 or an exit status. */
static int
cmd_cancel_one(struct cli *cli, const char *id)
{
	char path[CLI_PATH_MAX], what[64];
	const char *state;
	json_t *job = NULL;
	int rc;

	snprintf(path, sizeof(path), "/v1/jobs/%s", id);
	snprintf(what, sizeof(what), "job %s", id);
	if ((rc = cli_call(cli, "DELETE", path, NULL, what, &job)) != 0)
		return rc;
	state = fmt_json_str(job, "state");
	if (state != NULL && strcmp(state, "CANCELLED") == 0)
		printf("job %s: cancelled\n", id);
	else
		printf("job %s: cancel requested (%s)\n", id,
		    state != NULL ? state : "?");
	json_decref(job);
	return fflush(stdout) == EOF ? EX_IOERR : 0;
}

/* Cancel every job named. */
static int
cmd_cancel_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli;
	int ch, i, rc, first = 0;

	cli_init(&cli, "cancel");
	while ((ch = cli_getopt(&cli, argc, argv, ":h", opts)) != -1) {
		switch (ch) {
		case 'h':
		case CLI_OPT_HELP:
			cmd_cancel_usage(stdout);
			return 0;
		default:
			return cli_bad_option(&cli, ch, argv);
		}
	}
	if (optind == argc)
		return cli_usage_error(&cli, "give the ID of a job to cancel");
	for (i = optind; i < argc; i++)
		if (!fmt_job_id_ok(argv[i]))
			return cli_usage_error(&cli, "'%s' is not a job id",
			    argv[i]);
	if ((rc = cli_connect(&cli)) != 0)
		return rc;
	for (i = optind; i < argc; i++) {
		rc = cmd_cancel_one(&cli, argv[i]);
		if (rc != 0 && first == 0)
			first = rc;
		/* Without a dispatcher, the next ones fail the same way. */
		if (rc == EX_UNAVAILABLE)
			break;
	}
	return first;
}

const struct cmd_entry cmd_cancel_entry = {
	"cancel",
	"cancel jobs",
	cmd_cancel_exec,
};

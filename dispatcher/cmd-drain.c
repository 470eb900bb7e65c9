/*
 * sluice drain: take a node out of service once its jobs are done; sluice
 * resume: put a drained node back into service.  One verb and its undoing,
 * the same request to POST /v1/nodes/NODE/drain or .../resume.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"

enum {
	CMD_DRAIN_REASON = CLI_OPT_VERB,
	CMD_DRAIN_JSON
};

/* Print the usage of drain (or, with resume, of resume). */
static void
cmd_drain_usage(FILE *f, bool resume)
{
	if (resume)
		fprintf(f,
		    "usage: sluice resume NODE [--json]\n"
		    "Ends a drain of NODE (admin token): it takes jobs "
		    "again.  Prints \"NODE: STATE\".\n\n");
	else
		fprintf(f,
		    "usage: sluice drain NODE [--reason TEXT] [--json]\n"
		    "Drains NODE (admin token): it takes no new jobs and "
		    "shows DRAINING until\nthe jobs on it end, then DRAINED."
		    "  `sluice resume NODE` undoes it.  Prints\n\"NODE: "
		    "STATE (REASON)\".\n\n"
		    "  --reason TEXT      why, shown by `sluice nodes` (at "
		    "most 199 bytes)\n");
	fprintf(f, "  --json             print the node object\n%s\n%s",
	    cli_common_help, cli_exit_help);
}

/* Drain or resume a node: argv[0] says which. */
static int
cmd_drain_exec(int argc, char **argv)
{
	static const struct option drain_opts[] = {
		{ "reason", required_argument, NULL, CMD_DRAIN_REASON },
		{ "json", no_argument, NULL, CMD_DRAIN_JSON },
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	const struct option *opts = drain_opts;
	bool resume = strcmp(argv[0], "resume") == 0, json = false;
	const char *reason = NULL;
	json_t *body = NULL;
	struct cli cli;
	int ch, rc;

	/* resume takes no --reason: its table starts after it. */
	if (resume)
		opts++;
	cli_init(&cli, resume ? "resume" : "drain");
	while ((ch = cli_getopt(&cli, argc, argv, ":h", opts)) != -1) {
		switch (ch) {
		case 'h':
		case CLI_OPT_HELP:
			cmd_drain_usage(stdout, resume);
			return 0;
		case CMD_DRAIN_REASON:
			reason = optarg;
			break;
		case CMD_DRAIN_JSON:
			json = true;
			break;
		default:
			return cli_bad_option(&cli, ch, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(&cli, "give one NODE");
	if ((rc = cli_connect(&cli)) != 0)
		return rc;
	if (reason != NULL &&
	    (body = json_pack("{s:s}", "reason", reason)) == NULL)
		return cli_usage_error(&cli, "the reason must be UTF-8 text");
	rc = cli_node_post(&cli, argv[optind], resume ? "resume" : "drain",
	    body, json);
	json_decref(body);
	return rc;
}

const struct cmd_entry cmd_drain_entry = {
	"drain",
	"stop sending jobs to a node (admin)",
	cmd_drain_exec,
};

const struct cmd_entry cmd_resume_entry = {
	"resume",
	"let a drained node take jobs again (admin)",
	cmd_drain_exec,
};

/* sluice resume: put a drained node back into service. */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "cmd.h"

enum {
	CMD_RESUME_JSON = CLI_OPT_VERB
};

/* Print the verb's usage. */
static void
cmd_resume_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice resume NODE [--json]\n"
	    "Ends a drain of NODE (admin token): it takes jobs again.  "
	    "Prints \"NODE: STATE\".\n\n"
	    "  --json             print the node object\n"
	    "%s\n%s",
	    cli_common_help, cli_exit_help);
}

/* Resume a node. */
static int
cmd_resume_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, CMD_RESUME_JSON },
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	struct cli cli;
	int ch, rc;

	cli_init(&cli, "resume");
	while ((ch = cli_getopt(&cli, argc, argv, ":h", opts)) != -1) {
		switch (ch) {
		case 'h':
		case CLI_OPT_HELP:
			cmd_resume_usage(stdout);
			return 0;
		case CMD_RESUME_JSON:
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
	return cli_node_post(&cli, argv[optind], "resume", NULL, json);
}

const struct cmd_entry cmd_resume_entry = {
	"resume",
	"let a drained node take jobs again (admin)",
	cmd_resume_exec,
};

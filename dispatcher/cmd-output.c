/* sluice output: a job's stdout, stderr or out file, byte for byte. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"

enum {
	CMD_OUTPUT_STDERR = CLI_OPT_VERB,
	CMD_OUTPUT_FILE
};

/* Print the verb's usage. */
static void
cmd_output_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice output ID [--stderr | --file NAME]\n"
	    "Writes job ID's standard output to stdout as raw bytes, as the "
	    "program wrote\nit (at most the job's output limit).\n\n"
	    "  --stderr           its standard error instead\n"
	    "  --file NAME        the file NAME it left in /out instead "
	    "(\"sub/a.txt\" for\n"
	    "                     one in a directory; `sluice status ID` "
	    "lists them)\n"
	    "%s\n%s",
	    cli_common_help, cli_exit_help);
}

/* Copy one output of a job to stdout. */
static int
cmd_output_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stderr", no_argument, NULL, CMD_OUTPUT_STDERR },
		{ "file", required_argument, NULL, CMD_OUTPUT_FILE },
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	char path[CLI_PATH_MAX], what[64];
	const char *file = NULL, *id;
	struct client_response r;
	bool err = false;
	struct cli cli;
	int ch, rc;

	cli_init(&cli, "output");
	while ((ch = cli_getopt(&cli, argc, argv, ":h", opts)) != -1) {
		switch (ch) {
		case 'h':
		case CLI_OPT_HELP:
			cmd_output_usage(stdout);
			return 0;
		case CMD_OUTPUT_STDERR:
			err = true;
			break;
		case CMD_OUTPUT_FILE:
			file = optarg;
			break;
		default:
			return cli_bad_option(&cli, ch, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(&cli, "give one job ID");
	id = argv[optind];
	if (!fmt_job_id_ok(id))
		return cli_usage_error(&cli, "'%s' is not a job id", id);
	if (err && file != NULL)
		return cli_usage_error(&cli,
		    "--stderr and --file exclude each other");
	if (file != NULL && file[0] == '\0')
		return cli_usage_error(&cli, "--file wants a name");
	snprintf(path, sizeof(path), "/v1/jobs/%s/%s", id,
	    file != NULL ? "files/"
		: err    ? "stderr"
			 : "stdout");
	if (file != NULL && client_escape(file, true, path, sizeof(path)) == -1)
		return cli_usage_error(&cli, "the file name is too long");
	snprintf(what, sizeof(what), "job %s", id);
	if ((rc = cli_connect(&cli)) != 0)
		return rc;
	client_response_init(&r);
	rc = cli_request(&cli, "GET", path, NULL, STDOUT_FILENO, &r);
	if (rc == 0 && r.status / 100 != 2)
		rc = cli_http_exit(&cli, &r, what);
	client_response_release(&r);
	return rc;
}

const struct cmd_entry cmd_output_entry = {
	"output",
	"print a job's stdout, stderr or out file as raw bytes",
	cmd_output_exec,
};

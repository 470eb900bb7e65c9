/*
 * sluice purge: remove ended jobs (their rows and their results) that ended
 * before a date, as POST /v1/purge does in batches until none is left.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"

#define CMD_PURGE_STATES_MAX 16

enum {
	CMD_PURGE_BEFORE = CLI_OPT_VERB,
	CMD_PURGE_STATE,
	CMD_PURGE_JSON
};

/* Print the verb's usage. */
static void
cmd_purge_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice purge --before DATE [--state STATE]... [--json]\n"
	    "Removes the jobs that ended before DATE (admin token): their "
	    "records and\ntheir results, for good.  Jobs not yet ended are "
	    "never touched.  Prints\n\"purged N jobs that ended before "
	    "TIME\".\n\n"
	    "  --before DATE      YYYY-MM-DD (midnight UTC), or an RFC 3339 "
	    "time in UTC\n"
	    "                     (2026-12-01T12:00:00Z)\n"
	    "  --state STATE      only jobs that ended in STATE (COMPLETED, "
	    "FAILED, ...);\n"
	    "                     may be given again; default: every final "
	    "state\n"
	    "  --json             print {\"purged\": N, \"before\": TIME}\n"
	    "%s\n%s",
	    cli_common_help, cli_exit_help);
}

/* Call POST /v1/purge until it says there is no more. */
static int
cmd_purge_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "before", required_argument, NULL, CMD_PURGE_BEFORE },
		{ "state", required_argument, NULL, CMD_PURGE_STATE },
		{ "json", no_argument, NULL, CMD_PURGE_JSON },
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	const char *before = NULL;
	char when[64] = "";
	json_t *body = NULL, *states = NULL, *obj = NULL;
	long long total = 0;
	bool json = false, more = true;
	struct cli cli;
	int ch, rc = 0;

	cli_init(&cli, "purge");
	if ((states = json_array()) == NULL)
		return cli_usage_error(&cli, "out of memory");
	while ((ch = cli_getopt(&cli, argc, argv, ":h", opts)) != -1) {
		switch (ch) {
		case 'h':
		case CLI_OPT_HELP:
			cmd_purge_usage(stdout);
			goto out;
		case CMD_PURGE_BEFORE:
			before = optarg;
			break;
		case CMD_PURGE_STATE:
			if (json_array_size(states) == CMD_PURGE_STATES_MAX) {
				rc = cli_usage_error(&cli,
				    "at most %d --state options",
				    CMD_PURGE_STATES_MAX);
				goto out;
			}
			json_array_append_new(states, json_string(optarg));
			break;
		case CMD_PURGE_JSON:
			json = true;
			break;
		default:
			rc = cli_bad_option(&cli, ch, argv);
			goto out;
		}
	}
	if (optind != argc || before == NULL) {
		rc = cli_usage_error(&cli,
		    "give --before DATE (and nothing "
		    "else)");
		goto out;
	}
	if ((body = json_pack("{s:s}", "before", before)) == NULL) {
		rc = cli_usage_error(&cli, "the date must be UTF-8 text");
		goto out;
	}
	if (json_array_size(states) > 0)
		json_object_set(body, "states", states);
	if ((rc = cli_connect(&cli)) != 0)
		goto out;
	/* Each call removes a batch; the daemon serves others in between. */
	while (more) {
		json_decref(obj);
		obj = NULL;
		if ((rc = cli_call(&cli, "POST", "/v1/purge", body, "purge",
			 &obj)) != 0)
			goto out;
		total += json_integer_value(json_object_get(obj, "purged"));
		more = json_is_true(json_object_get(obj, "more")) &&
		    json_integer_value(json_object_get(obj, "purged")) > 0;
		if (json_is_string(json_object_get(obj, "before")))
			snprintf(when, sizeof(when), "%s",
			    json_string_value(json_object_get(obj, "before")));
	}
	if (json) {
		json_t *res = json_pack("{s:I, s:s}", "purged",
		    (json_int_t)total, "before", when);

		rc = cli_print_json(res);
		json_decref(res);
	} else {
		printf("purged %lld job%s that ended before %s\n", total,
		    total == 1 ? "" : "s", when);
		rc = fflush(stdout) == EOF ? EX_IOERR : 0;
	}
out:
	json_decref(obj);
	json_decref(body);
	json_decref(states);
	return rc;
}

const struct cmd_entry cmd_purge_entry = {
	"purge",
	"remove jobs that ended before a date (admin)",
	cmd_purge_exec,
};

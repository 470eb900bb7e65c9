/* sluice nodes: the pool, one line per node, as sinfo -N does. */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "cmd.h"

enum {
	CMD_NODES_JSON = CLI_OPT_VERB,
	CMD_NODES_PARSABLE
};

/* Print the verb's usage. */
static void
cmd_nodes_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice nodes [-h|--noheader] [--parsable | --json]\n"
	    "Lists the pool's nodes, one line each:\n\n"
	    "  NODE STATE SLOTS BUSY RUNTIMES REASON\n\n"
	    "STATE is UP, DOWN, DRAINING (no new jobs; some still run) or "
	    "DRAINED; SLOTS\nand BUSY count the jobs it can run at once and "
	    "runs now; RUNTIMES lists the\nenvironments it offers; REASON "
	    "says why it is down or drained.\n\n"
	    "  -h, --noheader     no header line\n"
	    "  --parsable         '|' between the columns, none at the end\n"
	    "  --json             {\"nodes\": [...]} as the API gives it\n"
	    "%s\n%s",
	    cli_common_help, cli_exit_help);
}

/* List the nodes. */
static int
cmd_nodes_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "noheader", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, CMD_NODES_JSON },
		{ "parsable", no_argument, NULL, CMD_NODES_PARSABLE },
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = { "NODE", "STATE", "SLOTS", "BUSY",
		"RUNTIMES", "REASON" };
	static const bool right[] = { false, false, true, true, false, false };
	bool header = true, json = false, parsable = false;
	json_t *list = NULL, *nodes, *node;
	struct cli_node_row row;
	const char *cells[6];
	struct cli_table t;
	struct cli cli;
	size_t i;
	int ch, rc;

	cli_init(&cli, "nodes");
	cli_table_init(&t, 6, headers, right);
	while ((ch = cli_getopt(&cli, argc, argv, ":h", opts)) != -1) {
		switch (ch) {
		case CLI_OPT_HELP:
			cmd_nodes_usage(stdout);
			return 0;
		case 'h':
			header = false;
			break;
		case CMD_NODES_JSON:
			json = true;
			break;
		case CMD_NODES_PARSABLE:
			parsable = true;
			break;
		default:
			return cli_bad_option(&cli, ch, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error(&cli, "unexpected argument '%s'",
		    argv[optind]);
	if (json && parsable)
		return cli_usage_error(&cli,
		    "--json and --parsable exclude each other");
	if ((rc = cli_connect(&cli)) != 0 ||
	    (rc = cli_call(&cli, "GET", "/v1/nodes", NULL, NULL, &list)) != 0)
		goto out;
	if (json) {
		rc = cli_print_json(list);
		goto out;
	}
	if (!json_is_array(nodes = json_object_get(list, "nodes"))) {
		cli_warn("the dispatcher's node list has no \"nodes\"");
		rc = EX_PROTOCOL;
		goto out;
	}
	json_array_foreach (nodes, i, node) {
		cli_node_row(node, &row);
		cells[0] = row.name;
		cells[1] = row.state;
		cells[2] = row.slots;
		cells[3] = row.busy;
		cells[4] = row.runtimes;
		cells[5] = row.reason;
		if (cli_table_add(&t, cells) == -1) {
			cli_warn("out of memory");
			rc = EX_OSERR;
			goto out;
		}
	}
	cli_table_print(&t, stdout,
	    parsable ? CLI_TABLE_PARSABLE : CLI_TABLE_ALIGNED, header);
	rc = fflush(stdout) == EOF ? EX_IOERR : 0;
out:
	cli_table_release(&t);
	json_decref(list);
	return rc;
}

const struct cmd_entry cmd_nodes_entry = {
	"nodes",
	"list the pool's nodes (sinfo-like)",
	cmd_nodes_exec,
};

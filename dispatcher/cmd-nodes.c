/* sluice nodes: the pool, one line per node, as sinfo -N does. */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "cmd.h"

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

/* A node's line, in row (cells point into it). */
static void
cmd_nodes_row(const json_t *node, const char **cells, void *arg)
{
	struct fmt_node_row *row = arg;

	fmt_node_row(node, row);
	cells[0] = row->name;
	cells[1] = row->state;
	cells[2] = row->slots;
	cells[3] = row->busy;
	cells[4] = row->runtimes;
	cells[5] = row->reason;
}

/* List the nodes. */
static int
cmd_nodes_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OPTIONS_LISTING,
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = { "NODE", "STATE", "SLOTS", "BUSY",
		"RUNTIMES", "REASON" };
	static const bool right[] = { false, false, true, true, false, false };
	struct cli_listing out;
	struct fmt_node_row row;
	json_t *list = NULL;
	struct table t;
	struct cli cli;
	int ch, rc;

	cli_init(&cli, "nodes");
	cli_listing_init(&out);
	table_init(&t, 6, headers, right);
	while ((ch = cli_getopt(&cli, argc, argv, ":h", opts)) != -1) {
		switch (ch) {
		case CLI_OPT_HELP:
			cmd_nodes_usage(stdout);
			return 0;
		default:
			if (cli_listing_opt(&out, ch))
				break;
			return cli_bad_option(&cli, ch, argv);
		}
	}
	if ((rc = cli_listing_check(&cli, &out, argc, argv)) != 0)
		return rc;
	if ((rc = cli_connect(&cli)) != 0 ||
	    (rc = cli_call(&cli, "GET", "/v1/nodes", NULL, NULL, &list)) != 0)
		goto out;
	rc = cli_listing_print(&out, list, "nodes", &t, cmd_nodes_row, &row);
out:
	table_release(&t);
	json_decref(list);
	return rc;
}

const struct cmd_entry cmd_nodes_entry = {
	"nodes",
	"list the pool's nodes (sinfo-like)",
	cmd_nodes_exec,
};

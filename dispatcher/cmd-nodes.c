/* sluice nodes: the pool, one line per node, as sinfo -N does. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"

/* Print the verb's usage. */
static void
cmd_nodes_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice nodes [-R|--list-reasons] [-h|--noheader] "
	    "[--parsable | --json]\n"
	    "Lists the pool's nodes, one line each:\n\n"
	    "  NODE STATE SLOTS BUSY RUNTIMES LABELS LAST_SEEN REASON\n\n"
	    "STATE is UP, DOWN, DRAINING (no new jobs; some still run) or "
	    "DRAINED; SLOTS\nand BUSY count the jobs it can run at once and "
	    "runs now; RUNTIMES lists the\nenvironments it offers; LABELS "
	    "those jobs may ask for (--label: sinfo's\nfeatures); LAST_SEEN "
	    "is when the dispatcher last heard from it (UTC);\nREASON says "
	    "why it is down or drained.\n\n"
	    "  -R, --list-reasons only the nodes that are not UP, as sinfo "
	    "-R does:\n"
	    "                     NODE STATE LAST_SEEN REASON\n"
	    "  -h, --noheader     no header line\n"
	    "  --parsable         '|' between the columns, none at the end\n"
	    "  --json             {\"nodes\": [...]} as the API gives it "
	    "(with -R, only\n"
	    "                     the nodes that are not UP)\n"
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
	cells[5] = row->labels;
	cells[6] = row->last_seen;
	cells[7] = row->reason;
}

/* A node's line of -R, in row. */
static void
cmd_nodes_reason_row(const json_t *node, const char **cells, void *arg)
{
	struct fmt_node_row *row = arg;

	fmt_node_row(node, row);
	cells[0] = row->name;
	cells[1] = row->state;
	cells[2] = row->last_seen;
	cells[3] = row->reason;
}

/* Keep only the nodes of list that are not UP (sinfo -R); -1 if out of
   memory. */
static int
cmd_nodes_not_up(json_t *list)
{
	json_t *nodes = json_object_get(list, "nodes"), *kept, *node;
	const char *state;
	size_t i;

	if (!json_is_array(nodes))
		return 0; /* cli_listing_print() says so */
	if ((kept = json_array()) == NULL)
		return -1;
	json_array_foreach (nodes, i, node) {
		state = fmt_json_str(node, "state");
		if ((state == NULL || strcmp(state, "UP") != 0) &&
		    json_array_append(kept, node) == -1) {
			json_decref(kept);
			return -1;
		}
	}
	return json_object_set_new(list, "nodes", kept);
}

/* List the nodes. */
static int
cmd_nodes_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list-reasons", no_argument, NULL, 'R' },
		CLI_OPTIONS_LISTING,
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = { "NODE", "STATE", "SLOTS", "BUSY",
		"RUNTIMES", "LABELS", "LAST_SEEN", "REASON" };
	static const bool right[] = { false, false, true, true, false, false,
		false, false };
	static const char *const reason_headers[] = { "NODE", "STATE",
		"LAST_SEEN", "REASON" };
	struct cli_listing out;
	struct fmt_node_row row;
	json_t *list = NULL;
	bool reasons = false;
	struct table t;
	struct cli cli;
	int ch, rc;

	cli_init(&cli, "nodes");
	cli_listing_init(&out);
	while ((ch = cli_getopt(&cli, argc, argv, ":hR", opts)) != -1) {
		switch (ch) {
		case CLI_OPT_HELP:
			cmd_nodes_usage(stdout);
			return 0;
		case 'R':
			reasons = true;
			break;
		default:
			if (cli_listing_opt(&out, ch))
				break;
			return cli_bad_option(&cli, ch, argv);
		}
	}
	if ((rc = cli_listing_check(&cli, &out, argc, argv)) != 0)
		return rc;
	if (reasons)
		table_init(&t, 4, reason_headers, NULL);
	else
		table_init(&t, 8, headers, right);
	if ((rc = cli_connect(&cli)) != 0 ||
	    (rc = cli_call(&cli, "GET", "/v1/nodes", NULL, NULL, &list)) != 0)
		goto out;
	if (reasons && cmd_nodes_not_up(list) == -1) {
		cli_warn("out of memory");
		rc = EX_OSERR;
		goto out;
	}
	rc = cli_listing_print(&out, list, "nodes", &t,
	    reasons ? cmd_nodes_reason_row : cmd_nodes_row, &row);
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

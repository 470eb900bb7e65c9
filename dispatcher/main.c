/*
 * sluice: one binary.  `sluice serve` is the dispatcher daemon; the other
 * verbs are clients of its HTTP API (INTERFACES.md section 3).  Each verb
 * lives in cmd-<verb>.c and is listed in sluice_cmds[] below.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "client.h"
#include "cmd.h"

static const struct cmd_entry *sluice_cmds[] = {
	&cmd_serve_entry,
	&cmd_submit_entry,
	&cmd_status_entry,
	&cmd_list_entry,
	&cmd_output_entry,
	&cmd_cancel_entry,
	&cmd_nodes_entry,
	&cmd_drain_entry,
	&cmd_resume_entry,
	&cmd_purge_entry,
};

/* Print the list of verbs. */
static void
sluice_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: sluice VERB [OPTIONS]\n\nverbs:\n");
	for (i = 0; i < sizeof(sluice_cmds) / sizeof(sluice_cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", sluice_cmds[i]->name,
		    sluice_cmds[i]->summary);
	fprintf(f, "\nsluice VERB --help describes a verb.\n");
}

int
main(int argc, char **argv)
{
	size_t i;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		sluice_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("sluice %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(sluice_cmds) / sizeof(sluice_cmds[0]); i++)
		if (strcmp(argv[1], sluice_cmds[i]->name) == 0) {
			rc = sluice_cmds[i]->exec(argc - 1, argv + 1);
			/* A client verb's connection, if it made one. */
			client_cleanup();
			return rc;
		}
	fprintf(stderr, "sluice: unknown verb '%s'; run 'sluice --help'\n",
	    argv[1]);
	return EX_USAGE;
}

/*
 * The sluice CLI's verbs, one per cmd-<verb>.c file, collected in main.c.
 * exec gets argv with the verb as argv[0] and returns the exit status.
 */
#ifndef SLUICE_DISPATCHER_CMD_H
#define SLUICE_DISPATCHER_CMD_H

struct cmd_entry {
	const char *name;
	const char *summary;
	int (*exec)(int argc, char **argv);
};

extern const struct cmd_entry cmd_serve_entry;
extern const struct cmd_entry cmd_submit_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_output_entry;
extern const struct cmd_entry cmd_cancel_entry;
extern const struct cmd_entry cmd_nodes_entry;
extern const struct cmd_entry cmd_drain_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_purge_entry;

#endif

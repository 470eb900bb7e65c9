/* sluice serve: the dispatcher daemon, in the foreground. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <sysexits.h>

#include <event2/thread.h>

#include "cmd.h"
#include "conns.h"
#include "core.h"
#include "log.h"
#include "server.h"

/* Print the verb's usage. */
static void
cmd_serve_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice serve [--config FILE] [--verbose]\n"
	    "Runs the dispatcher in the foreground, logging to stderr; a "
	    "service\nmanager runs it.  The default config "
	    "is " SETTINGS_DEFAULT_PATH ".\nSIGTERM drains: nothing new is "
	    "accepted, jobs on nodes go on, and a\nrestart attaches to "
	    "them again.\n");
}

/* Run the daemon. */
static int
cmd_serve_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = SETTINGS_DEFAULT_PATH;
	enum log_level level = LOG_LEVEL_INFO;
	struct server *srv = NULL;
	struct core c;
	struct error e;
	int ch, rc = -1;

	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'v':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			cmd_serve_usage(stdout);
			return 0;
		default:
			cmd_serve_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		cmd_serve_usage(stderr);
		return EX_USAGE;
	}
	log_open("sluice", level);
	/* libevent writes without MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() == -1)
		fatal("cannot enable libevent's thread support");
	error_init(&e);
	/* The listener goes before the workers stop: nothing new is
	   accepted while they do, and every write so far is committed. */
	if (core_init(&c, config, &e) == 0) {
		/* Before the nodes' connections and the clients' are made. */
		conns_raise_limit(c.nnodes);
		if (core_start(&c, &e) == 0 &&
		    (srv = server_new(&c, &e)) != NULL)
			rc = core_run(&c, &e);
	}
	server_free(srv);
	core_stop(&c);
	if (rc == -1)
		log_error("%s", e.msg);
	else
		log_info("stopped");
	core_release(&c);
	return rc == -1 ? 1 : 0;
}

const struct cmd_entry cmd_serve_entry = {
	"serve",
	"run the dispatcher daemon",
	cmd_serve_exec,
};

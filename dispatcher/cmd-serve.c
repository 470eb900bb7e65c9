/* sluice serve: the dispatcher daemon, in the foreground. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/thread.h>

#include "cmd.h"
#include "conns.h"
#include "core.h"
#include "log.h"
#include "remote.h"
#include "server.h"
#include "settings.h"
#include "ui.h"

/* Print the verb's usage. */
static void
cmd_serve_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice serve [--config FILE] [--verbose] [--check]\n"
	    "Runs the dispatcher in the foreground, logging to stderr; a "
	    "service\nmanager runs it.  The default config "
	    "is " SETTINGS_DEFAULT_PATH ".\nSIGTERM drains: nothing new is "
	    "accepted, jobs on nodes go on, and a\nrestart attaches to "
	    "them again.\n"
	    "--check reads the config, each node's key and known_hosts, and "
	    "the state\ndirectory, as the daemon would, says what it found "
	    "and exits: 0 if the\ndaemon could start with it, 1 if not.  "
	    "It connects to nothing and\nchanges nothing.\n");
}

/* What --check found: problems stop the daemon, warnings do not. */
struct cmd_serve_findings {
	unsigned problems;
	unsigned warnings;
};

/* A problem (to stderr), counted. */
static void __attribute__((format(printf, 2, 3)))
cmd_serve_problem(struct cmd_serve_findings *f, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("sluice serve --check: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	f->problems++;
}

/* A warning (to stderr), counted. */
static void __attribute__((format(printf, 2, 3)))
cmd_serve_warning(struct cmd_serve_findings *f, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("sluice serve --check: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	f->warnings++;
}

/*
 * The state directory as core_init() uses it: a directory this user can
 * write (or, if missing, one it can create: its parent exists and is
 * writable), with its database readable and writable if there is one,
 * and more than min_free_bytes free.
 */
static void
cmd_serve_check_state(const struct settings *s, struct cmd_serve_findings *f)
{
	char parent[sizeof(s->state_dir)], db[sizeof(s->state_dir) + 16];
	struct statvfs sv;
	struct stat sb;
	char *slash;

	if (stat(s->state_dir, &sb) == -1) {
		if (errno != ENOENT) {
			cmd_serve_problem(f, "state_dir '%s': %s", s->state_dir,
			    strerror(errno));
			return;
		}
		snprintf(parent, sizeof(parent), "%s", s->state_dir);
		if ((slash = strrchr(parent, '/')) != NULL)
			slash[slash == parent ? 1 : 0] = '\0';
		if (access(parent, W_OK | X_OK) == -1)
			cmd_serve_problem(f,
			    "state_dir '%s' does not exist, and cannot be "
			    "created in '%s': %s",
			    s->state_dir, parent, strerror(errno));
		else
			printf("state_dir %s: missing; the daemon creates it "
			       "(mode 0700)\n",
			    s->state_dir);
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		cmd_serve_problem(f, "state_dir '%s' is not a directory",
		    s->state_dir);
		return;
	}
	if (access(s->state_dir, R_OK | W_OK | X_OK) == -1) {
		cmd_serve_problem(f,
		    "state_dir '%s' is not writable by this "
		    "user: %s",
		    s->state_dir, strerror(errno));
		return;
	}
	snprintf(db, sizeof(db), "%s/sluice.db", s->state_dir);
	if (access(db, F_OK) == 0 && access(db, R_OK | W_OK) == -1) {
		cmd_serve_problem(f,
		    "'%s' cannot be read and written by this "
		    "user: %s",
		    db, strerror(errno));
		return;
	}
	if (statvfs(s->state_dir, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_frsize <= s->min_free_bytes)
		cmd_serve_warning(f,
		    "state_dir '%s' has %llu bytes free, no more than "
		    "min_free_bytes (%llu): submissions would be answered 507",
		    s->state_dir, (unsigned long long)sv.f_bavail * sv.f_frsize,
		    (unsigned long long)s->min_free_bytes);
	printf("state_dir %s: writable\n", s->state_dir);
}

/* Each node's key and known_hosts, as remote_connect() reads them. */
static void
cmd_serve_check_nodes(const struct settings *s, struct cmd_serve_findings *f)
{
	const struct settings_node *nd;
	struct remote_opts o;
	struct error e;
	char desc[256];
	bool loose;
	size_t i;

	for (i = 0; i < s->nnodes; i++) {
		nd = &s->nodes[i];
		memset(&o, 0, sizeof(o));
		o.host = nd->host;
		o.port = nd->port;
		o.user = nd->user;
		o.identity = nd->identity;
		o.known_hosts = nd->known_hosts;
		o.connect_timeout_ms = 1;
		o.io_timeout_ms = 1;
		loose = false;
		error_init(&e);
		if (remote_check_files(&o, desc, sizeof(desc), &loose, &e) ==
		    -1) {
			cmd_serve_problem(f, "node '%s': %s", nd->name, e.msg);
			continue;
		}
		if (loose)
			cmd_serve_warning(f,
			    "node '%s': private key '%s' can be read by others "
			    "than its owner (chmod 600 it)",
			    nd->name, nd->identity);
		printf("node %s: %s@%s port %u, key %s, host key in %s\n",
		    nd->name, nd->user, nd->host, nd->port, desc,
		    nd->known_hosts);
	}
}

/* What sluice.conf says beyond its syntax: addresses, tokens, files. */
static void
cmd_serve_check_rest(const char *config, const struct settings *s,
    struct cmd_serve_findings *f)
{
	static const unsigned char zero[32];
	char where[SETTINGS_LISTEN_STR_MAX];
	struct error e;
	struct ui *u;
	unsigned admins = 0;
	bool secrets = false;
	struct stat sb;
	size_t i;

	for (i = 0; i < s->ntokens; i++) {
		if (s->tokens[i].role == ROLE_ADMIN)
			admins++;
		if (s->tokens[i].callback_secret[0] != '\0')
			secrets = true;
		/* The example's placeholder: no token has that hash. */
		if (memcmp(s->tokens[i].sha256, zero, sizeof(zero)) == 0)
			cmd_serve_warning(f,
			    "token '%s' has the example's all-zero sha256, "
			    "which no token matches (put a token's there: "
			    "printf %%s \"$TOKEN\" | sha256sum)",
			    s->tokens[i].name);
	}
	if (secrets && stat(config, &sb) == 0 && (sb.st_mode & 007) != 0)
		cmd_serve_warning(f,
		    "'%s' holds callback secrets and can be read by every user "
		    "(chmod o-rwx it)",
		    config);
	if (s->callback_ca_file[0] != '\0' &&
	    access(s->callback_ca_file, R_OK) == -1)
		cmd_serve_problem(f, "callback_ca_file '%s': %s",
		    s->callback_ca_file, strerror(errno));
	/* The dashboard's files, read as the daemon reads them: one that
	   ui_dir names must be there, the default may be missing. */
	error_init(&e);
	if ((u = ui_new(s->ui_dir, &e)) != NULL)
		ui_free(u);
	else if (s->ui_dir_given)
		cmd_serve_problem(f, "ui_dir: %s", e.msg);
	else
		printf("dashboard: none (%s)\n", e.msg);
	printf("listen %s; %zu tokens (%u admin); %zu nodes; access log "
	       "%s\n",
	    settings_listen_str(s->listen_host, s->listen_port, where),
	    s->ntokens, admins, s->nnodes, s->access_log ? "on" : "off");
	/* The tenants' own addresses, where a request without a token is
	   the tenant's: an operator checks them before they are bound. */
	for (i = 0; i < s->ntokens; i++) {
		const struct settings_token *t = &s->tokens[i];

		if (t->listen_port != 0)
			printf("listen %s for tenant '%s' (a Piston or "
			       "Judge0 request without a token is its)\n",
			    settings_listen_str(t->listen_host, t->listen_port,
				where),
			    t->name);
	}
}

/*
 * sluice serve --check: read the config and what it names as the daemon
 * would at start-up, without binding, connecting or writing anything.
 * 0 if the daemon could start with it, 1 if not.
 */
static int
cmd_serve_check(const char *config)
{
	struct cmd_serve_findings f = { 0, 0 };
	struct settings s;
	struct error e;

	/* Its lines and those on stderr in the order they were found. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	error_init(&e);
	if (settings_load(config, &s, &e) == -1) {
		fprintf(stderr, "sluice serve --check: error: %s\n", e.msg);
		fprintf(stderr,
		    "sluice serve --check: config '%s' is not "
		    "valid\n",
		    config);
		return 1;
	}
	printf("config %s: syntax and settings ok\n", config);
	cmd_serve_check_rest(config, &s, &f);
	cmd_serve_check_state(&s, &f);
	cmd_serve_check_nodes(&s, &f);
	settings_release(&s);
	if (f.problems > 0) {
		fprintf(stderr,
		    "sluice serve --check: config '%s': %u problem%s, %u "
		    "warning%s; the daemon would not start\n",
		    config, f.problems, f.problems == 1 ? "" : "s", f.warnings,
		    f.warnings == 1 ? "" : "s");
		return 1;
	}
	printf("ok: the daemon can start with %s (%u warning%s)\n", config,
	    f.warnings, f.warnings == 1 ? "" : "s");
	return 0;
}

/* Run the daemon. */
static int
cmd_serve_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = SETTINGS_DEFAULT_PATH;
	enum log_level level = LOG_LEVEL_INFO;
	struct server *srv = NULL;
	struct core c;
	struct error e;
	bool check = false;
	int ch, rc = -1;

	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'C':
			check = true;
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
	if (check)
		return cmd_serve_check(config);
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

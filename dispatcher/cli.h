/*
 * What the client verbs (cmd-submit.c, cmd-list.c, ...) share: the
 * --server and --token-file options, calls to the dispatcher whose every
 * failure becomes one line on stderr and an exit status (sysexits.h), and
 * the pure pieces of their output: state codes, elapsed times, sizes and
 * squeue-like tables.  Each verb returns the exit status it gets from here.
 */
#ifndef SLUICE_DISPATCHER_CLI_H
#define SLUICE_DISPATCHER_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sysexits.h>

#include <jansson.h>

#include "client.h"
#include "fmt.h"
#include "table.h"
#include "error.h"

#define CLI_SERVER_DEFAULT "http://127.0.0.1:8750"
#define CLI_FILE_MAX (256 * 1024 * 1024) /* one file that submit reads */
#define CLI_PATH_MAX 2048 /* an escaped request path */

/* getopt_long values of the options every client verb has. */
enum {
	CLI_OPT_SERVER = 0x100,
	CLI_OPT_TOKEN_FILE,
	CLI_OPT_HELP,
	CLI_OPT_JSON, /* a listing's --json */
	CLI_OPT_PARSABLE, /* a listing's --parsable */
	CLI_OPT_CACERT,
	CLI_OPT_UNIX_SOCKET,
	CLI_OPT_VERB = 0x200 /* the first of a verb's own long options */
};

/* The option entries every client verb's table has: CLI_OPTION_SERVER is
   --server and how to reach it (--cacert, --unix-socket). */
/* clang-format off */
#define CLI_OPTION_SERVER \
	{ "server", required_argument, NULL, CLI_OPT_SERVER }, \
	{ "cacert", required_argument, NULL, CLI_OPT_CACERT }, \
	{ "unix-socket", required_argument, NULL, CLI_OPT_UNIX_SOCKET }
#define CLI_OPTION_TOKEN_FILE \
	{ "token-file", required_argument, NULL, CLI_OPT_TOKEN_FILE }
#define CLI_OPTION_HELP { "help", no_argument, NULL, CLI_OPT_HELP }
/* A listing's output options: -h/--noheader, --json, --parsable. */
#define CLI_OPTIONS_LISTING \
	{ "noheader", no_argument, NULL, 'h' }, \
	{ "json", no_argument, NULL, CLI_OPT_JSON }, \
	{ "parsable", no_argument, NULL, CLI_OPT_PARSABLE }
/* clang-format on */

/* Help text for --server, --cacert, --unix-socket and --token-file, and
   the exit statuses. */
extern const char cli_common_help[];
extern const char cli_exit_help[];

/* One verb's connection to the dispatcher (embedded; see cli_release). */
struct cli {
	const char *verb;
	const char *server; /* --server, or NULL */
	const char *token_file; /* --token-file, or NULL */
	const char *ca_file; /* --cacert, or NULL */
	const char *unix_socket; /* --unix-socket, or NULL */
	struct client client; /* set by cli_connect() */
	char method[8]; /* of the last request, for messages */
	char path[CLI_PATH_MAX];
};

/* Start a verb's state. */
void cli_init(struct cli *cli, const char *verb);

/*
 * getopt_long() for a client verb, with opterr off: takes --server,
 * --cacert, --unix-socket and --token-file into cli itself and returns the
 * rest as getopt_long() does (the verb's options, CLI_OPT_HELP, ':' or '?',
 * -1 at the end).  The verb's optstring starts with ':' so that a missing
 * value is ':'.
 */
int cli_getopt(struct cli *cli, int argc, char *const *argv,
    const char *optstring, const struct option *opts);

/* Print "sluice VERB: message" and a hint to --help; returns EX_USAGE. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Report what cli_getopt() returned for a bad option (':' for a missing
 * value, '?' for an unknown option); returns EX_USAGE.
 */
int cli_bad_option(const struct cli *cli, int ch, char *const *argv);

/* Print "sluice: message" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Resolve the server (--server, SLUICE_SERVER, the default), the CA file
 * (--cacert, SLUICE_CA_CERT, or the system's store), the UNIX socket
 * (--unix-socket, SLUICE_UNIX_SOCKET, or none) and the token
 * (--token-file, SLUICE_TOKEN) into cli->client.  Returns 0, or an exit
 * status after printing why not.
 */
int cli_connect(struct cli *cli);

/*
 * Read a token file: its first line, trailing white space and the newline
 * stripped.  buf (size bytes) is written only on success.
 */
int cli_token_load(const char *path, char *buf, size_t size, struct error *e);

/*
 * Send a request (body, if not NULL, as JSON) and read its answer into r,
 * with the client's timeouts and a body of at most CLIENT_JSON_MAX bytes;
 * sink_fd as in client_request().  Returns 0 if there is an answer,
 * whatever its status, or an exit status after printing why there is none.
 */
int cli_request(struct cli *cli, const char *method, const char *path,
    const json_t *body, int sink_fd, struct client_response *r);

/*
 * A request whose 2xx answer is a JSON object, returned in *out (the
 * caller's).  Returns 0, or an exit status after printing why not; what
 * ("job 42") names the object for messages.
 */
int cli_call(struct cli *cli, const char *method, const char *path,
    const json_t *body, const char *what, json_t **out);

/* Print why a non-2xx answer failed and return its exit status. */
int cli_http_exit(const struct cli *cli, const struct client_response *r,
    const char *what);

/* The exit status of an HTTP status (the table in cli_exit_help). */
int cli_http_status_exit(int status);

/* Print a transport error from the client and return its exit status. */
int cli_error_exit(const struct error *e);

/*
 * POST /v1/nodes/NODE/ACTION (drain, resume) with body, then print
 * "NODE: STATE" or, if json, the node object.  Returns 0 or a status.
 */
int cli_node_post(struct cli *cli, const char *node, const char *action,
    const json_t *body, bool json);

/* Print a JSON value on stdout, indented; returns 0 or an exit status. */
int cli_print_json(const json_t *v);

/*
 * Read a regular file of at most cap bytes into a new buffer (a NUL after
 * its len bytes); *out is the caller's and set only on success.
 */
/*
 * The exit status of `sluice submit --wait` for an ended job: its exit
 * code, 128 + a signal, or 123 (output_limit), 124 (TIMEOUT),
 * 125 (OUT_OF_MEMORY), 130 (CANCELLED), 75 (NODE_FAIL), 70 (anything else).
 */
int cli_job_exit_status(const json_t *job);

/*
 * The exit status of `sluice submit --wait` for an ended job: its exit
 * code, 128 + a signal, or 123 (output_limit), 124 (TIMEOUT),
 * 125 (OUT_OF_MEMORY), 130 (CANCELLED), 75 (NODE_FAIL), 70 (anything else).
 */
int cli_job_exit_status(const json_t *job);
int cli_file_read(const char *path, size_t cap, unsigned char **out,
    size_t *len, struct error *e);

/* How a listing (list, nodes) prints: see CLI_OPTIONS_LISTING. */
struct cli_listing {
	bool header; /* false with -h */
	bool json;
	bool parsable;
};

/* Start with a header, aligned. */
void cli_listing_init(struct cli_listing *l);

/* Take a listing option cli_getopt() returned; false if ch is not one. */
bool cli_listing_opt(struct cli_listing *l, int ch);

/* After the options: refuse an argument left over (a listing takes none)
   and options that exclude each other; 0 or an exit status. */
int cli_listing_check(const struct cli *cli, const struct cli_listing *l,
    int argc, char *const *argv);

/*
 * Print what the API gave: obj itself with --json, else a table with a
 * row for each member of items (an array, named what for messages), its
 * cells from row(item, cells, arg) (pointing into arg), printed aligned or
 * parsable.  Returns the exit status.
 */
int cli_listing_print(const struct cli_listing *l, const json_t *obj,
    const char *what, struct table *t,
    void (*row)(const json_t *item, const char **cells, void *arg), void *arg);

#endif

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
#include "error.h"

#define CLI_SERVER_DEFAULT "http://127.0.0.1:8750"
#define CLI_FILE_MAX (256 * 1024 * 1024) /* one file that submit reads */
#define CLI_JOB_ID_MAX 18 /* digits, as the dispatcher takes them */
#define CLI_PATH_MAX 2048 /* an escaped request path */
#define CLI_TABLE_COLS_MAX 16

/* getopt_long values of the options every client verb has. */
enum {
	CLI_OPT_SERVER = 0x100,
	CLI_OPT_TOKEN_FILE,
	CLI_OPT_HELP,
	CLI_OPT_VERB = 0x200 /* the first of a verb's own long options */
};

/* The option entries every client verb's table has. */
/* clang-format off */
#define CLI_OPTION_SERVER { "server", required_argument, NULL, CLI_OPT_SERVER }
#define CLI_OPTION_TOKEN_FILE \
	{ "token-file", required_argument, NULL, CLI_OPT_TOKEN_FILE }
#define CLI_OPTION_HELP { "help", no_argument, NULL, CLI_OPT_HELP }
/* clang-format on */

/* Help text for --server and --token-file, and the exit statuses. */
extern const char cli_common_help[];
extern const char cli_exit_help[];

/* One verb's connection to the dispatcher (embedded; see cli_release). */
struct cli {
	const char *verb;
	const char *server; /* --server, or NULL */
	const char *token_file; /* --token-file, or NULL */
	struct client client; /* set by cli_connect() */
	char method[8]; /* of the last request, for messages */
	char path[CLI_PATH_MAX];
};

/* Start a verb's state. */
void cli_init(struct cli *cli, const char *verb);

/*
 * getopt_long() for a client verb, with opterr off: takes --server and
 * --token-file into cli itself and returns the rest as getopt_long() does
 * (the verb's options, CLI_OPT_HELP, ':' or '?', -1 at the end).  The
 * verb's optstring starts with ':' so that a missing value is ':'.
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

/* Make s printable in place: control characters and DEL become '?'. */
void cli_printable(char *s);

/* Print "sluice: message" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Resolve the server (--server, SLUICE_SERVER, the default) and the token
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

/* Whether s is a job id: 1 to CLI_JOB_ID_MAX decimal digits. */
bool cli_job_id_ok(const char *s);

/*
 * Parse a size: a whole number of bytes, or a number (a decimal fraction
 * allowed) with a suffix K, M, G, T (powers of 1024, as Slurm reads them),
 * Ki, Mi, Gi, Ti, any of them with a trailing B, in either case.  The
 * result must be a whole number of bytes and fit in 2^53.
 */
int cli_size_parse(const char *s, uint64_t *out);

/* Parse a positive, finite number of seconds ("10", "0.5"). */
int cli_seconds_parse(const char *s, double *out);

/* A size for people: "512", "1.5K", "256M", "2.0G". */
void cli_size_format(uint64_t bytes, char *buf, size_t size);

/* The squeue-like code of a job state ("PD", "R", ...), "?" if unknown. */
const char *cli_state_code(const char *state);

/* A job state from a name or a code, any case ("pd", "Running"); or NULL. */
const char *cli_state_canonical(const char *arg);

/* Whether a job state is final. */
bool cli_state_final(const char *state);

/* Seconds since the epoch of an RFC 3339 time; -1 if s is not one. */
int cli_time_parse(const char *s, double *out);

/* Elapsed seconds as squeue prints TIME: M:SS, H:MM:SS or D-HH:MM:SS. */
void cli_elapsed_format(double seconds, char *buf, size_t size);

/*
 * The seconds a job has run: from started_at to finished_at, or to now
 * if it has not finished; 0 if it has not started (never negative).
 */
double cli_job_elapsed(const json_t *job, double now);

/*
 * The exit status of `sluice submit --wait` for an ended job: its exit
 * code, 128 + a signal, or 123 (output_limit), 124 (TIMEOUT),
 * 125 (OUT_OF_MEMORY), 130 (CANCELLED), 75 (NODE_FAIL), 70 (anything else).
 */
int cli_job_exit_status(const json_t *job);

/* One line of `sluice list`: JOBID TENANT RUNTIME ST TIME NODE(REASON). */
struct cli_job_row {
	char id[32];
	char tenant[128];
	char runtime[128];
	char st[8];
	char time[32];
	char where[512]; /* the node, or "(reason)" while pending */
};

/* The cells of a job's line, its TIME counted up to now if it runs. */
void cli_job_row(const json_t *job, double now, struct cli_job_row *row);

/* One line of `sluice nodes`: NODE STATE SLOTS BUSY RUNTIMES REASON. */
struct cli_node_row {
	char name[128];
	char state[16];
	char slots[24];
	char busy[24];
	char runtimes[512]; /* names, comma-separated */
	char reason[512];
};

/* The cells of a node's line. */
void cli_node_row(const json_t *node, struct cli_node_row *row);

/* A string member of obj, or NULL if it is missing or not a string. */
const char *cli_json_str(const json_t *obj, const char *key);

/* Whether buf holds UTF-8 text without NUL bytes (sent as a JSON string). */
bool cli_utf8_text(const unsigned char *buf, size_t len);

/* Base64 (RFC 4648, padded) of buf in a new string; NULL without memory. */
char *cli_base64_encode(const unsigned char *buf, size_t len);

/*
 * Read a regular file of at most cap bytes into a new buffer (a NUL after
 * its len bytes); *out is the caller's and set only on success.
 */
int cli_file_read(const char *path, size_t cap, unsigned char **out,
    size_t *len, struct error *e);

enum cli_table_mode {
	CLI_TABLE_ALIGNED, /* padded columns; an empty cell shows "-" */
	CLI_TABLE_PARSABLE /* '|' between cells, none at the end */
};

/*
 * A table of text cells, printed aligned (squeue-like) or parsable.
 * Cells are copied in; control characters become '?', and in parsable
 * output so does '|'.
 */
struct cli_table {
	size_t ncols;
	const char *const *headers;
	const bool *right; /* right-justify column i; NULL: none */
	char **cells; /* nrows * ncols */
	size_t nrows;
	size_t cap;
};

/* Start an empty table; headers and right must outlive it. */
void cli_table_init(struct cli_table *t, size_t ncols,
    const char *const *headers, const bool *right);

/* Add a row of ncols cells (NULL is empty); -1 without memory. */
int cli_table_add(struct cli_table *t, const char *const *row);

/* Print the table, with its header line unless header is false. */
void cli_table_print(const struct cli_table *t, FILE *f,
    enum cli_table_mode mode, bool header);

/* Free the table's cells. */
void cli_table_release(struct cli_table *t);

#endif

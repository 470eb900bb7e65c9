/*
 * Shared parts of the client verbs: see cli.h.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

const char cli_common_help[] =
    "  --server URL       the dispatcher (default: $SLUICE_SERVER, or\n"
    "                     " CLI_SERVER_DEFAULT ")\n"
    "  --cacert FILE      trust only the CA certificates in FILE (PEM) "
    "for an\n                     https:// server (default: "
    "$SLUICE_CA_CERT, or the\n                     system's CA store)\n"
    "  --unix-socket PATH connect to the UNIX socket PATH instead of the "
    "URL's\n                     host and port (default: "
    "$SLUICE_UNIX_SOCKET)\n"
    "  --token-file FILE  read the API token from FILE (default: the "
    "token\n                     itself in $SLUICE_TOKEN)\n"
    "  --help             print this help\n";

const char cli_exit_help[] =
    "Exit status:\n"
    "  0   success\n"
    "  64  bad usage: unknown option, missing or malformed argument\n"
    "  65  the dispatcher refused the request (400, 409, 413, 422)\n"
    "  66  no such job, node or file (404); or a local file cannot be "
    "read\n"
    "  69  the dispatcher cannot be reached, or is unavailable (5xx, 503 "
    "draining),\n      or its TLS certificate is not trusted\n"
    "  70  internal error\n"
    "  71  out of memory\n"
    "  74  the output could not be written\n"
    "  75  quota or queue full (429): try again later\n"
    "  76  the dispatcher's answer was not understood (another version?)\n"
    "  77  the token was refused (401), or the job or node is not yours "
    "(403)\n";

/* Start a verb's state. */
void
cli_init(struct cli *cli, const char *verb)
{
	memset(cli, 0, sizeof(*cli));
	cli->verb = verb;
}

/* The next option that is not --server or --token-file. */
int
cli_getopt(struct cli *cli, int argc, char *const *argv, const char *optstring,
    const struct option *opts)
{
	int ch;

	opterr = 0;
	for (;;) {
		switch ((ch = getopt_long(argc, argv, optstring, opts, NULL))) {
		case CLI_OPT_SERVER:
			cli->server = optarg;
			break;
		case CLI_OPT_TOKEN_FILE:
			cli->token_file = optarg;
			break;
		case CLI_OPT_CACERT:
			cli->ca_file = optarg;
			break;
		case CLI_OPT_UNIX_SOCKET:
			cli->unix_socket = optarg;
			break;
		default:
			return ch;
		}
	}
}

/* Print a usage error. */
int
cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice %s: ", cli->verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nrun 'sluice %s --help' for its usage\n", cli->verb);
	return EX_USAGE;
}

/* Report a bad option. */
int
cli_bad_option(const struct cli *cli, int ch, char *const *argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (strncmp(arg, "--", 2) == 0)
		return cli_usage_error(cli,
		    ch == ':' ? "option '%s' needs a value"
			      : "unknown option, or a value it does not take: "
				"'%s'",
		    arg);
	if (optopt <= 0 || optopt >= 0x100)
		return cli_usage_error(cli, "bad option '%s'", arg);
	return cli_usage_error(cli,
	    ch == ':' ? "option -%c needs a value" : "unknown option -%c",
	    optopt);
}

/* Print a one-line message on stderr. */
void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Read a token file's first line. */
int
cli_token_load(const char *path, char *buf, size_t size, struct error *e)
{
	char tmp[CLIENT_TOKEN_MAX + 3];
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_set(e, ERR_IO,
		    "cannot open the token file '%s': %s", path,
		    strerror(errno));
	while (len < sizeof(tmp) - 1) {
		n = read(fd, tmp + len, sizeof(tmp) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_set(e, ERR_IO,
			    "cannot read the token file '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	tmp[len] = '\0';
	if (memchr(tmp, '\0', len) != NULL) {
		error_set(e, ERR_INVALID, "the token file '%s' is not text",
		    path);
		goto out;
	}
	len = strcspn(tmp, "\n");
	while (len > 0 && strchr(" \t\r", tmp[len - 1]) != NULL)
		len--;
	tmp[len] = '\0';
	if (len == 0) {
		error_set(e, ERR_INVALID, "the token file '%s' is empty", path);
		goto out;
	}
	if (len > CLIENT_TOKEN_MAX || len >= size) {
		error_set(e, ERR_INVALID,
		    "the token in '%s' is longer than %d bytes", path,
		    CLIENT_TOKEN_MAX);
		goto out;
	}
	memcpy(buf, tmp, len + 1);
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Resolve the server and the token. */
int
cli_connect(struct cli *cli)
{
	char token[CLIENT_TOKEN_MAX + 1];
	const char *server = cli->server, *tok = NULL;
	const char *ca_file = cli->ca_file, *sock = cli->unix_socket;
	struct error e;

	error_init(&e);
	if (server == NULL || server[0] == '\0')
		server = getenv("SLUICE_SERVER");
	if (server == NULL || server[0] == '\0')
		server = CLI_SERVER_DEFAULT;
	if (cli->token_file != NULL) {
		if (cli_token_load(cli->token_file, token, sizeof(token), &e) ==
		    -1) {
			cli_warn("%s", e.msg);
			return e.code == ERR_IO ? EX_NOINPUT : EX_DATAERR;
		}
		tok = token;
	} else
		tok = getenv("SLUICE_TOKEN");
	if (client_init(&cli->client, server, tok, &e) == -1) {
		cli_warn("%s", e.msg);
		return EX_USAGE;
	}
	if (ca_file == NULL)
		ca_file = getenv("SLUICE_CA_CERT");
	if (ca_file != NULL && ca_file[0] != '\0' &&
	    client_set_ca_file(&cli->client, ca_file, &e) == -1) {
		cli_warn("%s", e.msg);
		return e.code == ERR_IO     ? EX_NOINPUT
		    : e.code == ERR_INVALID ? EX_DATAERR
		    : e.code == ERR_NOMEM   ? EX_OSERR
					    : EX_USAGE;
	}
	if (sock == NULL)
		sock = getenv("SLUICE_UNIX_SOCKET");
	if (sock != NULL && sock[0] != '\0' &&
	    client_set_unix_socket(&cli->client, sock, &e) == -1) {
		cli_warn("%s", e.msg);
		return EX_USAGE;
	}
	return 0;
}

/* Send a request and read its answer. */
int
cli_request(struct cli *cli, const char *method, const char *path,
    const json_t *body, int sink_fd, struct client_response *r)
{
	char *text = NULL;
	struct error e;
	int rc;

	error_init(&e);
	snprintf(cli->method, sizeof(cli->method), "%s", method);
	snprintf(cli->path, sizeof(cli->path), "%s", path);
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		cli_warn("out of memory");
		return EX_OSERR;
	}
	rc = client_request(&cli->client, method, path, "application/json",
	    text, text != NULL ? strlen(text) : 0, 0, CLIENT_JSON_MAX, sink_fd,
	    r, &e);
	free(text);
	return rc == -1 ? cli_error_exit(&e) : 0;
}

/* A request whose answer is a JSON object. */
int
cli_call(struct cli *cli, const char *method, const char *path,
    const json_t *body, const char *what, json_t **out)
{
	struct client_response r;
	json_error_t jerr;
	json_t *v;
	int rc;

	client_response_init(&r);
	if ((rc = cli_request(cli, method, path, body, -1, &r)) != 0)
		goto out;
	if (r.status / 100 != 2) {
		rc = cli_http_exit(cli, &r, what);
		goto out;
	}
	v = json_loadb(r.body, r.body_len,
	    JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (v == NULL || !json_is_object(v)) {
		cli_warn("the dispatcher's answer to %s %s is not a JSON "
			 "object: %s",
		    method, path, v == NULL ? jerr.text : "another type");
		json_decref(v);
		rc = EX_PROTOCOL;
		goto out;
	}
	*out = v;
	rc = 0;
out:
	client_response_release(&r);
	return rc;
}

/* The exit status of an HTTP status. */
int
cli_http_status_exit(int status)
{
	switch (status) {
	case 400:
	case 409:
	case 413:
	case 422:
		return EX_DATAERR;
	case 401:
	case 403:
		return EX_NOPERM;
	case 404:
		return EX_NOINPUT;
	case 429:
		return EX_TEMPFAIL;
	default:
		if (status >= 200 && status < 300)
			return 0;
		if (status >= 500 && status < 600)
			return EX_UNAVAILABLE;
		return EX_PROTOCOL;
	}
}

/*
 * Copy the dispatcher's error message (or what stands for it) into msg and
 * the field it names, if any, into field.
 */
static void
cli_error_text(const struct client_response *r, char *msg, size_t msize,
    char *field, size_t fsize)
{
	json_t *v = NULL;
	const char *m = NULL, *f = NULL;
	size_t line;

	msg[0] = field[0] = '\0';
	if (r->body != NULL)
		v = json_loadb(r->body, r->body_len, JSON_ALLOW_NUL, NULL);
	if (v != NULL && json_is_object(v)) {
		m = fmt_json_str(v, "error");
		f = fmt_json_str(v, "field");
	}
	if (m != NULL && m[0] != '\0')
		snprintf(msg, msize, "%s", m);
	else if (r->body != NULL && r->body_len > 0 &&
	    strncasecmp(r->content_type, "text/", 5) == 0) {
		/* The first line of a text answer, at most 200 bytes. */
		line = strcspn(r->body, "\r\n");
		snprintf(msg, msize, "%.*s", (int)(line > 200 ? 200 : line),
		    r->body);
	} else
		snprintf(msg, msize, "%d %s", r->status, r->reason);
	if (f != NULL)
		snprintf(field, fsize, "%s", f);
	json_decref(v);
	/* Nothing unprintable reaches the terminal. */
	fmt_printable(msg);
	fmt_printable(field);
}

/* Print why a non-2xx answer failed. */
int
cli_http_exit(const struct cli *cli, const struct client_response *r,
    const char *what)
{
	char msg[512], field[64], pre[160] = "";
	int rc = cli_http_status_exit(r->status);
	size_t wlen;

	cli_error_text(r, msg, sizeof(msg), field, sizeof(field));
	/* "job 42: ..." unless the message names it already. */
	if (what != NULL && strstr(msg, what) == NULL)
		snprintf(pre, sizeof(pre), "%s: ", what);
	switch (r->status) {
	case 401:
		if (cli->client.token[0] == '\0')
			cli_warn("the dispatcher wants a token: set "
				 "--token-file or SLUICE_TOKEN");
		else
			cli_warn("the token was refused (%s): check "
				 "--token-file or SLUICE_TOKEN",
			    msg);
		break;
	case 403:
		cli_warn("%spermission denied: %s", pre, msg);
		break;
	case 404:
		if (strcmp(msg, "no such resource") == 0) {
			cli_warn("the dispatcher at %s does not know %s %s%s: "
				 "is it older than this sluice?",
			    cli->client.url, cli->method, cli->client.u.prefix,
			    cli->path);
			rc = EX_PROTOCOL;
			break;
		}
		/* "no such job" about "job 42" reads "no such job 42";
		   "no node 'x'" about "node x", "no such node x". */
		wlen = what != NULL ? strcspn(what, " ") : 0;
		if (wlen > 0 && strncmp(msg, "no ", 3) == 0 &&
		    strstr(msg, "file") == NULL &&
		    (strncmp(msg + 3, what, wlen) == 0 ||
			(strncmp(msg + 3, "such ", 5) == 0 &&
			    strncmp(msg + 8, what, wlen) == 0)))
			cli_warn("no such %s", what);
		else
			cli_warn("%s%s", pre, msg);
		break;
	case 405:
		cli_warn("the dispatcher at %s does not support %s %s%s (%s): "
			 "is it older than this sluice?",
		    cli->client.url, cli->method, cli->client.u.prefix,
		    cli->path, msg);
		break;
	case 429:
		if (r->retry_after[0] != '\0')
			cli_warn("%s%s; retry after %s seconds", pre, msg,
			    r->retry_after);
		else
			cli_warn("%s%s; try again later", pre, msg);
		break;
	case 503:
		cli_warn("the dispatcher is unavailable: %s", msg);
		break;
	default:
		if (r->status >= 500)
			cli_warn("the dispatcher failed (%d): %s", r->status,
			    msg);
		else if (rc == EX_PROTOCOL)
			cli_warn("unexpected answer from the dispatcher to "
				 "%s %s: %d %s",
			    cli->method, cli->path, r->status, msg);
		else if (field[0] != '\0')
			cli_warn("%s%s (field '%s')", pre, msg, field);
		else
			cli_warn("%s%s", pre, msg);
		break;
	}
	return rc;
}

/* Print a transport error. */
int
cli_error_exit(const struct error *e)
{
	switch (e->code) {
	case ERR_IO:
		cli_warn("%s (is `sluice serve` running? set --server or "
			 "SLUICE_SERVER)",
		    e->msg);
		return EX_UNAVAILABLE;
	case ERR_SYS:
	case ERR_REFUSED: /* TLS: no trusted connection */
		cli_warn("%s", e->msg);
		return EX_UNAVAILABLE;
	case ERR_INVALID:
		cli_warn("bad answer from the dispatcher: %s", e->msg);
		return EX_PROTOCOL;
	case ERR_INTERNAL:
		cli_warn("%s", e->msg);
		return EX_IOERR;
	case ERR_NOMEM:
		cli_warn("out of memory");
		return EX_OSERR;
	case ERR_USAGE:
		cli_warn("%s", e->msg);
		return EX_USAGE;
	default:
		cli_warn("%s", e->msg);
		return EX_SOFTWARE;
	}
}

/* Drain or resume a node. */
int
cli_node_post(struct cli *cli, const char *node, const char *action,
    const json_t *body, bool json)
{
	char path[CLI_PATH_MAX] = "/v1/nodes/", what[CLIENT_HOST_MAX + 8];
	const char *state, *reason;
	json_t *obj = NULL;
	int rc;

	if (node[0] == '\0' ||
	    client_escape(node, false, path, sizeof(path) - 16) == -1)
		return cli_usage_error(cli, "bad node name");
	strcat(path, "/");
	strcat(path, action);
	snprintf(what, sizeof(what), "node %.*s", CLIENT_HOST_MAX, node);
	if ((rc = cli_call(cli, "POST", path, body, what, &obj)) != 0)
		return rc;
	if (json)
		rc = cli_print_json(obj);
	else {
		state = fmt_json_str(obj, "state");
		reason = fmt_json_str(obj, "reason");
		printf("%s: %s%s%s%s\n", node, state != NULL ? state : "?",
		    reason != NULL && reason[0] != '\0' ? " (" : "",
		    reason != NULL ? reason : "",
		    reason != NULL && reason[0] != '\0' ? ")" : "");
		rc = fflush(stdout) == EOF ? EX_IOERR : 0;
	}
	json_decref(obj);
	return rc;
}

/* Print a JSON value on stdout. */
int
cli_print_json(const json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == -1) {
		cli_warn("cannot write the JSON output");
		return EX_IOERR;
	}
	putchar('\n');
	if (fflush(stdout) == EOF) {
		cli_warn("cannot write the output: %s", strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

/* The exit status of submit --wait for an ended job. */
int
cli_job_exit_status(const json_t *job)
{
	const char *state = fmt_json_str(job, "state");
	const char *verdict = fmt_json_str(job, "verdict");
	json_t *code = json_object_get(job, "exit_code");
	json_t *sig = json_object_get(job, "signal");

	if (state == NULL)
		return EX_SOFTWARE;
	if (strcmp(state, "TIMEOUT") == 0)
		return 124;
	if (strcmp(state, "OUT_OF_MEMORY") == 0)
		return 125;
	if (strcmp(state, "CANCELLED") == 0)
		return 130;
	if (strcmp(state, "NODE_FAIL") == 0)
		return EX_TEMPFAIL;
	if (strcmp(state, "COMPLETED") == 0)
		return json_is_integer(code) && json_integer_value(code) > 0 &&
			json_integer_value(code) < 256
		    ? (int)json_integer_value(code)
		    : 0;
	if (strcmp(state, "FAILED") != 0 || verdict == NULL)
		return EX_SOFTWARE;
	if (strcmp(verdict, "output_limit") == 0)
		return 123;
	if (strcmp(verdict, "exited") == 0 && json_is_integer(code) &&
	    json_integer_value(code) > 0 && json_integer_value(code) < 256)
		return (int)json_integer_value(code);
	if (strcmp(verdict, "signaled") == 0 && json_is_integer(sig) &&
	    json_integer_value(sig) > 0 && json_integer_value(sig) < 128)
		return 128 + (int)json_integer_value(sig);
	return EX_SOFTWARE;
}

/* Read a regular file with a cap. */
int
cli_file_read(const char *path, size_t cap, unsigned char **out, size_t *len,
    struct error *e)
{
	struct stat st;
	char *buf;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_set(e, ERR_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1) {
		error_set(e, ERR_IO, "cannot stat '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		error_set(e, ERR_INVALID, "'%s' is not a regular file", path);
		goto out;
	}
	/* The file may grow while it is read: up to cap, still. */
	if ((uint64_t)st.st_size > cap)
		errno = EFBIG;
	else if (util_read_grow(fd, (size_t)st.st_size, cap, &buf, len) == 0) {
		*out = (unsigned char *)buf;
		rc = 0;
		goto out;
	}
	if (errno == EFBIG)
		error_set(e, ERR_INVALID, "'%s' is larger than %zu bytes", path,
		    cap);
	else if (errno == ENOMEM)
		error_set(e, ERR_NOMEM, "out of memory");
	else
		error_set(e, ERR_IO, "cannot read '%s': %s", path,
		    strerror(errno));
out:
	close(fd);
	return rc;
}

/* A listing's output: see cli.h. */
void
cli_listing_init(struct cli_listing *l)
{
	l->header = true;
	l->json = l->parsable = false;
}

bool
cli_listing_opt(struct cli_listing *l, int ch)
{
	switch (ch) {
	case 'h':
		l->header = false;
		return true;
	case CLI_OPT_JSON:
		l->json = true;
		return true;
	case CLI_OPT_PARSABLE:
		l->parsable = true;
		return true;
	}
	return false;
}

int
cli_listing_check(const struct cli *cli, const struct cli_listing *l, int argc,
    char *const *argv)
{
	if (optind != argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		    argv[optind]);
	if (l->json && l->parsable)
		return cli_usage_error(cli,
		    "--json and --parsable exclude each other");
	return 0;
}

int
cli_listing_print(const struct cli_listing *l, const json_t *obj,
    const char *what, struct table *t,
    void (*row)(const json_t *item, const char **cells, void *arg), void *arg)
{
	const char *cells[TABLE_COLS_MAX];
	const json_t *items, *item;
	size_t i;

	if (l->json)
		return cli_print_json(obj);
	if (!json_is_array(items = json_object_get(obj, what))) {
		cli_warn("the dispatcher's list has no \"%s\"", what);
		return EX_PROTOCOL;
	}
	json_array_foreach (items, i, item) {
		row(item, cells, arg);
		if (table_add(t, cells) == -1) {
			cli_warn("out of memory");
			return EX_OSERR;
		}
	}
	table_print(t, stdout, l->parsable ? TABLE_PARSABLE : TABLE_ALIGNED,
	    l->header);
	return fflush(stdout) == EOF ? EX_IOERR : 0;
}

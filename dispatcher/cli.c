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

const char cli_common_help[] =
    "  --server URL       the dispatcher (default: $SLUICE_SERVER, or\n"
    "                     " CLI_SERVER_DEFAULT ")\n"
    "  --token-file FILE  read the API token from FILE (default: "
    "$SLUICE_TOKEN)\n"
    "  --help             print this help\n";

const char cli_exit_help[] =
    "Exit status:\n"
    "  0   success\n"
    "  64  bad usage: unknown option, missing or malformed argument\n"
    "  65  the dispatcher refused the request (400, 409, 413, 422)\n"
    "  66  no such job, node or file (404); or a local file cannot be "
    "read\n"
    "  69  the dispatcher cannot be reached, or is unavailable (5xx, 503 "
    "draining)\n"
    "  70  internal error\n"
    "  71  out of memory\n"
    "  74  the output could not be written\n"
    "  75  quota or queue full (429): try again later\n"
    "  76  the dispatcher's answer was not understood (another version?)\n"
    "  77  the token was refused (401), or the job or node is not yours "
    "(403)\n";

/* The job states, their squeue codes, and whether they are final. */
static const struct {
	const char *name;
	const char *code;
	bool final;
} cli_states[] = {
	{ "PENDING", "PD", false },
	{ "RUNNING", "R", false },
	{ "COMPLETING", "CG", false },
	{ "COMPLETED", "CD", true },
	{ "FAILED", "F", true },
	{ "TIMEOUT", "TO", true },
	{ "OUT_OF_MEMORY", "OOM", true },
	{ "CANCELLED", "CA", true },
	{ "NODE_FAIL", "NF", true },
};

#define CLI_NSTATES (sizeof(cli_states) / sizeof(cli_states[0]))

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

/* Make s safe for a terminal. */
void
cli_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
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
		m = cli_json_str(v, "error");
		f = cli_json_str(v, "field");
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
	cli_printable(msg);
	cli_printable(field);
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
		state = cli_json_str(obj, "state");
		reason = cli_json_str(obj, "reason");
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

/* Whether s is a job id. */
bool
cli_job_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= CLI_JOB_ID_MAX && strspn(s, "0123456789") == n;
}

/* Parse a human-readable size. */
int
cli_size_parse(const char *s, uint64_t *out)
{
	uint64_t whole = 0, mult = 1, frac_num = 0, frac_den = 1, v;
	const char *p = s;
	int shift = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_C(1) << 53) / 10)
			return -1;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			/* Six places at most keep frac_num * 2^40 in range. */
			if (frac_den >= UINT64_C(1000000))
				return -1;
			frac_num = frac_num * 10 + (uint64_t)(*p - '0');
			frac_den *= 10;
		}
	}
	switch (*p) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		break;
	}
	if (shift > 0) {
		p++;
		if (*p == 'i' || *p == 'I')
			p++;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p != '\0')
		return -1;
	mult = UINT64_C(1) << shift;
	if (whole > (UINT64_C(1) << 53) / mult)
		return -1;
	v = whole * mult;
	/* The fraction must come to a whole number of bytes. */
	if (frac_num > 0) {
		if ((frac_num * mult) % frac_den != 0)
			return -1;
		v += frac_num * mult / frac_den;
	}
	if (v > (UINT64_C(1) << 53))
		return -1;
	*out = v;
	return 0;
}

/* Parse a positive number of seconds. */
int
cli_seconds_parse(const char *s, double *out)
{
	char *end;
	double d;

	/* Digits and a point only: no sign, exponent, hex, inf or nan. */
	if (s[0] == '\0' || strspn(s, "0123456789.") != strlen(s))
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(d) || d <= 0)
		return -1;
	*out = d;
	return 0;
}

/* A size for people. */
void
cli_size_format(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v == floor(v))
		snprintf(buf, size, "%.0f%c", v, units[u]);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
}

/* The squeue-like code of a state. */
const char *
cli_state_code(const char *state)
{
	size_t i;

	for (i = 0; state != NULL && i < CLI_NSTATES; i++)
		if (strcmp(state, cli_states[i].name) == 0)
			return cli_states[i].code;
	return "?";
}

/* A job state from a name or a code. */
const char *
cli_state_canonical(const char *arg)
{
	size_t i;

	for (i = 0; i < CLI_NSTATES; i++)
		if (strcasecmp(arg, cli_states[i].name) == 0 ||
		    strcasecmp(arg, cli_states[i].code) == 0)
			return cli_states[i].name;
	return NULL;
}

/* Whether a state is final. */
bool
cli_state_final(const char *state)
{
	size_t i;

	for (i = 0; state != NULL && i < CLI_NSTATES; i++)
		if (strcmp(state, cli_states[i].name) == 0)
			return cli_states[i].final;
	return false;
}

/* Read exactly n digits at s into *v. */
static bool
cli_digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* Parse an RFC 3339 time. */
int
cli_time_parse(const char *s, double *out)
{
	int year, mon, day, hour, min, sec, oh, om;
	double frac = 0, scale = 0.1;
	struct tm tm;
	time_t t;
	const char *p;

	if (!cli_digits(s, 4, &year) || s[4] != '-' ||
	    !cli_digits(s + 5, 2, &mon) || s[7] != '-' ||
	    !cli_digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
	    !cli_digits(s + 11, 2, &hour) || s[13] != ':' ||
	    !cli_digits(s + 14, 2, &min) || s[16] != ':' ||
	    !cli_digits(s + 17, 2, &sec))
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 ||
	    min > 59 || sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		;
	else if ((*p == '+' || *p == '-') && cli_digits(p + 1, 2, &oh) &&
	    p[3] == ':' && cli_digits(p + 4, 2, &om) && p[6] == '\0' &&
	    oh < 24 && om < 60)
		t -= (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
	else
		return -1;
	*out = (double)t + frac;
	return 0;
}

/* Format elapsed seconds like squeue's TIME. */
void
cli_elapsed_format(double seconds, char *buf, size_t size)
{
	long long s = seconds > 0 && isfinite(seconds) ? (long long)seconds : 0;
	long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;

	if (d > 0)
		snprintf(buf, size, "%lld-%02lld:%02lld:%02lld", d, h, m,
		    s % 60);
	else if (h > 0)
		snprintf(buf, size, "%lld:%02lld:%02lld", h, m, s % 60);
	else
		snprintf(buf, size, "%lld:%02lld", m, s % 60);
}

/* The seconds a job has run. */
double
cli_job_elapsed(const json_t *job, double now)
{
	const char *started = cli_json_str(job, "started_at");
	const char *finished = cli_json_str(job, "finished_at");
	double a, b = now;

	if (started == NULL || cli_time_parse(started, &a) == -1)
		return 0;
	if (finished != NULL && cli_time_parse(finished, &b) == -1)
		b = now;
	return b > a ? b - a : 0;
}

/* The exit status of submit --wait for an ended job. */
int
cli_job_exit_status(const json_t *job)
{
	const char *state = cli_json_str(job, "state");
	const char *verdict = cli_json_str(job, "verdict");
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

/* The cells of a job's line. */
void
cli_job_row(const json_t *job, double now, struct cli_job_row *row)
{
	const char *state = cli_json_str(job, "state");
	const char *node = cli_json_str(job, "node");
	const char *reason = cli_json_str(job, "reason");
	const char *s;

	memset(row, 0, sizeof(*row));
	snprintf(row->id, sizeof(row->id), "%s",
	    (s = cli_json_str(job, "id")) != NULL ? s : "");
	snprintf(row->tenant, sizeof(row->tenant), "%s",
	    (s = cli_json_str(job, "tenant")) != NULL ? s : "");
	snprintf(row->runtime, sizeof(row->runtime), "%s",
	    (s = cli_json_str(job, "runtime")) != NULL ? s : "");
	snprintf(row->st, sizeof(row->st), "%s", cli_state_code(state));
	cli_elapsed_format(cli_job_elapsed(job, now), row->time,
	    sizeof(row->time));
	if (reason == NULL || reason[0] == '\0')
		reason = "None";
	/* squeue's NODELIST(REASON): why a pending job waits. */
	if ((state != NULL && strcmp(state, "PENDING") == 0) || node == NULL ||
	    node[0] == '\0')
		snprintf(row->where, sizeof(row->where), "(%s)", reason);
	else
		snprintf(row->where, sizeof(row->where), "%s", node);
}

/* A JSON integer as text, or "" if v is not one. */
static void
cli_int_text(const json_t *v, char *buf, size_t size)
{
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else
		buf[0] = '\0';
}

/* The cells of a node's line. */
void
cli_node_row(const json_t *node, struct cli_node_row *row)
{
	const json_t *rt = json_object_get(node, "runtimes"), *v;
	const char *s;
	size_t i, n;

	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s",
	    (s = cli_json_str(node, "name")) != NULL ? s : "");
	snprintf(row->state, sizeof(row->state), "%s",
	    (s = cli_json_str(node, "state")) != NULL ? s : "");
	cli_int_text(json_object_get(node, "slots"), row->slots,
	    sizeof(row->slots));
	cli_int_text(json_object_get(node, "busy"), row->busy,
	    sizeof(row->busy));
	json_array_foreach (rt, i, v) {
		s = json_is_string(v) ? json_string_value(v)
				      : cli_json_str(v, "name");
		if (s == NULL)
			continue;
		n = strlen(row->runtimes);
		snprintf(row->runtimes + n, sizeof(row->runtimes) - n, "%s%s",
		    n > 0 ? "," : "", s);
	}
	snprintf(row->reason, sizeof(row->reason), "%s",
	    (s = cli_json_str(node, "reason")) != NULL ? s : "");
}

/* A string member of obj. */
const char *
cli_json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Whether buf is UTF-8 text without NUL bytes. */
bool
cli_utf8_text(const unsigned char *buf, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		unsigned char c = buf[i];

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((buf[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (buf[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, and past U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n + 1;
	}
	return true;
}

/* Base64 of buf. */
char *
cli_base64_encode(const unsigned char *buf, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out, *o;
	size_t i;
	uint32_t v;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	o = out;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)buf[i] << 16 | (uint32_t)buf[i + 1] << 8 |
		    buf[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = tab[v & 63];
	}
	if (i < len) {
		v = (uint32_t)buf[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)buf[i + 1] << 8;
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Read a regular file with a cap. */
int
cli_file_read(const char *path, size_t cap, unsigned char **out, size_t *len,
    struct error *e)
{
	unsigned char *buf = NULL, *nbuf;
	size_t n = 0, size;
	struct stat st;
	ssize_t got;
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
	if ((uint64_t)st.st_size > cap) {
		error_set(e, ERR_INVALID, "'%s' is larger than %zu bytes", path,
		    cap);
		goto out;
	}
	size = (size_t)st.st_size + 1;
	if ((buf = malloc(size + 1)) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The file may grow while it is read: up to cap, still. */
	for (;;) {
		if (n == size) {
			if (size > cap) {
				error_set(e, ERR_INVALID,
				    "'%s' is larger than %zu bytes", path, cap);
				goto out;
			}
			size = size * 2 > cap + 1 ? cap + 1 : size * 2;
			if ((nbuf = realloc(buf, size + 1)) == NULL) {
				error_set(e, ERR_NOMEM, "out of memory");
				goto out;
			}
			buf = nbuf;
		}
		got = read(fd, buf + n, size - n);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			error_set(e, ERR_IO, "cannot read '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Start an empty table. */
void
cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers,
    const bool *right)
{
	assert(ncols > 0 && ncols <= CLI_TABLE_COLS_MAX);
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->headers = headers;
	t->right = right;
}

/* Add a row. */
int
cli_table_add(struct cli_table *t, const char *const *row)
{
	char **ncells, *p;
	size_t i, ncap;

	if (t->nrows == t->cap) {
		ncap = t->cap == 0 ? 16 : t->cap * 2;
		ncells = realloc(t->cells, ncap * t->ncols * sizeof(*ncells));
		if (ncells == NULL)
			return -1;
		t->cells = ncells;
		t->cap = ncap;
	}
	for (i = 0; i < t->ncols; i++) {
		p = strdup(row[i] != NULL ? row[i] : "");
		if (p == NULL) {
			while (i > 0)
				free(t->cells[t->nrows * t->ncols + --i]);
			return -1;
		}
		t->cells[t->nrows * t->ncols + i] = p;
		cli_printable(p);
	}
	t->nrows++;
	return 0;
}

/* The width of s on a terminal: its UTF-8 code points. */
static size_t
cli_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Print one cell of a parsable row, '|' made '?'. */
static void
cli_table_parsable_cell(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s == '|' ? '?' : *s, f);
}

/* Print one row (cells: ncols strings). */
static void
cli_table_row(const struct cli_table *t, FILE *f, enum cli_table_mode mode,
    const char *const *cells, const size_t *width)
{
	size_t i, w, pad;
	const char *s;

	for (i = 0; i < t->ncols; i++) {
		s = cells[i];
		if (mode == CLI_TABLE_PARSABLE) {
			if (i > 0)
				fputc('|', f);
			cli_table_parsable_cell(f, s);
			continue;
		}
		if (s[0] == '\0')
			s = "-";
		if (i > 0)
			fputc(' ', f);
		w = cli_width(s);
		pad = width[i] > w ? width[i] - w : 0;
		if (t->right != NULL && t->right[i])
			fprintf(f, "%*s%s", (int)pad, "", s);
		else if (i + 1 < t->ncols)
			fprintf(f, "%s%*s", s, (int)pad, "");
		else
			fputs(s, f);
	}
	fputc('\n', f);
}

/* Print the table. */
void
cli_table_print(const struct cli_table *t, FILE *f, enum cli_table_mode mode,
    bool header)
{
	size_t width[CLI_TABLE_COLS_MAX], i, r, w;

	assert(t->ncols <= CLI_TABLE_COLS_MAX);
	for (i = 0; i < t->ncols; i++) {
		width[i] = header ? cli_width(t->headers[i]) : 0;
		for (r = 0; r < t->nrows; r++) {
			w = cli_width(t->cells[r * t->ncols + i]);
			if (w == 0)
				w = 1; /* "-" */
			if (w > width[i])
				width[i] = w;
		}
	}
	if (header)
		cli_table_row(t, f, mode, t->headers, width);
	for (r = 0; r < t->nrows; r++)
		cli_table_row(t, f, mode,
		    (const char *const *)(t->cells + r * t->ncols), width);
}

/* Free the table's cells. */
void
cli_table_release(struct cli_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

/* Commands on the channels of a node's session: see remote.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote-internal.h"
#include "util.h"

#define REMOTE_READ_CHUNK (16 * 1024)
/* Chunks one remote_channel_poll() takes, so a chatty command cannot hold
 * the node's thread; remote_wait() returns at once while more is
 * buffered. */
#define REMOTE_POLL_CHUNKS 64

/* Quote argv for a POSIX shell: see remote.h. */
char *
remote_channel_quote(const char *const *argv)
{
	size_t n = 1, i;
	const char *c;
	char *out, *p;

	for (i = 0; argv[i] != NULL; i++) {
		n += 3; /* two quotes and a blank or the NUL */
		for (c = argv[i]; *c != '\0'; c++)
			n += *c == '\'' ? 4 : 1;
	}
	if ((out = malloc(n)) == NULL)
		return NULL;
	p = out;
	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			*p++ = ' ';
		*p++ = '\'';
		for (c = argv[i]; *c != '\0'; c++) {
			if (*c == '\'') {
				/* close the quote, an escaped quote, reopen */
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *c;
			}
		}
		*p++ = '\'';
	}
	*p = '\0';
	return out;
}

/* Channel callback: the command's exit status arrived. */
static void
remote_channel_on_status(ssh_session s, ssh_channel ch, int status, void *ud)
{
	struct remote_channel *p = ud;

	(void)s;
	(void)ch;
	p->exited = true;
	p->exit_status = status;
}

/* Channel callback: the command died by a signal. */
static void
remote_channel_on_signal(ssh_session s, ssh_channel ch, const char *sig,
    int core, const char *errmsg, const char *lang, void *ud)
{
	struct remote_channel *p = ud;

	(void)s;
	(void)ch;
	(void)sig;
	(void)core;
	(void)errmsg;
	(void)lang;
	p->exited = true;
	p->exit_status = -1;
}

/* Channel callback: the node closed the channel. */
static void
remote_channel_on_close(ssh_session s, ssh_channel ch, void *ud)
{
	struct remote_channel *p = ud;

	(void)s;
	(void)ch;
	p->closed = true;
}

/* Open a channel and start argv on it (the caller marks r busy). */
static struct remote_channel *
remote_channel_start(struct remote *r, const char *const *argv, struct error *e)
{
	struct remote_channel *p = NULL, *ret = NULL;
	char *cmd = NULL;
	int rc;

	if (argv == NULL || argv[0] == NULL)
		return error_set(e, ERR_INVALID, "empty command"), NULL;
	if (remote_check_alive(r, e) == -1)
		return NULL;
	if ((cmd = remote_channel_quote(argv)) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	p->r = r;
	p->exit_status = -1;
	snprintf(p->name, sizeof(p->name), "%s", argv[0]);
	if ((p->ch = ssh_channel_new(r->s)) == NULL) {
		remote_fail(r, e, ERR_NOMEM, "cannot make a channel to %s",
		    r->label);
		goto out;
	}
	if ((rc = ssh_channel_open_session(p->ch)) == SSH_AGAIN) {
		remote_fail_timeout(r, e, "a channel open");
		goto out;
	}
	if (rc != SSH_OK) {
		/* Refused with the connection up: the node's MaxSessions. */
		remote_fail(r, e, ERR_BUSY,
		    "%s refused a new channel (MaxSessions reached?)",
		    r->label);
		goto out;
	}
	/* Before the exec: a quick command's status may come at once. */
	ssh_callbacks_init(&p->cb);
	p->cb.userdata = p;
	p->cb.channel_exit_status_function = remote_channel_on_status;
	p->cb.channel_exit_signal_function = remote_channel_on_signal;
	p->cb.channel_close_function = remote_channel_on_close;
	if (ssh_add_channel_callbacks(p->ch, &p->cb) != SSH_OK) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	p->cb_set = true;
	if ((rc = ssh_channel_request_exec(p->ch, cmd)) == SSH_AGAIN) {
		remote_fail_timeout(r, e, "an exec request");
		goto out;
	}
	if (rc != SSH_OK) {
		remote_fail(r, e, ERR_REFUSED, "%s did not start '%s'",
		    r->label, p->name);
		goto out;
	}
	p->next = r->channels;
	r->channels = p;
	ret = p;
	p = NULL;
out:
	remote_channel_free(p);
	free(cmd);
	return ret;
}

/* Close the command's channel and free it: see remote.h. */
void
remote_channel_free(struct remote_channel *p)
{
	struct remote_channel **pp;
	ssh_session s;
	int blocking;

	if (p == NULL)
		return;
	for (pp = &p->r->channels; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (p->ch != NULL) {
		/* libssh would still call them when the node's close comes */
		if (p->cb_set)
			ssh_remove_channel_callbacks(p->ch, &p->cb);
		/* Send our close without waiting: the node may be hung. */
		s = p->r->s;
		blocking = ssh_is_blocking(s);
		ssh_set_blocking(s, 0);
		ssh_channel_free(p->ch);
		ssh_set_blocking(s, blocking);
	}
	free(p->line);
	free(p);
}

/* Read and drop what stderr holds, keeping the start in keep if given. */
static int
remote_channel_stderr_drain(struct remote_channel *p, char *keep,
    size_t *keeplen, size_t keepcap, struct error *e)
{
	char buf[REMOTE_READ_CHUNK];
	size_t take, i;
	int n, chunks;

	for (chunks = 0; chunks < REMOTE_POLL_CHUNKS; chunks++) {
		n = ssh_channel_read_nonblocking(p->ch, buf, sizeof(buf), 1);
		if (n == 0 || n == SSH_EOF)
			break;
		if (n < 0)
			return remote_fail(p->r, e, ERR_IO,
			    "cannot read stderr of '%s'", p->name);
		if (keep == NULL || *keeplen + 1 >= keepcap)
			continue;
		take = keepcap - 1 - *keeplen;
		if (take > (size_t)n)
			take = (size_t)n;
		for (i = 0; i < take; i++) {
			unsigned char c = (unsigned char)buf[i];

			keep[*keeplen + i] =
			    (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f
			    ? '?'
			    : (char)c;
		}
		*keeplen += take;
		keep[*keeplen] = '\0';
	}
	return 0;
}

/* Record an error of a proc so that later polls repeat it; returns -1. */
static int
remote_channel_failed(struct remote_channel *p, struct error *e)
{
	p->failed = true;
	if (e != NULL)
		p->fail = *e;
	else
		error_set(&p->fail, ERR_IO, "'%s' failed", p->name);
	return -1;
}

/* Pass the partial line to line_cb and start a new one. */
static int
remote_channel_emit(struct remote_channel *p,
    int (*line_cb)(const char *, size_t, void *), void *arg, struct error *e)
{
	static char empty[1];
	char *line = p->line != NULL ? p->line : empty;

	line[p->linelen] = '\0';
	if (line_cb(line, p->linelen, arg) != 0)
		return error_set(e, ERR_INVALID,
		    "a line of '%s' was rejected by its reader", p->name);
	p->linelen = 0;
	return 0;
}

/* Split data into lines, passing each complete one to line_cb. */
static int
remote_channel_feed(struct remote_channel *p, const char *data, size_t len,
    size_t max_line, int (*line_cb)(const char *, size_t, void *), void *arg,
    struct error *e)
{
	const char *nl;
	size_t take, want;
	char *grown;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		take = nl != NULL ? (size_t)(nl - data) : len;
		if (take > max_line || p->linelen > max_line - take)
			return error_set(e, ERR_INVALID,
			    "a line of output of '%s' on %s is longer than %zu "
			    "bytes",
			    p->name, p->r->label, max_line);
		if (p->linelen + take + 1 > p->linecap) {
			want = p->linecap < 256 ? 256 : p->linecap;
			while (want < p->linelen + take + 1)
				want *= 2;
			if (want > max_line + 1)
				want = max_line + 1;
			if ((grown = realloc(p->line, want)) == NULL)
				return error_set(e, ERR_NOMEM, "out of memory");
			p->line = grown;
			p->linecap = want;
		}
		memcpy(p->line + p->linelen, data, take);
		p->linelen += take;
		if (nl == NULL)
			break;
		if (remote_channel_emit(p, line_cb, arg, e) == -1)
			return -1;
		data += take + 1;
		len -= take + 1;
	}
	return 0;
}

/* Read a running command's output without blocking: see remote.h. */
int
remote_channel_poll(struct remote_channel *p, size_t max_line,
    int (*line_cb)(const char *line, size_t len, void *arg), void *arg,
    int *exit_status, struct error *e)
{
	char buf[REMOTE_READ_CHUNK];
	int n, chunks;

	if (p->done) {
		*exit_status = p->exit_status;
		return 0;
	}
	if (p->failed) {
		if (e != NULL)
			*e = p->fail;
		return -1;
	}
	for (chunks = 0; !p->out_eof && chunks < REMOTE_POLL_CHUNKS; chunks++) {
		n = ssh_channel_read_nonblocking(p->ch, buf, sizeof(buf), 0);
		if (n == SSH_EOF) {
			p->out_eof = true;
			break;
		}
		if (n < 0) {
			remote_fail(p->r, e, ERR_IO,
			    "cannot read output of '%s'", p->name);
			return remote_channel_failed(p, e);
		}
		if (n == 0)
			break;
		if (remote_channel_feed(p, buf, (size_t)n, max_line, line_cb,
			arg, e) == -1)
			return remote_channel_failed(p, e);
	}
	/* stdout and stderr share the channel's window: drain both. */
	if (remote_channel_stderr_drain(p, NULL, NULL, 0, e) == -1)
		return remote_channel_failed(p, e);
	if (p->out_eof && p->linelen > 0 &&
	    remote_channel_emit(p, line_cb, arg, e) == -1)
		return remote_channel_failed(p, e);
	if (p->out_eof && p->exited) {
		p->done = true;
		*exit_status = p->exit_status;
		return 0;
	}
	if (p->out_eof && p->closed) {
		error_set(e, ERR_IO, "'%s' on %s ended without an exit status",
		    p->name, p->r->label);
		return remote_channel_failed(p, e);
	}
	if (remote_check_alive(p->r, e) == -1)
		return remote_channel_failed(p, e);
	return 1;
}

/* Whether remote_channel_poll() has something to take from p right now. */
bool
remote_channel_ready(struct remote_channel *p)
{
	int n;

	if (p->done || p->failed)
		return false;
	if (p->closed || (p->out_eof && p->exited))
		return true;
	n = ssh_channel_poll(p->ch, 1);
	if (n > 0 || n == SSH_ERROR)
		return true;
	n = ssh_channel_poll(p->ch, 0);
	return n > 0 || n == SSH_ERROR || (n == SSH_EOF && !p->out_eof);
}

/* Start a command: see remote.h. */
struct remote_channel *
remote_channel_spawn(struct remote *r, const char *const *argv, struct error *e)
{
	struct remote_channel *p;

	remote_busy_begin(r);
	p = remote_channel_start(r, argv, e);
	remote_busy_end(r);
	return p;
}

/* Send data to a running command's stdin: see remote.h. */
int
remote_channel_write(struct remote_channel *p, const void *data, size_t len,
    struct error *e)
{
	struct remote *r = p->r;
	const char *in = data;
	size_t sent = 0, chunk;
	int n, rc = 0;

	remote_busy_begin(r);
	while (sent < len) {
		chunk = len - sent;
		if (chunk > REMOTE_SFTP_CHUNK)
			chunk = REMOTE_SFTP_CHUNK;
		if ((n = ssh_channel_write(p->ch, in + sent,
			 (uint32_t)chunk)) <= 0) {
			rc = remote_fail(r, e, ERR_IO,
			    "cannot send input to '%s'", p->name);
			break;
		}
		sent += (size_t)n;
	}
	remote_busy_end(r);
	return rc;
}

/* Move what the command has sent into out (at most cap) and run_stderr. */
static int
remote_channel_run_drain(struct remote_channel *p, char *out, size_t *len,
    size_t cap, struct error *e)
{
	struct remote *r = p->r;
	char buf[REMOTE_READ_CHUNK];
	int n;

	while (!p->out_eof) {
		n = ssh_channel_read_nonblocking(p->ch, buf, sizeof(buf), 0);
		if (n == SSH_EOF) {
			p->out_eof = true;
			break;
		}
		if (n < 0)
			return remote_fail(r, e, ERR_IO,
			    "cannot read output of '%s'", p->name);
		if (n == 0)
			break;
		if (out == NULL)
			continue;
		if ((size_t)n > cap - *len)
			return error_set(e, ERR_INVALID,
			    "output of '%s' on %s is larger than %zu bytes",
			    p->name, r->label, cap);
		memcpy(out + *len, buf, (size_t)n);
		*len += (size_t)n;
	}
	return remote_channel_stderr_drain(p, r->run_stderr, &r->run_stderr_len,
	    sizeof(r->run_stderr), e);
}

/*
 * Wait for anything from the node for at most io_timeout_ms, and not past
 * the run's deadline (util_now_ms(); 0: none).
 */
static int
remote_channel_run_wait(struct remote_channel *p, int64_t deadline,
    struct error *e)
{
	struct remote *r = p->r;
	int64_t left;
	int rc, ms = r->io_timeout_ms;

	if (deadline > 0) {
		left = deadline - util_now_ms();
		if (left <= 0)
			return error_set(e, ERR_INVALID,
			    "'%s' on %s did not end within %d ms", p->name,
			    r->label, r->run_timeout_ms);
		if (left < ms)
			ms = (int)left;
	}
	rc = ssh_event_dopoll(r->ev, ms);
	if (rc == SSH_ERROR || remote_check_alive(r, e) == -1)
		return remote_fail(r, e, ERR_IO, "waiting for '%s' on %s",
		    p->name, r->label);
	if (rc == SSH_AGAIN && ms == r->io_timeout_ms)
		return error_set(e, ERR_IO,
		    "'%s' on %s sent nothing and did not end for %d ms",
		    p->name, r->label, r->io_timeout_ms);
	return 0; /* the deadline is checked on the next wait */
}

/* Run a command to completion: see remote.h. */
int
remote_channel_run(struct remote *r, const char *const *argv,
    const void *stdin_data, size_t stdin_len, size_t cap, char **out,
    size_t *outlen, int *exit_status, struct error *e)
{
	struct remote_channel *p = NULL;
	const char *in = stdin_data;
	char *buf = NULL;
	size_t len = 0, sent = 0, chunk;
	int64_t deadline = 0;
	int n, rc = -1;

	/* However much the command sends, it ends by then (a byte a second
	   would hold the caller forever otherwise). */
	if (r->run_timeout_ms > 0)
		deadline = util_now_ms() + r->run_timeout_ms;
	r->run_stderr[0] = '\0';
	r->run_stderr_len = 0;
	if (out != NULL && (cap == SIZE_MAX || (buf = malloc(cap + 1)) == NULL))
		return error_set(e, ERR_NOMEM, "out of memory");
	remote_busy_begin(r);
	if ((p = remote_channel_start(r, argv, e)) == NULL)
		goto out;
	while (in != NULL && sent < stdin_len) {
		chunk = stdin_len - sent;
		if (chunk > REMOTE_SFTP_CHUNK)
			chunk = REMOTE_SFTP_CHUNK;
		n = ssh_channel_write(p->ch, in + sent, (uint32_t)chunk);
		if (n <= 0) {
			remote_fail(r, e, ERR_IO, "cannot send input to '%s'",
			    p->name);
			goto out;
		}
		sent += (size_t)n;
		remote_busy_begin(r);
		/* keep the window open while the command talks back */
		if (remote_channel_run_drain(p, buf, &len, cap, e) == -1)
			goto out;
	}
	if (ssh_channel_send_eof(p->ch) != SSH_OK) {
		remote_fail(r, e, ERR_IO, "cannot close input of '%s'",
		    p->name);
		goto out;
	}
	for (;;) {
		if (remote_channel_run_drain(p, buf, &len, cap, e) == -1)
			goto out;
		if (p->out_eof && p->exited)
			break;
		if (p->out_eof && p->closed) {
			error_set(e, ERR_IO,
			    "'%s' on %s ended without an exit status", p->name,
			    r->label);
			goto out;
		}
		if (remote_channel_run_wait(p, deadline, e) == -1)
			goto out;
		/* the node answered: the watchdog measures from here */
		remote_busy_begin(r);
	}
	if (buf != NULL)
		buf[len] = '\0';
	if (out != NULL) {
		*out = buf;
		buf = NULL;
	}
	if (outlen != NULL)
		*outlen = len;
	*exit_status = p->exit_status;
	rc = 0;
out:
	remote_channel_free(p);
	remote_busy_end(r);
	free(buf);
	return rc;
}

/* The start of the last remote_channel_run()'s stderr: see remote.h. */
const char *
remote_channel_stderr(const struct remote *r)
{
	return r->run_stderr;
}

/*
 * sluice-agent serve: see serve.h.  One poll loop over stdin and the
 * children's pipes.  The loop parses no more than a tag, a verb from a
 * fixed list and words; everything else is the verb's own checking, in a
 * child that is the same code path as a verb run from the command line.
 * Every answer line is prefixed with the tag of the child that printed it,
 * so one request's output can never pass for another's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve.h"

struct serve_child {
	pid_t pid;
	int fd; /* read end of the child's stdout */
	char tag[SERVE_TAG_MAX + 1]; /* "" while parked */
	int in; /* a parked run's stdin (write end), or -1 */
	bool parked; /* a parked run no request has taken */
	bool from_park; /* started as a parked run */
	char *buf; /* an unfinished line */
	size_t len, cap;
	bool skipping; /* dropping the rest of an overlong line */
};

struct serve {
	serve_verb_fn fn;
	serve_keep_fn keep;
	serve_park_fn park;
	unsigned want_park; /* what keep last said */
	int keep_fds[SERVE_KEEP_FDS]; /* what a child keeps open */
	void *arg;
	struct serve_child kids[SERVE_INFLIGHT_MAX];
	size_t nkids;
	char *in; /* unparsed bytes from stdin */
	size_t inlen;
	bool in_open; /* stdin has not ended */
	bool in_skipping; /* dropping the rest of an overlong request */
	bool out_gone; /* stdout is closed: nobody listens */
};

/* The verbs a session may ask for: the job verbs and info.  Not sftp
   (it would speak SFTP on the session) and not serve itself. */
static const char *const serve_verbs[] = { "run", "wait", "status", "cancel",
	"clean", "info" };

/* Write all of it to stdout, or note that nobody listens any more. */
static void
serve_write(struct serve *s, const char *tag, const char *line, size_t n)
{
	struct iovec iov[4] = {
		{ (void *)tag, strlen(tag) },
		{ (void *)" ", 1 },
		{ (void *)line, n },
		{ (void *)"\n", 1 },
	};
	struct iovec *v = iov;
	int nv = 4;
	ssize_t w;

	while (!s->out_gone && nv > 0) {
		if ((w = writev(STDOUT_FILENO, v, nv)) == -1) {
			if (errno != EINTR)
				s->out_gone = true;
			continue;
		}
		for (; nv > 0 && (size_t)w >= v->iov_len; v++, nv--)
			w -= (ssize_t)v->iov_len;
		if (nv > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
}

/* A JSON error under tag, from this loop. */
static void
serve_error(struct serve *s, const char *tag, const char *code, const char *why)
{
	char line[256];

	snprintf(line, sizeof(line),
	    "{\"error\":\"sluice-agent serve: %s\",\"code\":\"%s\"}", why,
	    code);
	serve_write(s, tag, line, strlen(line));
}

/* Answer a request that never ran: its error, then its exit status (none
   for the tag "-" of a line that had no valid tag). */
static void
serve_refuse(struct serve *s, const char *tag, const char *code, int status,
    const char *why)
{
	char line[64];

	serve_error(s, tag, code, why);
	if (tag[0] != '-') {
		snprintf(line, sizeof(line), "exit %d", status);
		serve_write(s, tag, line, strlen(line));
	}
}

/* Whether tag is a valid request tag. */
static bool
serve_tag_ok(const char *tag)
{
	size_t n = strspn(tag,
	    "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

	return n > 0 && n <= SERVE_TAG_MAX && tag[n] == '\0' && tag[0] != '-';
}

/* Close every descriptor from 3 up but those in keep (-1 for none). */
static int
serve_close_rest(const int keep[SERVE_KEEP_FDS])
{
	int lo = 3, k[SERVE_KEEP_FDS], i, j, t;

	memcpy(k, keep, sizeof(k));
	for (i = 0; i < SERVE_KEEP_FDS; i++)
		for (j = i + 1; j < SERVE_KEEP_FDS; j++)
			if (k[j] < k[i]) {
				t = k[i];
				k[i] = k[j];
				k[j] = t;
			}
	for (i = 0; i < SERVE_KEEP_FDS; i++) {
		if (k[i] < lo)
			continue;
		if (k[i] > lo &&
		    syscall(SYS_close_range, lo, k[i] - 1, 0) == -1)
			return -1;
		lo = k[i] + 1;
	}
	return (int)syscall(SYS_close_range, lo, ~0U, 0);
}

/*
 * Fork a child: a request's (words[0] the verb, the rest its arguments)
 * or, with words NULL, a parked run's, whose stdin is a pipe from the
 * loop.  Its entry, or NULL.
 */
static struct serve_child *
serve_fork(struct serve *s, char **words, size_t n)
{
	struct serve_child *k;
	int p[2], in[2] = { -1, -1 }, fd, rc;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return NULL;
	if ((words == NULL && pipe2(in, O_CLOEXEC) == -1) ||
	    (pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		if (in[0] != -1) {
			close(in[0]);
			close(in[1]);
		}
		return NULL;
	}
	if (pid == 0) {
		/* The verb sees what it would from the command line: no
		   input, its own stdout, the session's stderr, nothing else
		   of the loop's.  A parked run's input is the request it
		   will be handed. */
		fd = words == NULL ? in[0] : open("/dev/null", O_RDONLY);
		if (fd == -1 || dup2(fd, STDIN_FILENO) == -1 ||
		    dup2(p[1], STDOUT_FILENO) == -1 ||
		    serve_close_rest(s->keep_fds) == -1)
			_exit(1);
		rc = words == NULL
		    ? s->park(s->arg)
		    : s->fn(words[0], (int)(n - 1), words + 1, s->arg);
		fflush(stdout);
		_exit(rc);
	}
	close(p[1]);
	if (in[0] != -1)
		close(in[0]);
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	k = &s->kids[s->nkids++];
	memset(k, 0, sizeof(*k));
	k->pid = pid;
	k->fd = p[0];
	k->in = in[1];
	k->parked = k->from_park = words == NULL;
	return k;
}

/*
 * Park runs while requests still come, until as many children started as
 * parked runs are alive as keep wants: parked, or running the job they
 * took (the slot a parked run took is busy until that job ends, and a
 * park then could only fail).
 */
static void
serve_repark(struct serve *s)
{
	unsigned alive = 0;
	size_t i;

	if (s->park == NULL || !s->in_open || s->out_gone)
		return;
	for (i = 0; i < s->nkids; i++)
		alive += s->kids[i].from_park;
	for (; alive < s->want_park && s->nkids < SERVE_INFLIGHT_MAX; alive++)
		if (serve_fork(s, NULL, 0) == NULL)
			break;
}

/* Tell a parked run no request will come (its stdin ends): it discards
   its sandbox and exits quietly. */
static void
serve_unpark(struct serve *s)
{
	size_t i;

	for (i = 0; i < s->nkids; i++)
		if (s->kids[i].in != -1) {
			close(s->kids[i].in);
			s->kids[i].in = -1;
		}
}

/* Hand a run request to the parked run, if there is one still there. */
static bool
serve_hand(struct serve *s, const char *tag, const char *jobdir)
{
	struct serve_child *k = NULL;
	char line[512];
	size_t i, len;
	ssize_t r;

	for (i = 0; i < s->nkids && k == NULL; i++)
		if (s->kids[i].in != -1)
			k = &s->kids[i];
	if (k == NULL || strlen(jobdir) > sizeof(line) - 8)
		return false;
	len = (size_t)snprintf(line, sizeof(line), "run %s\n", jobdir);
	while ((r = write(k->in, line, len)) == -1 && errno == EINTR)
		;
	close(k->in);
	k->in = -1;
	if (r != (ssize_t)len)
		return false; /* it has gone; it ends unheard */
	k->parked = false;
	snprintf(k->tag, sizeof(k->tag), "%s", tag);
	return true;
}

/* Start one request: words[0] the verb, the rest its arguments. */
static void
serve_start(struct serve *s, const char *tag, char **words, size_t n)
{
	struct serve_child *k;
	size_t i;

	for (i = 0; i < sizeof(serve_verbs) / sizeof(serve_verbs[0]); i++)
		if (strcmp(words[0], serve_verbs[i]) == 0)
			break;
	if (i == sizeof(serve_verbs) / sizeof(serve_verbs[0])) {
		serve_refuse(s, tag, "usage", 2, "not a verb of a session");
		return;
	}
	for (i = 0; i < s->nkids; i++)
		if (strcmp(s->kids[i].tag, tag) == 0) {
			serve_refuse(s, tag, "usage", 2,
			    "a request with this tag is still running");
			return;
		}
	if (strcmp(words[0], "run") == 0 && n == 2 &&
	    serve_hand(s, tag, words[1])) {
		/* Not "run": the namespaces kept for a cold run are still
		   unused. */
		s->want_park = s->keep("hand", s->keep_fds, s->arg);
		serve_repark(s);
		return;
	}
	if (s->nkids == SERVE_INFLIGHT_MAX) {
		serve_refuse(s, tag, "busy", 1, "too many requests at once");
		return;
	}
	if ((k = serve_fork(s, words, n)) == NULL) {
		serve_refuse(s, tag, "system", 1, "cannot fork");
		return;
	}
	snprintf(k->tag, sizeof(k->tag), "%s", tag);
	s->want_park = s->keep(words[0], s->keep_fds, s->arg);
	serve_repark(s);
}

/* One request line: "TAG VERB [ARG...]", words split by single blanks. */
static void
serve_request(struct serve *s, char *line)
{
	char *words[SERVE_WORDS_MAX + 1], *tag, *w;
	size_t n = 0;

	tag = strsep(&line, " ");
	if (!serve_tag_ok(tag)) {
		serve_refuse(s, "-", "usage", 2,
		    "a request is TAG VERB [JOBDIR...], TAG of [A-Za-z0-9_.-]");
		return;
	}
	while (line != NULL && (w = strsep(&line, " ")) != NULL) {
		if (w[0] == '\0' || n == SERVE_WORDS_MAX) {
			serve_refuse(s, tag, "usage", 2,
			    w[0] == '\0' ? "a stray blank" : "too many words");
			return;
		}
		words[n++] = w;
	}
	if (n == 0) {
		serve_refuse(s, tag, "usage", 2, "no verb");
		return;
	}
	words[n] = NULL;
	serve_start(s, tag, words, n);
}

/* Take what stdin has; false once it has ended. */
static bool
serve_input(struct serve *s)
{
	char *nl, *line;
	ssize_t r;
	size_t used;

	r = read(STDIN_FILENO, s->in + s->inlen, SERVE_REQUEST_MAX - s->inlen);
	if (r == -1 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (r <= 0)
		return false;
	s->inlen += (size_t)r;
	used = 0;
	while ((nl = memchr(s->in + used, '\n', s->inlen - used)) != NULL) {
		*nl = '\0';
		line = s->in + used;
		used = (size_t)(nl - s->in) + 1;
		if (s->in_skipping) {
			s->in_skipping = false;
			continue;
		}
		if (strlen(line) != (size_t)(nl - line))
			serve_refuse(s, "-", "usage", 2, "a NUL byte");
		else
			serve_request(s, line);
	}
	memmove(s->in, s->in + used, s->inlen - used);
	s->inlen -= used;
	if (s->inlen == SERVE_REQUEST_MAX) {
		if (!s->in_skipping)
			serve_refuse(s, "-", "usage", 2, "a request too long");
		s->in_skipping = true;
		s->inlen = 0;
	}
	return true;
}

/*
 * Pass on one line a child printed.  A verb prints JSON objects only; a
 * line that is not one (the events file is the account's: it could hold
 * "exit 0") is replaced by an error, so that "TAG exit N" only ever comes
 * from this loop.
 */
static void
serve_line(struct serve *s, struct serve_child *k)
{
	if (k->skipping)
		serve_error(s, k->tag, "io",
		    "an answer line too long (or with no memory left for it) "
		    "was dropped");
	else if (k->len == 0 || k->buf[0] != '{')
		serve_error(s, k->tag, "io",
		    "an answer line that is not JSON was dropped");
	else
		serve_write(s, k->tag, k->buf, k->len);
}

/* Make room for cap bytes of a child's line; -1 if there is no memory. */
static int
serve_grow(struct serve_child *k, size_t cap)
{
	char *buf = realloc(k->buf, cap);

	if (buf == NULL)
		return -1;
	k->buf = buf;
	k->cap = cap;
	return 0;
}

/* Pass on a child's complete lines; at its end, its exit status. */
static void
serve_output(struct serve *s, size_t i)
{
	struct serve_child *k = &s->kids[i];
	char chunk[65536], line[64], *nl, *p;
	size_t n, start;
	ssize_t r;
	int status;

	if ((r = read(k->fd, chunk, sizeof(chunk))) == -1 &&
	    (errno == EINTR || errno == EAGAIN))
		return;
	for (start = 0; r > 0 && start < (size_t)r; start = n + 1) {
		p = chunk + start;
		nl = memchr(p, '\n', (size_t)r - start);
		n = nl != NULL ? (size_t)(nl - chunk) : (size_t)r;
		if (!k->skipping && k->len + (n - start) > SERVE_LINE_MAX) {
			k->skipping = true;
			k->len = 0;
		}
		/* No memory for the line: it is dropped as a line too
		   long is, and said so; the session goes on. */
		if (!k->skipping && k->len + (n - start) > k->cap &&
		    serve_grow(k, (k->len + (n - start)) * 2 + 256) == -1) {
			k->skipping = true;
			k->len = 0;
		}
		if (!k->skipping) {
			memcpy(k->buf + k->len, p, n - start);
			k->len += n - start;
		}
		if (nl == NULL)
			break;
		if (k->from_park && !k->skipping &&
		    k->len == strlen(SERVE_PARK_GONE) &&
		    memcmp(k->buf, SERVE_PARK_GONE, k->len) == 0) {
			/* No sandbox to offer: it ends when its input does,
			   unless a request was handed to it already. */
			if (k->parked && k->in != -1) {
				close(k->in);
				k->in = -1;
			}
		} else if (!k->parked)
			serve_line(s, k);
		k->len = 0;
		k->skipping = false;
	}
	if (r > 0)
		return;
	/* The verb has ended (a verb never closes its stdout early); a
	   parked run that no request took ends unheard. */
	if ((k->len > 0 || k->skipping) && !k->parked)
		serve_line(s, k);
	while (waitpid(k->pid, &status, 0) == -1 && errno == EINTR)
		;
	snprintf(line, sizeof(line), "exit %d",
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (!k->parked)
		serve_write(s, k->tag, line, strlen(line));
	close(k->fd);
	if (k->in != -1)
		close(k->in);
	free(k->buf);
	/* A warm run's end frees the parked slot: park the next run there.
	   A parked run that ends unused (it could not park) waits for the
	   next request or idle tick instead of trying again at once. */
	status = k->from_park && !k->parked;
	s->kids[i] = s->kids[--s->nkids];
	if (status)
		serve_repark(s);
}

/* See serve.h. */
int
serve_main(serve_verb_fn fn, serve_keep_fn keep, serve_park_fn park, void *arg)
{
	static struct serve s;
	static struct pollfd pfd[SERVE_INFLIGHT_MAX + 2];
	struct rlimit rl;
	size_t i;
	int n;

	memset(&s, 0, sizeof(s));
	s.fn = fn;
	s.keep = keep;
	s.park = park;
	s.arg = arg;
	s.in_open = true;
	if ((s.in = malloc(SERVE_REQUEST_MAX)) == NULL)
		return 1;
	/* A descriptor for each request running: more than the usual soft
	   limit of 1024 on a node of many slots. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < SERVE_KEEP_FDS; i++)
		s.keep_fds[i] = -1;
	s.want_park = keep(NULL, s.keep_fds, arg);
	serve_repark(&s);
	/* Input that ends takes no more requests; those running finish and
	   are answered.  Output that ends (whoever opened the session has
	   gone) ends the loop at once: the children's next line then fails
	   with EPIPE, as a verb's does when its SSH link drops.  No job
	   stops with either. */
	for (;;) {
		pfd[0].fd = s.in_open ? STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = STDOUT_FILENO;
		pfd[1].events = 0; /* only POLLERR and POLLHUP */
		for (i = 0; i < s.nkids; i++) {
			pfd[i + 2].fd = s.kids[i].fd;
			pfd[i + 2].events = POLLIN;
		}
		if ((n = poll(pfd, s.nkids + 2, SERVE_IDLE_SECONDS * 1000)) ==
		    -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0) {
			s.want_park = keep(NULL, s.keep_fds, arg);
			serve_repark(&s);
			continue;
		}
		if (pfd[1].revents != 0)
			break;
		/* Children first, from the last: serve_output() may move the
		   last child into slot i. */
		for (i = s.nkids; i > 0; i--)
			if (pfd[i + 1].revents != 0)
				serve_output(&s, i - 1);
		if (pfd[0].revents != 0 && !serve_input(&s)) {
			s.in_open = false;
			serve_unpark(&s);
		}
		if (s.out_gone || (!s.in_open && s.nkids == 0))
			break;
	}
	for (i = 0; i < s.nkids; i++)
		close(s.kids[i].fd);
	free(s.in);
	return 0;
}

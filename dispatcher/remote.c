/* One libssh session per node: see remote.h. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h> /* ssh_send_keepalive() is declared here */
#include <libssh/sftp.h>

#include "net.h"
#include "remote.h"
#include "util.h"

/*
 * libssh 0.10 sends each sftp_write() as one SFTP packet, and a 300 KiB one
 * killed OpenSSH's sftp-server; 0.11 caps writes at 32 KiB too.
 */
#define REMOTE_SFTP_CHUNK (32 * 1024)
#define REMOTE_READ_CHUNK (16 * 1024)
/* Chunks one remote_proc_poll() takes, so a chatty command cannot hold the
 * node's thread; remote_wait() returns at once while more is buffered. */
#define REMOTE_POLL_CHUNKS 64
#define REMOTE_STDERR_KEEP 1024
#define REMOTE_PATH_MAX 4096
/*
 * Kernel keepalive: an idle connection to a vanished host or path is
 * noticed after about 30 + 3 * 10 s.  A hung sshd still gets ACKs from its
 * kernel; remote_keepalive() covers that case.
 */
#define REMOTE_KEEPIDLE_S 30
#define REMOTE_KEEPINTVL_S 10
#define REMOTE_KEEPCNT 3

struct remote {
	ssh_session s;
	sftp_session sftp;
	ssh_event ev; /* the session (and wake_fd during remote_wait) */
	ssh_key key;
	int fd; /* ours: remote_abort() shuts it down, remote_free() closes */
	int sshfd; /* a dup of fd that libssh owns once sshfd_passed */
	bool sshfd_passed;
	struct ssh_counter_struct sock_count, pkt_count;
	_Atomic int64_t busy_since_ms; /* 0 when no blocking call runs */
	atomic_bool aborted;
	int io_timeout_ms;
	char label[300]; /* "host:port" for messages */
	char run_stderr[REMOTE_STDERR_KEEP];
	size_t run_stderr_len;
	struct remote_proc *procs; /* live procs, for remote_wait() */
};

struct remote_proc {
	struct remote *r;
	struct remote_proc *next;
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb; /* must outlive ch */
	bool cb_set;
	char name[64]; /* argv[0], for messages */
	bool out_eof; /* stdout read to its end */
	bool exited; /* exit-status or exit-signal arrived */
	bool closed; /* the node closed the channel */
	bool done; /* remote_proc_poll() reported the end */
	bool failed; /* remote_proc_poll() reported an error */
	int exit_status; /* -1 after a signal */
	struct error fail; /* what failed, repeated by later polls */
	char *line; /* the partial line being collected */
	size_t linelen, linecap;
};

/* A deadline for remote_connect(): shuts the socket down when it passes. */
struct remote_deadline {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	int fd;
	int64_t at_ms;
	bool done, fired;
};

/* Mark the start of a blocking libssh call for the watchdog. */
static void
remote_busy_begin(struct remote *r)
{
	int64_t now = util_now_ms();

	atomic_store(&r->busy_since_ms, now > 0 ? now : 1);
}

/*
 * Acknowledge what has arrived now, not after the kernel's delayed-ACK
 * timer.  sshd sends the output of commands without a terminal with Nagle
 * on, so each small packet (an agent event line, an SFTP reply) waits for
 * our ACK of the one before: with a delayed ACK that is 40 ms each time.
 * Setting TCP_QUICKACK sends a pending ACK at once (the flag does not
 * stick, so it is set again after every exchange).
 */
static void
remote_quickack(struct remote *r)
{
	int one = 1;

	if (r->fd >= 0)
		(void)setsockopt(r->fd, IPPROTO_TCP, TCP_QUICKACK, &one,
		    sizeof(one));
}

/* Mark the end of a blocking libssh call. */
static void
remote_busy_end(struct remote *r)
{
	atomic_store(&r->busy_since_ms, 0);
	remote_quickack(r);
}

/* How long the current blocking call has been going, for the watchdog. */
int64_t
remote_busy_ms(struct remote *r, int64_t now_ms)
{
	int64_t since = atomic_load(&r->busy_since_ms);

	if (since == 0 || now_ms <= since)
		return 0;
	return now_ms - since;
}

/* Break the current blocking call from another thread: the socket dies. */
void
remote_abort(struct remote *r)
{
	atomic_store(&r->aborted, true);
	shutdown(r->fd, SHUT_RDWR);
}

/*
 * Fill e from the session's last libssh error: ERR_IO if the connection is
 * gone or was aborted, code otherwise.  Returns -1.
 */
static int
remote_fail(struct remote *r, struct error *e, enum error_code code,
    const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (atomic_load(&r->aborted))
		return error_set(e, ERR_IO,
		    "%s: connection to %s aborted (the node stopped answering)",
		    what, r->label);
	if (r->s == NULL)
		return error_set(e, code, "%s", what);
	if (!ssh_is_connected(r->s))
		return error_set(e, ERR_IO, "%s: connection to %s lost: %s",
		    what, r->label, ssh_get_error(r->s));
	return error_set(e, code, "%s: %s", what, ssh_get_error(r->s));
}

/* Fill e for a blocking call that timed out (SSH_AGAIN); returns -1. */
static int
remote_fail_timeout(struct remote *r, struct error *e, const char *what)
{
	if (atomic_load(&r->aborted) || !ssh_is_connected(r->s))
		return remote_fail(r, e, ERR_IO, "%s to %s failed", what,
		    r->label);
	return error_set(e, ERR_IO, "%s did not answer %s within %d ms",
	    r->label, what, r->io_timeout_ms);
}

/* Fail early, with a clear message, on a connection known to be dead. */
static int
remote_check_alive(struct remote *r, struct error *e)
{
	if (atomic_load(&r->aborted) || !ssh_is_connected(r->s))
		return remote_fail(r, e, ERR_IO, "no connection to %s",
		    r->label);
	return 0;
}

/* Translate a failed SFTP call on path into e; returns -1. */
static int
remote_sftp_fail(struct remote *r, struct error *e, const char *what,
    const char *path)
{
	if (atomic_load(&r->aborted) || !ssh_is_connected(r->s))
		return remote_fail(r, e, ERR_IO, "%s '%s' on %s", what, path,
		    r->label);
	switch (sftp_get_error(r->sftp)) {
	case SSH_FX_NO_SUCH_FILE:
	case SSH_FX_NO_SUCH_PATH:
		return error_set(e, ERR_NOTFOUND,
		    "%s '%s' on %s: no such file or directory", what, path,
		    r->label);
	case SSH_FX_PERMISSION_DENIED:
	case SSH_FX_WRITE_PROTECT:
		return error_set(e, ERR_REFUSED,
		    "%s '%s' on %s: permission denied", what, path, r->label);
	case SSH_FX_FILE_ALREADY_EXISTS:
		return error_set(e, ERR_STATE,
		    "%s '%s' on %s: it exists already", what, path, r->label);
	default:
		return remote_fail(r, e, ERR_IO, "%s '%s' on %s", what, path,
		    r->label);
	}
}

/* Check a path given for the node: absolute, bounded, no control chars. */
static int
remote_path_check(const char *path, struct error *e)
{
	const unsigned char *c;

	if (path == NULL || path[0] != '/')
		return error_set(e, ERR_INVALID,
		    "remote path '%s' is not absolute", path ? path : "");
	if (strlen(path) >= REMOTE_PATH_MAX)
		return error_set(e, ERR_INVALID, "remote path is too long");
	for (c = (const unsigned char *)path; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f)
			return error_set(e, ERR_INVALID,
			    "remote path holds a control character");
	return 0;
}

/* Whether name is one safe path component as a node reports it. */
static bool
remote_name_ok(const char *name)
{
	const unsigned char *c;
	size_t len = strlen(name);

	if (len == 0 || len > UTIL_NAME_MAX)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (c = (const unsigned char *)name; *c != '\0'; c++)
		if (*c == '/' || *c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

/* Tune a connected socket for one long-lived SSH session. */
static int
remote_tcp_tune(int fd, int io_timeout_ms, struct error *e)
{
	int one = 1, idle = REMOTE_KEEPIDLE_S, intvl = REMOTE_KEEPINTVL_S;
	int cnt = REMOTE_KEEPCNT, flags;
	unsigned int user_timeout = (unsigned int)io_timeout_ms;

	/* Blocking again: libssh polls it itself and expects plain reads. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		return error_set(e, ERR_SYS, "fcntl on socket: %s",
		    strerror(errno));
	/* libssh sets TCP_NODELAY only on sockets it opens itself. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ==
		-1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) ==
		-1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) == -1 ||
	    /* Data the node does not acknowledge for io_timeout_ms breaks
	     * the connection: this ends SFTP calls on a dead path, which
	     * libssh 0.10 would otherwise wait on forever. */
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout,
		sizeof(user_timeout)) == -1)
		return error_set(e, ERR_SYS, "setsockopt on socket: %s",
		    strerror(errno));
	return 0;
}

/* Open a TCP connection to the node within connect_timeout_ms. */
static int
remote_tcp_connect(struct remote *r, const struct remote_opts *o,
    int64_t deadline_ms, struct error *e)
{
	char port[16];
	int fd, gai, err;

	snprintf(port, sizeof(port), "%u", o->port);
	if ((fd = net_connect(o->host, port, deadline_ms, &gai, &err)) == -1) {
		if (gai != 0)
			return error_set(e, ERR_IO, "cannot resolve '%s': %s",
			    o->host, net_strerror(gai, err));
		if (err == ETIMEDOUT)
			return error_set(e, ERR_IO,
			    "cannot connect to %s: no answer within %d ms",
			    r->label, o->connect_timeout_ms);
		return error_set(e, ERR_IO, "cannot connect to %s: %s",
		    r->label, strerror(err));
	}
	if (remote_tcp_tune(fd, o->io_timeout_ms, e) == -1) {
		close(fd);
		return -1;
	}
	r->fd = fd;
	return 0;
}

/* The deadline thread: shut the socket down unless told to stop first. */
static void *
remote_deadline_main(void *arg)
{
	struct remote_deadline *d = arg;
	struct timespec ts;

	ts.tv_sec = d->at_ms / 1000;
	ts.tv_nsec = (d->at_ms % 1000) * 1000000;
	pthread_mutex_lock(&d->mu);
	while (!d->done) {
		if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) == ETIMEDOUT &&
		    !d->done) {
			d->fired = true;
			shutdown(d->fd, SHUT_RDWR);
			break;
		}
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Start a deadline for fd at at_ms (CLOCK_MONOTONIC). */
static int
remote_deadline_start(struct remote_deadline *d, int fd, int64_t at_ms,
    struct error *e)
{
	pthread_condattr_t ca;
	int err;

	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->at_ms = at_ms;
	pthread_mutex_init(&d->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((err = pthread_create(&d->th, NULL, remote_deadline_main, d)) !=
	    0) {
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		return error_set(e, ERR_SYS, "cannot start a thread: %s",
		    strerror(err));
	}
	return 0;
}

/* Stop a deadline; returns whether it fired. */
static bool
remote_deadline_stop(struct remote_deadline *d)
{
	bool fired;

	pthread_mutex_lock(&d->mu);
	d->done = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->th, NULL);
	fired = d->fired;
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	return fired;
}

/* Set the timeout of every blocking libssh wait to ms. */
static int
remote_set_timeout(struct remote *r, int ms)
{
	long sec = ms / 1000, usec = (long)(ms % 1000) * 1000;

	if (ssh_options_set(r->s, SSH_OPTIONS_TIMEOUT, &sec) < 0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_TIMEOUT_USEC, &usec) < 0)
		return -1;
	return 0;
}

/* Set the session's options: our socket, strict host keys, no config. */
static int
remote_set_options(struct remote *r, const struct remote_opts *o,
    struct error *e)
{
	socket_t sfd = r->sshfd;
	unsigned int port = o->port;
	int strict = 1, nodelay = 1;
	bool process_config = false;

	if (ssh_options_set(r->s, SSH_OPTIONS_FD, &sfd) < 0 ||
	    /* host and port still name the node in known_hosts */
	    ssh_options_set(r->s, SSH_OPTIONS_HOST, o->host) < 0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_PORT, &port) < 0 ||
	    (o->user != NULL &&
		ssh_options_set(r->s, SSH_OPTIONS_USER, o->user) < 0) ||
	    /* ssh_config could turn StrictHostKeyChecking off */
	    ssh_options_set(r->s, SSH_OPTIONS_PROCESS_CONFIG, &process_config) <
		0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict) <
		0 ||
	    ssh_options_set(r->s, SSH_OPTIONS_KNOWNHOSTS, o->known_hosts) < 0 ||
	    /* else /etc/ssh/ssh_known_hosts is trusted as well */
	    ssh_options_set(r->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS,
		o->known_hosts) < 0 ||
	    /* libssh applies it only to sockets it opens itself, so
	     * remote_tcp_tune() sets TCP_NODELAY on ours as well */
	    ssh_options_set(r->s, SSH_OPTIONS_NODELAY, &nodelay) < 0 ||
	    remote_set_timeout(r, o->connect_timeout_ms) == -1)
		return error_set(e, ERR_INVALID, "bad SSH options for %s: %s",
		    r->label, ssh_get_error(r->s));
	return 0;
}

/*
 * Accept the node only if known_hosts holds its key; otherwise say what it
 * offers, with the fingerprint the operator must check.
 */
static int
remote_check_host_key(struct remote *r, const struct remote_opts *o,
    struct error *e)
{
	enum ssh_known_hosts_e st;
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL, offer[256];

	st = ssh_session_is_known_server(r->s);
	if (st == SSH_KNOWN_HOSTS_OK)
		return 0;
	if (ssh_get_server_publickey(r->s, &key) == SSH_OK &&
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
		&hlen) == 0 &&
	    (fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
		 hlen)) != NULL)
		snprintf(offer, sizeof(offer), "%s key %s",
		    ssh_key_type_to_char(ssh_key_type(key)), fp);
	else
		snprintf(offer, sizeof(offer), "a key libssh cannot read");
	switch (st) {
	case SSH_KNOWN_HOSTS_CHANGED:
		error_set(e, ERR_REFUSED,
		    "host key of %s does not match known_hosts '%s': the node "
		    "offers %s (if the node was reinstalled, check that "
		    "fingerprint and replace its line)",
		    r->label, o->known_hosts, offer);
		break;
	case SSH_KNOWN_HOSTS_OTHER:
		error_set(e, ERR_REFUSED,
		    "host key of %s is of another type than known_hosts '%s' "
		    "holds for it: the node offers %s",
		    r->label, o->known_hosts, offer);
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
		error_set(e, ERR_REFUSED,
		    "host %s is not in known_hosts '%s': the node offers %s "
		    "(enrol it only after checking that fingerprint)",
		    r->label, o->known_hosts, offer);
		break;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		error_set(e, ERR_REFUSED,
		    "known_hosts file '%s' does not exist, so host %s cannot "
		    "be verified: the node offers %s",
		    o->known_hosts, r->label, offer);
		break;
	default:
		error_set(e, ERR_REFUSED,
		    "cannot check host key of %s against known_hosts '%s' "
		    "(the node offers %s): %s",
		    r->label, o->known_hosts, offer, ssh_get_error(r->s));
		break;
	}
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return -1;
}

/* Authenticate with the one configured key. */
static int
remote_auth(struct remote *r, const struct remote_opts *o, struct error *e)
{
	switch (ssh_userauth_publickey(r->s, NULL, r->key)) {
	case SSH_AUTH_SUCCESS:
		return 0;
	case SSH_AUTH_DENIED:
		return error_set(e, ERR_REFUSED,
		    "%s refused key '%s' for user '%s' (is its public key in "
		    "the node's authorized_keys?)",
		    r->label, o->identity, o->user ? o->user : "(default)");
	case SSH_AUTH_PARTIAL:
		return error_set(e, ERR_REFUSED,
		    "%s accepted key '%s' but wants more authentication",
		    r->label, o->identity);
	default:
		return remote_fail(r, e, ERR_IO, "authentication on %s failed",
		    r->label);
	}
}

/* Check the options before anything is opened. */
static int
remote_opts_check(const struct remote_opts *o, struct error *e)
{
	if (o->host == NULL || o->host[0] == '\0')
		return error_set(e, ERR_INVALID, "no host given");
	/* libssh would read "user@host" as a user name */
	if (strpbrk(o->host, "@ \t\r\n") != NULL)
		return error_set(e, ERR_INVALID, "bad host name '%s'", o->host);
	if (o->port == 0 || o->port > 65535)
		return error_set(e, ERR_INVALID, "bad port %u", o->port);
	if (o->identity == NULL || o->known_hosts == NULL)
		return error_set(e, ERR_INVALID,
		    "an identity and a known_hosts file are needed");
	if (o->connect_timeout_ms <= 0 || o->io_timeout_ms <= 0)
		return error_set(e, ERR_INVALID, "timeouts must be positive");
	return 0;
}

/* Connect: see remote.h. */
struct remote *
remote_connect(const struct remote_opts *o, struct error *e)
{
	struct remote *r = NULL, *ret = NULL;
	struct remote_deadline dl;
	bool dl_running = false;
	int64_t deadline_ms;

	if (remote_opts_check(o, e) == -1)
		return NULL;
	/* libssh's own logging goes to stderr; its level is per thread. */
	ssh_set_log_level(SSH_LOG_NOLOG);
	deadline_ms = util_now_ms() + o->connect_timeout_ms;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		return NULL;
	}
	r->fd = r->sshfd = -1;
	r->io_timeout_ms = o->io_timeout_ms;
	snprintf(r->label, sizeof(r->label),
	    strchr(o->host, ':') != NULL ? "[%s]:%u" : "%s:%u", o->host,
	    o->port);
	/* The key first: a bad identity needs no round trip to report. */
	if (ssh_pki_import_privkey_file(o->identity, NULL, NULL, NULL,
		&r->key) != SSH_OK) {
		error_set(e, ERR_INVALID,
		    "cannot read private key '%s' (it must exist, be readable "
		    "and have no passphrase)",
		    o->identity);
		goto out;
	}
	if (remote_tcp_connect(r, o, deadline_ms, e) == -1)
		goto out;
	/* libssh closes the descriptor it is given on some errors, so it
	 * gets a duplicate; r->fd stays ours for shutdown() and close(). */
	r->sshfd = fcntl(r->fd, F_DUPFD_CLOEXEC, 3);
	if (r->sshfd == -1 || r->sshfd > 0xffff) {
		error_set(e, ERR_SYS, "cannot duplicate the socket%s",
		    r->sshfd > 0xffff ? " below 65536 (libssh keeps 16 bits)"
				      : "");
		goto out;
	}
	if ((r->s = ssh_new()) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (remote_set_options(r, o, e) == -1)
		goto out;
	if (remote_deadline_start(&dl, r->fd, deadline_ms, e) == -1)
		goto out;
	dl_running = true;
	remote_busy_begin(r);
	r->sshfd_passed = true;
	if (ssh_connect(r->s) != SSH_OK) {
		remote_fail(r, e, ERR_IO, "SSH handshake with %s failed",
		    r->label);
		goto out;
	}
	if (remote_check_host_key(r, o, e) == -1 || remote_auth(r, o, e) == -1)
		goto out;
	if ((r->sftp = sftp_new(r->s)) == NULL) {
		remote_fail(r, e, ERR_IO, "cannot open an SFTP channel to %s",
		    r->label);
		goto out;
	}
	if (sftp_init(r->sftp) != SSH_OK) {
		remote_fail(r, e, ERR_IO, "cannot start SFTP on %s (error %d)",
		    r->label, sftp_get_error(r->sftp));
		goto out;
	}
	dl_running = false;
	if (remote_deadline_stop(&dl)) {
		error_set(e, ERR_IO, "connecting to %s took longer than %d ms",
		    r->label, o->connect_timeout_ms);
		goto out;
	}
	if (remote_set_timeout(r, o->io_timeout_ms) == -1) {
		remote_fail(r, e, ERR_INTERNAL, "cannot set the I/O timeout");
		goto out;
	}
	ssh_set_counters(r->s, &r->sock_count, &r->pkt_count);
	if ((r->ev = ssh_event_new()) == NULL ||
	    ssh_event_add_session(r->ev, r->s) != SSH_OK) {
		error_set(e, ERR_NOMEM, "cannot set up polling for %s",
		    r->label);
		goto out;
	}
	remote_busy_end(r);
	ret = r;
	r = NULL;
out:
	if (dl_running && remote_deadline_stop(&dl) && r != NULL && e != NULL &&
	    e->code == ERR_IO)
		error_set(e, ERR_IO, "connecting to %s took longer than %d ms",
		    r->label, o->connect_timeout_ms);
	remote_free(r);
	return ret;
}

/* Disconnect and free: see remote.h. */
void
remote_free(struct remote *r)
{
	socket_t libfd;

	if (r == NULL)
		return;
	assert(r->procs == NULL);
	/* Nothing below may wait for the node: it may be hung. */
	if (r->s != NULL)
		ssh_set_blocking(r->s, 0);
	if (r->sftp != NULL)
		sftp_free(r->sftp);
	if (r->ev != NULL) {
		ssh_event_remove_session(r->ev, r->s);
		ssh_event_free(r->ev);
	}
	if (r->s != NULL && r->sshfd_passed) {
		/* -1 if libssh closed its descriptor already on an error;
		 * ssh_disconnect() leaves a descriptor from SSH_OPTIONS_FD
		 * open. */
		libfd = ssh_get_fd(r->s);
		if (libfd != SSH_INVALID_SOCKET) {
			ssh_disconnect(r->s);
			close(libfd);
		}
	} else if (r->sshfd != -1) {
		close(r->sshfd);
	}
	if (r->s != NULL)
		ssh_free(r->s);
	ssh_key_free(r->key);
	if (r->fd != -1)
		close(r->fd);
	free(r);
}

/* Quote argv for a POSIX shell: see remote.h. */
char *
remote_quote(const char *const *argv)
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
remote_proc_on_status(ssh_session s, ssh_channel ch, int status, void *ud)
{
	struct remote_proc *p = ud;

	(void)s;
	(void)ch;
	p->exited = true;
	p->exit_status = status;
}

/* Channel callback: the command died by a signal. */
static void
remote_proc_on_signal(ssh_session s, ssh_channel ch, const char *sig, int core,
    const char *errmsg, const char *lang, void *ud)
{
	struct remote_proc *p = ud;

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
remote_proc_on_close(ssh_session s, ssh_channel ch, void *ud)
{
	struct remote_proc *p = ud;

	(void)s;
	(void)ch;
	p->closed = true;
}

/* Open a channel and start argv on it (the caller marks r busy). */
static struct remote_proc *
remote_proc_start(struct remote *r, const char *const *argv, struct error *e)
{
	struct remote_proc *p = NULL, *ret = NULL;
	char *cmd = NULL;
	int rc;

	if (argv == NULL || argv[0] == NULL)
		return error_set(e, ERR_INVALID, "empty command"), NULL;
	if (remote_check_alive(r, e) == -1)
		return NULL;
	if ((cmd = remote_quote(argv)) == NULL ||
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
	p->cb.channel_exit_status_function = remote_proc_on_status;
	p->cb.channel_exit_signal_function = remote_proc_on_signal;
	p->cb.channel_close_function = remote_proc_on_close;
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
	p->next = r->procs;
	r->procs = p;
	ret = p;
	p = NULL;
out:
	remote_proc_free(p);
	free(cmd);
	return ret;
}

/* Close the command's channel and free it: see remote.h. */
void
remote_proc_free(struct remote_proc *p)
{
	struct remote_proc **pp;
	ssh_session s;
	int blocking;

	if (p == NULL)
		return;
	for (pp = &p->r->procs; *pp != NULL; pp = &(*pp)->next) {
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
remote_proc_stderr(struct remote_proc *p, char *keep, size_t *keeplen,
    size_t keepcap, struct error *e)
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
remote_proc_failed(struct remote_proc *p, struct error *e)
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
remote_proc_emit(struct remote_proc *p,
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
remote_proc_feed(struct remote_proc *p, const char *data, size_t len,
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
		if (remote_proc_emit(p, line_cb, arg, e) == -1)
			return -1;
		data += take + 1;
		len -= take + 1;
	}
	return 0;
}

/* Read a running command's output without blocking: see remote.h. */
int
remote_proc_poll(struct remote_proc *p, size_t max_line,
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
			return remote_proc_failed(p, e);
		}
		if (n == 0)
			break;
		if (remote_proc_feed(p, buf, (size_t)n, max_line, line_cb, arg,
			e) == -1)
			return remote_proc_failed(p, e);
	}
	/* stdout and stderr share the channel's window: drain both. */
	if (remote_proc_stderr(p, NULL, NULL, 0, e) == -1)
		return remote_proc_failed(p, e);
	if (p->out_eof && p->linelen > 0 &&
	    remote_proc_emit(p, line_cb, arg, e) == -1)
		return remote_proc_failed(p, e);
	if (p->out_eof && p->exited) {
		p->done = true;
		*exit_status = p->exit_status;
		return 0;
	}
	if (p->out_eof && p->closed) {
		error_set(e, ERR_IO, "'%s' on %s ended without an exit status",
		    p->name, p->r->label);
		return remote_proc_failed(p, e);
	}
	if (remote_check_alive(p->r, e) == -1)
		return remote_proc_failed(p, e);
	return 1;
}

/* Whether remote_proc_poll() has something to take from p right now. */
static bool
remote_proc_ready(struct remote_proc *p)
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
struct remote_proc *
remote_spawn(struct remote *r, const char *const *argv, struct error *e)
{
	struct remote_proc *p;

	remote_busy_begin(r);
	p = remote_proc_start(r, argv, e);
	remote_busy_end(r);
	return p;
}

/* Move what the command has sent into out (at most cap) and run_stderr. */
static int
remote_run_drain(struct remote_proc *p, char *out, size_t *len, size_t cap,
    struct error *e)
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
	return remote_proc_stderr(p, r->run_stderr, &r->run_stderr_len,
	    sizeof(r->run_stderr), e);
}

/* Wait for anything from the node for at most io_timeout_ms. */
static int
remote_run_wait(struct remote_proc *p, struct error *e)
{
	struct remote *r = p->r;
	int rc;

	rc = ssh_event_dopoll(r->ev, r->io_timeout_ms);
	if (rc == SSH_ERROR || remote_check_alive(r, e) == -1)
		return remote_fail(r, e, ERR_IO, "waiting for '%s' on %s",
		    p->name, r->label);
	if (rc == SSH_AGAIN)
		return error_set(e, ERR_IO,
		    "'%s' on %s sent nothing and did not end for %d ms",
		    p->name, r->label, r->io_timeout_ms);
	return 0;
}

/* Run a command to completion: see remote.h. */
int
remote_run(struct remote *r, const char *const *argv, const void *stdin_data,
    size_t stdin_len, size_t cap, char **out, size_t *outlen, int *exit_status,
    struct error *e)
{
	struct remote_proc *p = NULL;
	const char *in = stdin_data;
	char *buf = NULL;
	size_t len = 0, sent = 0, chunk;
	int n, rc = -1;

	r->run_stderr[0] = '\0';
	r->run_stderr_len = 0;
	if (out != NULL && (cap == SIZE_MAX || (buf = malloc(cap + 1)) == NULL))
		return error_set(e, ERR_NOMEM, "out of memory");
	remote_busy_begin(r);
	if ((p = remote_proc_start(r, argv, e)) == NULL)
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
		if (remote_run_drain(p, buf, &len, cap, e) == -1)
			goto out;
	}
	if (ssh_channel_send_eof(p->ch) != SSH_OK) {
		remote_fail(r, e, ERR_IO, "cannot close input of '%s'",
		    p->name);
		goto out;
	}
	for (;;) {
		if (remote_run_drain(p, buf, &len, cap, e) == -1)
			goto out;
		if (p->out_eof && p->exited)
			break;
		if (p->out_eof && p->closed) {
			error_set(e, ERR_IO,
			    "'%s' on %s ended without an exit status", p->name,
			    r->label);
			goto out;
		}
		if (remote_run_wait(p, e) == -1)
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
	remote_proc_free(p);
	remote_busy_end(r);
	free(buf);
	return rc;
}

/* The start of the last remote_run()'s stderr: see remote.h. */
const char *
remote_run_stderr(const struct remote *r)
{
	return r->run_stderr;
}

/* Event callback for wake_fd: only note it; the caller drains it. */
static int
remote_wake_cb(socket_t fd, int revents, void *userdata)
{
	(void)fd;
	(void)revents;
	*(bool *)userdata = true;
	return 0;
}

/* Wait for the node or wake_fd: see remote.h. */
int
remote_wait(struct remote *r, int wake_fd, int timeout_ms, struct error *e)
{
	struct remote_proc *p;
	bool woken = false;
	uint64_t in_before;
	int64_t deadline;
	int rc = SSH_OK, left;

	if (remote_check_alive(r, e) == -1)
		return -1;
	for (p = r->procs; p != NULL; p = p->next)
		if (remote_proc_ready(p))
			timeout_ms = 0;
	/* wake_fd is in the event only now: any blocking libssh call polls
	 * the whole event, and an undrained fd would make it spin. */
	if (wake_fd >= 0 &&
	    ssh_event_add_fd(r->ev, wake_fd, POLLIN, remote_wake_cb, &woken) !=
		SSH_OK)
		return error_set(e, ERR_NOMEM, "cannot watch descriptor %d",
		    wake_fd);
	deadline = util_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	left = timeout_ms;
	for (;;) {
		in_before = r->pkt_count.in_packets;
		rc = ssh_event_dopoll(r->ev, left);
		if (r->pkt_count.in_packets != in_before)
			remote_quickack(r);
		if (rc == SSH_ERROR || woken || rc == SSH_AGAIN ||
		    r->pkt_count.in_packets != in_before ||
		    !ssh_is_connected(r->s))
			break;
		/* libssh polls for POLLOUT once after every write it makes:
		 * that, or half a packet, is no reason to return. */
		if (timeout_ms >= 0) {
			int64_t now = util_now_ms();

			if (now >= deadline)
				break;
			left = (int)(deadline - now);
		}
	}
	if (wake_fd >= 0)
		ssh_event_remove_fd(r->ev, wake_fd);
	if (rc == SSH_ERROR || remote_check_alive(r, e) == -1)
		return remote_fail(r, e, ERR_IO, "waiting for %s", r->label);
	return 0;
}

/* Create a directory: see remote.h. */
int
remote_mkdir(struct remote *r, const char *path, int mode, struct error *e)
{
	int rc;

	if (remote_path_check(path, e) == -1 || remote_check_alive(r, e) == -1)
		return -1;
	remote_busy_begin(r);
	rc = sftp_mkdir(r->sftp, path, (mode_t)mode);
	remote_busy_end(r);
	if (rc != 0)
		return remote_sftp_fail(r, e, "cannot create directory", path);
	return 0;
}

/* Whether path exists on the node (lstat), after a failed create. */
static bool
remote_exists(struct remote *r, const char *path)
{
	sftp_attributes a;

	remote_busy_begin(r);
	a = sftp_lstat(r->sftp, path);
	remote_busy_end(r);
	sftp_attributes_free(a);
	return a != NULL;
}

/* Create a new file holding data: see remote.h. */
int
remote_put(struct remote *r, const char *path, const void *data, size_t len,
    int mode, struct error *e)
{
	const char *d = data;
	sftp_file f = NULL;
	size_t off = 0, chunk;
	ssize_t n;
	int rc = -1, closed;

	if (remote_path_check(path, e) == -1 || remote_check_alive(r, e) == -1)
		return -1;
	remote_busy_begin(r);
	f = sftp_open(r->sftp, path, O_WRONLY | O_CREAT | O_EXCL, (mode_t)mode);
	remote_busy_end(r);
	if (f == NULL) {
		/* SFTP v3 reports EEXIST as a plain failure */
		if (sftp_get_error(r->sftp) == SSH_FX_FAILURE &&
		    ssh_is_connected(r->s) && remote_exists(r, path))
			return error_set(e, ERR_STATE,
			    "cannot create '%s' on %s: it exists already", path,
			    r->label);
		return remote_sftp_fail(r, e, "cannot create", path);
	}
	while (off < len) {
		chunk = len - off < REMOTE_SFTP_CHUNK ? len - off
						      : REMOTE_SFTP_CHUNK;
		remote_busy_begin(r);
		n = sftp_write(f, d + off, chunk);
		remote_busy_end(r);
		if (n <= 0) {
			remote_sftp_fail(r, e, "cannot write", path);
			goto out;
		}
		off += (size_t)n;
	}
	remote_busy_begin(r);
	closed = sftp_close(f);
	remote_busy_end(r);
	f = NULL;
	if (closed != SSH_NO_ERROR) {
		remote_sftp_fail(r, e, "cannot close", path);
		goto out;
	}
	rc = 0;
out:
	if (f != NULL) {
		remote_busy_begin(r);
		sftp_close(f);
		remote_busy_end(r);
	}
	/* A partial file would make the retry fail with ERR_STATE. */
	if (rc == -1 && ssh_is_connected(r->s) && !atomic_load(&r->aborted)) {
		remote_busy_begin(r);
		sftp_unlink(r->sftp, path);
		remote_busy_end(r);
	}
	return rc;
}

/* The type of a file from SFTP attributes (lstat semantics). */
static enum remote_type
remote_type_of(sftp_attributes a)
{
	if (!(a->flags & SSH_FILEXFER_ATTR_PERMISSIONS))
		return REMOTE_OTHER;
	switch (a->type) {
	case SSH_FILEXFER_TYPE_REGULAR:
		return REMOTE_REG;
	case SSH_FILEXFER_TYPE_DIRECTORY:
		return REMOTE_DIR;
	case SSH_FILEXFER_TYPE_SYMLINK:
		return REMOTE_LINK;
	default:
		return REMOTE_OTHER;
	}
}

/* A word for a type, for messages. */
static const char *
remote_type_name(sftp_attributes a)
{
	switch (remote_type_of(a)) {
	case REMOTE_REG:
		return "regular file";
	case REMOTE_DIR:
		return "directory";
	case REMOTE_LINK:
		return "symbolic link";
	default:
		return "special file";
	}
}

/* List a directory: see remote.h. */
int
remote_list(struct remote *r, const char *dir, size_t max,
    struct remote_entry **out, size_t *n, struct error *e)
{
	struct remote_entry *list = NULL, *grown;
	sftp_attributes a = NULL;
	sftp_dir d = NULL;
	size_t count = 0, cap = 0, seen = 0;
	int rc = -1;

	if (remote_path_check(dir, e) == -1 || remote_check_alive(r, e) == -1)
		return -1;
	remote_busy_begin(r);
	d = sftp_opendir(r->sftp, dir);
	remote_busy_end(r);
	if (d == NULL)
		return remote_sftp_fail(r, e, "cannot list", dir);
	if ((list = calloc(1, sizeof(*list))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	cap = 1;
	for (;;) {
		remote_busy_begin(r);
		a = sftp_readdir(r->sftp, d);
		remote_busy_end(r);
		if (a == NULL)
			break;
		/* "." and ".." count too, so a node cannot send forever */
		if (++seen > 2 && seen - 2 > max) {
			error_set(e, ERR_INVALID,
			    "'%s' on %s holds more than %zu entries", dir,
			    r->label, max);
			goto out;
		}
		if (a->name != NULL &&
		    (strcmp(a->name, ".") == 0 || strcmp(a->name, "..") == 0)) {
			sftp_attributes_free(a);
			a = NULL;
			continue;
		}
		if (a->name == NULL || !remote_name_ok(a->name)) {
			error_set(e, ERR_INVALID,
			    "%s listed an unsafe name in '%s' (empty, too "
			    "long, "
			    "or with '/' or a control character)",
			    r->label, dir);
			goto out;
		}
		if (count == max) {
			error_set(e, ERR_INVALID,
			    "'%s' on %s holds more than %zu entries", dir,
			    r->label, max);
			goto out;
		}
		if (count == cap) {
			grown = reallocarray(list, cap * 2, sizeof(*list));
			if (grown == NULL) {
				error_set(e, ERR_NOMEM, "out of memory");
				goto out;
			}
			list = grown;
			cap *= 2;
		}
		snprintf(list[count].name, sizeof(list[count].name), "%s",
		    a->name);
		list[count].type = remote_type_of(a);
		list[count].size = (a->flags & SSH_FILEXFER_ATTR_SIZE) ? a->size
								       : 0;
		count++;
		sftp_attributes_free(a);
		a = NULL;
	}
	if (!sftp_dir_eof(d)) {
		remote_sftp_fail(r, e, "cannot list", dir);
		goto out;
	}
	*out = list;
	*n = count;
	list = NULL;
	rc = 0;
out:
	sftp_attributes_free(a);
	remote_busy_begin(r);
	sftp_closedir(d);
	remote_busy_end(r);
	free(list);
	return rc;
}

/* Whether two attribute sets describe the same unchanged regular file. */
static bool
remote_same_file(sftp_attributes a, sftp_attributes b)
{
	if (remote_type_of(b) != REMOTE_REG)
		return false;
	if ((a->flags & SSH_FILEXFER_ATTR_SIZE) !=
		(b->flags & SSH_FILEXFER_ATTR_SIZE) ||
	    ((a->flags & SSH_FILEXFER_ATTR_SIZE) && a->size != b->size))
		return false;
	if ((a->flags & SSH_FILEXFER_ATTR_UIDGID) &&
	    (b->flags & SSH_FILEXFER_ATTR_UIDGID) &&
	    (a->uid != b->uid || a->gid != b->gid))
		return false;
	if ((a->flags & SSH_FILEXFER_ATTR_ACMODTIME) &&
	    (b->flags & SSH_FILEXFER_ATTR_ACMODTIME) && a->mtime != b->mtime)
		return false;
	return a->permissions == b->permissions;
}

/* Fetch a regular file: see remote.h. */
int
remote_get(struct remote *r, const char *path, int dst_dirfd,
    const char *dst_name, uint64_t cap, uint64_t *bytes, struct error *e)
{
	char buf[REMOTE_SFTP_CHUNK];
	sftp_attributes a = NULL, fa = NULL;
	sftp_file f = NULL;
	uint64_t total = 0, left;
	size_t want;
	ssize_t n;
	int fd = -1, rc = -1;
	bool created = false;

	if (remote_path_check(path, e) == -1 || remote_check_alive(r, e) == -1)
		return -1;
	if (dst_name == NULL || dst_name[0] == '\0' ||
	    strchr(dst_name, '/') != NULL || strcmp(dst_name, ".") == 0 ||
	    strcmp(dst_name, "..") == 0)
		return error_set(e, ERR_INVALID,
		    "local name '%s' is not one path component",
		    dst_name ? dst_name : "");
	remote_busy_begin(r);
	a = sftp_lstat(r->sftp, path);
	remote_busy_end(r);
	if (a == NULL)
		return remote_sftp_fail(r, e, "cannot fetch", path);
	/* Never open anything else: a FIFO would hang sftp-server, a link
	 * could point anywhere on the node. */
	if (remote_type_of(a) != REMOTE_REG) {
		error_set(e, ERR_REFUSED,
		    "'%s' on %s is a %s, not a regular file", path, r->label,
		    remote_type_name(a));
		goto out;
	}
	if ((a->flags & SSH_FILEXFER_ATTR_SIZE) && a->size > cap) {
		error_set(e, ERR_INVALID,
		    "'%s' on %s is larger than %llu bytes", path, r->label,
		    (unsigned long long)cap);
		goto out;
	}
	fd = openat(dst_dirfd, dst_name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		error_set(e, errno == EEXIST ? ERR_STATE : ERR_SYS,
		    "cannot create local file '%s': %s", dst_name,
		    strerror(errno));
		goto out;
	}
	created = true;
	remote_busy_begin(r);
	f = sftp_open(r->sftp, path, O_RDONLY, 0);
	remote_busy_end(r);
	if (f == NULL) {
		remote_sftp_fail(r, e, "cannot open", path);
		goto out;
	}
	remote_busy_begin(r);
	fa = sftp_fstat(f);
	remote_busy_end(r);
	if (fa == NULL) {
		remote_sftp_fail(r, e, "cannot stat", path);
		goto out;
	}
	if (!remote_same_file(a, fa)) {
		error_set(e, ERR_STATE,
		    "'%s' on %s changed while it was being fetched", path,
		    r->label);
		goto out;
	}
	/* Never more than cap + 1 bytes: the one more says "too large". */
	for (;;) {
		left = cap - total;
		want = left >= sizeof(buf) ? sizeof(buf) : (size_t)left + 1;
		remote_busy_begin(r);
		n = sftp_read(f, buf, want);
		remote_busy_end(r);
		if (n < 0) {
			remote_sftp_fail(r, e, "cannot read", path);
			goto out;
		}
		if (n == 0)
			break;
		if ((uint64_t)n > left) {
			error_set(e, ERR_INVALID,
			    "'%s' on %s is larger than %llu bytes", path,
			    r->label, (unsigned long long)cap);
			goto out;
		}
		if (util_write_all(fd, buf, (size_t)n) == -1) {
			error_set(e, ERR_SYS,
			    "cannot write local file '%s': %s", dst_name,
			    strerror(errno));
			goto out;
		}
		total += (uint64_t)n;
	}
	if (close(fd) == -1) {
		fd = -1;
		error_set(e, ERR_SYS, "cannot write local file '%s': %s",
		    dst_name, strerror(errno));
		goto out;
	}
	fd = -1;
	*bytes = total;
	rc = 0;
out:
	if (f != NULL) {
		remote_busy_begin(r);
		sftp_close(f);
		remote_busy_end(r);
	}
	sftp_attributes_free(fa);
	sftp_attributes_free(a);
	if (fd != -1)
		close(fd);
	if (rc == -1 && created)
		unlinkat(dst_dirfd, dst_name, 0);
	return rc;
}

/* Send a keepalive without waiting for its answer: see remote.h. */
int
remote_keepalive(struct remote *r)
{
	uint64_t sent = r->pkt_count.out_packets;

	if (atomic_load(&r->aborted) || !ssh_is_connected(r->s))
		return -1;
	/* Blocking, it would wait up to the timeout for the answer; its
	 * result says nothing either way (it always returns SSH_OK). */
	ssh_set_blocking(r->s, 0);
	ssh_send_keepalive(r->s);
	/* With a request pending, a call only collects its answer. */
	if (r->pkt_count.out_packets == sent)
		ssh_send_keepalive(r->s);
	ssh_set_blocking(r->s, 1);
	return ssh_is_connected(r->s) ? 0 : -1;
}

/* The count of SSH packets received so far. */
uint64_t
remote_packets_in(struct remote *r)
{
	return r->pkt_count.in_packets;
}

/*
 * One libssh session per node: see remote.h.  This file is the session
 * (connect, host key, authentication, liveness, waiting, the timeouts);
 * remote-channel.c runs commands, remote-sftp.c moves files.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libssh/server.h> /* ssh_send_keepalive() is declared here */

#include "net.h"
#include "remote-internal.h"
#include "util.h"

/*
 * Kernel keepalive: an idle connection to a vanished host or path is
 * noticed after about 30 + 3 * 10 s.  A hung sshd still gets ACKs from its
 * kernel; remote_keepalive() covers that case.
 */
#define REMOTE_KEEPIDLE_S 30
#define REMOTE_KEEPINTVL_S 10
#define REMOTE_KEEPCNT 3

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
void
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
void
remote_quickack(struct remote *r)
{
	int one = 1;

	if (r->fd >= 0)
		(void)setsockopt(r->fd, IPPROTO_TCP, TCP_QUICKACK, &one,
		    sizeof(one));
}

/* Mark the end of a blocking libssh call. */
void
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

/* Whether the current blocking call has gone on past io_timeout_ms. */
bool
remote_overdue(struct remote *r, int64_t now_ms)
{
	return remote_busy_ms(r, now_ms) > r->io_timeout_ms;
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
int
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

/*
 * Fill e for an SFTP subsystem that did not start.  A node whose agent
 * refuses its agent.conf ends the subsystem at once, and says why only on
 * its stderr, which sshd discards for a subsystem: point the operator to
 * the command that says it.
 */
static void
remote_sftp_failed(struct remote *r, struct error *e)
{
	char what[160];

	snprintf(what, sizeof(what), "cannot start SFTP on %s (error %d)",
	    r->label, sftp_get_error(r->sftp));
	if (ssh_is_connected(r->s) && !atomic_load(&r->aborted) &&
	    ssh_channel_is_eof(r->sftp->channel))
		error_set(e, ERR_IO,
		    "%s: the node ended it at once (does its agent refuse "
		    "its agent.conf? 'sluice-agent info' there says)",
		    what);
	else
		remote_fail(r, e, ERR_IO, "%s", what);
}

/* Fill e for a blocking call that timed out (SSH_AGAIN); returns -1. */
int
remote_fail_timeout(struct remote *r, struct error *e, const char *what)
{
	if (atomic_load(&r->aborted) || !ssh_is_connected(r->s))
		return remote_fail(r, e, ERR_IO, "%s to %s failed", what,
		    r->label);
	return error_set(e, ERR_IO, "%s did not answer %s within %d ms",
	    r->label, what, r->io_timeout_ms);
}

/* Fail early, with a clear message, on a connection known to be dead. */
int
remote_check_alive(struct remote *r, struct error *e)
{
	if (atomic_load(&r->aborted) || !ssh_is_connected(r->s))
		return remote_fail(r, e, ERR_IO, "no connection to %s",
		    r->label);
	return 0;
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

/* Check a node's key and known_hosts without connecting: see remote.h. */
int
remote_check_files(const struct remote_opts *o, char *desc, size_t len,
    bool *loose, struct error *e)
{
	ssh_session s = NULL;
	ssh_key key = NULL, pub = NULL;
	unsigned char *hash = NULL;
	char *fp = NULL, label[300], scan[1400];
	unsigned int port = o->port;
	bool process_config = false;
	size_t hlen = 0;
	struct stat sb;
	int rc = -1;

	if (remote_opts_check(o, e) == -1)
		return -1;
	ssh_set_log_level(SSH_LOG_NOLOG);
	snprintf(label, sizeof(label),
	    strchr(o->host, ':') != NULL || o->port != 22 ? "[%s]:%u" : "%s",
	    o->host, o->port);
	/* The command that writes the node's host key to known_hosts. */
	if (o->port != 22)
		snprintf(scan, sizeof(scan), "ssh-keyscan -p %u %s >>%s",
		    o->port, o->host, o->known_hosts);
	else
		snprintf(scan, sizeof(scan), "ssh-keyscan %s >>%s", o->host,
		    o->known_hosts);
	if (stat(o->identity, &sb) == -1) {
		error_set(e, ERR_INVALID, "cannot read private key '%s': %s",
		    o->identity, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		error_set(e, ERR_INVALID,
		    "private key '%s' is not a regular file", o->identity);
		goto out;
	}
	if (ssh_pki_import_privkey_file(o->identity, NULL, NULL, NULL, &key) !=
		SSH_OK ||
	    ssh_pki_export_privkey_to_pubkey(key, &pub) != SSH_OK ||
	    ssh_get_publickey_hash(pub, SSH_PUBLICKEY_HASH_SHA256, &hash,
		&hlen) != 0 ||
	    (fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
		 hlen)) == NULL) {
		error_set(e, ERR_INVALID,
		    "cannot read private key '%s' (it must be an SSH private "
		    "key this user can read, without a passphrase: "
		    "ssh-keygen -p -N '' -f %s removes one)",
		    o->identity, o->identity);
		goto out;
	}
	*loose = (sb.st_mode & 077) != 0;
	if ((s = ssh_new()) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* As remote_set_options() sets them: the same file, no ssh_config. */
	if (ssh_options_set(s, SSH_OPTIONS_HOST, o->host) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config) <
		0 ||
	    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, o->known_hosts) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, o->known_hosts) <
		0) {
		error_set(e, ERR_INVALID, "bad SSH options for %s: %s", label,
		    ssh_get_error(s));
		goto out;
	}
	if (access(o->known_hosts, R_OK) == -1) {
		error_set(e, ERR_INVALID,
		    "cannot read known_hosts '%s': %s (write the node's host "
		    "key there with %s, once its fingerprint is checked)",
		    o->known_hosts, strerror(errno), scan);
		goto out;
	}
	switch (ssh_session_has_known_hosts_entry(s)) {
	case SSH_KNOWN_HOSTS_OK:
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		error_set(e, ERR_INVALID,
		    "host %s is not in known_hosts '%s' (add the node's host "
		    "key with %s, once its fingerprint is checked)",
		    label, o->known_hosts, scan);
		goto out;
	default:
		error_set(e, ERR_INVALID, "cannot read known_hosts '%s': %s",
		    o->known_hosts, ssh_get_error(s));
		goto out;
	}
	snprintf(desc, len, "%s %s", ssh_key_type_to_char(ssh_key_type(pub)),
	    fp);
	rc = 0;
out:
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(pub);
	ssh_key_free(key);
	if (s != NULL)
		ssh_free(s);
	return rc;
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
	r->run_timeout_ms = o->run_timeout_ms;
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
		remote_sftp_failed(r, e);
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
	assert(r->channels == NULL);
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
	struct remote_channel *p;
	bool woken = false;
	uint64_t in_before;
	int64_t deadline;
	int rc = SSH_OK, left;

	if (remote_check_alive(r, e) == -1)
		return -1;
	for (p = r->channels; p != NULL; p = p->next)
		if (remote_channel_ready(p))
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

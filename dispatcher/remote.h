/*
 * One SSH connection to one node (libssh 0.10), used by that node's worker
 * thread only: libssh sessions are not shared between threads.  The session
 * stays in blocking mode, because SFTP in libssh 0.10 works only there;
 * long-running commands are read without blocking through their channels.
 * Three files, as OpenSSH keeps them apart: remote.c is the session
 * (connect, liveness, waiting, the timeouts below), remote-channel.c runs
 * commands on channels (remote_channel_*), remote-sftp.c moves files over
 * the session's one SFTP channel (remote_sftp_*).
 *
 * See ../shared/research/libssh-libevent.md for the facts this follows:
 * SSH_OPTIONS_NODELAY on, ssh config files never read, host keys checked
 * strictly against the configured known_hosts and never enrolled, SFTP
 * writes in pieces of at most 32 KiB, and SFTP calls that ignore timeouts
 * broken by another thread with remote_abort().
 *
 * Everything a node sends back is untrusted: sizes are capped, only regular
 * files are fetched, names are checked.
 *
 * Timeouts.  Every wait on the node is bounded, each by one rule:
 *
 * 1. Connecting: remote_connect() as a whole takes at most
 *    connect_timeout_ms (TCP connect, handshake, authentication, SFTP
 *    start); a helper thread shuts the socket down at the deadline.
 * 2. One blocking call: at most io_timeout_ms without the node answering.
 *    libssh's own timeout (SSH_OPTIONS_TIMEOUT) ends a channel open, an
 *    exec request, and remote_channel_run()'s wait for a silent command.
 *    SFTP in libssh 0.10 ignores it; there two guards end the call, both
 *    at io_timeout_ms: the kernel (TCP_USER_TIMEOUT) when what was sent is
 *    not acknowledged (a dead path), and the caller's watchdog, from
 *    another thread, when remote_overdue() says a call has been busy that
 *    long on a path that still acknowledges (a hung sftp-server): it calls
 *    remote_abort().  A call ended by either fails with ERR_IO and the
 *    connection is lost.
 * 3. An idle session: the caller sends remote_keepalive() every so often
 *    and calls the node dead once remote_packets_in() stops moving for
 *    longer than it allows (its dead_after); the kernel's keepalive only
 *    backs that up (about a minute).
 */
#ifndef SLUICE_DISPATCHER_REMOTE_H
#define SLUICE_DISPATCHER_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct remote_opts {
	const char *host; /* name or address */
	unsigned port;
	const char *user;
	const char *identity; /* private key file (no passphrase) */
	const char *known_hosts; /* the only host keys trusted */
	int connect_timeout_ms; /* TCP connect and SSH handshake */
	int io_timeout_ms; /* each blocking libssh call */
	int run_timeout_ms; /* one remote_channel_run() in all; 0: none */
};

struct remote;

/* remote.c: the session. */

/*
 * Connect: TCP (own socket with TCP_NODELAY, keepalive and
 * TCP_USER_TIMEOUT), key exchange, strict host key check, public key
 * authentication, SFTP.  On failure e explains in words an operator can act
 * on, e.g. "host key of 127.0.0.1:2201 does not match known_hosts
 * (SHA256:...)", "host 127.0.0.1:2201 is not in known_hosts".
 * e->code is ERR_REFUSED for host key and authentication failures (do not
 * retry quickly), ERR_IO for network failures (retry with back-off).
 * ERR_INVALID means the options themselves are unusable (no host, a host
 * with '@' or blanks, a port out of range, timeouts <= 0, an identity file
 * that cannot be read or has a passphrase): fix the configuration.
 * The whole of remote_connect() takes at most about connect_timeout_ms
 * (and the getaddrinfo() time): a helper thread shuts the socket down at
 * the deadline, since sftp_init() would otherwise wait forever on a node
 * that hangs right after authentication.
 */
struct remote *remote_connect(const struct remote_opts *o, struct error *e);

/*
 * Check a node's files as remote_connect() would read them, without
 * connecting (sluice serve --check): the private key can be read and has
 * no passphrase, and known_hosts holds a key for the node's host and port
 * (hashed entries too).  On success desc gets the key's type and SHA-256
 * fingerprint, and *loose says whether the key file can be read by others
 * than its owner (OpenSSH would refuse it; libssh does not).  ERR_INVALID
 * with a message that names the file and the fix otherwise.
 */
int remote_check_files(const struct remote_opts *o, char *desc, size_t len,
    bool *loose, struct error *e);

/* Disconnect and free (NULL is a no-op).  Live channels must be freed
 * first. */
void remote_free(struct remote *r);

/*
 * Liveness (timeouts, rule 3): send a keepalive without waiting for its
 * answer, and read the count of packets received so far.
 * remote_keepalive() returns 0, or -1 if the connection is known lost.
 * The answer is taken in by later calls (remote_wait() above all).
 */
int remote_keepalive(struct remote *r);
uint64_t remote_packets_in(struct remote *r);

/*
 * The watchdog (timeouts, rule 2), from another thread, while the caller's
 * lock keeps remote_free() out: how long the current blocking call has
 * been going at now_ms (util_now_ms()) (0 if none; for
 * remote_channel_run(), since the node last sent something or took input);
 * whether that is more than io_timeout_ms; and remote_abort() to break it
 * by shutting the socket down (the call then fails; the connection is
 * lost).
 */
int64_t remote_busy_ms(struct remote *r, int64_t now_ms);
bool remote_overdue(struct remote *r, int64_t now_ms);
void remote_abort(struct remote *r);

/*
 * Wait until the session has data (for any channel) or wake_fd (may be -1)
 * is readable, at most timeout_ms (< 0: no limit).  Returns 0, or -1 if the
 * connection failed.
 * It returns at once while a channel has output or news not yet taken by
 * remote_channel_poll() (data that arrived during other calls is buffered
 * and would not wake the poll).  wake_fd is watched during this call only
 * and is not drained: that is the caller's job.
 */
int remote_wait(struct remote *r, int wake_fd, int timeout_ms, struct error *e);

/* remote-channel.c: commands. */

/*
 * The command line for argv, each word single-quoted for the remote user's
 * shell, so nothing in it is interpreted.  Returns a new string.
 */
char *remote_channel_quote(const char *const *argv);

/*
 * Run argv to completion.  stdin_data (may be NULL) is sent and then EOF.
 * stdout is captured into a new buffer of at most cap bytes (more is an
 * error); stderr is read and dropped beyond a small cap.  *exit_status is
 * the command's exit status, or -1 if it died by a signal.
 *
 * For short commands: a command that sends nothing and does not end for
 * io_timeout_ms is an error (ERR_IO), as is output above cap (ERR_INVALID)
 * and a command that has not ended after run_timeout_ms in all, however
 * much it sends (ERR_INVALID: one that trickles a byte now and then would
 * otherwise hold the caller forever); its channel is closed.
 * ERR_BUSY: the node refused a new channel (its MaxSessions is used up).
 * *out is NUL-terminated (not counted in *outlen) and the caller's to free;
 * out may be NULL to drop stdout.
 */
int remote_channel_run(struct remote *r, const char *const *argv,
    const void *stdin_data, size_t stdin_len, size_t cap, char **out,
    size_t *outlen, int *exit_status, struct error *e);

/*
 * The start of the last remote_channel_run()'s stderr (at most 1023 bytes, other
 * control characters than newline and tab replaced by '?'), "" if none:
 * for error messages.  Valid until the next remote_channel_run() or
 * remote_free().
 */
const char *remote_channel_stderr(const struct remote *r);

/*
 * A command left running while other work goes on (an agent's run).  Its
 * stdin stays open (no EOF) until remote_channel_free().  Errors as for
 * remote_channel_run().
 */
struct remote_channel;

struct remote_channel *remote_channel_spawn(struct remote *r,
    const char *const *argv, struct error *e);

/*
 * Read whatever stdout the command has produced, without blocking, and
 * pass each complete line (without its newline) to line_cb.  A line longer
 * than max_line is an error.  Returns 1 while the command runs, 0 once it
 * has exited (*exit_status set as in remote_channel_run), -1 on error.
 *
 * line is NUL-terminated at len (it may hold other NUL bytes); a last line
 * without a newline is passed at EOF.  A non-zero return from line_cb stops
 * reading and makes this return -1 (ERR_INVALID).  The end is reported
 * once stdout is at EOF and the exit status (or signal) has arrived; after
 * 0 or -1, further calls repeat the answer, so free the channel then.  Stderr
 * is read and dropped.  One call reads a bounded amount; remote_wait()
 * returns at once while more is buffered.
 */
int remote_channel_poll(struct remote_channel *p, size_t max_line,
    int (*line_cb)(const char *line, size_t len, void *arg), void *arg,
    int *exit_status, struct error *e);

/*
 * Send data to the command's stdin, all of it (blocking, in pieces of at
 * most 32 KiB, within the timeouts' rule 2).  A failure loses the
 * connection, as for remote_channel_run().
 */
int remote_channel_write(struct remote_channel *p, const void *data, size_t len,
    struct error *e);

/* Close the command's channel and free it.  The remote command may go on
 * (that is what the agent's detach is for); cancel it with the agent. */
void remote_channel_free(struct remote_channel *p);

/*
 * remote-sftp.c: files.  All paths absolute on the node (ERR_INVALID otherwise).  Errors:
 * ERR_NOTFOUND (no such file), ERR_REFUSED (permission denied), ERR_IO
 * (connection lost, or another failure reported by the node).
 */

/* Create a directory; ERR_STATE if it exists already. */
int remote_sftp_mkdir(struct remote *r, const char *path, int mode,
    struct error *e);

/* Create a new file (O_EXCL) holding data, written in pieces <= 32 KiB. */
int remote_sftp_put(struct remote *r, const char *path, const void *data,
    size_t len, int mode, struct error *e);

enum remote_type {
	REMOTE_REG,
	REMOTE_DIR,
	REMOTE_LINK,
	REMOTE_OTHER
};

struct remote_entry {
	char name[256]; /* checked: one component, no '/', not . or .. */
	enum remote_type type; /* from lstat: a link is a link */
	uint64_t size;
};

/*
 * List a directory (lstat semantics) into a new array of at most max
 * entries (more is an error).  Entries with names that are not a single
 * safe component are an error too: the node is lying.
 * "." and ".." are skipped: OpenSSH's sftp-server lists them like
 * readdir(3) does.  A name is refused (ERR_INVALID, the whole listing) if
 * it is empty, longer than 255 bytes, or holds '/' or a control character.
 * *out is the caller's to free (never NULL on success).
 */
int remote_sftp_list(struct remote *r, const char *dir, size_t max,
    struct remote_entry **out, size_t *n, struct error *e);

/*
 * Fetch a regular file (checked with lstat first; anything else is
 * refused) into a new local file dst_name under dst_dirfd (O_EXCL,
 * O_NOFOLLOW), reading at most cap bytes: a file larger than cap is an
 * error (ERR_INVALID).  Sets *bytes.
 *
 * Anything but a regular file is ERR_REFUSED without being opened (a FIFO
 * would hang sftp-server).  After opening, fstat must agree with the lstat
 * (else ERR_STATE): this narrows, but cannot close, the race with a job
 * that swaps the file for a link or FIFO, so fetch only from directories
 * the job can no longer write.  dst_name is one component; the local file
 * is created 0600 and removed again on any failure (ERR_STATE if it
 * exists).  The file is read to its end: a read that comes back short at
 * the size fstat gave ends it as an empty one would (a file that does not
 * grow while it is fetched, as such directories hold).
 */
int remote_sftp_get(struct remote *r, const char *path, int dst_dirfd,
    const char *dst_name, uint64_t cap, uint64_t *bytes, struct error *e);

/*
 * Read at most cap bytes of the regular file path from offset on into buf
 * (the caller's, cap bytes), as a file that is still being written is read:
 * *n is what was there (0 at or past its end).  Checked with lstat first, as
 * remote_sftp_get() does: anything but a regular file is ERR_REFUSED
 * without being opened; ERR_NOTFOUND if there is none yet.  Nothing is
 * written locally.  For following a job's output while it runs.
 */
int remote_sftp_read_at(struct remote *r, const char *path, uint64_t offset,
    void *buf, size_t cap, size_t *n, struct error *e);

#endif

/*
 * What remote.c (the session), remote-channel.c (commands on channels) and
 * remote-sftp.c (files) share: the structures behind remote.h's opaque
 * types and the helpers every blocking call goes through.  Nothing outside
 * those three files includes this.
 */
#ifndef SLUICE_DISPATCHER_REMOTE_INTERNAL_H
#define SLUICE_DISPATCHER_REMOTE_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "remote.h"

/*
 * libssh 0.10 sends each sftp_write() as one SFTP packet, and a 300 KiB one
 * killed OpenSSH's sftp-server; 0.11 caps writes at 32 KiB too.  Input
 * written to a channel goes in pieces of the same size.
 */
#define REMOTE_SFTP_CHUNK (32 * 1024)
#define REMOTE_STDERR_KEEP 1024

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
	int run_timeout_ms; /* remote_channel_run() in all; 0: none */
	char label[300]; /* "host:port" for messages */
	char
	    run_stderr[REMOTE_STDERR_KEEP]; /* of the last remote_channel_run */
	size_t run_stderr_len;
	struct remote_channel *channels; /* live ones, for remote_wait() */
};

struct remote_channel {
	struct remote *r;
	struct remote_channel *next;
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb; /* must outlive ch */
	bool cb_set;
	char name[64]; /* argv[0], for messages */
	bool out_eof; /* stdout read to its end */
	bool exited; /* exit-status or exit-signal arrived */
	bool closed; /* the node closed the channel */
	bool done; /* remote_channel_poll() reported the end */
	bool failed; /* remote_channel_poll() reported an error */
	int exit_status; /* -1 after a signal */
	struct error fail; /* what failed, repeated by later polls */
	char *line; /* the partial line being collected */
	size_t linelen, linecap;
};

/* remote.c */

/*
 * Mark the start and the end of a blocking libssh call, for the watchdog
 * (remote_overdue()); the end also acknowledges what has arrived.
 */
void remote_busy_begin(struct remote *r);
void remote_busy_end(struct remote *r);

/* Send a pending TCP acknowledgement now (see remote.c). */
void remote_quickack(struct remote *r);

/*
 * Fill e from the session's last libssh error: ERR_IO if the connection is
 * gone or was aborted, code otherwise.  Returns -1.
 */
int remote_fail(struct remote *r, struct error *e, enum error_code code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fill e for a blocking call that timed out (SSH_AGAIN); returns -1. */
int remote_fail_timeout(struct remote *r, struct error *e, const char *what);

/* Fail early, with a clear message, on a connection known to be dead. */
int remote_check_alive(struct remote *r, struct error *e);

/* remote-channel.c */

/* Whether remote_channel_poll() has something to take from p right now. */
bool remote_channel_ready(struct remote_channel *p);

#endif

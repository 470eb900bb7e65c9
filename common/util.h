/*
 * Small utilities both sides need: times on the wire, checks of names that
 * come from users or nodes, and bounded reads of files through directory
 * descriptors that never follow a symbolic link.
 */
#ifndef SLUICE_UTIL_H
#define SLUICE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"

#define UTIL_NAME_MAX 255 /* one path component */
#define UTIL_PATH_MAX 1024 /* a relative path inside a job */
#define UTIL_PATH_DEPTH 16

/* Format a wall-clock time as RFC 3339 UTC with milliseconds. */
void util_time_rfc3339(const struct timespec *ts, char *buf, size_t len);

/* The current wall-clock time, formatted as util_time_rfc3339() does. */
void util_now_rfc3339(char *buf, size_t len);

/* Free n strings of v, then v itself (v may be NULL). */
void util_strv_free(char **v, size_t n);

/* Milliseconds on CLOCK_MONOTONIC: for deadlines and timeouts. */
int64_t util_now_ms(void);

/* Seconds from a to b, for CLOCK_MONOTONIC readings. */
double util_elapsed(const struct timespec *a, const struct timespec *b);

/*
 * Check a relative path taken from untrusted input: not empty, no leading
 * or trailing '/', no empty, "." or ".." components, no control characters,
 * at most UTIL_PATH_DEPTH components of at most UTIL_NAME_MAX bytes each.
 * field names the input for the error.
 */
int util_path_check(const char *path, const char *field, struct error *e);

/* Whether s is 1..max characters of [A-Za-z0-9._+-], and not "." or "..". */
bool util_token_ok(const char *s, size_t max);

/*
 * Whether the n bytes at s start with a C1 control character in UTF-8
 * (U+0080 to U+009F: C2 80 to C2 9F), which terminals act on as they act
 * on ESC sequences (U+009B is CSI, U+009D OSC): text shown on a terminal
 * must have them replaced, as it has C0 controls.
 */
bool util_c1_at(const char *s, size_t n);

/*
 * Sanitise one path component in place: bytes outside printable ASCII, the
 * space, '/' and '\\' become '_', the first '.' of "." or ".." becomes '_',
 * and the name is cut to UTIL_NAME_MAX bytes.  Returns false if nothing
 * usable is left.
 */
bool util_name_sanitise(char *name);

/*
 * Read a regular file relative to dirfd into a new NUL-terminated buffer.
 * The last component of name is never followed if it is a symbolic link
 * (callers that need more pass a single component).  A file larger than cap bytes, or one
 * that is not a regular file, is an error.  *out is set only on success
 * and is the caller's to free.
 */
int util_read_file_at(int dirfd, const char *name, size_t cap, char **out,
    size_t *len, struct error *e);

/* The same for an open descriptor (name is for messages); fd stays open. */
int util_read_fd(int fd, const char *name, size_t cap, char **out, size_t *len,
    struct error *e);

/*
 * Read what is left of fd into a new NUL-terminated buffer (*out, the
 * caller's to free; *len bytes), hint bytes expected (fstat's size): the
 * file may grow while it is read, so the buffer grows with it, up to cap
 * (at most SIZE_MAX - 2).  0, or -1 with errno: EFBIG when fd holds more
 * than cap bytes, ENOMEM, or read's.  The one read loop under
 * util_read_fd(), the CLI's files and the dispatcher's uploads; each says
 * what went wrong in its own words.
 */
int util_read_grow(int fd, size_t hint, size_t cap, char **out, size_t *len);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int util_write_all(int fd, const void *buf, size_t len);

/*
 * The length of the first len bytes of s without a UTF-8 sequence cut
 * short at the end: what snprintf() leaves when it cuts a node's message
 * into a reason.  The rest of s is taken as UTF-8 already.
 */
size_t util_utf8_whole(const char *s, size_t len);

/* Parse a whole decimal unsigned integer; false if s is not one. */
bool util_parse_u64(const char *s, uint64_t *out);

#endif

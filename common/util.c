/* Small shared utilities: see util.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Format a wall-clock time as RFC 3339 UTC with milliseconds. */
void
util_time_rfc3339(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	char base[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", base, ts->tv_nsec / 1000000);
}

/* The current wall-clock time in RFC 3339. */
void
util_now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	util_time_rfc3339(&ts, buf, len);
}

/* Free a vector of n strings. */
void
util_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Seconds from a to b. */
double
util_elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Check a relative path taken from untrusted input. */
int
util_path_check(const char *path, const char *field, struct error *e)
{
	const unsigned char *p;
	size_t complen = 0, depth = 1;

	if (path[0] == '\0')
		return error_set_field(e, ERR_INVALID, field,
		    "file name is empty");
	if (strlen(path) > UTIL_PATH_MAX)
		return error_set_field(e, ERR_INVALID, field,
		    "file name is longer than %d bytes", UTIL_PATH_MAX);
	if (path[0] == '/')
		return error_set_field(e, ERR_INVALID, field,
		    "file name '%.64s' is absolute", path);
	for (p = (const unsigned char *)path;; p++) {
		if (*p == '/' || *p == '\0') {
			const char *start = (const char *)p - complen;

			if (complen == 0)
				return error_set_field(e, ERR_INVALID, field,
				    "file name '%.64s' has an empty component",
				    path);
			if ((complen == 1 && start[0] == '.') ||
			    (complen == 2 && start[0] == '.' &&
				start[1] == '.'))
				return error_set_field(e, ERR_INVALID, field,
				    "file name '%.64s' has a '.' or '..' "
				    "component",
				    path);
			if (*p == '\0')
				break;
			if (++depth > UTIL_PATH_DEPTH)
				return error_set_field(e, ERR_INVALID, field,
				    "file name '%.64s' is deeper than %d", path,
				    UTIL_PATH_DEPTH);
			complen = 0;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f)
			return error_set_field(e, ERR_INVALID, field,
			    "file name has a control character");
		if (++complen > UTIL_NAME_MAX)
			return error_set_field(e, ERR_INVALID, field,
			    "a component of file name '%.64s' is longer than "
			    "%d bytes",
			    path, UTIL_NAME_MAX);
	}
	return 0;
}

/* See util.h. */
bool
util_c1_at(const char *s, size_t n)
{
	return n >= 2 && (unsigned char)s[0] == 0xc2 &&
	    (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f;
}

/* Whether s is a short token of safe characters. */
bool
util_token_ok(const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= max)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '.' || c == '_' ||
			c == '-' || c == '+'))
			return false;
	}
	if (n == 0 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	return true;
}

/* Sanitise one path component in place. */
bool
util_name_sanitise(char *name)
{
	unsigned char *p;

	if (strlen(name) > UTIL_NAME_MAX)
		name[UTIL_NAME_MAX] = '\0';
	for (p = (unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e || *p == '/' || *p == '\\')
			*p = '_';
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		name[0] = '_';
	return name[0] != '\0';
}

/* Read a capped regular file relative to dirfd without following links. */
int
util_read_file_at(int dirfd, const char *name, size_t cap, char **out,
    size_t *len, struct error *e)
{
	int fd, rc;

	fd = openat(dirfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP)
			return error_set(e, ERR_REFUSED,
			    "'%s' is a symbolic link", name);
		return error_set(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
		    "cannot open '%s': %s", name, strerror(errno));
	}
	rc = util_read_fd(fd, name, cap, out, len, e);
	close(fd);
	return rc;
}

/* Read an open, capped regular file from its current offset. */
int
util_read_fd(int fd, const char *name, size_t cap, char **out, size_t *len,
    struct error *e)
{
	struct stat st;
	size_t got;

	if (fstat(fd, &st) == -1)
		return error_set(e, ERR_IO, "cannot stat '%s': %s", name,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return error_set(e, ERR_REFUSED, "'%s' is not a regular file",
		    name);
	if ((uint64_t)st.st_size > cap)
		errno = EFBIG;
	else if (util_read_grow(fd, (size_t)st.st_size, cap, out, &got) == 0) {
		if (len != NULL)
			*len = got;
		return 0;
	}
	if (errno == EFBIG)
		return error_set(e, ERR_INVALID,
		    "'%s' is larger than %zu bytes", name, cap);
	if (errno == ENOMEM)
		return error_set(e, ERR_NOMEM, "out of memory reading '%s'",
		    name);
	return error_set(e, ERR_IO, "cannot read '%s': %s", name,
	    strerror(errno));
}

/* See util.h. */
int
util_read_grow(int fd, size_t hint, size_t cap, char **out, size_t *len)
{
	size_t n = 0, size = (hint < cap ? hint : cap) + 1;
	char *buf, *grown;
	ssize_t got;
	int saved;

	if ((buf = malloc(size + 1)) == NULL)
		return -1;
	for (;;) {
		/* Full: past cap, or room to grow (size stays at most cap
		   + 1, and size * 2 cannot overflow). */
		if (n == size) {
			if (n > cap) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			size = size > cap / 2 ? cap + 1 : size * 2;
			if ((grown = realloc(buf, size + 1)) == NULL) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = grown;
		}
		got = read(fd, buf + n, size - n);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			saved = errno;
			free(buf);
			errno = saved;
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Write all of buf to fd. */
int
util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Parse a whole decimal unsigned integer. */
bool
util_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* Drop a lead byte and the continuations after it that are too few. */
size_t
util_utf8_whole(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t back, need;

	for (back = 1; back <= 4 && back <= len; back++) {
		unsigned char b = p[len - back];

		if ((b & 0xc0) == 0x80)
			continue; /* a continuation: look further back */
		need = b < 0x80          ? 1
		    : (b & 0xe0) == 0xc0 ? 2
		    : (b & 0xf0) == 0xe0 ? 3
		    : (b & 0xf8) == 0xf0 ? 4
					 : 1;
		return need > back ? len - back : len;
	}
	return len;
}

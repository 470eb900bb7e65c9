/* Reading libconfig files: see cfgfile.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgfile.h"
#include "util.h"

/*
 * libconfig 1.5 (Debian 12) reads an integer above 2^31 - 1 that lacks the L
 * suffix as a wrapped 32-bit value: 2147483648 becomes -2147483648 and
 * 5368709120 becomes 1073741824.  The contract says the suffix is optional,
 * so every such literal outside strings and comments gets its L before
 * libconfig sees the text.  Returns a new string, or NULL without memory.
 */
static char *
cfgfile_promote_integers(const char *text)
{
	size_t len = strlen(text), i = 0, n = 0, start;
	char *out;

	/* At most one added byte per digit run. */
	if ((out = malloc(len * 2 + 1)) == NULL)
		return NULL;
	while (i < len) {
		char c = text[i];

		if (c == '"') { /* a string, with backslash escapes */
			out[n++] = text[i++];
			while (i < len && text[i] != '"') {
				if (text[i] == '\\' && i + 1 < len)
					out[n++] = text[i++];
				out[n++] = text[i++];
			}
			if (i < len)
				out[n++] = text[i++];
		} else if (c == '#' || (c == '/' && text[i + 1] == '/')) {
			while (i < len && text[i] != '\n')
				out[n++] = text[i++];
		} else if (c == '/' && text[i + 1] == '*') {
			out[n++] = text[i++];
			out[n++] = text[i++];
			while (
			    i < len && !(text[i] == '*' && text[i + 1] == '/'))
				out[n++] = text[i++];
		} else if (c >= '0' && c <= '9' &&
		    (i == 0 ||
			!(text[i - 1] == '_' || text[i - 1] == '.' ||
			    (text[i - 1] >= 'a' && text[i - 1] <= 'z') ||
			    (text[i - 1] >= 'A' && text[i - 1] <= 'Z') ||
			    (text[i - 1] >= '0' && text[i - 1] <= '9')))) {
			char next;

			start = i;
			while (i < len && text[i] >= '0' && text[i] <= '9')
				out[n++] = text[i++];
			next = i < len ? text[i] : '\0';
			/* Decimal integers only: not floats, hex or 10L. */
			if (next != '.' && next != 'e' && next != 'E' &&
			    next != 'L' && next != 'x' && next != 'X' &&
			    (i - start > 10 ||
				(i - start == 10 &&
				    strncmp(text + start, "2147483647", 10) >
					0)))
				out[n++] = 'L';
		} else
			out[n++] = text[i++];
	}
	out[n] = '\0';
	return out;
}

/* Read a number that may be an int, an int64 or a float. */
int
cfgfile_number(const config_setting_t *s, double *out)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		*out = (double)config_setting_get_int(s);
		return 0;
	case CONFIG_TYPE_INT64:
		*out = (double)config_setting_get_int64(s);
		return 0;
	case CONFIG_TYPE_FLOAT:
		*out = config_setting_get_float(s);
		return 0;
	default:
		return -1;
	}
}

/* Read an integer that may be written with or without the L suffix. */
int
cfgfile_integer(const config_t *cf, const char *name, long long min,
    long long max, long long *out, struct error *e)
{
	const config_setting_t *s = config_lookup(cf, name);
	double d;

	if (s == NULL)
		return 1;
	if (config_setting_type(s) == CONFIG_TYPE_FLOAT ||
	    cfgfile_number(s, &d) == -1)
		return error_set_field(e, ERR_INVALID, name,
		    "'%s' must be an integer", name);
	if (d < (double)min || d > (double)max)
		return error_set_field(e, ERR_INVALID, name,
		    "'%s' must be between %lld and %lld", name, min, max);
	*out = (long long)d;
	return 0;
}

/* Read a group of limits; keys left out keep the value already in l. */
int
cfgfile_limits(const config_t *cf, const char *group, struct limits *l,
    struct error *e)
{
	return cfgfile_limits_setting(config_lookup(cf, group), group, l, e);
}

/* The same, from the setting g (NULL: absent), called group. */
int
cfgfile_limits_setting(const config_setting_t *g, const char *group,
    struct limits *l, struct error *e)
{
	const config_setting_t *s;
	double d;
	int i, n;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return error_set_field(e, ERR_INVALID, group,
		    "'%s' must be a group", group);
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		int k;

		s = config_setting_get_elem(g, (unsigned)i);
		if ((k = limit_index(config_setting_name(s))) == -1)
			return error_set_field(e, ERR_INVALID, group,
			    "unknown limit '%s' in '%s'",
			    config_setting_name(s), group);
		if (cfgfile_number(s, &d) == -1 ||
		    limit_check_value(k, d, e) == -1)
			return error_set_field(e, ERR_INVALID, group,
			    "'%s.%s' must be a positive number within bounds",
			    group, limit_defs[k].name);
		limit_set(l, k, d);
	}
	return 0;
}

/* Copy a list of strings out of an array setting. */
int
cfgfile_strings(const config_setting_t *arr, const char *what, size_t max,
    char ***out, size_t *n, struct error *e)
{
	int i, len;
	char **v;

	if (arr == NULL || !config_setting_is_array(arr))
		return error_set(e, ERR_INVALID,
		    "'%s' must be an array of "
		    "strings",
		    what);
	len = config_setting_length(arr);
	if ((size_t)len > max)
		return error_set(e, ERR_INVALID, "'%s' has more than %zu items",
		    what, max);
	if ((v = calloc((size_t)len + 1, sizeof(*v))) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	*out = v;
	for (i = 0; i < len; i++) {
		const char *s = config_setting_get_string_elem(arr, i);

		if (s == NULL)
			return error_set(e, ERR_INVALID,
			    "'%s' must hold only strings", what);
		if ((v[i] = strdup(s)) == NULL)
			return error_set(e, ERR_NOMEM, "out of memory");
		(*n)++;
	}
	return 0;
}

/* Read and parse a config file. */
int
cfgfile_read(config_t *cf, const char *path, struct error *e)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		/* A missing or unreadable config is the host's problem. */
		return error_set(e, ERR_IO, "cannot read config '%s': %s", path,
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
	}
	rc = cfgfile_read_fd(cf, fd, path, e);
	close(fd);
	return rc;
}

/* Read and parse an open config file. */
int
cfgfile_read_fd(config_t *cf, int fd, const char *path, struct error *e)
{
	char *raw = NULL, *text = NULL;
	int rc = -1;

	if (util_read_fd(fd, path, CFGFILE_MAX_BYTES, &raw, NULL, e) == -1) {
		/* A missing or unreadable config is the host's problem. */
		e->code = ERR_IO;
		return error_wrap(e, "cannot read config '%s'", path);
	}
	if ((text = cfgfile_promote_integers(raw)) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!config_read_string(cf, text)) {
		error_set(e, ERR_INVALID, "config '%s' line %d: %s", path,
		    config_error_line(cf), config_error_text(cf));
		goto out;
	}
	rc = 0;
out:
	free(raw);
	free(text);
	return rc;
}

/* Refuse unknown settings in a group. */
int
cfgfile_known(const config_setting_t *group, const char *const *known,
    const char *where, struct error *e)
{
	const config_setting_t *s;
	const char *name;
	int i, n, k;

	if (group == NULL || !config_setting_is_group(group))
		return 0;
	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(group, (unsigned)i);
		name = config_setting_name(s);
		for (k = 0; known[k] != NULL; k++)
			if (name != NULL && strcmp(known[k], name) == 0)
				break;
		if (known[k] == NULL)
			return error_set_field(e, ERR_INVALID,
			    name != NULL ? name : "?",
			    "%s: unknown setting '%s' on line %u", where,
			    name != NULL ? name : "?",
			    config_setting_source_line(s));
	}
	return 0;
}

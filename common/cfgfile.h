/*
 * Reading libconfig files the same way in the agent and the dispatcher:
 * integers with or without the L suffix, seconds as integers or floats,
 * groups of limits, arrays of strings.  Each function names the setting at
 * fault in its error.
 */
#ifndef SLUICE_CFGFILE_H
#define SLUICE_CFGFILE_H

#include <stddef.h>

#include <libconfig.h>

#include "error.h"
#include "limit.h"

#define CFGFILE_MAX_BYTES (1024 * 1024)

/*
 * Read and parse path into cf (already config_init'ed).  An integer above
 * 2^31 - 1 written without L is read exactly (libconfig 1.5 would wrap it).
 * A file that cannot be read is ERR_IO; a syntax error ERR_INVALID.
 */
int cfgfile_read(config_t *cf, const char *path, struct error *e);

/* The same for an open file; path names it in messages.  fd stays open. */
int cfgfile_read_fd(config_t *cf, int fd, const char *path, struct error *e);

/* Read a number that may be an int, an int64 or a float. */
int cfgfile_number(const config_setting_t *s, double *out);

/*
 * Read the integer setting name, between min and max.  Returns 0, 1 if the
 * setting is absent (out untouched), or -1 with e filled.
 */
int cfgfile_integer(const config_t *cf, const char *name, long long min,
    long long max, long long *out, struct error *e);

/* Read a group of limits; keys left out keep the value already in l. */
int cfgfile_limits(const config_t *cf, const char *group, struct limits *l,
    struct error *e);

/* The same from a setting (NULL: absent), called group in messages. */
int cfgfile_limits_setting(const config_setting_t *g, const char *group,
    struct limits *l, struct error *e);

/*
 * Copy an array of at most max strings into a new NULL-terminated vector
 * (*out, with *n counting what was copied even on failure, so the caller
 * frees it either way).  what names the setting for errors.
 */
int cfgfile_strings(const config_setting_t *arr, const char *what, size_t max,
    char ***out, size_t *n, struct error *e);

/*
 * Refuse a group holding a setting not in known (NULL-terminated): a typo
 * must stop the program, not fall back to a default.  where names the
 * group in the error ("agent.conf", "node 'n1'").
 */
int cfgfile_known(const config_setting_t *group, const char *const *known,
    const char *where, struct error *e);

#endif

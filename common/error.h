/*
 * A caller-owned, fixed-size error record.  Fallible functions return 0 or -1
 * (or a pointer or NULL) and fill one of these; error_set() always returns -1
 * so that code reads "return error_set(e, ERR_IO, ...);".  Nothing here
 * allocates, so an error can be reported even when memory is exhausted.
 */
#ifndef SLUICE_ERROR_H
#define SLUICE_ERROR_H

#include <stddef.h>

enum error_code {
	ERR_NONE = 0,
	ERR_USAGE, /* bad command line */
	ERR_INVALID, /* malformed input: manifest, request, config value */
	ERR_REFUSED, /* input that is well formed but not allowed */
	ERR_STATE, /* the object is in the wrong state for this */
	ERR_BUSY, /* no capacity right now; try again */
	ERR_NOTFOUND,
	ERR_IO,
	ERR_SYS, /* a system call failed */
	ERR_NOMEM,
	ERR_INTERNAL
};

struct error {
	enum error_code code;
	char field[64]; /* the input field at fault, or "" */
	char msg[512];
};

/* Clear an error record. */
void error_init(struct error *e);

/* Fill e (which may be NULL) with code and a formatted message; returns -1. */
int error_set(struct error *e, enum error_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As error_set(), and also name the input field that is at fault. */
int error_set_field(struct error *e, enum error_code code, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prefix the message already in e with a formatted context; returns -1. */
int error_wrap(struct error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A short, stable name for a code ("invalid", "io", ...). */
const char *error_code_name(enum error_code code);

#endif

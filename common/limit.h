/*
 * Resource limits of one job: the manifest's "limits" object, the node's
 * defaults and ceilings, and the limits a result reports as applied.
 * Every limit is positive; seconds are real numbers, the rest integers.
 */
#ifndef SLUICE_LIMIT_H
#define SLUICE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

struct limits {
	double cpu_seconds;
	double wall_seconds;
	uint64_t memory_bytes;
	uint64_t processes;
	uint64_t output_bytes;
	uint64_t disk_bytes;
	uint64_t open_files;
};

enum limit_kind {
	LIMIT_SECONDS,
	LIMIT_INTEGER
};

/* One limit: its name on the wire and in configs, and its sanity bound. */
struct limit_def {
	const char *name;
	enum limit_kind kind;
	size_t offset; /* into struct limits */
	double max; /* anything above is malformed, not clamped */
};

#define LIMITS_N 7
extern const struct limit_def limit_defs[LIMITS_N];

/* The index in limit_defs of the limit called name, or -1. */
int limit_index(const char *name);

/* The value of limit i of l, as a double. */
double limit_get(const struct limits *l, int i);

/* Set limit i of l from a double (already validated). */
void limit_set(struct limits *l, int i, double v);

/*
 * Check one value for limit i: positive, finite, below the sanity bound,
 * and integral for integer limits.  Returns 0 or -1 with e filled.
 */
int limit_check_value(int i, double v, struct error *e);

/*
 * Parse a JSON "limits" object strictly: unknown keys, non-numbers and
 * values that fail limit_check_value() are errors.  Sets the bit (1 << i)
 * in *present for every limit given.  l is written only on success.
 */
int limit_from_json(const json_t *obj, struct limits *l, unsigned *present,
    struct error *e);

/* A new JSON object with every limit of l, or NULL without memory. */
json_t *limit_to_json(const struct limits *l);

/* As limit_to_json(), with only the limits whose bit (1 << i) is set in
   present. */
json_t *limit_to_json_set(const struct limits *l, unsigned present);

/*
 * The limits to apply: each limit given in req (bit set in present), else the
 * default; then lowered to the ceiling.  Bit i of *clamped is set for every
 * requested limit that the ceiling lowered.
 */
void limit_resolve(struct limits *out, const struct limits *req,
    unsigned present, const struct limits *defaults,
    const struct limits *ceilings, unsigned *clamped);

/* Whether every limit given in req is within ceilings. */
bool limit_fit(const struct limits *req, unsigned present,
    const struct limits *ceilings);

#endif

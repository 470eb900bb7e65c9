/* Job resource limits: see limit.h. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "limit.h"

#define SECONDS_MAX (7.0 * 24 * 3600) /* a week: nothing sane asks more */
#define BYTES_MAX 1125899906842624.0 /* 1 PiB, exact in a double */
#define COUNT_MAX 1048576.0

const struct limit_def limit_defs[LIMITS_N] = {
	{ "cpu_seconds", LIMIT_SECONDS, offsetof(struct limits, cpu_seconds),
	    SECONDS_MAX },
	{ "wall_seconds", LIMIT_SECONDS, offsetof(struct limits, wall_seconds),
	    SECONDS_MAX },
	{ "memory_bytes", LIMIT_INTEGER, offsetof(struct limits, memory_bytes),
	    BYTES_MAX },
	{ "processes", LIMIT_INTEGER, offsetof(struct limits, processes),
	    COUNT_MAX },
	{ "output_bytes", LIMIT_INTEGER, offsetof(struct limits, output_bytes),
	    BYTES_MAX },
	{ "disk_bytes", LIMIT_INTEGER, offsetof(struct limits, disk_bytes),
	    BYTES_MAX },
	{ "open_files", LIMIT_INTEGER, offsetof(struct limits, open_files),
	    COUNT_MAX },
};

/* The value of limit i of l, as a double. */
double
limit_get(const struct limits *l, int i)
{
	const char *p = (const char *)l + limit_defs[i].offset;
	double d;
	uint64_t u;

	if (limit_defs[i].kind == LIMIT_SECONDS) {
		memcpy(&d, p, sizeof(d));
		return d;
	}
	memcpy(&u, p, sizeof(u));
	return (double)u;
}

/* Set limit i of l from a double. */
void
limit_set(struct limits *l, int i, double v)
{
	char *p = (char *)l + limit_defs[i].offset;
	uint64_t u;

	if (limit_defs[i].kind == LIMIT_SECONDS) {
		memcpy(p, &v, sizeof(v));
		return;
	}
	u = (uint64_t)v;
	memcpy(p, &u, sizeof(u));
}

/* Check one value for limit i. */
int
limit_check_value(int i, double v, struct error *e)
{
	const struct limit_def *d = &limit_defs[i];

	if (!isfinite(v) || v <= 0)
		return error_set_field(e, ERR_INVALID, d->name,
		    "'%s' must be a positive number", d->name);
	if (v > d->max)
		return error_set_field(e, ERR_INVALID, d->name,
		    "'%s' is %.17g, more than the sanity bound %.17g", d->name,
		    v, d->max);
	if (d->kind == LIMIT_INTEGER && floor(v) != v)
		return error_set_field(e, ERR_INVALID, d->name,
		    "'%s' must be an integer", d->name);
	return 0;
}

/* The index of the limit called name, or -1. */
int
limit_index(const char *name)
{
	int i;

	for (i = 0; i < LIMITS_N; i++)
		if (strcmp(limit_defs[i].name, name) == 0)
			return i;
	return -1;
}

/* Parse a JSON "limits" object strictly. */
int
limit_from_json(const json_t *obj, struct limits *l, unsigned *present,
    struct error *e)
{
	struct limits tmp;
	unsigned seen = 0;
	const char *key;
	json_t *val;
	int i;

	if (!json_is_object(obj))
		return error_set_field(e, ERR_INVALID, "limits",
		    "'limits' must be an object");
	memcpy(&tmp, l, sizeof(tmp));
	json_object_foreach ((json_t *)obj, key, val) {
		if ((i = limit_index(key)) < 0)
			return error_set_field(e, ERR_INVALID, "limits",
			    "unknown limit '%.64s'", key);
		if (!json_is_number(val))
			return error_set_field(e, ERR_INVALID, key,
			    "'%s' must be a number", key);
		if (limit_check_value(i, json_number_value(val), e) == -1)
			return -1;
		limit_set(&tmp, i, json_number_value(val));
		seen |= 1u << i;
	}
	memcpy(l, &tmp, sizeof(tmp));
	*present = seen;
	return 0;
}

/* A new JSON object with every limit of l. */
json_t *
limit_to_json(const struct limits *l)
{
	return limit_to_json_set(l, (1u << LIMITS_N) - 1);
}

/* A new JSON object with the limits of l that present names. */
json_t *
limit_to_json_set(const struct limits *l, unsigned present)
{
	json_t *obj, *v;
	int i;

	if ((obj = json_object()) == NULL)
		return NULL;
	for (i = 0; i < LIMITS_N; i++) {
		if (!(present & (1u << i)))
			continue;
		if (limit_defs[i].kind == LIMIT_SECONDS)
			v = json_real(limit_get(l, i));
		else
			v = json_integer((json_int_t)limit_get(l, i));
		if (json_object_set_new(obj, limit_defs[i].name, v) == -1) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

/* The limits to apply: requested or default, lowered to the ceiling. */
void
limit_resolve(struct limits *out, const struct limits *req, unsigned present,
    const struct limits *defaults, const struct limits *ceilings,
    unsigned *clamped)
{
	unsigned low = 0;
	double v, c;
	int i;

	for (i = 0; i < LIMITS_N; i++) {
		v = (present & (1u << i)) ? limit_get(req, i)
					  : limit_get(defaults, i);
		c = limit_get(ceilings, i);
		if (v > c) {
			v = c;
			if (present & (1u << i))
				low |= 1u << i;
		}
		limit_set(out, i, v);
	}
	if (clamped != NULL)
		*clamped = low;
}

/* Whether every given limit is within the ceilings. */
bool
limit_fit(const struct limits *req, unsigned present,
    const struct limits *ceilings)
{
	int i;

	for (i = 0; i < LIMITS_N; i++)
		if ((present & (1u << i)) &&
		    limit_get(req, i) > limit_get(ceilings, i))
			return false;
	return true;
}

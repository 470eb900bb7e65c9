/*
 * Job arrays' SPECs and their tasks' environment: see array.h.
 */
#include "config.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

const char *const array_env_names[] = {
	"SLUICE_ARRAY_JOB_ID",
	"SLUICE_ARRAY_TASK_ID",
	"SLUICE_ARRAY_TASK_COUNT",
	"SLUICE_ARRAY_TASK_MIN",
	"SLUICE_ARRAY_TASK_MAX",
	NULL,
};

/* One item of a SPEC: first to last by step. */
struct array_item {
	uint32_t first, last, step;
};

/*
 * Copy at most 24 bytes of s into buf (ARRAY_CONTEXT_MAX bytes), each byte
 * that is not printable ASCII as \xNN, with "..." if s goes on: what a
 * message quotes of the user's SPEC.
 */
#define ARRAY_CONTEXT_MAX 128
static const char *
array_context(const char *s, char *buf)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0' && i < 24; i++) {
		if ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f)
			buf[o++] = s[i];
		else
			o += (size_t)snprintf(buf + o, ARRAY_CONTEXT_MAX - o,
			    "\\x%02x", (unsigned char)s[i]);
	}
	if (s[i] != '\0') {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/*
 * Read the decimal number at *p, of at most ARRAY_INDEX_MAX, into *v and
 * move *p past it; what names it for messages.
 */
static int
array_number(const char **p, const char *what, uint32_t *v, struct error *e)
{
	char ctx[ARRAY_CONTEXT_MAX];
	const char *s = *p;
	uint64_t n = 0;
	size_t len = 0;

	while (s[len] >= '0' && s[len] <= '9') {
		if (n <= ARRAY_INDEX_MAX)
			n = n * 10 + (uint64_t)(s[len] - '0');
		len++;
	}
	if (len == 0) {
		if (s[0] == '\0')
			return error_set(e, ERR_USAGE, "%s is missing", what);
		return error_set(e, ERR_USAGE,
		    "%s must be a number (decimal digits), not '%s'", what,
		    array_context(s, ctx));
	}
	if (n > ARRAY_INDEX_MAX)
		return error_set(e, ERR_USAGE, "%s '%.*s' is larger than %u",
		    what, len > 24 ? 24 : (int)len, s, ARRAY_INDEX_MAX);
	*v = (uint32_t)n;
	*p = s + len;
	return 0;
}

/* Read the item at *p ("7", "0-15" or "0-15:4") and move *p past it. */
static int
array_item(const char **p, struct array_item *it, struct error *e)
{
	const char *start = *p;

	if (**p == ',' || **p == '%' || **p == '\0')
		return error_set(e, ERR_USAGE, "an item of the list is empty");
	if (array_number(p, "an index", &it->first, e) == -1)
		return -1;
	it->last = it->first;
	it->step = 1;
	if (**p == '-') {
		(*p)++;
		if (array_number(p, "the end of a range", &it->last, e) == -1)
			return -1;
		if (it->last < it->first)
			return error_set(e, ERR_USAGE,
			    "the range '%.*s' ends before it starts",
			    (int)(*p - start), start);
		if (**p == ':') {
			(*p)++;
			if (array_number(p, "a step", &it->step, e) == -1)
				return -1;
			if (it->step == 0)
				return error_set(e, ERR_USAGE,
				    "the step of '%.*s' must be at least 1",
				    (int)(*p - start), start);
		}
	} else if (**p == ':')
		return error_set(e, ERR_USAGE,
		    "a step (':') follows a range only, as in 0-15:4");
	return 0;
}

/* Read every item into items (if not NULL) and count their indices. */
static int
array_items(const char *text, struct array_item *items, size_t *nitems,
    uint64_t *total, size_t *throttle, struct error *e)
{
	char ctx[ARRAY_CONTEXT_MAX];
	struct array_item it;
	const char *p = text;
	uint32_t t;

	*nitems = 0;
	*total = 0;
	*throttle = 0;
	for (;;) {
		if (array_item(&p, &it, e) == -1)
			return -1;
		*total += (it.last - it.first) / it.step + 1;
		if (*total > ARRAY_TASKS_MAX)
			return error_set(e, ERR_USAGE,
			    "it names more than %d tasks (an index named "
			    "twice counts twice)",
			    ARRAY_TASKS_MAX);
		if (items != NULL)
			items[*nitems] = it;
		(*nitems)++;
		if (*p != ',')
			break;
		p++;
	}
	if (*p == '%') {
		p++;
		if (array_number(&p, "the limit after '%'", &t, e) == -1)
			return -1;
		if (t == 0)
			return error_set(e, ERR_USAGE,
			    "the limit after '%%' must be at least 1");
		*throttle = t;
	}
	if (*p != '\0')
		return error_set(e, ERR_USAGE, "unexpected '%s'",
		    array_context(p, ctx));
	return 0;
}

/* qsort's order of indices. */
static int
array_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Take a SPEC apart: see array.h. */
int
array_parse(const char *text, struct array_spec *a, struct error *e)
{
	struct array_item *items = NULL;
	uint32_t *index = NULL, v;
	size_t nitems, throttle, i, n = 0, k;
	uint64_t total;
	int rc = -1;

	if (text[0] == '\0')
		return error_set(e, ERR_USAGE, "the array is empty");
	if (strlen(text) > ARRAY_SPEC_MAX)
		return error_set(e, ERR_USAGE, "it is longer than %d bytes",
		    ARRAY_SPEC_MAX);
	/* Count first, so that nothing is allocated for a SPEC that names
	   too many tasks; then fill. */
	if (array_items(text, NULL, &nitems, &total, &throttle, e) == -1)
		return -1;
	if ((items = calloc(nitems, sizeof(*items))) == NULL ||
	    (index = calloc((size_t)total, sizeof(*index))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (array_items(text, items, &nitems, &total, &throttle, e) == -1)
		goto out;
	for (i = 0; i < nitems; i++)
		for (v = items[i].first;; v += items[i].step) {
			assert(n < total);
			index[n++] = v;
			/* In 64 bits: v + step may pass UINT32_MAX. */
			if ((uint64_t)v + items[i].step > items[i].last)
				break;
		}
	assert(n == total);
	qsort(index, n, sizeof(*index), array_cmp);
	for (i = k = 1; i < n; i++)
		if (index[i] != index[k - 1])
			index[k++] = index[i];
	a->index = index;
	a->n = k;
	a->throttle = throttle == 0 || throttle > k ? k : throttle;
	index = NULL;
	rc = 0;
out:
	free(items);
	free(index);
	return rc;
}

void
array_release(struct array_spec *a)
{
	free(a->index);
	a->index = NULL;
	a->n = a->throttle = 0;
}

/* The SLUICE_ARRAY_* values of task i: see array.h. */
void
array_env(const struct array_spec *a, size_t i, const char *array_id,
    char vals[ARRAY_ENV_N][ARRAY_ENV_VALUE_MAX])
{
	assert(i < a->n);
	snprintf(vals[0], ARRAY_ENV_VALUE_MAX, "%s", array_id);
	snprintf(vals[1], ARRAY_ENV_VALUE_MAX, "%u", (unsigned)a->index[i]);
	snprintf(vals[2], ARRAY_ENV_VALUE_MAX, "%zu", a->n);
	snprintf(vals[3], ARRAY_ENV_VALUE_MAX, "%u", (unsigned)a->index[0]);
	snprintf(vals[4], ARRAY_ENV_VALUE_MAX, "%u",
	    (unsigned)a->index[a->n - 1]);
}

/* An array id in hex: see array.h. */
void
array_id_format(const unsigned char rnd[ARRAY_ID_LEN / 2], char *id)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < ARRAY_ID_LEN / 2; i++) {
		id[2 * i] = hex[rnd[i] >> 4];
		id[2 * i + 1] = hex[rnd[i] & 0xf];
	}
	id[ARRAY_ID_LEN] = '\0';
}

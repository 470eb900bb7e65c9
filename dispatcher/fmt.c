/* The CLI's words: see fmt.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fmt.h"
#include "util.h"

/* The job states, their squeue codes, and whether they are final. */
static const struct {
	const char *name;
	const char *code;
	bool final;
} fmt_states[] = {
	{ "PENDING", "PD", false },
	{ "RUNNING", "R", false },
	{ "COMPLETING", "CG", false },
	{ "COMPLETED", "CD", true },
	{ "FAILED", "F", true },
	{ "TIMEOUT", "TO", true },
	{ "OUT_OF_MEMORY", "OOM", true },
	{ "CANCELLED", "CA", true },
	{ "NODE_FAIL", "NF", true },
};
#define FMT_NSTATES (sizeof(fmt_states) / sizeof(fmt_states[0]))

/* Whether s is a job id. */
bool
fmt_job_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= FMT_JOB_ID_MAX && strspn(s, "0123456789") == n;
}

/* Parse a human-readable size. */
int
fmt_size_parse(const char *s, uint64_t *out)
{
	uint64_t whole = 0, mult = 1, frac_num = 0, frac_den = 1, v;
	const char *p = s;
	int shift = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_C(1) << 53) / 10)
			return -1;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			/* Six places at most keep frac_num * 2^40 in range. */
			if (frac_den >= UINT64_C(1000000))
				return -1;
			frac_num = frac_num * 10 + (uint64_t)(*p - '0');
			frac_den *= 10;
		}
	}
	switch (*p) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		break;
	}
	if (shift > 0) {
		p++;
		if (*p == 'i' || *p == 'I')
			p++;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p != '\0')
		return -1;
	mult = UINT64_C(1) << shift;
	if (whole > (UINT64_C(1) << 53) / mult)
		return -1;
	v = whole * mult;
	/* The fraction must come to a whole number of bytes. */
	if (frac_num > 0) {
		if ((frac_num * mult) % frac_den != 0)
			return -1;
		v += frac_num * mult / frac_den;
	}
	if (v > (UINT64_C(1) << 53))
		return -1;
	*out = v;
	return 0;
}

/* Parse a positive number of seconds. */
int
fmt_seconds_parse(const char *s, double *out)
{
	char *end;
	double d;

	/* Digits and a point only: no sign, exponent, hex, inf or nan. */
	if (s[0] == '\0' || strspn(s, "0123456789.") != strlen(s))
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(d) || d <= 0)
		return -1;
	*out = d;
	return 0;
}

/* A size for people. */
void
fmt_size(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v == floor(v))
		snprintf(buf, size, "%.0f%c", v, units[u]);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
}

/* The squeue-like code of a state. */
const char *
fmt_state_code(const char *state)
{
	size_t i;

	for (i = 0; state != NULL && i < FMT_NSTATES; i++)
		if (strcmp(state, fmt_states[i].name) == 0)
			return fmt_states[i].code;
	return "?";
}

/* A job state from a name or a code. */
const char *
fmt_state_canonical(const char *arg)
{
	size_t i;

	for (i = 0; i < FMT_NSTATES; i++)
		if (strcasecmp(arg, fmt_states[i].name) == 0 ||
		    strcasecmp(arg, fmt_states[i].code) == 0)
			return fmt_states[i].name;
	return NULL;
}

/* The index of a state. */
int
fmt_state_index(const char *state)
{
	size_t i;

	for (i = 0; state != NULL && i < FMT_NSTATES; i++)
		if (strcmp(state, fmt_states[i].name) == 0)
			return (int)i;
	return -1;
}

/* The name of a state by index. */
const char *
fmt_state_name(int i)
{
	return i >= 0 && (size_t)i < FMT_NSTATES ? fmt_states[i].name : NULL;
}

/* Whether a state is final. */
bool
fmt_state_final(const char *state)
{
	size_t i;

	for (i = 0; state != NULL && i < FMT_NSTATES; i++)
		if (strcmp(state, fmt_states[i].name) == 0)
			return fmt_states[i].final;
	return false;
}

/* Read exactly n digits at s into *v. */
static bool
fmt_digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* Parse an RFC 3339 time. */
int
fmt_time_parse(const char *s, double *out)
{
	int year, mon, day, hour, min, sec, oh, om;
	double frac = 0, scale = 0.1;
	struct tm tm;
	time_t t;
	const char *p;

	if (!fmt_digits(s, 4, &year) || s[4] != '-' ||
	    !fmt_digits(s + 5, 2, &mon) || s[7] != '-' ||
	    !fmt_digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
	    !fmt_digits(s + 11, 2, &hour) || s[13] != ':' ||
	    !fmt_digits(s + 14, 2, &min) || s[16] != ':' ||
	    !fmt_digits(s + 17, 2, &sec))
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 ||
	    min > 59 || sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		;
	else if ((*p == '+' || *p == '-') && fmt_digits(p + 1, 2, &oh) &&
	    p[3] == ':' && fmt_digits(p + 4, 2, &om) && p[6] == '\0' &&
	    oh < 24 && om < 60)
		t -= (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
	else
		return -1;
	*out = (double)t + frac;
	return 0;
}

/* Seconds in a unit of fmt_when_parse()'s now-N: its words, or -1. */
static double
fmt_unit_seconds(const char *u)
{
	static const struct {
		const char *name;
		double seconds;
	} units[] = {
		{ "", 1 },
		{ "s", 1 },
		{ "sec", 1 },
		{ "second", 1 },
		{ "seconds", 1 },
		{ "m", 60 },
		{ "min", 60 },
		{ "minute", 60 },
		{ "minutes", 60 },
		{ "h", 3600 },
		{ "hour", 3600 },
		{ "hours", 3600 },
		{ "d", 86400 },
		{ "day", 86400 },
		{ "days", 86400 },
		{ "w", 604800 },
		{ "week", 604800 },
		{ "weeks", 604800 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(u, units[i].name) == 0)
			return units[i].seconds;
	return -1;
}

/* Local midnight of the day days after now's (days may be negative). */
static int
fmt_midnight(double now, int days, double *out)
{
	time_t t = (time_t)now;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*out = (double)t;
	return 0;
}

/* Parse a point in time for --since and --until. */
int
fmt_when_parse(const char *s, double now, double *out)
{
	int year, mon, day, hour = 0, min = 0, sec = 0;
	size_t n = strlen(s);
	double v, unit;
	struct tm tm, back;
	time_t t;
	char *end;

	if (fmt_time_parse(s, out) == 0)
		return 0;
	if (strcasecmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strcasecmp(s, "today") == 0 || strcasecmp(s, "midnight") == 0)
		return fmt_midnight(now, 0, out);
	if (strcasecmp(s, "yesterday") == 0)
		return fmt_midnight(now, -1, out);
	if (strncasecmp(s, "now", 3) == 0 && (s[3] == '-' || s[3] == '+')) {
		/* Digits only: no sign, exponent, hex, inf or nan. */
		if (s[4] < '0' || s[4] > '9')
			return -1;
		errno = 0;
		v = strtod(s + 4, &end);
		/* strtod() reads no further than the digits and the point:
		   no exponent, no hex. */
		if (errno != 0 || !isfinite(v) ||
		    end != s + 4 + strspn(s + 4, "0123456789.") ||
		    (unit = fmt_unit_seconds(end)) < 0 || v * unit > 1e11)
			return -1;
		*out = s[3] == '-' ? now - v * unit : now + v * unit;
		return 0;
	}
	/* YYYY-MM-DD[THH:MM[:SS]], local time. */
	if ((n != 10 && n != 16 && n != 19) || !fmt_digits(s, 4, &year) ||
	    s[4] != '-' || !fmt_digits(s + 5, 2, &mon) || s[7] != '-' ||
	    !fmt_digits(s + 8, 2, &day))
		return -1;
	if (n > 10 &&
	    ((s[10] != 'T' && s[10] != 't') || !fmt_digits(s + 11, 2, &hour) ||
		s[13] != ':' || !fmt_digits(s + 14, 2, &min)))
		return -1;
	if (n == 19 && (s[16] != ':' || !fmt_digits(s + 17, 2, &sec)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	back = tm;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	/* mktime() normalizes: 2026-02-30 and 24:00 are not dates. */
	if (tm.tm_year != back.tm_year || tm.tm_mon != back.tm_mon ||
	    tm.tm_mday != back.tm_mday || tm.tm_min != back.tm_min ||
	    tm.tm_sec != back.tm_sec)
		return -1;
	*out = (double)t;
	return 0;
}

/* Unix seconds as the dispatcher writes times. */
void
fmt_time_utc(double t, char *buf, size_t size)
{
	double ms = isfinite(t) ? floor(t * 1000 + 0.5) : 0;
	time_t sec = (time_t)floor(ms / 1000);
	struct tm tm;
	char base[32];

	/* To the nearest millisecond: 0.001 is not 0.000999... */
	if (!isfinite(t) || fabs(t) > 1e15 || gmtime_r(&sec, &tm) == NULL) {
		snprintf(buf, size, "%s", "");
		return;
	}
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", base, (int)(ms - (double)sec * 1000));
}

/* Format elapsed seconds like squeue's TIME. */
void
fmt_elapsed(double seconds, char *buf, size_t size)
{
	long long s = seconds > 0 && isfinite(seconds) ? (long long)seconds : 0;
	long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;

	if (d > 0)
		snprintf(buf, size, "%lld-%02lld:%02lld:%02lld", d, h, m,
		    s % 60);
	else if (h > 0)
		snprintf(buf, size, "%lld:%02lld:%02lld", h, m, s % 60);
	else
		snprintf(buf, size, "%lld:%02lld", m, s % 60);
}

/* The seconds a job has run. */
double
fmt_job_elapsed(const json_t *job, double now)
{
	const char *started = fmt_json_str(job, "attempt_started_at");
	const char *finished = fmt_json_str(job, "finished_at");
	const char *state = fmt_json_str(job, "state");
	double a, b = now;

	/* A job that waits has not run yet, requeued or not (squeue's PD). */
	if (state != NULL && strcmp(state, "PENDING") == 0)
		return 0;
	/* A dispatcher from before attempt_started_at. */
	if (started == NULL)
		started = fmt_json_str(job, "started_at");
	if (started == NULL || fmt_time_parse(started, &a) == -1)
		return 0;
	if (finished != NULL && fmt_time_parse(finished, &b) == -1)
		b = now;
	return b > a ? b - a : 0;
}

/* The cells of a job's line. */
void
fmt_job_row(const json_t *job, double now, struct fmt_job_row *row)
{
	const char *state = fmt_json_str(job, "state");
	const char *node = fmt_json_str(job, "node");
	const char *reason = fmt_json_str(job, "reason");
	const char *s;

	memset(row, 0, sizeof(*row));
	snprintf(row->id, sizeof(row->id), "%s",
	    (s = fmt_json_str(job, "id")) != NULL ? s : "");
	snprintf(row->tenant, sizeof(row->tenant), "%s",
	    (s = fmt_json_str(job, "tenant")) != NULL ? s : "");
	snprintf(row->runtime, sizeof(row->runtime), "%s",
	    (s = fmt_json_str(job, "runtime")) != NULL ? s : "");
	snprintf(row->st, sizeof(row->st), "%s", fmt_state_code(state));
	fmt_elapsed(fmt_job_elapsed(job, now), row->time, sizeof(row->time));
	if (reason == NULL || reason[0] == '\0')
		reason = "None";
	/* squeue's NODELIST(REASON): why a pending job waits. */
	if ((state != NULL && strcmp(state, "PENDING") == 0) || node == NULL ||
	    node[0] == '\0')
		snprintf(row->where, sizeof(row->where), "(%s)", reason);
	else
		snprintf(row->where, sizeof(row->where), "%s", node);
}

/* A JSON integer as text, or "" if v is not one. */
static void
fmt_int_text(const json_t *v, char *buf, size_t size)
{
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else
		buf[0] = '\0';
}

/* The cells of a node's line. */
void
fmt_node_row(const json_t *node, struct fmt_node_row *row)
{
	const json_t *rt = json_object_get(node, "runtimes"), *v;
	const char *s;
	size_t i, n;

	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s",
	    (s = fmt_json_str(node, "name")) != NULL ? s : "");
	snprintf(row->state, sizeof(row->state), "%s",
	    (s = fmt_json_str(node, "state")) != NULL ? s : "");
	fmt_int_text(json_object_get(node, "slots"), row->slots,
	    sizeof(row->slots));
	fmt_int_text(json_object_get(node, "busy"), row->busy,
	    sizeof(row->busy));
	json_array_foreach (rt, i, v) {
		s = json_is_string(v) ? json_string_value(v)
				      : fmt_json_str(v, "name");
		if (s == NULL)
			continue;
		n = strlen(row->runtimes);
		snprintf(row->runtimes + n, sizeof(row->runtimes) - n, "%s%s",
		    n > 0 ? "," : "", s);
	}
	json_array_foreach (json_object_get(node, "labels"), i, v) {
		if (!json_is_string(v))
			continue;
		n = strlen(row->labels);
		snprintf(row->labels + n, sizeof(row->labels) - n, "%s%s",
		    n > 0 ? "," : "", json_string_value(v));
	}
	snprintf(row->last_seen, sizeof(row->last_seen), "%s",
	    (s = fmt_json_str(node, "last_seen")) != NULL ? s : "");
	snprintf(row->reason, sizeof(row->reason), "%s",
	    (s = fmt_json_str(node, "reason")) != NULL ? s : "");
}

/* A string member of obj. */
const char *
fmt_json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Whether buf is UTF-8 text without NUL bytes. */
bool
fmt_utf8_text(const unsigned char *buf, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		unsigned char c = buf[i];

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((buf[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (buf[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, and past U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n + 1;
	}
	return true;
}

/* Base64 of buf. */
char *
fmt_base64(const unsigned char *buf, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out, *o;
	size_t i;
	uint32_t v;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	o = out;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)buf[i] << 16 | (uint32_t)buf[i + 1] << 8 |
		    buf[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = tab[v & 63];
	}
	if (i < len) {
		v = (uint32_t)buf[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)buf[i + 1] << 8;
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Make s safe for a terminal: C0 and C1 controls become '?'. */
void
fmt_printable(char *s)
{
	size_t n = strlen(s);

	for (; *s != '\0'; s++, n--)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
		else if (util_c1_at(s, n)) {
			s[0] = s[1] = '?';
			s++;
			n--;
		}
}

/* JSON text into an evbuffer: see jsonw.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "log.h"

/* Out of memory half way through an answer is out of memory: as when
   jansson could not build the tree, the daemon stops rather than send a
   text cut short. */
static void
jw_add(struct evbuffer *b, const void *data, size_t len)
{
	if (evbuffer_add(b, data, len) == -1)
		fatal("out of memory");
}

void
jw_raw(struct evbuffer *b, const char *text)
{
	jw_add(b, text, strlen(text));
}

void
jw_open(struct jw *w, struct evbuffer *b)
{
	w->b = b;
	w->first = true;
	jw_raw(b, "{");
}

void
jw_close(struct jw *w)
{
	jw_raw(w->b, "}");
}

/* One evbuffer_add per key or number: a printf into the buffer cost more
   than the rest of a job object. */
void
jw_key(struct jw *w, const char *key)
{
	char text[64];
	size_t n = strlen(key), at = 0;

	if (n > sizeof(text) - 4)
		n = sizeof(text) - 4;
	if (!w->first)
		text[at++] = ',';
	text[at++] = '"';
	memcpy(text + at, key, n);
	at += n;
	text[at++] = '"';
	text[at++] = ':';
	jw_add(w->b, text, at);
	w->first = false;
}

/* RFC 3629: no overlong form, no surrogate, nothing past U+10FFFF. */
size_t
jw_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, k;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (k = 2; k < need; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return need;
}

/* The bytes JSON escapes by a letter, and the letters. */
#define JW_NAMED "\"\\\b\f\n\r\t"
#define JW_NAMES "\"\\bfnrt"

void
jw_str(struct evbuffer *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, n;
	const char *named;
	char esc[8];

	jw_add(b, "\"", 1);
	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' &&
		    p[i] != '\\') {
			i++;
			continue;
		}
		if (p[i] >= 0x80 && (n = jw_utf8_len(p + i, len - i)) > 0) {
			i += n;
			continue;
		}
		/* Write the plain run before this byte, then the byte. */
		jw_add(b, s + run, i - run);
		if (p[i] != '\0' && (named = strchr(JW_NAMED, p[i])) != NULL) {
			esc[0] = '\\';
			esc[1] = JW_NAMES[named - JW_NAMED];
			jw_add(b, esc, 2);
		} else if (p[i] < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04X", p[i]);
			jw_add(b, esc, 6);
		} else /* not UTF-8 */
			jw_add(b, "\xef\xbf\xbd", 3);
		run = ++i;
	}
	jw_add(b, s + run, len - run);
	jw_add(b, "\"", 1);
}

void
jw_string(struct evbuffer *b, const char *s)
{
	jw_str(b, s, strlen(s));
}

void
jw_str_or_null(struct evbuffer *b, const char *s)
{
	if (s[0] == '\0')
		jw_null(b);
	else
		jw_string(b, s);
}

void
jw_int(struct evbuffer *b, int64_t v)
{
	char text[24];
	size_t at = sizeof(text);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		text[--at] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		text[--at] = '-';
	jw_add(b, text + at, sizeof(text) - at);
}

/* As jansson's dump with JSON_REAL_PRECISION(10). */
void
jw_real(struct evbuffer *b, double v)
{
	char text[64], *e, *digits, *start;
	int n;

	/* jansson has no real that is not finite. */
	if (!isfinite(v) ||
	    (n = snprintf(text, sizeof(text), "%.10g", v)) < 0 ||
	    (size_t)n >= sizeof(text) - 2) {
		jw_null(b);
		return;
	}
	if ((e = strchr(text, 'e')) == NULL) {
		if (strchr(text, '.') == NULL)
			memcpy(text + n, ".0", 3);
	} else {
		/* "1e+21" as "1e21" and "1e-07" as "1e-7", as jansson. */
		digits = ++e;
		if (*e == '-')
			digits++;
		start = digits + (*e == '+' ? 1 : 0);
		while (*start == '0' && start[1] != '\0')
			start++;
		memmove(*e == '+' ? e : digits, start, strlen(start) + 1);
	}
	jw_add(b, text, strlen(text));
}

void
jw_int_or_null(struct evbuffer *b, bool have, int64_t v)
{
	if (have)
		jw_int(b, v);
	else
		jw_null(b);
}

void
jw_real_or_null(struct evbuffer *b, bool have, double v)
{
	if (have)
		jw_real(b, v);
	else
		jw_null(b);
}

void
jw_bool(struct evbuffer *b, bool v)
{
	if (v)
		jw_add(b, "true", 4);
	else
		jw_add(b, "false", 5);
}

void
jw_null(struct evbuffer *b)
{
	jw_add(b, "null", 4);
}

/* Dumped whole before it is added, so that a dump that fails half way
   leaves nothing behind its null. */
void
jw_json(struct evbuffer *b, const json_t *v)
{
	char *text = NULL;

	if (v == NULL ||
	    (text = json_dumps(v,
		 JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10))) ==
		NULL)
		jw_null(b);
	else
		jw_add(b, text, strlen(text));
	free(text);
}

/*
 * Unit tests for dispatcher/jsonw.c: what it writes is compared with what
 * jansson writes for the same value (the API's text did not change when
 * the job object stopped being a jansson tree), and a string that is not
 * UTF-8 still gives JSON.
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <jansson.h>

#include "jsonw.h"

/* The buffer's text as a new C string; the buffer is freed. */
static char *
text_of(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	assert_non_null(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

/* What jansson writes for v (consumed), as the API's replies dump. */
static char *
jansson_of(json_t *v)
{
	char *s;

	assert_non_null(v);
	s = json_dumps(v,
	    JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
	assert_non_null(s);
	json_decref(v);
	return s;
}

static void
check_str(const char *s, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	char *ours, *theirs;

	jw_str(b, s, len);
	ours = text_of(b);
	theirs = jansson_of(json_stringn(s, len));
	assert_string_equal(ours, theirs);
	free(ours);
	free(theirs);
}

static void
jw_str__as_jansson__every_ascii_byte_and_utf8(void **state)
{
	static const char *const samples[] = { "", "plain", "a\"b\\c/d",
		"tab\there\nnl\r\b\f", "\x01\x1f\x7f", "caf\xc3\xa9",
		"\xe2\x82\xac euro", "\xf0\x9f\x98\x80 face",
		"\xef\xbb\xbf bom", "\xed\x9f\xbf last before surrogates",
		"\xf4\x8f\xbf\xbf max" };
	char one[2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		check_str(samples[i], strlen(samples[i]));
	for (i = 0; i < 0x80; i++) {
		one[0] = (char)i;
		check_str(one, 1); /* a NUL too: the length is given */
	}
}

/* Every byte of bad is not UTF-8: each must come out as U+FFFD, the
   text must be JSON, and the good bytes around them kept. */
static void
check_bad(const char *bad, size_t len, size_t nbad)
{
	struct evbuffer *b = evbuffer_new();
	char *in, *ours, expect[256];
	json_t *back;
	size_t i;

	in = malloc(len + 2);
	assert_non_null(in);
	in[0] = 'a';
	memcpy(in + 1, bad, len);
	in[len + 1] = 'z';
	jw_str(b, in, len + 2);
	ours = text_of(b);
	back = json_loads(ours, JSON_DECODE_ANY, NULL);
	assert_non_null(back);
	strcpy(expect, "a");
	for (i = 0; i < nbad; i++)
		strcat(expect, "\xef\xbf\xbd");
	strcat(expect, "z");
	assert_string_equal(json_string_value(back), expect);
	json_decref(back);
	free(ours);
	free(in);
}

static void
jw_str__not_utf8__replaced_and_still_json(void **state)
{
	(void)state;
	check_bad("\x80", 1, 1); /* a lone continuation */
	check_bad("\xff\xfe", 2, 2); /* never in UTF-8 */
	check_bad("\xc0\xaf", 2, 2); /* overlong '/' */
	check_bad("\xe0\x80\xaf", 3, 3); /* overlong, three bytes */
	check_bad("\xed\xa0\x80", 3, 3); /* a surrogate */
	check_bad("\xf4\x90\x80\x80", 4, 4); /* past U+10FFFF */
	check_bad("\xc3", 1, 1); /* cut short at the end */
	check_bad("\xe2\x82", 2, 2); /* cut short */
	check_bad("\xf0\x9f\x98", 3, 3);
}

/* jw_utf8_len agrees with jansson on every 1 to 4 byte prefix class. */
static void
jw_utf8_len__agrees_with_jansson(void **state)
{
	unsigned char s[4];
	unsigned a, b;
	json_t *v;
	size_t n;

	(void)state;
	for (a = 0x80; a < 0x100; a++)
		for (b = 0; b < 0x100; b++) {
			s[0] = (unsigned char)a;
			s[1] = (unsigned char)b;
			s[2] = 0x80;
			s[3] = 0x80;
			n = jw_utf8_len(s, 4);
			if (n == 0)
				continue;
			/* What we accept, jansson accepts... */
			v = json_stringn((const char *)s, n);
			assert_non_null(v);
			json_decref(v);
		}
	/* ...and what jansson accepts of two leading bytes, we do. */
	for (a = 0xc0; a < 0x100; a++)
		for (b = 0x80; b < 0xc0; b++) {
			s[0] = (unsigned char)a;
			s[1] = (unsigned char)b;
			s[2] = s[3] = 0x80;
			n = a < 0xe0 ? 2 : a < 0xf0 ? 3 : 4;
			v = json_stringn((const char *)s, n);
			assert_int_equal(jw_utf8_len(s, 4) == n, v != NULL);
			json_decref(v);
		}
}

static void
jw_numbers__as_jansson(void **state)
{
	static const double reals[] = { 0, 1, -1, 0.5, 0.1, 1e-7, 123456789,
		1234567890123.0, 1e21, 1.5e300, -2.25, 3.14159265358979 };
	static const int64_t ints[] = { 0, 1, -1, 9, 10, 4294967296LL,
		INT64_MAX, INT64_MIN };
	struct evbuffer *b;
	char *ours, *theirs;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		b = evbuffer_new();
		jw_real(b, reals[i]);
		ours = text_of(b);
		theirs = jansson_of(json_real(reals[i]));
		assert_string_equal(ours, theirs);
		free(ours);
		free(theirs);
	}
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		b = evbuffer_new();
		jw_int(b, ints[i]);
		ours = text_of(b);
		theirs = jansson_of(json_integer((json_int_t)ints[i]));
		assert_string_equal(ours, theirs);
		free(ours);
		free(theirs);
	}
	/* jansson has no such real; ours is null, not a bare word. */
	b = evbuffer_new();
	jw_real(b, INFINITY);
	jw_real(b, NAN);
	ours = text_of(b);
	assert_string_equal(ours, "nullnull");
	free(ours);
}

static void
jw_object__as_jansson(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char *ours, *theirs;
	json_t *small;
	struct jw w, inner;

	(void)state;
	small = json_pack("{s:[s,s], s:f}", "l", "x", "y", "cpu", 2.0);
	jw_open(&w, b);
	jw_key(&w, "id");
	jw_str(b, "42", 2);
	jw_key(&w, "none");
	jw_str_or_null(b, "");
	jw_key(&w, "yes");
	jw_bool(b, true);
	jw_key(&w, "no");
	jw_bool(b, false);
	jw_key(&w, "inner");
	jw_open(&inner, b);
	jw_key(&inner, "n");
	jw_int(b, 7);
	jw_close(&inner);
	jw_key(&w, "small");
	jw_json(b, small);
	jw_key(&w, "missing");
	jw_json(b, NULL);
	jw_key(&w, "cpu");
	jw_real_or_null(b, true, 0.25);
	jw_key(&w, "wall");
	jw_real_or_null(b, false, 0.25);
	jw_key(&w, "code");
	jw_int_or_null(b, false, 3);
	jw_close(&w);
	ours = text_of(b);
	theirs = jansson_of(
	    json_pack("{s:s, s:n, s:b, s:b, s:{s:i}, s:O, s:n, s:f, s:n, s:n}",
		"id", "42", "none", "yes", 1, "no", 0, "inner", "n", 7, "small",
		small, "missing", "cpu", 0.25, "wall", "code"));
	assert_string_equal(ours, theirs);
	free(ours);
	free(theirs);
	json_decref(small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jw_str__as_jansson__every_ascii_byte_and_utf8),
		cmocka_unit_test(jw_str__not_utf8__replaced_and_still_json),
		cmocka_unit_test(jw_utf8_len__agrees_with_jansson),
		cmocka_unit_test(jw_numbers__as_jansson),
		cmocka_unit_test(jw_object__as_jansson),
	};

	return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}

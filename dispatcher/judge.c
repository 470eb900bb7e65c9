/* Expected output: see judge.h. */
#include "config.h"

#include <string.h>

#include "judge.h"

/* Whether c is whitespace that may end a line unseen. */
static bool
judge_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * The next line of s (from *at up to n) without its trailing whitespace:
 * its start and length; *at moves past its newline.  false at the end.
 */
static bool
judge_line(const unsigned char *s, size_t n, size_t *at, size_t *start,
    size_t *len)
{
	const unsigned char *nl;
	size_t end;

	if (*at >= n)
		return false;
	*start = *at;
	nl = memchr(s + *at, '\n', n - *at);
	end = nl != NULL ? (size_t)(nl - s) : n;
	*at = nl != NULL ? end + 1 : n;
	while (end > *start && judge_blank(s[end - 1]))
		end--;
	*len = end - *start;
	return true;
}

/* The length of s once every trailing line that is blank is cut. */
static size_t
judge_trim_end(const unsigned char *s, size_t n)
{
	while (n > 0 && (judge_blank(s[n - 1]) || s[n - 1] == '\n'))
		n--;
	return n;
}

/* See judge.h. */
bool
judge_same(const unsigned char *out, size_t out_len, const unsigned char *exp,
    size_t exp_len, bool exact)
{
	size_t ao = 0, ae = 0, so, lo, se, le;
	bool mo, me;

	if (exact)
		return out_len == exp_len && memcmp(out, exp, out_len) == 0;
	out_len = judge_trim_end(out, out_len);
	exp_len = judge_trim_end(exp, exp_len);
	for (;;) {
		mo = judge_line(out, out_len, &ao, &so, &lo);
		me = judge_line(exp, exp_len, &ae, &se, &le);
		if (!mo || !me)
			return mo == me;
		if (lo != le || memcmp(out + so, exp + se, lo) != 0)
			return false;
	}
}

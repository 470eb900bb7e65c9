/*
 * JSON text written straight into an evbuffer, for the answers that are
 * too hot for a jansson tree: a list of 100 jobs built as a tree, dumped
 * and freed cost the daemon about 2 ms of CPU, most of it in jansson's
 * allocations and its dump's loop check.  What is written here reads
 * back as jansson would have written it (tests/unit/test_jsonw.c compares
 * the two): compact, strings escaped alike, reals as "%.10g" with a ".0"
 * when that has neither point nor exponent.
 *
 * Out of memory is fatal (as when jansson could not build the tree), so
 * that no answer goes out cut short.
 *
 * A string that is not UTF-8 (a node's message is untrusted) is not
 * refused as jansson refuses it: each byte that does not begin a well
 * formed sequence is written as U+FFFD, so the text is always JSON.
 */
#ifndef SLUICE_DISPATCHER_JSONW_H
#define SLUICE_DISPATCHER_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <jansson.h>

/* An object being written: jw_open() writes "{", each jw_key() the comma
   it needs and "key":, jw_close() the "}".  Keys are the caller's
   literals and are written as they are. */
struct jw {
	struct evbuffer *b;
	bool first;
};

void jw_open(struct jw *w, struct evbuffer *b);
void jw_close(struct jw *w);
void jw_key(struct jw *w, const char *key);

/* Text as it is: the punctuation between values ("[", ",", "]"). */
void jw_raw(struct evbuffer *b, const char *text);

/* Values. */
void jw_str(struct evbuffer *b, const char *s, size_t len);
void jw_string(struct evbuffer *b, const char *s); /* NUL-terminated */
void jw_str_or_null(struct evbuffer *b, const char *s); /* "": null */
void jw_int(struct evbuffer *b, int64_t v);
void jw_real(struct evbuffer *b, double v);
/* v if have, else null. */
void jw_int_or_null(struct evbuffer *b, bool have, int64_t v);
void jw_real_or_null(struct evbuffer *b, bool have, double v);
void jw_bool(struct evbuffer *b, bool v);
void jw_null(struct evbuffer *b);

/* A small jansson value (NULL is written as null), dumped in place. */
void jw_json(struct evbuffer *b, const json_t *v);

/* The length of the well formed UTF-8 sequence at s (at most n bytes
   left), or 0 if the byte at s begins none. */
size_t jw_utf8_len(const unsigned char *s, size_t n);

#endif

/* Submissions as they arrive over HTTP: see request.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "callback.h"
#include "request.h"
#include "util.h"

/* What a top-level key must hold; checked before any value is. */
enum request_kind {
	REQUEST_STRING,
	REQUEST_OBJECT_OF_STRINGS,
	REQUEST_ARRAY_OF_STRINGS,
	REQUEST_OBJECT_OF_NUMBERS
};

static const struct request_key {
	const char *name;
	enum request_kind kind;
} request_keys[] = {
	{ "runtime", REQUEST_STRING },
	{ "source", REQUEST_STRING },
	{ "files", REQUEST_OBJECT_OF_STRINGS },
	{ "files_base64", REQUEST_OBJECT_OF_STRINGS },
	{ "entry", REQUEST_STRING },
	{ "stdin", REQUEST_STRING },
	{ "stdin_base64", REQUEST_STRING },
	{ "args", REQUEST_ARRAY_OF_STRINGS },
	{ "env", REQUEST_OBJECT_OF_STRINGS },
	{ "limits", REQUEST_OBJECT_OF_NUMBERS },
	{ "compile_limits", REQUEST_OBJECT_OF_NUMBERS },
	{ "labels", REQUEST_ARRAY_OF_STRINGS },
	{ "expected_output", REQUEST_STRING },
	{ "expected_output_base64", REQUEST_STRING },
	{ "compare", REQUEST_STRING },
	{ "callback_url", REQUEST_STRING },
	{ "name", REQUEST_STRING },
};

#define REQUEST_NKEYS (sizeof(request_keys) / sizeof(request_keys[0]))

/* A file of the submission while it is checked, before anything is copied. */
struct request_pending {
	const char *name;
	const char *field; /* "files" or "files_base64" */
	const char *text; /* the JSON string */
	size_t textlen;
	size_t len; /* decoded */
};

static const struct request_caps request_defaults = {
	.max_files = REQUEST_DEFAULT_MAX_FILES,
	.max_file_bytes = REQUEST_DEFAULT_MAX_FILE_BYTES,
	.max_total_bytes = REQUEST_DEFAULT_MAX_TOTAL_BYTES,
	.max_labels = REQUEST_DEFAULT_MAX_LABELS,
};

/* The 6-bit value of a base64 character of the standard alphabet, or -1. */
static int
request_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Check strict base64 and compute its decoded length, without decoding. */
static int
request_b64_scan(const char *in, size_t len, size_t *outlen)
{
	size_t i, pad = 0;

	if (len % 4 != 0)
		return -1;
	if (len > 0 && in[len - 1] == '=')
		pad++;
	if (len > 1 && in[len - 2] == '=')
		pad++;
	for (i = 0; i < len - pad; i++)
		if (request_b64_value((unsigned char)in[i]) < 0)
			return -1;
	/* Bits the padding leaves over must be zero: one encoding per input. */
	if (pad == 2 && (request_b64_value((unsigned char)in[len - 3]) & 0x0f))
		return -1;
	if (pad == 1 && (request_b64_value((unsigned char)in[len - 2]) & 0x03))
		return -1;
	*outlen = len / 4 * 3 - pad;
	return 0;
}

/* Decode base64 that request_b64_scan() accepted into out. */
static void
request_b64_decode_into(const char *in, size_t len, unsigned char *out)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	for (i = 0; i < len && in[i] != '='; i++) {
		acc = ((acc << 6) |
			  (uint32_t)request_b64_value((unsigned char)in[i])) &
		    0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
}

/* Decode strict standard base64 into a new buffer. */
int
request_base64_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char *buf;
	size_t n;

	if (request_b64_scan(in, len, &n) == -1) {
		errno = EINVAL;
		return -1;
	}
	if ((buf = malloc(n + 1)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	request_b64_decode_into(in, len, buf);
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

/* Lenient base64 made strict. */
char *
request_base64_tidy(const char *in, size_t len)
{
	size_t i, n = 0, out;
	char *t;

	if (len > SIZE_MAX - 4 || (t = malloc(len + 4)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < len; i++)
		if (in[i] != ' ' && in[i] != '\t' && in[i] != '\r' &&
		    in[i] != '\n' && in[i] != '\f' && in[i] != '\v')
			t[n++] = in[i];
	while (n % 4 != 0)
		t[n++] = '=';
	t[n] = '\0';
	if (request_b64_scan(t, n, &out) == -1) {
		free(t);
		errno = EINVAL;
		return NULL;
	}
	return t;
}

/* Replace every byte outside printable ASCII in s with '?'. */
static void
request_ascii(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/* Name field as the one at fault in e, keeping e's code and message. */
static int
request_blame(struct error *e, const char *field)
{
	if (e != NULL)
		snprintf(e->field, sizeof(e->field), "%s", field);
	return -1;
}

/* Whether the JSON string v holds a NUL byte. */
static bool
request_has_nul(const json_t *v)
{
	return strlen(json_string_value(v)) != json_string_length(v);
}

/* A copy of len bytes of s followed by a NUL, or NULL. */
static void *
request_memdup(const void *s, size_t len)
{
	unsigned char *p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Check that v holds what key kind says (the 400 half of the checks). */
static int
request_check_kind(const char *key, enum request_kind kind, const json_t *v,
    struct error *e)
{
	const char *k;
	json_t *m;
	size_t i;

	switch (kind) {
	case REQUEST_STRING:
		if (!json_is_string(v))
			return error_set_field(e, ERR_INVALID, key,
			    "'%s' must be a string", key);
		return 0;
	case REQUEST_ARRAY_OF_STRINGS:
		if (!json_is_array(v))
			return error_set_field(e, ERR_INVALID, key,
			    "'%s' must be an array of strings", key);
		json_array_foreach (v, i, m)
			if (!json_is_string(m))
				return error_set_field(e, ERR_INVALID, key,
				    "'%s' must be an array of strings "
				    "(element %zu is not a string)",
				    key, i);
		return 0;
	case REQUEST_OBJECT_OF_STRINGS:
		if (!json_is_object(v))
			return error_set_field(e, ERR_INVALID, key,
			    "'%s' must be an object of strings", key);
		json_object_foreach ((json_t *)v, k, m)
			if (!json_is_string(m))
				return error_set_field(e, ERR_INVALID, key,
				    "'%s': the value of '%.64s' must be a "
				    "string",
				    key, k);
		return 0;
	case REQUEST_OBJECT_OF_NUMBERS:
		if (!json_is_object(v))
			return error_set_field(e, ERR_INVALID, key,
			    "'%s' must be an object of numbers", key);
		json_object_foreach ((json_t *)v, k, m)
			if (!json_is_number(m))
				return error_set_field(e, ERR_INVALID, key,
				    "'%s': '%.64s' must be a number", key, k);
		return 0;
	}
	return error_set(e, ERR_INTERNAL, "unknown request kind");
}

/* Check the shape of the body: known keys, JSON types, forms not mixed. */
static int
request_check_shape(const json_t *root, struct error *e)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(root))
		return error_set(e, ERR_INVALID,
		    "the request body must be a JSON object");
	json_object_foreach ((json_t *)root, key, v) {
		for (i = 0; i < REQUEST_NKEYS; i++)
			if (strcmp(request_keys[i].name, key) == 0)
				break;
		if (i == REQUEST_NKEYS)
			return error_set_field(e, ERR_INVALID, key,
			    "unknown field '%.64s'", key);
		if (request_check_kind(key, request_keys[i].kind, v, e) == -1)
			return -1;
	}
	if (json_object_get(root, "runtime") == NULL)
		return error_set_field(e, ERR_INVALID, "runtime",
		    "'runtime' is missing");
	if (json_object_get(root, "source") != NULL) {
		if (json_object_get(root, "files") != NULL ||
		    json_object_get(root, "files_base64") != NULL ||
		    json_object_get(root, "entry") != NULL)
			return error_set_field(e, ERR_INVALID, "source",
			    "'source' (the short form) cannot be combined "
			    "with 'files', 'files_base64' or 'entry'");
	} else if (json_object_get(root, "files") == NULL &&
	    json_object_get(root, "files_base64") == NULL)
		return error_set_field(e, ERR_INVALID, "files",
		    "no program: give 'source', or 'files' and 'entry'");
	if (json_object_get(root, "stdin") != NULL &&
	    json_object_get(root, "stdin_base64") != NULL)
		return error_set_field(e, ERR_INVALID, "stdin",
		    "'stdin' and 'stdin_base64' cannot both be given");
	if (json_object_get(root, "expected_output") != NULL &&
	    json_object_get(root, "expected_output_base64") != NULL)
		return error_set_field(e, ERR_INVALID, "expected_output",
		    "'expected_output' and 'expected_output_base64' cannot "
		    "both be given");
	return 0;
}

/* Order pending files by name, for duplicate and prefix checks. */
static int
request_pending_cmp(const void *a, const void *b)
{
	const struct request_pending *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Find name in the sorted pending files. */
static const struct request_pending *
request_pending_find(const struct request_pending *p, size_t n,
    const char *name)
{
	struct request_pending key = { .name = name };

	return bsearch(&key, p, n, sizeof(*p), request_pending_cmp);
}

/*
 * Refuse a name given twice (once in "files", once in "files_base64") and
 * a name that is also a directory of another: both would fight over one
 * path when the spool writes them.  p is sorted by name.
 */
static int
request_check_names(const struct request_pending *p, size_t n, struct error *e)
{
	char prefix[UTIL_PATH_MAX + 1];
	const struct request_pending *q;
	const char *slash;
	size_t i;

	for (i = 1; i < n; i++)
		if (strcmp(p[i - 1].name, p[i].name) == 0)
			return error_set_field(e, ERR_INVALID, "files_base64",
			    "file '%.64s' is given in both 'files' and "
			    "'files_base64'",
			    p[i].name);
	for (i = 0; i < n; i++) {
		for (slash = strchr(p[i].name, '/'); slash != NULL;
		     slash = strchr(slash + 1, '/')) {
			/* util_path_check() bounds names to UTIL_PATH_MAX. */
			memcpy(prefix, p[i].name, (size_t)(slash - p[i].name));
			prefix[slash - p[i].name] = '\0';
			if ((q = request_pending_find(p, n, prefix)) != NULL)
				return error_set_field(e, ERR_INVALID,
				    p[i].field,
				    "'%.64s' is a file, so '%.64s' cannot be "
				    "inside it",
				    q->name, p[i].name);
		}
	}
	return 0;
}

/* See request.h. */
const char *
request_source_name(const char *runtime)
{
	static const struct {
		const char *runtime, *file;
	} names[] = { { "c", "main.c" }, { "cpp", "main.cpp" },
		{ "java", "Main.java" }, { "javascript", "main.js" } };
	size_t i;

	for (i = 0; runtime != NULL && i < sizeof(names) / sizeof(names[0]);
	     i++)
		if (strcmp(runtime, names[i].runtime) == 0)
			return names[i].file;
	return REQUEST_ENTRY_DEFAULT;
}

/*
 * Collect the files of the body into p (at most caps->max_files, already
 * counted), checking names, base64 and sizes without copying anything.
 * *total is the decoded size of them all.
 */
static int
request_collect(const json_t *root, const struct request_caps *caps,
    struct request_pending *p, size_t *np, uint64_t *total, int *status,
    struct error *e)
{
	static const char *fields[] = { "files", "files_base64" };
	const json_t *obj, *src;
	const char *name;
	json_t *v;
	size_t n = 0, f;

	*total = 0;
	if ((src = json_object_get(root, "source")) != NULL) {
		p[0].name = request_source_name(
		    json_string_value(json_object_get(root, "runtime")));
		p[0].field = "source";
		p[0].text = json_string_value(src);
		p[0].textlen = p[0].len = json_string_length(src);
		n = 1;
	}
	for (f = 0; src == NULL && f < 2; f++) {
		if ((obj = json_object_get(root, fields[f])) == NULL)
			continue;
		json_object_foreach ((json_t *)obj, name, v) {
			if (util_path_check(name, fields[f], e) == -1)
				return -1;
			p[n].name = name;
			p[n].field = fields[f];
			p[n].text = json_string_value(v);
			p[n].textlen = json_string_length(v);
			if (f == 0)
				p[n].len = p[n].textlen;
			else if (request_b64_scan(p[n].text, p[n].textlen,
				     &p[n].len) == -1)
				return error_set_field(e, ERR_INVALID,
				    fields[f],
				    "file '%.64s' is not valid base64 "
				    "(standard alphabet, padded, no spaces)",
				    name);
			n++;
		}
	}
	for (f = 0; f < n; f++) {
		if (p[f].len > caps->max_file_bytes) {
			*status = 413;
			return error_set_field(e, ERR_REFUSED, p[f].field,
			    "file '%.64s' is larger than %llu bytes", p[f].name,
			    (unsigned long long)caps->max_file_bytes);
		}
		*total += p[f].len;
		if (*total > caps->max_total_bytes) {
			*status = 413;
			return error_set_field(e, ERR_REFUSED, p[f].field,
			    "the files are larger than %llu bytes together",
			    (unsigned long long)caps->max_total_bytes);
		}
	}
	if (n == 0)
		return error_set_field(e, ERR_INVALID, "files",
		    "no files were submitted");
	qsort(p, n, sizeof(*p), request_pending_cmp);
	if (request_check_names(p, n, e) == -1)
		return -1;
	*np = n;
	return 0;
}

/* Copy the collected files into sub, decoding base64, in body order. */
static int
request_copy_files(const json_t *root, const struct request_pending *p,
    size_t n, struct submission *sub, struct error *e)
{
	static const char *fields[] = { "files", "files_base64" };
	const struct request_pending *q;
	struct request_file *rf;
	const json_t *obj;
	const char *name;
	json_t *v;
	size_t f;

	if ((sub->files = calloc(n, sizeof(*sub->files))) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	if (json_object_get(root, "source") != NULL) {
		rf = &sub->files[sub->nfiles++];
		rf->name = strdup(p[0].name);
		rf->data = request_memdup(p[0].text, p[0].len);
		rf->len = p[0].len;
		if (rf->name == NULL || rf->data == NULL)
			return error_set(e, ERR_NOMEM, "out of memory");
		return 0;
	}
	for (f = 0; f < 2; f++) {
		if ((obj = json_object_get(root, fields[f])) == NULL)
			continue;
		json_object_foreach ((json_t *)obj, name, v) {
			/* request_collect() put every name in p. */
			if ((q = request_pending_find(p, n, name)) == NULL)
				return error_set(e, ERR_INTERNAL,
				    "file '%.64s' was not collected", name);
			rf = &sub->files[sub->nfiles++];
			rf->name = strdup(name);
			rf->data = malloc(q->len + 1);
			if (rf->name == NULL || rf->data == NULL)
				return error_set(e, ERR_NOMEM, "out of memory");
			if (f == 0)
				memcpy(rf->data, q->text, q->len);
			else
				request_b64_decode_into(q->text, q->textlen,
				    rf->data);
			rf->data[q->len] = '\0';
			rf->len = q->len;
		}
	}
	return 0;
}

/*
 * Check and copy name or name_base64 (text, or base64 of any bytes) into
 * *data (NUL-terminated, *len bytes); *data stays NULL if neither is given.
 * At most max bytes decoded, else 413 saying what the cap is.
 */
static int
request_bytes(const json_t *root, const char *name, uint64_t max,
    const char *cap, unsigned char **data, size_t *len, int *status,
    struct error *e)
{
	char field[48];
	const char *text;
	const json_t *v;
	size_t textlen, n;
	bool b64 = false;

	snprintf(field, sizeof(field), "%s", name);
	if ((v = json_object_get(root, field)) == NULL) {
		snprintf(field, sizeof(field), "%s_base64", name);
		if ((v = json_object_get(root, field)) == NULL)
			return 0;
		b64 = true;
	}
	text = json_string_value(v);
	textlen = n = json_string_length(v);
	if (b64 && request_b64_scan(text, textlen, &n) == -1)
		return error_set_field(e, ERR_INVALID, field,
		    "'%s' is not valid base64 (standard alphabet, padded, no "
		    "spaces)",
		    field);
	if (n > max) {
		*status = 413;
		return error_set_field(e, ERR_REFUSED, field, "%s", cap);
	}
	if ((*data = malloc(n + 1)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	if (b64)
		request_b64_decode_into(text, textlen, *data);
	else
		memcpy(*data, text, n);
	(*data)[n] = '\0';
	*len = n;
	return 0;
}

/* Check and copy "stdin" or "stdin_base64"; total counts the files. */
static int
request_stdin(const json_t *root, const struct request_caps *caps,
    uint64_t total, struct submission *sub, int *status, struct error *e)
{
	char cap[96];

	snprintf(cap, sizeof(cap),
	    "the files and stdin are larger than %llu bytes together",
	    (unsigned long long)caps->max_total_bytes);
	if (request_bytes(root, "stdin", caps->max_total_bytes - total, cap,
		&sub->stdin_data, &sub->stdin_len, status, e) == -1)
		return -1;
	sub->has_stdin = sub->stdin_data != NULL;
	return 0;
}

/*
 * Check and copy "expected_output" or "expected_output_base64" (at most
 * max_file_bytes) and "compare", which needs one of them.
 */
static int
request_expected(const json_t *root, const struct request_caps *caps,
    struct submission *sub, int *status, struct error *e)
{
	const json_t *v = json_object_get(root, "compare");
	char cap[96];

	snprintf(cap, sizeof(cap),
	    "the expected output is larger than %llu bytes",
	    (unsigned long long)caps->max_file_bytes);
	if (request_bytes(root, "expected_output", caps->max_file_bytes, cap,
		&sub->expected, &sub->expected_len, status, e) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if (sub->expected == NULL)
		return error_set_field(e, ERR_INVALID, "compare",
		    "'compare' needs 'expected_output'");
	if (request_has_nul(v))
		return error_set_field(e, ERR_INVALID, "compare",
		    "'compare' holds a NUL byte");
	if (strcmp(json_string_value(v), "exact") == 0)
		sub->expected_exact = true;
	else if (strcmp(json_string_value(v), "trailing_whitespace") != 0)
		return error_set_field(e, ERR_INVALID, "compare",
		    "'compare' is \"trailing_whitespace\" (the default) or "
		    "\"exact\"");
	return 0;
}

/* Choose and check the entry among the files (sorted in p). */
static int
request_entry(const json_t *root, const struct request_pending *p, size_t n,
    struct submission *sub, struct error *e)
{
	const json_t *v = json_object_get(root, "entry");
	const char *name;

	if (v == NULL) {
		if (n != 1)
			return error_set_field(e, ERR_INVALID, "entry",
			    "'entry' is required when there are %zu files", n);
		name = p[0].name;
	} else {
		name = json_string_value(v);
		if (request_has_nul(v))
			return error_set_field(e, ERR_INVALID, "entry",
			    "'entry' holds a NUL character");
		if (util_path_check(name, "entry", e) == -1)
			return -1;
		if (request_pending_find(p, n, name) == NULL)
			return error_set_field(e, ERR_INVALID, "entry",
			    "'entry' names '%.64s', which is not a submitted "
			    "file",
			    name);
	}
	if ((sub->entry = strdup(name)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

/* Check and copy "args" within manifest.h's bounds. */
static int
request_args(const json_t *root, struct submission *sub, struct error *e)
{
	const json_t *a = json_object_get(root, "args");
	json_t *v;
	size_t i;

	if (a == NULL)
		return 0;
	if (json_array_size(a) > MANIFEST_ARGS_MAX)
		return error_set_field(e, ERR_INVALID, "args",
		    "more than %d arguments", MANIFEST_ARGS_MAX);
	json_array_foreach (a, i, v) {
		if (request_has_nul(v))
			return error_set_field(e, ERR_INVALID, "args",
			    "argument %zu holds a NUL character", i);
		if (json_string_length(v) > MANIFEST_ARG_BYTES)
			return error_set_field(e, ERR_INVALID, "args",
			    "argument %zu is longer than %d bytes", i,
			    MANIFEST_ARG_BYTES);
	}
	if ((sub->args = calloc(json_array_size(a) + 1, sizeof(char *))) ==
	    NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	json_array_foreach (a, i, v) {
		if ((sub->args[i] = strdup(json_string_value(v))) == NULL)
			return error_set(e, ERR_NOMEM, "out of memory");
		sub->nargs++;
	}
	return 0;
}

/* Check and copy "env" within manifest.h's bounds. */
static int
request_env(const json_t *root, struct submission *sub, struct error *e)
{
	const json_t *obj = json_object_get(root, "env");
	const char *key;
	json_t *v;
	size_t n;

	if (obj == NULL)
		return 0;
	if ((n = json_object_size(obj)) > MANIFEST_ENV_MAX)
		return error_set_field(e, ERR_INVALID, "env",
		    "more than %d environment variables", MANIFEST_ENV_MAX);
	json_object_foreach ((json_t *)obj, key, v) {
		if (!manifest_env_key_ok(key))
			return error_set_field(e, ERR_INVALID, "env",
			    "'%.64s' is not a valid variable name", key);
		if (request_has_nul(v))
			return error_set_field(e, ERR_INVALID, "env",
			    "the value of '%s' holds a NUL character", key);
		if (json_string_length(v) > MANIFEST_ENV_VALUE_BYTES)
			return error_set_field(e, ERR_INVALID, "env",
			    "the value of '%s' is longer than %d bytes", key,
			    MANIFEST_ENV_VALUE_BYTES);
	}
	sub->env_keys = calloc(n + 1, sizeof(char *));
	sub->env_values = calloc(n + 1, sizeof(char *));
	if (sub->env_keys == NULL || sub->env_values == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	json_object_foreach ((json_t *)obj, key, v) {
		sub->env_keys[sub->nenv] = strdup(key);
		sub->env_values[sub->nenv] = strdup(json_string_value(v));
		/* Count the pair first so that release frees either half. */
		sub->nenv++;
		if (sub->env_keys[sub->nenv - 1] == NULL ||
		    sub->env_values[sub->nenv - 1] == NULL)
			return error_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* Check and copy "labels": tokens, at most caps->max_labels, no repeats. */
static int
request_labels(const json_t *root, const struct request_caps *caps,
    struct submission *sub, struct error *e)
{
	const json_t *a = json_object_get(root, "labels");
	json_t *v;
	size_t i, j;

	if (a == NULL)
		return 0;
	if (json_array_size(a) > caps->max_labels)
		return error_set_field(e, ERR_REFUSED, "labels",
		    "more than %zu labels", caps->max_labels);
	json_array_foreach (a, i, v) {
		if (request_has_nul(v) ||
		    !util_token_ok(json_string_value(v), REQUEST_LABEL_MAX))
			return error_set_field(e, ERR_INVALID, "labels",
			    "label %zu must be 1 to %d characters of "
			    "[A-Za-z0-9._+-]",
			    i, REQUEST_LABEL_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(v),
				json_string_value(json_array_get(a, j))) == 0)
				return error_set_field(e, ERR_INVALID, "labels",
				    "label '%s' is given twice",
				    json_string_value(v));
	}
	if ((sub->labels = calloc(json_array_size(a) + 1, sizeof(char *))) ==
	    NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	json_array_foreach (a, i, v) {
		if ((sub->labels[i] = strdup(json_string_value(v))) == NULL)
			return error_set(e, ERR_NOMEM, "out of memory");
		sub->nlabels++;
	}
	return 0;
}

/*
 * Check and copy "callback_url": "" (no callback, not even the token's
 * default) or a URL that callback_url_parse() takes.  Where it may go is
 * the core's question (the operator's allow-list).
 */
static int
request_callback(const json_t *root, struct submission *sub, struct error *e)
{
	const json_t *v = json_object_get(root, "callback_url");
	struct callback_url u;

	if (v == NULL)
		return 0;
	if (request_has_nul(v))
		return error_set_field(e, ERR_INVALID, "callback_url",
		    "'callback_url' must not hold a NUL byte");
	if (json_string_length(v) > 0 &&
	    callback_url_parse(json_string_value(v), &u, e) == -1)
		return -1;
	if ((sub->callback_url = strdup(json_string_value(v))) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

/* Check and copy "name": a token, as labels are, so that a listing
   shows it in one cell and a filter matches it exactly. */
static int
request_name(const json_t *root, struct submission *sub, struct error *e)
{
	const json_t *v = json_object_get(root, "name");

	if (v == NULL)
		return 0;
	if (request_has_nul(v) ||
	    !util_token_ok(json_string_value(v), REQUEST_NAME_MAX))
		return error_set_field(e, ERR_INVALID, "name",
		    "'name' must be 1 to %d characters of [A-Za-z0-9._+-]",
		    REQUEST_NAME_MAX);
	memcpy(sub->name, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Check every value of a well-shaped body and fill sub (the 422 half). */
static int
request_fill(const json_t *root, const struct request_caps *caps,
    struct submission *sub, int *status, struct error *e)
{
	struct request_pending *p = NULL;
	const json_t *v;
	uint64_t total;
	size_t n = 0, nf, nb;
	int rc = -1;

	v = json_object_get(root, "runtime");
	if (request_has_nul(v) ||
	    !util_token_ok(json_string_value(v), MANIFEST_RUNTIME_MAX)) {
		error_set_field(e, ERR_INVALID, "runtime",
		    "'runtime' must be 1 to %d characters of [A-Za-z0-9._+-]",
		    MANIFEST_RUNTIME_MAX);
		goto out;
	}
	memcpy(sub->runtime, json_string_value(v), json_string_length(v) + 1);

	/* Count before looking at any file, so 10^6 files cost nothing. */
	nf = json_object_size(json_object_get(root, "files"));
	nb = json_object_size(json_object_get(root, "files_base64"));
	if (json_object_get(root, "source") != NULL)
		nf = 1;
	if (nf > caps->max_files || nb > caps->max_files - nf) {
		error_set_field(e, ERR_REFUSED,
		    nf > caps->max_files ? "files" : "files_base64",
		    "more than %zu files", caps->max_files);
		goto out;
	}
	if ((p = calloc(nf + nb + 1, sizeof(*p))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (request_collect(root, caps, p, &n, &total, status, e) == -1 ||
	    request_entry(root, p, n, sub, e) == -1 ||
	    request_args(root, sub, e) == -1 || request_env(root, sub, e) == -1)
		goto out;
	if ((v = json_object_get(root, "limits")) != NULL &&
	    limit_from_json(v, &sub->limits, &sub->limit_set, e) == -1) {
		request_blame(e, "limits");
		goto out;
	}
	/* A compile stage's own limits; its disk is the run's (/job holds
	   what it makes). */
	if ((v = json_object_get(root, "compile_limits")) != NULL &&
	    limit_from_json(v, &sub->compile_limits, &sub->compile_limit_set,
		e) == -1) {
		request_blame(e, "compile_limits");
		goto out;
	}
	if ((sub->compile_limit_set & (1u << limit_index("disk_bytes"))) != 0) {
		error_set_field(e, ERR_INVALID, "compile_limits",
		    "the compile stage shares the run's disk_bytes: set it in "
		    "'limits'");
		goto out;
	}
	if (request_labels(root, caps, sub, e) == -1 ||
	    request_name(root, sub, e) == -1 ||
	    request_stdin(root, caps, total, sub, status, e) == -1 ||
	    request_expected(root, caps, sub, status, e) == -1 ||
	    request_callback(root, sub, e) == -1 ||
	    request_copy_files(root, p, n, sub, e) == -1)
		goto out;
	rc = 0;
out:
	free(p);
	return rc;
}

/* Parse and check a submission body. */
int
request_parse(const char *body, size_t len, const struct request_caps *caps,
    struct submission *sub, int *http_status, struct error *e)
{
	struct submission tmp;
	json_error_t jerr;
	json_t *root = NULL;
	int status = 400, rc = -1;

	memset(&tmp, 0, sizeof(tmp));
	if (caps == NULL)
		caps = &request_defaults;
	if (body == NULL || len == 0) {
		error_set(e, ERR_INVALID, "the request body is empty");
		goto out;
	}
	/*
	 * JSON_ALLOW_NUL: a file or stdin may hold a NUL byte; every string
	 * that becomes a C string is checked for one below.
	 */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (root == NULL) {
		error_set(e, ERR_INVALID,
		    "the request body is not valid JSON: %s (at byte %d)",
		    jerr.text, jerr.position);
		goto out;
	}
	if (request_check_shape(root, e) == -1)
		goto out;
	status = 422;
	if (request_fill(root, caps, &tmp, &status, e) == -1)
		goto out;
	memcpy(sub, &tmp, sizeof(*sub));
	memset(&tmp, 0, sizeof(tmp));
	rc = 0;
out:
	if (rc == -1) {
		if (e != NULL && e->code == ERR_NOMEM)
			status = 500;
		if (e != NULL) {
			request_ascii(e->msg);
			request_ascii(e->field);
		}
		if (http_status != NULL)
			*http_status = status;
	}
	request_release(&tmp);
	json_decref(root);
	return rc;
}

/* Free what a submission owns. */
void
request_release(struct submission *sub)
{
	size_t i;

	for (i = 0; sub->files != NULL && i < sub->nfiles; i++) {
		free(sub->files[i].name);
		free(sub->files[i].data);
	}
	free(sub->files);
	free(sub->entry);
	free(sub->stdin_data);
	free(sub->expected);
	free(sub->callback_url);
	util_strv_free(sub->args, sub->nargs);
	util_strv_free(sub->env_keys, sub->nenv);
	util_strv_free(sub->env_values, sub->nenv);
	util_strv_free(sub->labels, sub->nlabels);
	memset(sub, 0, sizeof(*sub));
}

/* Fill a manifest whose strings point into sub. */
int
request_manifest(const struct submission *sub, const char *id,
    struct manifest *m)
{
	struct manifest tmp;
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (id[i] < '0' || id[i] > '9')
			return -1;
	if (i == 0 || i > MANIFEST_ID_MAX)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	tmp.version = MANIFEST_VERSION;
	memcpy(tmp.id, id, i + 1);
	memcpy(tmp.runtime, sub->runtime, sizeof(tmp.runtime));
	tmp.entry = sub->entry;
	tmp.args = calloc(sub->nargs + 1, sizeof(char *));
	tmp.env_keys = calloc(sub->nenv + 1, sizeof(char *));
	tmp.env_values = calloc(sub->nenv + 1, sizeof(char *));
	if (tmp.args == NULL || tmp.env_keys == NULL ||
	    tmp.env_values == NULL) {
		request_manifest_free(&tmp);
		return -1;
	}
	for (i = 0; i < sub->nargs; i++)
		tmp.args[i] = sub->args[i];
	tmp.nargs = sub->nargs;
	for (i = 0; i < sub->nenv; i++) {
		tmp.env_keys[i] = sub->env_keys[i];
		tmp.env_values[i] = sub->env_values[i];
	}
	tmp.nenv = sub->nenv;
	tmp.limits = sub->limits;
	tmp.limit_set = sub->limit_set;
	tmp.compile_limits = sub->compile_limits;
	tmp.compile_limit_set = sub->compile_limit_set;
	memcpy(m, &tmp, sizeof(*m));
	return 0;
}

/* Free the arrays of a manifest made by request_manifest(). */
void
request_manifest_free(struct manifest *m)
{
	free(m->args);
	free(m->env_keys);
	free(m->env_values);
	memset(m, 0, sizeof(*m));
}

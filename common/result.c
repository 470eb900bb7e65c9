/* Job results: see result.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "result.h"
#include "util.h"

static const char *verdict_names[] = {
	[VERDICT_OK] = "ok",
	[VERDICT_EXITED] = "exited",
	[VERDICT_SIGNALED] = "signaled",
	[VERDICT_CPU_LIMIT] = "cpu_limit",
	[VERDICT_WALL_LIMIT] = "wall_limit",
	[VERDICT_MEMORY_LIMIT] = "memory_limit",
	[VERDICT_OUTPUT_LIMIT] = "output_limit",
	[VERDICT_CANCELLED] = "cancelled",
	[VERDICT_SANDBOX_ERROR] = "sandbox_error",
	[VERDICT_COMPILE_ERROR] = "compile_error",
};

/* The verdict's name on the wire. */
const char *
verdict_name(enum verdict v)
{
	if ((size_t)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "sandbox_error";
	return verdict_names[v];
}

/* Look a verdict up by name. */
int
verdict_parse(const char *name, enum verdict *out)
{
	size_t i;

	for (i = 0; i < sizeof(verdict_names) / sizeof(verdict_names[0]); i++)
		if (strcmp(verdict_names[i], name) == 0) {
			*out = (enum verdict)i;
			return 0;
		}
	return -1;
}

/* An empty result. */
void
result_init(struct result *r)
{
	memset(r, 0, sizeof(*r));
	r->verdict = VERDICT_SANDBOX_ERROR;
	r->exit_code = -1;
	r->compile.verdict = VERDICT_SANDBOX_ERROR;
	r->compile.exit_code = -1;
}

/* Append an out file. */
int
result_add_file(struct result *r, const char *name, uint64_t bytes)
{
	struct result_file *files;
	char *copy;

	if ((copy = strdup(name)) == NULL)
		return -1;
	files = realloc(r->out_files, (r->n_out_files + 1) * sizeof(*files));
	if (files == NULL) {
		free(copy);
		return -1;
	}
	r->out_files = files;
	r->out_files[r->n_out_files].name = copy;
	r->out_files[r->n_out_files].bytes = bytes;
	r->n_out_files++;
	return 0;
}

/* Round seconds to the microsecond so the JSON stays short. */
static double
result_round(double s)
{
	return round(s * 1e6) / 1e6;
}

/* The JSON form of a compile stage. */
static json_t *
result_stage_to_json(const struct result_stage *c)
{
	return json_pack("{s:s, s:o, s:o, s:f, s:f, s:I, s:I, s:I, s:b, s:b, "
			 "s:o}",
	    "verdict", verdict_name(c->verdict), "exit_code",
	    c->exit_code >= 0 ? json_integer(c->exit_code) : json_null(),
	    "signal", c->signal > 0 ? json_integer(c->signal) : json_null(),
	    "cpu_seconds", result_round(c->cpu_seconds), "wall_seconds",
	    result_round(c->wall_seconds), "memory_peak_bytes",
	    (json_int_t)c->memory_peak_bytes, "stdout_bytes",
	    (json_int_t)c->stdout_bytes, "stderr_bytes",
	    (json_int_t)c->stderr_bytes, "stdout_truncated",
	    c->stdout_truncated, "stderr_truncated", c->stderr_truncated,
	    "limits", limit_to_json(&c->limits));
}

/* The JSON form of a result. */
json_t *
result_to_json(const struct result *r)
{
	json_t *files, *f;
	size_t i;

	if ((files = json_array()) == NULL)
		return NULL;
	for (i = 0; i < r->n_out_files; i++) {
		f = json_pack("{s:s, s:I}", "name", r->out_files[i].name,
		    "bytes", (json_int_t)r->out_files[i].bytes);
		if (f == NULL || json_array_append_new(files, f) == -1) {
			json_decref(files);
			return NULL;
		}
	}
	return json_pack("{s:i, s:s, s:o, s:o, s:f, s:f, s:I, s:I, s:I, s:b, "
			 "s:b, s:o, s:b, s:o*, s:s, s:s, s:s, s:o*}",
	    "version", RESULT_VERSION, "verdict", verdict_name(r->verdict),
	    "exit_code",
	    r->exit_code >= 0 ? json_integer(r->exit_code) : json_null(),
	    "signal", r->signal > 0 ? json_integer(r->signal) : json_null(),
	    "cpu_seconds", result_round(r->cpu_seconds), "wall_seconds",
	    result_round(r->wall_seconds), "memory_peak_bytes",
	    (json_int_t)r->memory_peak_bytes, "stdout_bytes",
	    (json_int_t)r->stdout_bytes, "stderr_bytes",
	    (json_int_t)r->stderr_bytes, "stdout_truncated",
	    r->stdout_truncated, "stderr_truncated", r->stderr_truncated,
	    "out_files", files, "out_files_truncated", r->out_files_truncated,
	    "limits", limit_to_json(&r->limits), "message", r->message,
	    "started_at", r->started_at, "finished_at", r->finished_at,
	    "compile",
	    r->has_compile ? result_stage_to_json(&r->compile) : NULL);
}

/* Fetch a required field of a given type. */
static const json_t *
result_field(const json_t *obj, const char *name, json_type type,
    struct error *e)
{
	const json_t *v = json_object_get(obj, name);

	if (v == NULL) {
		error_set_field(e, ERR_INVALID, name, "'%s' is missing", name);
		return NULL;
	}
	if (json_typeof(v) != type &&
	    !(type == JSON_REAL && json_typeof(v) == JSON_INTEGER) &&
	    !(type == JSON_TRUE && json_typeof(v) == JSON_FALSE)) {
		error_set_field(e, ERR_INVALID, name, "'%s' has the wrong type",
		    name);
		return NULL;
	}
	return v;
}

/* Read a non-negative integer field no larger than max. */
static int
result_uint(const json_t *obj, const char *name, uint64_t max, uint64_t *out,
    struct error *e)
{
	const json_t *v = result_field(obj, name, JSON_INTEGER, e);

	if (v == NULL)
		return -1;
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		return error_set_field(e, ERR_INVALID, name,
		    "'%s' is out of range", name);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* Read a non-negative number of seconds no larger than a week. */
static int
result_seconds(const json_t *obj, const char *name, double *out,
    struct error *e)
{
	const json_t *v = result_field(obj, name, JSON_REAL, e);
	double d;

	if (v == NULL)
		return -1;
	d = json_number_value(v);
	if (!isfinite(d) || d < 0 || d > 7.0 * 24 * 3600)
		return error_set_field(e, ERR_INVALID, name,
		    "'%s' is out of range", name);
	*out = d;
	return 0;
}

/* Copy a bounded string field that holds no control characters. */
static int
result_text(const json_t *obj, const char *name, char *dst, size_t size,
    bool allow_newline, struct error *e)
{
	const json_t *v = result_field(obj, name, JSON_STRING, e);
	const unsigned char *p;

	if (v == NULL)
		return -1;
	if (json_string_length(v) >= size)
		return error_set_field(e, ERR_INVALID, name, "'%s' is too long",
		    name);
	for (p = (const unsigned char *)json_string_value(v);
	     p < (const unsigned char *)json_string_value(v) +
		 json_string_length(v);
	     p++)
		if ((*p < 0x20 && !(allow_newline && *p == '\n')) || *p == 0x7f)
			return error_set_field(e, ERR_INVALID, name,
			    "'%s' holds a control character", name);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Parse the out_files array. */
static int
result_files(const json_t *obj, struct result *r, struct error *e)
{
	const json_t *arr, *f, *name;
	uint64_t bytes;
	size_t i;

	if ((arr = result_field(obj, "out_files", JSON_ARRAY, e)) == NULL)
		return -1;
	if (json_array_size(arr) > RESULT_OUT_FILES_MAX)
		return error_set_field(e, ERR_INVALID, "out_files",
		    "more than %d out files", RESULT_OUT_FILES_MAX);
	for (i = 0; i < json_array_size(arr); i++) {
		f = json_array_get(arr, i);
		if (!json_is_object(f) || json_object_size(f) != 2)
			return error_set_field(e, ERR_INVALID, "out_files",
			    "out file %zu is malformed", i);
		name = json_object_get(f, "name");
		if (!json_is_string(name) ||
		    strlen(json_string_value(name)) !=
			json_string_length(name) ||
		    util_path_check(json_string_value(name), "out_files", e) ==
			-1)
			return error_set_field(e, ERR_INVALID, "out_files",
			    "out file %zu has a bad name", i);
		if (result_uint(f, "bytes", UINT64_C(1) << 50, &bytes, e) == -1)
			return -1;
		if (result_add_file(r, json_string_value(name), bytes) == -1)
			return error_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* exit_code (null or 0 to 255) and signal (null or 1 to 64). */
static int
result_exit(const json_t *obj, int *exit_code, int *sig, struct error *e)
{
	const json_t *v = json_object_get(obj, "exit_code");

	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= 255)
		*exit_code = (int)json_integer_value(v);
	else if (!json_is_null(v))
		return error_set_field(e, ERR_INVALID, "exit_code",
		    "'exit_code' must be null or 0 to 255");
	v = json_object_get(obj, "signal");
	if (json_is_integer(v) && json_integer_value(v) >= 1 &&
	    json_integer_value(v) <= 64)
		*sig = (int)json_integer_value(v);
	else if (!json_is_null(v))
		return error_set_field(e, ERR_INVALID, "signal",
		    "'signal' must be null or 1 to 64");
	return 0;
}

/* A boolean field. */
static int
result_bool(const json_t *obj, const char *name, bool *out, struct error *e)
{
	const json_t *v = result_field(obj, name, JSON_TRUE, e);

	if (v == NULL)
		return -1;
	*out = json_is_true(v);
	return 0;
}

/* Every limit, as applied. */
static int
result_limits(const json_t *obj, struct limits *l, struct error *e)
{
	const json_t *v = result_field(obj, "limits", JSON_OBJECT, e);
	unsigned present;

	if (v == NULL || limit_from_json(v, l, &present, e) == -1)
		return -1;
	if (present != (1u << LIMITS_N) - 1)
		return error_set_field(e, ERR_INVALID, "limits",
		    "result does not report every applied limit");
	return 0;
}

/* The compile stage's object, if there is one; a stage is never
   compile_error or sandbox_error itself. */
static int
result_stage(const json_t *obj, struct result *r, struct error *e)
{
	struct result_stage *c = &r->compile;
	const json_t *v;

	if ((v = json_object_get(obj, "compile")) == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return error_set_field(e, ERR_INVALID, "compile",
		    "'compile' must be an object");
	obj = v;
	if ((v = result_field(obj, "verdict", JSON_STRING, e)) == NULL ||
	    verdict_parse(json_string_value(v), &c->verdict) == -1 ||
	    c->verdict == VERDICT_COMPILE_ERROR ||
	    c->verdict == VERDICT_SANDBOX_ERROR)
		return error_set_field(e, ERR_INVALID, "compile",
		    "the compile stage's verdict is missing or unknown");
	if (result_exit(obj, &c->exit_code, &c->signal, e) == -1 ||
	    result_seconds(obj, "cpu_seconds", &c->cpu_seconds, e) == -1 ||
	    result_seconds(obj, "wall_seconds", &c->wall_seconds, e) == -1 ||
	    result_uint(obj, "memory_peak_bytes", UINT64_C(1) << 50,
		&c->memory_peak_bytes, e) == -1 ||
	    result_uint(obj, "stdout_bytes", UINT64_C(1) << 50,
		&c->stdout_bytes, e) == -1 ||
	    result_uint(obj, "stderr_bytes", UINT64_C(1) << 50,
		&c->stderr_bytes, e) == -1 ||
	    result_bool(obj, "stdout_truncated", &c->stdout_truncated, e) ==
		-1 ||
	    result_bool(obj, "stderr_truncated", &c->stderr_truncated, e) ==
		-1 ||
	    result_limits(obj, &c->limits, e) == -1)
		return error_wrap(e, "compile");
	/* A compile that failed is the job's verdict (compile_error, or
	   cancelled if a cancel stopped it); one that did not fail is
	   followed by the run, whose verdict is the job's. */
	if (r->verdict == VERDICT_COMPILE_ERROR
		? c->verdict == VERDICT_OK || c->verdict == VERDICT_CANCELLED
		: c->verdict != VERDICT_OK &&
		    !(c->verdict == VERDICT_CANCELLED &&
			r->verdict == VERDICT_CANCELLED))
		return error_set_field(e, ERR_INVALID, "compile",
		    "the verdict and the compile stage's disagree");
	r->has_compile = true;
	return 0;
}

/* Parse and check a result from untrusted JSON. */
int
result_from_json(const json_t *obj, struct result *out, struct error *e)
{
	struct result r;
	const json_t *v;

	result_init(&r);
	if (!json_is_object(obj))
		return error_set(e, ERR_INVALID, "result is not an object");
	if ((v = result_field(obj, "version", JSON_INTEGER, e)) == NULL)
		goto fail;
	if (json_integer_value(v) != RESULT_VERSION) {
		error_set_field(e, ERR_INVALID, "version",
		    "unsupported result version");
		goto fail;
	}
	if ((v = result_field(obj, "verdict", JSON_STRING, e)) == NULL)
		goto fail;
	if (verdict_parse(json_string_value(v), &r.verdict) == -1) {
		error_set_field(e, ERR_INVALID, "verdict", "unknown verdict");
		goto fail;
	}
	if (result_exit(obj, &r.exit_code, &r.signal, e) == -1)
		goto fail;
	if (result_seconds(obj, "cpu_seconds", &r.cpu_seconds, e) == -1 ||
	    result_seconds(obj, "wall_seconds", &r.wall_seconds, e) == -1 ||
	    result_uint(obj, "memory_peak_bytes", UINT64_C(1) << 50,
		&r.memory_peak_bytes, e) == -1 ||
	    result_uint(obj, "stdout_bytes", UINT64_C(1) << 50, &r.stdout_bytes,
		e) == -1 ||
	    result_uint(obj, "stderr_bytes", UINT64_C(1) << 50, &r.stderr_bytes,
		e) == -1)
		goto fail;
	if (result_bool(obj, "stdout_truncated", &r.stdout_truncated, e) ==
		-1 ||
	    result_bool(obj, "stderr_truncated", &r.stderr_truncated, e) ==
		-1 ||
	    result_files(obj, &r, e) == -1 ||
	    result_bool(obj, "out_files_truncated", &r.out_files_truncated,
		e) == -1 ||
	    result_limits(obj, &r.limits, e) == -1)
		goto fail;
	if (result_text(obj, "message", r.message, sizeof(r.message), true,
		e) == -1 ||
	    result_text(obj, "started_at", r.started_at, sizeof(r.started_at),
		false, e) == -1 ||
	    result_text(obj, "finished_at", r.finished_at,
		sizeof(r.finished_at), false, e) == -1 ||
	    result_stage(obj, &r, e) == -1)
		goto fail;
	if (r.verdict == VERDICT_COMPILE_ERROR && !r.has_compile) {
		error_set_field(e, ERR_INVALID, "compile",
		    "a compile_error without its compile stage");
		goto fail;
	}
	*out = r;
	return 0;
fail:
	result_release(&r);
	return -1;
}

/* Free what a result owns. */
void
result_release(struct result *r)
{
	size_t i;

	for (i = 0; i < r->n_out_files; i++)
		free(r->out_files[i].name);
	free(r->out_files);
	r->out_files = NULL;
	r->n_out_files = 0;
}

/* Write a result file atomically: see result.h. */
int
result_write_at(int dirfd, const char *name, const struct result *r,
    struct error *e)
{
	json_t *obj = result_to_json(r);
	char tmp[256], *text = NULL;
	int fd = -1, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if (obj == NULL ||
	    (text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(10))) ==
		NULL) {
		error_set(e, ERR_NOMEM, "cannot encode the result");
		goto out;
	}
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1 || util_write_all(fd, text, strlen(text)) == -1 ||
	    util_write_all(fd, "\n", 1) == -1) {
		error_set(e, ERR_IO, "cannot write %s: %s", name,
		    strerror(errno));
		goto out;
	}
	/* rename replaces whatever is there, link or not, without
	   following it. */
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		error_set(e, ERR_IO, "cannot rename %s: %s", name,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(text);
	json_decref(obj);
	return rc;
}

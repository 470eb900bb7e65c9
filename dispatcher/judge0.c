/* The Judge0 CE API: see judge0.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

#include "fmt.h"
#include "judge0.h"
#include "langmap.h"
#include "log.h"
#include "reply.h"
#include "request.h"
#include "util.h"
#include "view.h"

/* Text in one batch answer at most (judge0_batch_show()). */
#define JUDGE0_BATCH_TEXT_MAX (16 * 1024 * 1024)

#define JUDGE0_ARGS_MAX_BYTES 512 /* command_line_arguments, as Judge0 */

/* Judge0's statuses, by id (app/enumerations/status.rb). */
static const char *const judge0_statuses[] = { NULL, "In Queue", "Processing",
	"Accepted", "Wrong Answer", "Time Limit Exceeded", "Compilation Error",
	"Runtime Error (SIGSEGV)", "Runtime Error (SIGXFSZ)",
	"Runtime Error (SIGFPE)", "Runtime Error (SIGABRT)",
	"Runtime Error (NZEC)", "Runtime Error (Other)", "Internal Error",
	"Exec Format Error" };

#define JUDGE0_NSTATUSES \
	((int)(sizeof(judge0_statuses) / sizeof(judge0_statuses[0])))

/* A submission's fields, as Judge0 1.13 names them (its columns, status
   and language); a GET's ?fields= is a mask of these indexes. */
enum judge0_field {
	J0_SOURCE_CODE,
	J0_LANGUAGE_ID,
	J0_STDIN,
	J0_EXPECTED_OUTPUT,
	J0_STDOUT,
	J0_STATUS_ID,
	J0_CREATED_AT,
	J0_FINISHED_AT,
	J0_TIME,
	J0_MEMORY,
	J0_STDERR,
	J0_TOKEN,
	J0_NUMBER_OF_RUNS,
	J0_CPU_TIME_LIMIT,
	J0_CPU_EXTRA_TIME,
	J0_WALL_TIME_LIMIT,
	J0_MEMORY_LIMIT,
	J0_STACK_LIMIT,
	J0_MAX_PROCESSES,
	J0_PER_PROCESS_TIME,
	J0_PER_PROCESS_MEMORY,
	J0_MAX_FILE_SIZE,
	J0_COMPILE_OUTPUT,
	J0_EXIT_CODE,
	J0_EXIT_SIGNAL,
	J0_MESSAGE,
	J0_WALL_TIME,
	J0_COMPILER_OPTIONS,
	J0_COMMAND_LINE_ARGUMENTS,
	J0_REDIRECT_STDERR,
	J0_CALLBACK_URL,
	J0_ADDITIONAL_FILES,
	J0_ENABLE_NETWORK,
	J0_STATUS,
	J0_LANGUAGE,
	J0_NFIELDS
};

static const char *const judge0_field_names[J0_NFIELDS] = { "source_code",
	"language_id", "stdin", "expected_output", "stdout", "status_id",
	"created_at", "finished_at", "time", "memory", "stderr", "token",
	"number_of_runs", "cpu_time_limit", "cpu_extra_time", "wall_time_limit",
	"memory_limit", "stack_limit", "max_processes_and_or_threads",
	"enable_per_process_and_thread_time_limit",
	"enable_per_process_and_thread_memory_limit", "max_file_size",
	"compile_output", "exit_code", "exit_signal", "message", "wall_time",
	"compiler_options", "command_line_arguments",
	"redirect_stderr_to_stdout", "callback_url", "additional_files",
	"enable_network", "status", "language" };

#define J0_BIT(f) ((uint64_t)1 << (f))
#define J0_DEFAULT_FIELDS \
	(J0_BIT(J0_TOKEN) | J0_BIT(J0_TIME) | J0_BIT(J0_MEMORY) | \
	    J0_BIT(J0_STDOUT) | J0_BIT(J0_STDERR) | \
	    J0_BIT(J0_COMPILE_OUTPUT) | J0_BIT(J0_MESSAGE) | \
	    J0_BIT(J0_STATUS))

#define JUDGE0_NOT_UTF8 \
	"some attributes for this submission cannot be converted to " \
	"UTF-8, use base64_encoded=true query parameter"

/* How a submission is shown: its text fields in base64 or not, and which
   fields; also what a held submission is answered with. */
struct judge0_show {
	bool base64;
	uint64_t fields;
};

/* A submission on its way to its answer. */
struct judge0_post {
	struct waiter_set *ws;
	struct evhttp_request *req;
	bool wait;
	struct judge0_show show;
};

/* A batch of submissions on its way to its one answer. */
struct judge0_batch {
	struct evhttp_request *req;
	size_t left; /* answers still to come, and one until all are in */
	bool created; /* some item was */
	json_t *answers; /* each item's {"token"} or errors */
};

/* A batch item's submission: its batch and place. */
struct judge0_item {
	struct judge0_batch *b;
	size_t i;
};

/* Whether path is one of this API's. */
bool
judge0_path(const char *path)
{
	return strcmp(path, "/languages") == 0 ||
	    strncmp(path, "/languages/", 11) == 0 ||
	    strcmp(path, "/statuses") == 0 ||
	    strcmp(path, "/authenticate") == 0 ||
	    strcmp(path, "/submissions") == 0 ||
	    strncmp(path, "/submissions/", 13) == 0;
}

/* Reply with Judge0's error document. */
void
judge0_error(struct core *c, struct evhttp_request *req, int status,
    const char *msg)
{
	reply_foreign_error(&c->metrics, req, status, "error", msg);
}

/* The description of a status id. */
const char *
judge0_status_name(int id)
{
	return id >= 1 && id < JUDGE0_NSTATUSES ? judge0_statuses[id] : NULL;
}

/* Whether a string member of obj is s. */
static bool
judge0_is(const json_t *obj, const char *key, const char *s)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v != NULL && strcmp(v, s) == 0;
}

/* The status id of a job object. */
int
judge0_status_id(const json_t *job)
{
	const char *verdict = json_string_value(
	    json_object_get(job, "verdict"));
	json_int_t sig = json_integer_value(json_object_get(job, "signal"));

	if (judge0_is(job, "state", "PENDING"))
		return 1;
	if (judge0_is(job, "state", "RUNNING") ||
	    judge0_is(job, "state", "COMPLETING"))
		return 2;
	if (judge0_is(job, "state", "COMPLETED"))
		return judge0_is(job, "judgement", "wrong_answer") ? 4 : 3;
	if (verdict == NULL || judge0_is(job, "state", "CANCELLED") ||
	    judge0_is(job, "state", "NODE_FAIL"))
		return 13;
	if (strcmp(verdict, "compile_error") == 0)
		return 6;
	if (strcmp(verdict, "cpu_limit") == 0 ||
	    strcmp(verdict, "wall_limit") == 0)
		return 5;
	if (strcmp(verdict, "exited") == 0)
		return 11;
	if (strcmp(verdict, "output_limit") == 0)
		return 8;
	if (strcmp(verdict, "memory_limit") == 0)
		return 12;
	if (strcmp(verdict, "signaled") == 0)
		/* Judge0's Status.find_runtime_error_by_status_code. */
		return sig == 11 ? 7
		    : sig == 25  ? 8
		    : sig == 8   ? 9
		    : sig == 6   ? 10
				 : 12;
	return 13; /* sandbox_error, and anything new */
}

/* Base64 in lines of 60 characters, each ended by a newline. */
char *
judge0_base64(const unsigned char *buf, size_t len)
{
	char *flat, *out, *o;
	size_t n, i;

	if ((flat = fmt_base64(buf, len)) == NULL)
		fatal("out of memory");
	n = strlen(flat);
	if ((out = malloc(n + n / 60 + 2)) == NULL)
		fatal("out of memory");
	o = out;
	for (i = 0; i < n; i += 60) {
		memcpy(o, flat + i, n - i < 60 ? n - i : 60);
		o += n - i < 60 ? n - i : 60;
		*o++ = '\n';
	}
	*o = '\0';
	free(flat);
	return out;
}

/* The fields a GET asks for. */
int
judge0_fields(const char *spec, uint64_t *mask, char *bad, size_t len)
{
	uint64_t m = 0;
	size_t n, f, used = 0;
	bool all = false;

	bad[0] = '\0';
	if (spec == NULL || spec[0] == '\0') {
		*mask = J0_DEFAULT_FIELDS;
		return 0;
	}
	for (; *spec != '\0'; spec += n + (spec[n] == ',')) {
		n = strcspn(spec, ",");
		if (n == 0)
			continue;
		if (n == 1 && spec[0] == '*') {
			all = true;
			continue;
		}
		for (f = 0; f < J0_NFIELDS; f++)
			if (strlen(judge0_field_names[f]) == n &&
			    strncmp(judge0_field_names[f], spec, n) == 0)
				break;
		if (f < J0_NFIELDS) {
			m |= J0_BIT(f);
			continue;
		}
		used += (size_t)snprintf(bad + used,
		    used < len ? len - used : 0, "%s%.*s", used > 0 ? ", " : "",
		    (int)(n > 64 ? 64 : n), spec);
		if (used >= len)
			used = len - 1;
	}
	if (bad[0] != '\0')
		return -1;
	*mask = all ? ~(uint64_t)0 : m != 0 ? m : J0_DEFAULT_FIELDS;
	return 0;
}

/* Split command_line_arguments as a shell would, without expansions. */
int
judge0_args(const char *s, json_t **out)
{
	json_t *list = json_array();
	char *word, quote = '\0';
	size_t n = 0, len = strlen(s);
	bool in_word = false;

	if (list == NULL || (word = malloc(len + 1)) == NULL)
		fatal("out of memory");
	for (; *s != '\0'; s++) {
		/* Judge0 takes these out before its shell sees the line. */
		if (strchr("$&;<>|`", *s) != NULL)
			continue;
		if (quote == '\'') {
			if (*s == '\'')
				quote = '\0';
			else
				word[n++] = *s;
			continue;
		}
		if (quote == '"') {
			if (*s == '"')
				quote = '\0';
			else if (*s == '\\' && s[1] != '\0' &&
			    strchr("\"\\\n", s[1]) != NULL)
				word[n++] = *++s;
			else
				word[n++] = *s;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == '\n') {
			if (in_word) {
				json_array_append_new(list,
				    json_stringn(word, n));
				n = 0;
				in_word = false;
			}
			continue;
		}
		in_word = true;
		if (*s == '\'' || *s == '"')
			quote = *s;
		else if (*s == '\\' && s[1] != '\0')
			word[n++] = *++s;
		else
			word[n++] = *s;
	}
	if (quote != '\0') {
		free(word);
		json_decref(list);
		return -1;
	}
	if (in_word)
		json_array_append_new(list, json_stringn(word, n));
	free(word);
	*out = list;
	return 0;
}

/* Add Judge0's error message msg about field to errs. */
static void
judge0_err(json_t *errs, const char *field, const char *msg)
{
	json_t *list = json_object_get(errs, field);

	if (list == NULL) {
		if ((list = json_array()) == NULL)
			fatal("out of memory");
		json_object_set_new(errs, field, list);
	}
	json_array_append_new(list, json_string(msg));
}

/*
 * A number of Judge0's (a JSON number, or a string that is one, as Rails
 * casts it): 1 if there is none (absent, null or ""), 0 with *d, or -1
 * after adding "is not a number" to errs.
 */
static int
judge0_number(const json_t *item, const char *key, json_t *errs, double *d)
{
	const json_t *v = json_object_get(item, key);
	const char *s;
	char *end;

	if (v == NULL || json_is_null(v))
		return 1;
	if (json_is_number(v)) {
		*d = json_number_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		s = json_string_value(v);
		if (s[0] == '\0')
			return 1;
		errno = 0;
		*d = strtod(s, &end);
		if (errno == 0 && *end == '\0' && isfinite(*d) &&
		    strspn(s, "0123456789.-+eE") == strlen(s))
			return 0;
	}
	judge0_err(errs, key, "is not a number");
	return -1;
}

/*
 * A limit of Judge0's into limits[name] (times in seconds as they are,
 * memory in KB into bytes with kb): none, or 0, is the node's default.
 */
static void
judge0_limit(const json_t *item, const char *key, const char *name, bool kb,
    json_t *limits, json_t *errs)
{
	double d;

	if (judge0_number(item, key, errs, &d) != 0)
		return;
	if (d < 0) {
		judge0_err(errs, key, "must be greater than or equal to 0");
		return;
	}
	if (d == 0)
		return;
	if (kb)
		json_object_set_new(limits, name,
		    json_integer(
			d < 9e15 ? (json_int_t)(d * 1024) : (json_int_t)9e18));
	else if (strcmp(name, "processes") == 0)
		json_object_set_new(limits, name,
		    json_integer(d < 9e18 ? (json_int_t)d : INT64_MAX));
	else
		json_object_set_new(limits, name, json_real(d));
}

/* A number Judge0 takes and sluice has no use for: checked only. */
static void
judge0_ignored_number(const json_t *item, const char *key, json_t *errs)
{
	double d;

	if (judge0_number(item, key, errs, &d) == 0 && d < 0)
		judge0_err(errs, key, "must be greater than or equal to 0");
}

/* An option sluice cannot honour: refused (msg) unless false or null. */
static void
judge0_option(const json_t *item, const char *key, const char *msg,
    json_t *errs)
{
	const json_t *v = json_object_get(item, key);

	if (v != NULL && !json_is_null(v) && !json_is_false(v) &&
	    !(json_is_string(v) &&
		(strcmp(json_string_value(v), "") == 0 ||
		    strcmp(json_string_value(v), "false") == 0)))
		judge0_err(errs, key, msg);
}

/*
 * A text field (source_code, stdin, expected_output) into native's name
 * (text) or name_base64 (Judge0's base64, tidied); absent, null or not
 * given is nothing.  Whether it was given goes to *given.
 */
static void
judge0_text(const json_t *item, const char *key, const char *name, bool base64,
    json_t *native, json_t *errs, bool *given)
{
	const json_t *v = json_object_get(item, key);
	char field[48], *tidy;

	*given = false;
	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_string(v)) {
		judge0_err(errs, key, "must be a string");
		return;
	}
	*given = json_string_length(v) > 0;
	if (!base64) {
		json_object_set_new(native, name,
		    json_stringn(json_string_value(v), json_string_length(v)));
		return;
	}
	if ((tidy = request_base64_tidy(json_string_value(v),
		 json_string_length(v))) == NULL) {
		if (errno == ENOMEM)
			fatal("out of memory");
		judge0_err(errs, key, "is not valid base64");
		return;
	}
	snprintf(field, sizeof(field), "%s_base64", name);
	json_object_set_new(native, field, json_string(tidy));
	free(tidy);
}

/* A submission of Judge0's as a native one. */
int
judge0_request(const struct settings *s, const json_t *item, bool base64,
    json_t **out, json_t **errors)
{
	const struct settings_language *lang = NULL;
	json_t *native, *errs, *limits, *files, *args, *source;
	const json_t *v;
	char msg[96];
	long long id = 0;
	bool given;

	if ((native = json_object()) == NULL ||
	    (errs = json_object()) == NULL || (limits = json_object()) == NULL)
		fatal("out of memory");
	if (!json_is_object(item)) {
		judge0_err(errs, "base", "a submission must be a JSON object");
		goto fail;
	}
	v = json_object_get(item, "language_id");
	if (v == NULL || json_is_null(v) ||
	    (json_is_string(v) && json_string_value(v)[0] == '\0'))
		judge0_err(errs, "language_id", "can't be blank");
	else if (json_is_integer(v))
		id = json_integer_value(v);
	else if (json_is_string(v) &&
	    strspn(json_string_value(v), "0123456789") ==
		json_string_length(v) &&
	    json_string_length(v) <= 10)
		id = strtoll(json_string_value(v), NULL, 10);
	else
		judge0_err(errs, "language_id", "is not a number");
	if (id != 0 || (v != NULL && json_is_integer(v))) {
		if ((lang = langmap_judge0_find(s, id)) == NULL) {
			snprintf(msg, sizeof(msg),
			    "language with id %lld doesn't exist", id);
			judge0_err(errs, "language_id", msg);
		} else
			json_object_set_new(native, "runtime",
			    json_string(lang->runtime));
	}
	/* The program: one file, named as the language names it. */
	if ((source = json_object()) == NULL)
		fatal("out of memory");
	judge0_text(item, "source_code", "content", base64, source, errs,
	    &given);
	if (!given && json_object_get(errs, "source_code") == NULL)
		judge0_err(errs, "source_code", "can't be blank");
	if (lang != NULL && given) {
		files = json_object();
		if (json_object_get(source, "content") != NULL) {
			json_object_set(files, lang->source_file,
			    json_object_get(source, "content"));
			json_object_set_new(native, "files", files);
		} else {
			json_object_set(files, lang->source_file,
			    json_object_get(source, "content_base64"));
			json_object_set_new(native, "files_base64", files);
		}
		json_object_set_new(native, "entry",
		    json_string(lang->source_file));
	}
	json_decref(source);
	judge0_text(item, "stdin", "stdin", base64, native, errs, &given);
	judge0_text(item, "expected_output", "expected_output", base64, native,
	    errs, &given);
	if ((v = json_object_get(item, "command_line_arguments")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_string(v))
			judge0_err(errs, "command_line_arguments",
			    "must be a string");
		else if (json_string_length(v) > JUDGE0_ARGS_MAX_BYTES)
			judge0_err(errs, "command_line_arguments",
			    "is too long (maximum is 512 characters)");
		else if (strlen(json_string_value(v)) != json_string_length(v))
			judge0_err(errs, "command_line_arguments",
			    "holds a NUL character");
		else if (judge0_args(json_string_value(v), &args) == -1)
			judge0_err(errs, "command_line_arguments",
			    "has a quote that is not closed");
		else if (json_array_size(args) > 0)
			json_object_set_new(native, "args", args);
		else
			json_decref(args);
	}
	judge0_limit(item, "cpu_time_limit", "cpu_seconds", false, limits,
	    errs);
	judge0_limit(item, "wall_time_limit", "wall_seconds", false, limits,
	    errs);
	judge0_limit(item, "memory_limit", "memory_bytes", true, limits, errs);
	judge0_limit(item, "max_processes_and_or_threads", "processes", false,
	    limits, errs);
	judge0_ignored_number(item, "number_of_runs", errs);
	judge0_ignored_number(item, "cpu_extra_time", errs);
	judge0_ignored_number(item, "stack_limit", errs);
	judge0_ignored_number(item, "max_file_size", errs);
	judge0_option(item, "enable_per_process_and_thread_time_limit",
	    "this option cannot be enabled", errs);
	judge0_option(item, "enable_per_process_and_thread_memory_limit",
	    "this option cannot be enabled", errs);
	judge0_option(item, "redirect_stderr_to_stdout",
	    "this option cannot be enabled", errs);
	judge0_option(item, "enable_network", "enabling network is not allowed",
	    errs);
	judge0_option(item, "compiler_options",
	    "setting compiler options is not allowed", errs);
	judge0_option(item, "callback_url", "setting callback is not allowed",
	    errs);
	judge0_option(item, "additional_files",
	    "setting additional files is not allowed", errs);
	if (json_object_size(errs) > 0)
		goto fail;
	if (json_object_size(limits) > 0)
		json_object_set(native, "limits", limits);
	json_decref(limits);
	json_decref(errs);
	*out = native;
	return 0;
fail:
	json_decref(limits);
	json_decref(native);
	*errors = errs;
	return -1;
}

/* A decimal as Judge0 (Rails) writes one: a string, "5.0", "0.014". */
static json_t *
judge0_decimal(double d, bool millis)
{
	char buf[48];

	if (millis)
		snprintf(buf, sizeof(buf), "%.3f", d);
	else {
		snprintf(buf, sizeof(buf), "%.10g", d);
		if (strpbrk(buf, ".eEn") == NULL)
			strcat(buf, ".0");
	}
	return json_string(buf);
}

/* Text of a submission (len bytes): as it is if UTF-8 (NUL bytes and
   all), in base64 with base64; NULL (and *bad) if it is not UTF-8. */
static json_t *
judge0_bytes(const char *data, size_t len, bool base64, bool *bad)
{
	json_t *v;
	char *b;

	if (base64) {
		b = judge0_base64((const unsigned char *)data, len);
		v = json_string(b);
		free(b);
		return v;
	}
	if ((v = json_stringn(data, len)) == NULL)
		*bad = true;
	return v;
}

/* A text field that is null when empty or missing, as Judge0 keeps it. */
static json_t *
judge0_text_or_null(const char *data, size_t len, bool base64, bool *bad)
{
	json_t *v;

	if (data == NULL || len == 0)
		return json_null();
	v = judge0_bytes(data, len, base64, bad);
	return v != NULL ? v : json_null();
}

/* An input of the job (source, stdin, expected output), or null. */
static json_t *
judge0_input(struct core *c, int64_t id, enum view_input which, bool base64,
    bool *bad)
{
	char *data = NULL;
	size_t len = 0;
	struct error e;
	json_t *v;

	if (view_job_input(c, id, which, &data, &len, &e) == -1)
		return json_null();
	v = which == VIEW_INPUT_ENTRY
	    ? judge0_bytes(data, len, base64, bad)
	    : judge0_text_or_null(data, len, base64, bad);
	free(data);
	return v != NULL ? v : json_null();
}

/* A stream of the job's output (stdout or stderr), or null. */
static json_t *
judge0_stream(struct core *c, const struct job *j, bool err, bool base64,
    bool *bad)
{
	char *data = NULL;
	size_t len = 0;
	struct error e;
	json_t *v;

	if (!j->has_result || view_stream(c, j->id, err, &data, &len, &e) == -1)
		return json_null();
	v = judge0_text_or_null(data, len, base64, bad);
	free(data);
	return v;
}

/* The compiler's output: its stdout, then its stderr; Judge0's words for
   a compile stopped by its time limit. */
static json_t *
judge0_compile_output(const json_t *compile, bool base64, bool *bad)
{
	const json_t *o = json_object_get(compile, "stdout"),
		     *r = json_object_get(compile, "stderr");
	size_t olen = json_string_length(o), rlen = json_string_length(r);
	char *both;
	json_t *v;

	if (!json_is_object(compile))
		return json_null();
	if (judge0_is(compile, "verdict", "cpu_limit") ||
	    judge0_is(compile, "verdict", "wall_limit"))
		return judge0_bytes("Compilation time limit exceeded.", 32,
		    base64, bad);
	if ((both = malloc(olen + rlen + 1)) == NULL)
		fatal("out of memory");
	if (olen > 0)
		memcpy(both, json_string_value(o), olen);
	if (rlen > 0)
		memcpy(both + olen, json_string_value(r), rlen);
	v = judge0_text_or_null(both, olen + rlen, base64, bad);
	free(both);
	return v;
}

/* Judge0's message: isolate's words for how the program ended, the
   job's reason for an internal error, null for a program that ran. */
static json_t *
judge0_message(const json_t *job, int status, bool base64, bool *bad)
{
	const char *verdict = json_string_value(
	    json_object_get(job, "verdict"));
	const char *reason = json_string_value(json_object_get(job, "reason"));
	char msg[320] = "";

	if (status == 11)
		snprintf(msg, sizeof(msg), "Exited with error status %lld",
		    (long long)json_integer_value(
			json_object_get(job, "exit_code")));
	else if (status == 5)
		snprintf(msg, sizeof(msg), "%s",
		    judge0_is(job, "verdict", "wall_limit")
			? "Time limit exceeded (wall clock)"
			: "Time limit exceeded");
	else if (verdict != NULL && strcmp(verdict, "memory_limit") == 0)
		snprintf(msg, sizeof(msg), "Memory limit exceeded");
	else if (verdict != NULL && strcmp(verdict, "output_limit") == 0)
		snprintf(msg, sizeof(msg), "Output limit exceeded");
	else if (status >= 7 && status <= 12)
		snprintf(msg, sizeof(msg), "Caught fatal signal %lld",
		    (long long)json_integer_value(
			json_object_get(job, "signal")));
	else if (status == 13)
		snprintf(msg, sizeof(msg), "%s",
		    reason != NULL && reason[0] != '\0'
			? reason
			: json_string_value(json_object_get(job, "state")));
	if (msg[0] == '\0')
		return json_null();
	return judge0_bytes(msg, strlen(msg), base64, bad);
}

/* A limit of the job object's limits, or null. */
static json_t *
judge0_job_limit(const json_t *job, const char *name, int how)
{
	const json_t *v = json_object_get(json_object_get(job, "limits"), name);

	if (!json_is_number(v))
		return json_null();
	if (how == 1) /* bytes into KB */
		return json_integer((json_int_t)(json_number_value(v) / 1024));
	if (how == 2)
		return json_integer((json_int_t)json_number_value(v));
	return judge0_decimal(json_number_value(v), false);
}

/*
 * The submission of job j as Judge0 shows it, with the fields of show;
 * NULL (and *bad) if a text field is not UTF-8 and base64 was not asked
 * for.
 */
static json_t *
judge0_submission(struct core *c, const struct job *j,
    const struct judge0_show *show, bool *bad)
{
	const struct settings_language *lang = langmap_by_runtime(&c->set,
	    j->runtime, true);
	char version[LANGMAP_VERSION_MAX], name[160], token[24];
	json_t *job, *r, *v, *cpu, *wall, *mem;
	bool ran, b64 = show->base64;
	int status, f;

	*bad = false;
	if ((job = view_job_json(c, j)) == NULL || (r = json_object()) == NULL)
		fatal("out of memory");
	status = judge0_status_id(job);
	/* Ran: has a result, and got past its compile. */
	ran = j->has_result && status != 6;
	cpu = json_object_get(job, "cpu_seconds");
	wall = json_object_get(job, "wall_seconds");
	mem = json_object_get(job, "memory_peak_bytes");
	snprintf(token, sizeof(token), "%lld", (long long)j->id);
	name[0] = '\0';
	if (lang != NULL) {
		langmap_node_version(c, j->node, j->runtime, version);
		langmap_judge0_name(lang, version, name, sizeof(name));
	}
	for (f = 0; f < J0_NFIELDS; f++) {
		if (!(show->fields & J0_BIT(f)))
			continue;
		switch ((enum judge0_field)f) {
		case J0_SOURCE_CODE:
			v = judge0_input(c, j->id, VIEW_INPUT_ENTRY, b64, bad);
			break;
		case J0_STDIN:
			v = judge0_input(c, j->id, VIEW_INPUT_STDIN, b64, bad);
			break;
		case J0_EXPECTED_OUTPUT:
			v = judge0_input(c, j->id, VIEW_INPUT_EXPECTED, b64,
			    bad);
			break;
		case J0_LANGUAGE_ID:
			v = lang != NULL ? json_integer(lang->judge0_id)
					 : json_null();
			break;
		case J0_LANGUAGE:
			v = lang != NULL ? json_pack("{s:i, s:s}", "id",
					       lang->judge0_id, "name", name)
					 : json_null();
			break;
		case J0_STDOUT:
		case J0_STDERR:
			v = ran ? judge0_stream(c, j, f == J0_STDERR, b64, bad)
				: json_null();
			break;
		case J0_STATUS_ID:
			v = json_integer(status);
			break;
		case J0_STATUS:
			v = json_pack("{s:i, s:s}", "id", status, "description",
			    judge0_status_name(status));
			break;
		case J0_CREATED_AT:
			v = json_string(j->submitted_at);
			break;
		case J0_FINISHED_AT:
			v = j->finished_at[0] != '\0'
			    ? json_string(j->finished_at)
			    : json_null();
			break;
		case J0_TIME:
			v = ran && json_is_number(cpu)
			    ? judge0_decimal(json_number_value(cpu), true)
			    : json_null();
			break;
		case J0_WALL_TIME:
			v = ran && json_is_number(wall)
			    ? judge0_decimal(json_number_value(wall), true)
			    : json_null();
			break;
		case J0_MEMORY:
			v = ran && json_is_integer(mem)
			    ? json_integer(json_integer_value(mem) / 1024)
			    : json_null();
			break;
		case J0_TOKEN:
			v = json_string(token);
			break;
		case J0_NUMBER_OF_RUNS:
			v = json_integer(1);
			break;
		case J0_CPU_TIME_LIMIT:
			v = judge0_job_limit(job, "cpu_seconds", 0);
			break;
		case J0_WALL_TIME_LIMIT:
			v = judge0_job_limit(job, "wall_seconds", 0);
			break;
		case J0_MEMORY_LIMIT:
			v = judge0_job_limit(job, "memory_bytes", 1);
			break;
		case J0_MAX_PROCESSES:
			v = judge0_job_limit(job, "processes", 2);
			break;
		case J0_PER_PROCESS_TIME:
		case J0_PER_PROCESS_MEMORY:
		case J0_REDIRECT_STDERR:
		case J0_ENABLE_NETWORK:
			v = json_false();
			break;
		case J0_COMPILE_OUTPUT:
			v = judge0_compile_output(json_object_get(job,
						      "compile"),
			    b64, bad);
			break;
		case J0_EXIT_CODE:
			/* Judge0 says 0 for a program that did not exit. */
			v = ran ? json_integer(json_integer_value(
				      json_object_get(job, "exit_code")))
				: json_null();
			break;
		case J0_EXIT_SIGNAL:
			v = json_is_integer(json_object_get(job, "signal"))
			    ? json_integer(json_integer_value(
				  json_object_get(job, "signal")))
			    : json_null();
			break;
		case J0_MESSAGE:
			v = judge0_message(job, status, b64, bad);
			break;
		default: /* what sluice does not keep or has no use for */
			v = json_null();
			break;
		}
		if (v == NULL)
			fatal("out of memory");
		json_object_set_new(r, judge0_field_names[f], v);
	}
	json_decref(job);
	if (*bad) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/*
 * Read base64_encoded, wait, fields and tokens from the query into show,
 * *wait and *tokens (a new string, or NULL); false after replying 400.
 */
static bool
judge0_query(struct core *c, struct evhttp_request *req,
    struct judge0_show *show, bool *wait, char **tokens)
{
	struct evkeyvalq params;
	const char *v;
	char bad[256], msg[300];
	bool ok = true;

	show->base64 = false;
	show->fields = J0_DEFAULT_FIELDS;
	if (wait != NULL)
		*wait = false;
	if (tokens != NULL)
		*tokens = NULL;
	if (!reply_query(req, &params)) {
		judge0_error(c, req, 400,
		    "the query string is not NAME=VALUE&...");
		return false;
	}
	v = evhttp_find_header(&params, "base64_encoded");
	show->base64 = v != NULL && strcmp(v, "true") == 0;
	v = evhttp_find_header(&params, "wait");
	if (wait != NULL)
		*wait = v != NULL && strcmp(v, "true") == 0;
	if (judge0_fields(evhttp_find_header(&params, "fields"), &show->fields,
		bad, sizeof(bad)) == -1) {
		snprintf(msg, sizeof(msg), "invalid fields: [%s]", bad);
		judge0_error(c, req, 400, msg);
		ok = false;
	}
	if (ok && tokens != NULL) {
		v = evhttp_find_header(&params, "tokens");
		if (v == NULL)
			v = evhttp_find_header(evhttp_request_get_input_headers(
						   req),
			    "tokens");
		if (v != NULL && (*tokens = strdup(v)) == NULL)
			fatal("out of memory");
	}
	evhttp_clear_headers(&params);
	return ok;
}

/* The job of a submission's token (its id), if the tenant may see it. */
static bool
judge0_job(struct core *c, const struct settings_token *tok, const char *s,
    size_t len, struct job *j)
{
	char buf[24];
	uint64_t v;
	struct error e;

	if (len == 0 || len > 18)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strspn(buf, "0123456789") != len || !util_parse_u64(buf, &v) ||
	    v == 0 || view_job_get(c, (int64_t)v, j, &e) == -1)
		return false;
	return tok->role == ROLE_ADMIN || strcmp(j->tenant, tok->name) == 0;
}

/* Judge0's answer to a native refusal of a submission: its status, and
   its errors ({"field": [...]}) or error. */
static json_t *
judge0_refusal(int status, const struct error *e, int *http)
{
	static const struct {
		const char *native, *judge0;
	} fields[] = { { "runtime", "language_id" }, { "files", "source_code" },
		{ "files_base64", "source_code" }, { "entry", "source_code" },
		{ "stdin", "stdin" }, { "stdin_base64", "stdin" },
		{ "expected_output", "expected_output" },
		{ "expected_output_base64", "expected_output" },
		{ "args", "command_line_arguments" } },
	  limits[] = { { "cpu_seconds", "cpu_time_limit" },
		  { "wall_seconds", "wall_time_limit" },
		  { "memory_bytes", "memory_limit" },
		  { "processes", "max_processes_and_or_threads" } };
	const char *field = "base";
	json_t *errs;
	size_t i;

	if (status != 400 && status != 413 && status != 422) {
		/* A full queue or quota is Judge0's "queue is full". */
		*http = status == 429 ? 503 : status;
		return json_pack("{s:s}", "error", e->msg);
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(e->field, fields[i].native) == 0)
			field = fields[i].judge0;
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (strcmp(e->field, limits[i].native) == 0 ||
		    (strcmp(e->field, "limits") == 0 &&
			strstr(e->msg, limits[i].native) != NULL))
			field = limits[i].judge0;
	*http = 422;
	if ((errs = json_object()) == NULL)
		fatal("out of memory");
	judge0_err(errs, field, e->msg);
	return errs;
}

/* The answer to a submission held with ?wait=true: once its job has
   ended, or the wait is over (then as it is). */
static void
judge0_waited(struct core *c, struct evhttp_request *req, const struct job *j,
    bool ended, void *arg)
{
	struct judge0_show *show = arg;
	char token[24];
	json_t *r;
	bool bad;

	(void)ended;
	if (j == NULL) {
		judge0_error(c, req, 500, "the submission is gone");
		return;
	}
	if ((r = judge0_submission(c, j, show, &bad)) == NULL) {
		snprintf(token, sizeof(token), "%lld", (long long)j->id);
		r = json_pack("{s:s, s:s}", "token", token, "error",
		    JUDGE0_NOT_UTF8);
	}
	reply_json(&c->metrics, req, 201, r);
}

/* Reply with Judge0's answer to a native refusal. */
static void
judge0_refused(struct core *c, struct evhttp_request *req, int status,
    const struct error *e)
{
	json_t *r;
	int http;

	r = judge0_refusal(status, e, &http);
	if (http == 503 || http == 507)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "5");
	reply_json(&c->metrics, req, http, r);
}

/* A submission is committed (or not): {"token"}, or held until its job
   ends. */
static void
judge0_posted(struct core *c, const struct job *j, int status,
    const struct error *e, void *arg)
{
	struct judge0_post *p = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(p->req);
	struct judge0_show *show;
	char where[48], token[24];

	if (j == NULL) {
		judge0_refused(c, p->req, status, e);
		free(p);
		return;
	}
	snprintf(token, sizeof(token), "%lld", (long long)j->id);
	snprintf(where, sizeof(where), "/submissions/%s", token);
	evhttp_add_header(evhttp_request_get_output_headers(p->req), "Location",
	    where);
	if (!p->wait)
		reply_json(&c->metrics, p->req, 201,
		    json_pack("{s:s}", "token", token));
	else {
		/* Committed: the body is needed no more. */
		evbuffer_drain(in, evbuffer_get_length(in));
		if ((show = malloc(sizeof(*show))) == NULL)
			fatal("out of memory");
		*show = p->show;
		waiter_add_answer(p->ws, p->req, j, c->set.wait_max_seconds,
		    judge0_waited, show);
	}
	free(p);
}

/* The request's body as JSON, or NULL after replying 400 or 413. */
static json_t *
judge0_body(struct core *c, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_error_t jerr;
	json_t *root;
	char msg[300];

	if (len > c->set.max_body_bytes) {
		judge0_error(c, req, 413,
		    "the request body is larger than max_body_bytes");
		return NULL;
	}
	root = json_loadb(len > 0 ? (const char *)evbuffer_pullup(in, -1) : "",
	    len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		snprintf(msg, sizeof(msg),
		    "the request body is not valid JSON: %s", jerr.text);
		judge0_error(c, req, 400, msg);
	}
	return root;
}

/* Whether some node offers the language of item. */
static bool
judge0_offered(struct core *c, const json_t *item)
{
	char versions[LANGMAP_VERSIONS_MAX][LANGMAP_VERSION_MAX];
	const json_t *v = json_object_get(item, "language_id");
	const struct settings_language *l;
	long long id;

	id = json_is_integer(v) ? json_integer_value(v)
	    : json_is_string(v) ? strtoll(json_string_value(v), NULL, 10)
				: 0;
	l = langmap_judge0_find(&c->set, id);
	return l != NULL && langmap_versions(c, l->runtime, versions) > 0;
}

/* Put msg on each limit item gives, in place of *errs. */
static void
judge0_blame_limits(const json_t *item, const char *msg, json_t **errs)
{
	static const char *const keys[] = { "cpu_time_limit", "wall_time_limit",
		"memory_limit", "max_processes_and_or_threads" };
	json_t *e = json_object();
	size_t i;

	if (e == NULL)
		fatal("out of memory");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(item, keys[i]) != NULL &&
		    !json_is_null(json_object_get(item, keys[i])))
			judge0_err(e, keys[i], msg);
	if (json_object_size(e) == 0)
		judge0_err(e, "base", msg);
	json_decref(*errs);
	*errs = e;
}

/*
 * Submit item (a Judge0 submission) as tenant tok: 0 if it is in the
 * open batch (cb will say), -1 with *refusal (Judge0's errors) and *http
 * if it is refused now.
 */
static int
judge0_submit(struct core *c, const struct settings_token *tok,
    const json_t *item, bool base64, core_submit_cb cb, void *arg,
    json_t **refusal, int *http)
{
	json_t *native;
	struct error e;
	char *text;
	int status, rc;

	error_init(&e);
	if (judge0_request(&c->set, item, base64, &native, refusal) == -1) {
		*http = 422;
		return -1;
	}
	if ((text = json_dumps(native, JSON_COMPACT)) == NULL)
		fatal("out of memory");
	json_decref(native);
	rc = core_submit_batched(c, tok, text, strlen(text), cb, arg, &status,
	    &e);
	free(text);
	if (rc == -1)
		*refusal = judge0_refusal(status, &e, http);
	/* No node could run it, though one offers the language: its limits
	   are above every node's ceilings. */
	if (rc == -1 && status == 422 && strcmp(e.field, "runtime") == 0 &&
	    judge0_offered(c, item))
		judge0_blame_limits(item, e.msg, refusal);
	return rc;
}

/* POST /submissions[?base64_encoded=true][&wait=true]. */
static void
judge0_create(struct core *c, struct waiter_set *ws, struct evhttp_request *req,
    const struct settings_token *tok)
{
	struct judge0_post *p;
	json_t *root, *refusal;
	int http;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("out of memory");
	p->ws = ws;
	p->req = req;
	if (!judge0_query(c, req, &p->show, &p->wait, NULL) ||
	    (root = judge0_body(c, req)) == NULL) {
		free(p);
		return;
	}
	if (judge0_submit(c, tok, root, p->show.base64, judge0_posted, p,
		&refusal, &http) == -1) {
		free(p);
		if (http == 503 || http == 507)
			evhttp_add_header(evhttp_request_get_output_headers(
					      req),
			    "Retry-After", "5");
		reply_json(&c->metrics, req, http, refusal);
	}
	json_decref(root);
}

/* Whether a batch of n submissions is one Judge0 takes; else answered as
   Judge0 answers it. */
static bool
judge0_batch_size_ok(struct core *c, struct evhttp_request *req, size_t n)
{
	char msg[128];

	if (n > 0 && n <= c->set.max_batch_jobs)
		return true;
	if (n == 0)
		snprintf(msg, sizeof(msg),
		    "there should be at least one submission in a batch");
	else
		snprintf(msg, sizeof(msg),
		    "number of submissions in a batch should be less than or "
		    "equal to %zu",
		    c->set.max_batch_jobs);
	judge0_error(c, req, 400, msg);
	return false;
}
/* One answer fewer to wait for; at none, the batch's reply. */
static void
judge0_batch_done(struct core *c, struct judge0_batch *b)
{
	if (--b->left > 0)
		return;
	/* Judge0: 201 if any was created, else 422. */
	reply_json(&c->metrics, b->req, b->created ? 201 : 422, b->answers);
	free(b);
}

/* A batch item is committed (or not). */
static void
judge0_batch_posted(struct core *c, const struct job *j, int status,
    const struct error *e, void *arg)
{
	struct judge0_item *it = arg;
	struct judge0_batch *b = it->b;
	char token[24];
	int http;

	if (j != NULL) {
		snprintf(token, sizeof(token), "%lld", (long long)j->id);
		json_array_set_new(b->answers, it->i,
		    json_pack("{s:s}", "token", token));
		b->created = true;
	} else
		json_array_set_new(b->answers, it->i,
		    judge0_refusal(status, e, &http));
	free(it);
	judge0_batch_done(c, b);
}

/* POST /submissions/batch: each item submitted on its own. */
static void
judge0_batch_create(struct core *c, struct evhttp_request *req,
    const struct settings_token *tok)
{
	struct judge0_show show;
	struct judge0_batch *b;
	struct judge0_item *it;
	json_t *root, *items, *refusal;
	size_t n, i;
	int http;

	if (!judge0_query(c, req, &show, NULL, NULL) ||
	    (root = judge0_body(c, req)) == NULL)
		return;
	items = json_object_get(root, "submissions");
	n = json_is_array(items) ? json_array_size(items) : 0;
	if (!judge0_batch_size_ok(c, req, n)) {
		json_decref(root);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->answers = json_array()) == NULL)
		fatal("out of memory");
	b->req = req;
	b->left = n + 1; /* one more until every item is handed in */
	for (i = 0; i < n; i++)
		json_array_append_new(b->answers, json_null());
	for (i = 0; i < n; i++) {
		if ((it = malloc(sizeof(*it))) == NULL)
			fatal("out of memory");
		it->b = b;
		it->i = i;
		if (judge0_submit(c, tok, json_array_get(items, i), show.base64,
			judge0_batch_posted, it, &refusal, &http) == -1) {
			free(it);
			json_array_set_new(b->answers, i, refusal);
			b->left--;
		}
	}
	json_decref(root);
	evbuffer_drain(evhttp_request_get_input_buffer(req),
	    evbuffer_get_length(evhttp_request_get_input_buffer(req)));
	judge0_batch_done(c, b);
}

/* GET /submissions/TOKEN[?base64_encoded=true&fields=...]. */
static void
judge0_show(struct core *c, struct evhttp_request *req,
    const struct settings_token *tok, const char *token)
{
	struct judge0_show show;
	struct job j;
	json_t *r;
	bool bad;

	if (!judge0_query(c, req, &show, NULL, NULL))
		return;
	if (!judge0_job(c, tok, token, strlen(token), &j)) {
		judge0_error(c, req, 404, "submission not found");
		return;
	}
	if ((r = judge0_submission(c, &j, &show, &bad)) == NULL)
		judge0_error(c, req, 400, JUDGE0_NOT_UTF8);
	else
		reply_json(&c->metrics, req, 200, r);
}

/* The bytes of text in a submission as shown (its string fields). */
static size_t
judge0_text_bytes(const json_t *r)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	json_object_foreach ((json_t *)r, key, v)
		if (json_is_string(v))
			n += json_string_length(v);
	return n;
}

/* Whether the token of len bytes at t is among the n before it. */
static bool
judge0_token_again(const char *tokens, const char *t, size_t len)
{
	const char *u;
	size_t k;

	for (u = tokens; u < t; u += k + (u[k] == ','))
		if ((k = strcspn(u, ",")) == len && memcmp(u, t, len) == 0)
			return true;
	return false;
}

/*
 * GET /submissions/batch?tokens=T1,T2,...: each, or null if there is no
 * such submission of the tenant's.  Each token once, and at most
 * JUDGE0_BATCH_TEXT_MAX bytes of text in all: a batch of the same big job
 * a hundred times would otherwise make the loop read and encode it a
 * hundred times.
 */
static void
judge0_batch_show(struct core *c, struct evhttp_request *req,
    const struct settings_token *tok)
{
	struct judge0_show show;
	char *tokens = NULL, msg[160];
	const char *t;
	json_t *list, *r;
	size_t n = 0, k, text = 0;
	struct job j;
	bool bad = false;

	if (!judge0_query(c, req, &show, NULL, &tokens))
		return;
	for (t = tokens; t != NULL && *t != '\0'; t += k + (t[k] == ','))
		if ((k = strcspn(t, ",")) > 0)
			n++;
	if (!judge0_batch_size_ok(c, req, n)) {
		free(tokens);
		return;
	}
	for (t = tokens; *t != '\0'; t += k + (t[k] == ','))
		if ((k = strcspn(t, ",")) > 0 &&
		    judge0_token_again(tokens, t, k)) {
			snprintf(msg, sizeof(msg),
			    "token '%.*s' is given more than once",
			    (int)(k < 64 ? k : 64), t);
			judge0_error(c, req, 400, msg);
			free(tokens);
			return;
		}
	if ((list = json_array()) == NULL)
		fatal("out of memory");
	for (t = tokens; *t != '\0' && !bad; t += k + (t[k] == ',')) {
		if ((k = strcspn(t, ",")) == 0)
			continue;
		if (!judge0_job(c, tok, t, k, &j))
			json_array_append_new(list, json_null());
		else if ((r = judge0_submission(c, &j, &show, &bad)) != NULL) {
			text += judge0_text_bytes(r);
			json_array_append_new(list, r);
		}
		if (text > JUDGE0_BATCH_TEXT_MAX) {
			json_decref(list);
			free(tokens);
			snprintf(msg, sizeof(msg),
			    "these submissions' fields are more than %d MiB of "
			    "text: ask for fewer submissions, or fewer fields",
			    JUDGE0_BATCH_TEXT_MAX >> 20);
			judge0_error(c, req, 400, msg);
			return;
		}
	}
	free(tokens);
	if (bad) {
		json_decref(list);
		judge0_error(c, req, 400,
		    "some attributes for one or more submissions cannot be "
		    "converted to UTF-8, use base64_encoded=true query "
		    "parameter");
		return;
	}
	reply_json(&c->metrics, req, 200,
	    json_pack("{s:o}", "submissions", list));
}

/* A language some node offers, as GET /languages/ID shows it (full) or
   the list does; NULL if it is not offered. */
static json_t *
judge0_language(struct core *c, const struct settings_language *l, bool full)
{
	char versions[LANGMAP_VERSIONS_MAX][LANGMAP_VERSION_MAX], name[160];

	if (l->judge0_id == 0 || langmap_versions(c, l->runtime, versions) == 0)
		return NULL;
	langmap_judge0_name(l, versions[0], name, sizeof(name));
	if (!full)
		return json_pack("{s:i, s:s}", "id", l->judge0_id, "name",
		    name);
	/* The commands are the node's (agent.conf), not known here. */
	return json_pack("{s:i, s:s, s:b, s:s, s:n, s:n}", "id", l->judge0_id,
	    "name", name, "is_archived", 0, "source_file", l->source_file,
	    "compile_cmd", "run_cmd");
}

/* Order languages by id. */
static int
judge0_language_cmp(const void *a, const void *b)
{
	const struct settings_language
	    *x = *(const struct settings_language *const *)a,
	    *y = *(const struct settings_language *const *)b;

	return (x->judge0_id > y->judge0_id) - (x->judge0_id < y->judge0_id);
}

/* GET /languages: those some node offers, by id. */
static void
judge0_languages(struct core *c, struct evhttp_request *req)
{
	const struct settings_language *sorted[SETTINGS_LANGUAGES_MAX];
	json_t *list = json_array(), *l;
	size_t i, n = 0;

	if (list == NULL)
		fatal("out of memory");
	for (i = 0; i < c->set.nlanguages && n < SETTINGS_LANGUAGES_MAX; i++)
		sorted[n++] = &c->set.languages[i];
	qsort(sorted, n, sizeof(sorted[0]), judge0_language_cmp);
	for (i = 0; i < n; i++)
		if ((l = judge0_language(c, sorted[i], false)) != NULL)
			json_array_append_new(list, l);
	reply_json(&c->metrics, req, 200, list);
}

/* GET /statuses. */
static void
judge0_statuses_list(struct core *c, struct evhttp_request *req)
{
	json_t *list = json_array();
	int id;

	if (list == NULL)
		fatal("out of memory");
	for (id = 1; id < JUDGE0_NSTATUSES; id++)
		json_array_append_new(list,
		    json_pack("{s:i, s:s}", "id", id, "description",
			judge0_statuses[id]));
	reply_json(&c->metrics, req, 200, list);
}

/* Answer a method the path does not have. */
static void
judge0_bad_method(struct core *c, struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	judge0_error(c, req, 405, "method not allowed");
}

/* Route a request of this API. */
void
judge0_route(struct core *c, struct waiter_set *ws, struct evhttp_request *req,
    const struct settings_token *tok, const char *path)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct settings_language *l;
	bool get = method == EVHTTP_REQ_GET, post = method == EVHTTP_REQ_POST;
	uint64_t id;
	json_t *r;

	if (strcmp(path, "/languages") == 0) {
		if (get)
			judge0_languages(c, req);
		else
			judge0_bad_method(c, req, "GET");
	} else if (strncmp(path, "/languages/", 11) == 0) {
		if (!get) {
			judge0_bad_method(c, req, "GET");
			return;
		}
		r = NULL;
		if (strspn(path + 11, "0123456789") == strlen(path + 11) &&
		    util_parse_u64(path + 11, &id) && id <= 2147483647 &&
		    (l = langmap_judge0_find(&c->set, (long long)id)) != NULL)
			r = judge0_language(c, l, true);
		if (r != NULL)
			reply_json(&c->metrics, req, 200, r);
		else
			judge0_error(c, req, 404, "language not found");
	} else if (strcmp(path, "/statuses") == 0) {
		if (get)
			judge0_statuses_list(c, req);
		else
			judge0_bad_method(c, req, "GET");
	} else if (strcmp(path, "/authenticate") == 0) {
		if (post)
			reply_empty(&c->metrics, req, 200);
		else
			judge0_bad_method(c, req, "POST");
	} else if (strcmp(path, "/submissions") == 0) {
		if (post)
			judge0_create(c, ws, req, tok);
		else
			judge0_bad_method(c, req, "POST");
	} else if (strcmp(path, "/submissions/batch") == 0) {
		if (post)
			judge0_batch_create(c, req, tok);
		else if (get)
			judge0_batch_show(c, req, tok);
		else
			judge0_bad_method(c, req, "GET, POST");
	} else if (strchr(path + 13, '/') == NULL) {
		if (get)
			judge0_show(c, req, tok, path + 13);
		else
			judge0_bad_method(c, req, "GET");
	} else
		judge0_error(c, req, 404, "no such endpoint");
}

/* The Piston v2 API: see piston.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "fmt.h"
#include "langmap.h"
#include "log.h"
#include "piston.h"
#include "reply.h"
#include "request.h"
#include "view.h"

/* An execution on its way to its answer. */
struct piston_exec {
	struct waiter_set *ws;
	struct evhttp_request *req;
};

/* Whether path is one of this API's. */
bool
piston_path(const char *path)
{
	return strncmp(path, "/api/v2/", 8) == 0;
}

/* Reply with Piston's error document. */
void
piston_error(struct core *c, struct evhttp_request *req, int status,
    const char *msg)
{
	reply_foreign_error(&c->metrics, req, status, "message", msg);
}

/* The names of Linux's signals, by number. */
const char *
piston_signal_name(int sig)
{
	static const char *const names[] = { NULL, "SIGHUP", "SIGINT",
		"SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
		"SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE",
		"SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
		"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
		"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",
		"SIGPWR", "SIGSYS" };

	if (sig < 1 || sig >= (int)(sizeof(names) / sizeof(names[0])))
		return NULL;
	return names[sig];
}

/* The value of a hex digit, or -1. */
static int
piston_hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Hex (an even number of digits) as canonical base64, or NULL. */
static char *
piston_hex(const char *s, size_t len)
{
	unsigned char *bytes;
	char *out;
	size_t i;
	int hi, lo;

	errno = EINVAL;
	if (len % 2 != 0)
		return NULL;
	if ((bytes = malloc(len / 2 + 1)) == NULL)
		fatal("out of memory");
	for (i = 0; i < len; i += 2) {
		hi = piston_hex_digit(s[i]);
		lo = piston_hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0) {
			free(bytes);
			errno = EINVAL;
			return NULL;
		}
		bytes[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	if ((out = fmt_base64(bytes, len / 2)) == NULL)
		fatal("out of memory");
	free(bytes);
	return out;
}

/* Whether v is a string without a NUL byte (one that a C string holds
   whole: a name, not a file's content). */
static bool
piston_cstr(const json_t *v)
{
	return json_is_string(v) &&
	    strlen(json_string_value(v)) == json_string_length(v);
}

/* A JSON string with the bytes of v (NUL bytes kept). */
static json_t *
piston_string(const json_t *v)
{
	return json_stringn(json_string_value(v), json_string_length(v));
}

/*
 * One of Piston's constraints, "run_timeout" and the like, into the native
 * limit name of limits (created on first use): ms into seconds (scale
 * 0.001) or bytes as they are (0).  Absent, null, 0 and -1 leave the
 * node's default, as Piston leaves its own.
 */
static int
piston_limit(const json_t *root, const char *key, const char *name,
    double scale, json_t **limits, struct error *e)
{
	const json_t *v = json_object_get(root, key);
	double d;

	if (v == NULL || json_is_null(v) || json_is_false(v))
		return 0;
	if (!json_is_number(v))
		return error_set_field(e, ERR_INVALID, key,
		    "If specified, %s must be a number", key);
	d = json_number_value(v);
	if (d == 0 || d == -1)
		return 0;
	if (d < 0)
		return error_set_field(e, ERR_INVALID, key,
		    "%s must be non-negative", key);
	if (*limits == NULL && (*limits = json_object()) == NULL)
		fatal("out of memory");
	json_object_set_new(*limits, name,
	    scale > 0 ? json_real(d * scale)
		      : json_integer(d < 9e18 ? (json_int_t)d : INT64_MAX));
	return 0;
}

/* The files of the request into the native body's files and
   files_base64, with the entry's name. */
static int
piston_files(const struct settings_language *lang, const json_t *files,
    json_t *native, struct error *e)
{
	json_t *text = json_object(), *bin = json_object(), *f, *v, *enc;
	const char *name, *entry = NULL, *how;
	char fallback[32], *b64;
	size_t i;

	if (text == NULL || bin == NULL)
		fatal("out of memory");
	json_array_foreach (files, i, f) {
		if (!json_is_object(f))
			goto bad_file;
		v = json_object_get(f, "content");
		if (!json_is_string(v)) {
			error_set_field(e, ERR_INVALID, "files",
			    "files[%zu].content is required as a string", i);
			goto fail;
		}
		enc = json_object_get(f, "encoding");
		how = piston_cstr(enc) ? json_string_value(enc) : "utf8";
		if ((enc != NULL && !json_is_null(enc) && !piston_cstr(enc)) ||
		    (strcmp(how, "utf8") != 0 && strcmp(how, "base64") != 0 &&
			strcmp(how, "hex") != 0)) {
			error_set_field(e, ERR_INVALID, "files",
			    "files[%zu].encoding must be utf8, base64 or hex",
			    i);
			goto fail;
		}
		v = json_object_get(f, "name");
		name = json_string_value(v);
		if (v != NULL && !json_is_null(v) && !piston_cstr(v)) {
			error_set_field(e, ERR_INVALID, "files",
			    "files[%zu].name must be a string without NUL "
			    "bytes",
			    i);
			goto fail;
		}
		v = json_object_get(f, "content");
		/* Piston runs the first utf8 file; a nameless one is named
		   as the language's source file, others file<i>.code. */
		if (name == NULL || name[0] == '\0') {
			snprintf(fallback, sizeof(fallback), "file%zu.code", i);
			name = entry == NULL && strcmp(how, "utf8") == 0
			    ? lang->source_file
			    : fallback;
		}
		if (json_object_get(text, name) != NULL ||
		    json_object_get(bin, name) != NULL) {
			error_set_field(e, ERR_INVALID, "files",
			    "files[%zu]: the name '%.64s' is given twice", i,
			    name);
			goto fail;
		}
		if (strcmp(how, "utf8") == 0) {
			if (entry == NULL)
				entry = name;
			json_object_set_new(text, name, piston_string(v));
			continue;
		}
		b64 = strcmp(how, "hex") == 0
		    ? piston_hex(json_string_value(v), json_string_length(v))
		    : request_base64_tidy(json_string_value(v),
			  json_string_length(v));
		if (b64 == NULL && errno == ENOMEM)
			fatal("out of memory");
		if (b64 == NULL) {
			error_set_field(e, ERR_INVALID, "files",
			    "files[%zu].content is not valid %s", i, how);
			goto fail;
		}
		json_object_set_new(bin, name, json_string(b64));
		free(b64);
	}
	if (entry == NULL) {
		error_set_field(e, ERR_INVALID, "files",
		    "files must include at least one utf8 encoded file");
		goto fail;
	}
	json_object_set_new(native, "entry", json_string(entry));
	json_object_set_new(native, "files", text);
	if (json_object_size(bin) > 0)
		json_object_set_new(native, "files_base64", bin);
	else
		json_decref(bin);
	return 0;
bad_file:
	error_set_field(e, ERR_INVALID, "files", "files[%zu] must be an object",
	    i);
fail:
	json_decref(text);
	json_decref(bin);
	return -1;
}

/* An execute request as a native submission. */
int
piston_request(const struct settings *s, const json_t *root,
    const struct settings_language **langp, const char **versionp, json_t **out,
    struct error *e)
{
	const json_t *lv = json_object_get(root, "language"),
		     *vv = json_object_get(root, "version"),
		     *files = json_object_get(root, "files"), *v, *a;
	static const struct {
		const char *key, *name;
		double scale;
		bool compile;
	} limits[] = {
		{ "run_timeout", "wall_seconds", 0.001, false },
		{ "run_cpu_time", "cpu_seconds", 0.001, false },
		{ "run_memory_limit", "memory_bytes", 0, false },
		{ "compile_timeout", "wall_seconds", 0.001, true },
		{ "compile_cpu_time", "cpu_seconds", 0.001, true },
		{ "compile_memory_limit", "memory_bytes", 0, true },
	};
	const struct settings_language *lang;
	json_t *native = NULL, *run = NULL, *compile = NULL, *args;
	const char *version = "*";
	size_t i, n;

	if (!json_is_object(root))
		return error_set(e, ERR_INVALID,
		    "the request body must be a JSON object");
	if (!piston_cstr(lv))
		return error_set_field(e, ERR_INVALID, "language",
		    "language is required as a string");
	if (vv != NULL && !json_is_null(vv)) {
		if (!piston_cstr(vv))
			return error_set_field(e, ERR_INVALID, "version",
			    "version is required as a string");
		version = json_string_value(vv);
	}
	if ((lang = langmap_piston_find(s, json_string_value(lv))) == NULL)
		return error_set_field(e, ERR_INVALID, "language",
		    "%.64s-%.64s runtime is unknown", json_string_value(lv),
		    version);
	if (!json_is_array(files))
		return error_set_field(e, ERR_INVALID, "files",
		    "files is required as an array");
	/* Counted before any is looked at, as POST /v1/jobs counts. */
	if (json_array_size(files) > s->caps.max_files)
		return error_set_field(e, ERR_INVALID, "files",
		    "more than %zu files", s->caps.max_files);
	if ((native = json_pack("{s:s}", "runtime", lang->runtime)) == NULL)
		fatal("out of memory");
	if (piston_files(lang, files, native, e) == -1)
		goto fail;
	/* Piston ends stdin with a newline if it has none. */
	if ((v = json_object_get(root, "stdin")) != NULL && !json_is_null(v)) {
		char *text;

		if (!json_is_string(v)) {
			error_set_field(e, ERR_INVALID, "stdin",
			    "stdin must be a string");
			goto fail;
		}
		n = json_string_length(v);
		if ((text = malloc(n + 2)) == NULL)
			fatal("out of memory");
		memcpy(text, json_string_value(v), n);
		if (n == 0 || text[n - 1] != '\n')
			text[n++] = '\n';
		json_object_set_new(native, "stdin", json_stringn(text, n));
		free(text);
	} else
		json_object_set_new(native, "stdin", json_string("\n"));
	if ((a = json_object_get(root, "args")) != NULL && !json_is_null(a)) {
		if (!json_is_array(a))
			goto bad_args;
		if ((args = json_array()) == NULL)
			fatal("out of memory");
		json_object_set_new(native, "args", args);
		json_array_foreach (a, i, v) {
			if (!json_is_string(v))
				goto bad_args;
			json_array_append_new(args, piston_string(v));
		}
	}
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (piston_limit(root, limits[i].key, limits[i].name,
			limits[i].scale, limits[i].compile ? &compile : &run,
			e) == -1)
			goto fail;
	if (run != NULL)
		json_object_set_new(native, "limits", run);
	/* Only a runtime with a compile stage takes compile limits. */
	if (compile != NULL && lang->compile)
		json_object_set_new(native, "compile_limits", compile);
	else
		json_decref(compile);
	*langp = lang;
	*versionp = version;
	*out = native;
	return 0;
bad_args:
	error_set_field(e, ERR_INVALID, "args",
	    "args must be an array of strings");
fail:
	json_decref(run);
	json_decref(compile);
	json_decref(native);
	return -1;
}

/* Piston's run or compile stage from a stage of the job object. */
json_t *
piston_stage(const json_t *st)
{
	const char *verdict = json_string_value(json_object_get(st, "verdict"));
	const char *out = json_string_value(json_object_get(st, "stdout"));
	const char *err = json_string_value(json_object_get(st, "stderr"));
	size_t olen = out != NULL
	    ? json_string_length(json_object_get(st, "stdout"))
	    : 0,
	       elen = err != NULL
	    ? json_string_length(json_object_get(st, "stderr"))
	    : 0;
	const json_t *code = json_object_get(st, "exit_code");
	json_int_t sig = json_integer_value(json_object_get(st, "signal"));
	const char *status = NULL, *signame = NULL;
	char message[96] = "", *both;
	json_t *r, *v;

	if (verdict == NULL)
		verdict = "";
	signame = piston_signal_name((int)sig);
	if (strcmp(verdict, "exited") == 0) {
		status = "RE";
		snprintf(message, sizeof(message),
		    "Exited with error status %lld",
		    (long long)json_integer_value(code));
	} else if (strcmp(verdict, "signaled") == 0) {
		status = "SG";
		snprintf(message, sizeof(message), "Caught fatal signal %lld",
		    (long long)sig);
	} else if (strcmp(verdict, "cpu_limit") == 0 ||
	    strcmp(verdict, "wall_limit") == 0) {
		status = "TO";
		snprintf(message, sizeof(message), "%s",
		    verdict[0] == 'c' ? "Time limit exceeded"
				      : "Time limit exceeded (wall clock)");
	} else if (strcmp(verdict, "memory_limit") == 0) {
		status = "SG";
		snprintf(message, sizeof(message), "Memory limit exceeded");
	} else if (strcmp(verdict, "output_limit") == 0) {
		bool only_err = json_is_true(
				    json_object_get(st, "stderr_truncated")) &&
		    !json_is_true(json_object_get(st, "stdout_truncated"));

		status = only_err ? "EL" : "OL";
		snprintf(message, sizeof(message), "%s length exceeded",
		    only_err ? "stderr" : "stdout");
	} else if (strcmp(verdict, "cancelled") == 0) {
		status = "XX";
		snprintf(message, sizeof(message), "cancelled");
	}
	/* Piston reports SIGKILL for what it stopped itself. */
	if (status != NULL && strcmp(status, "RE") != 0 &&
	    strcmp(verdict, "signaled") != 0)
		signame = "SIGKILL";
	if ((both = malloc(olen + elen + 1)) == NULL)
		fatal("out of memory");
	if (olen > 0)
		memcpy(both, out, olen);
	if (elen > 0)
		memcpy(both + olen, err, elen);
	r = json_object();
	json_object_set_new(r, "stdout", json_stringn(out ? out : "", olen));
	json_object_set_new(r, "stderr", json_stringn(err ? err : "", elen));
	json_object_set_new(r, "output", json_stringn(both, olen + elen));
	free(both);
	json_object_set_new(r, "code",
	    json_is_integer(code) ? json_integer(json_integer_value(code))
				  : json_null());
	json_object_set_new(r, "signal",
	    signame != NULL ? json_string(signame) : json_null());
	json_object_set_new(r, "message",
	    message[0] != '\0' ? json_string(message) : json_null());
	json_object_set_new(r, "status",
	    status != NULL ? json_string(status) : json_null());
	v = json_object_get(st, "cpu_seconds");
	json_object_set_new(r, "cpu_time",
	    json_is_number(v) ? json_real(json_number_value(v) * 1000)
			      : json_null());
	v = json_object_get(st, "wall_seconds");
	json_object_set_new(r, "wall_time",
	    json_is_number(v) ? json_real(json_number_value(v) * 1000)
			      : json_null());
	v = json_object_get(st, "memory_peak_bytes");
	json_object_set_new(r, "memory",
	    json_is_integer(v) ? json_integer(json_integer_value(v))
			       : json_null());
	return r;
}

/* Whether a verdict means the program (or its compiler) ran. */
static bool
piston_ran(const char *verdict)
{
	return verdict != NULL && strcmp(verdict, "sandbox_error") != 0;
}

/* The answer to an execution, once its job has ended (or the wait is
   over: the job is cancelled, nobody is left to read its end). */
static void
piston_answer(struct core *c, struct evhttp_request *req, const struct job *j,
    bool ended, void *arg)
{
	const struct settings_language *lang;
	char version[LANGMAP_VERSION_MAX], msg[400];
	json_t *obj, *compile, *resp;
	const char *verdict;
	struct error e;
	struct job tmp;

	(void)arg;
	if (j == NULL) {
		piston_error(c, req, 500, "the job is gone");
		return;
	}
	if (!ended) {
		(void)core_cancel(c, j->id, &tmp, &e);
		snprintf(msg, sizeof(msg),
		    "job %lld did not end within wait_max_seconds (%g s) and "
		    "was cancelled",
		    (long long)j->id, c->set.wait_max_seconds);
		piston_error(c, req, 504, msg);
		return;
	}
	if ((obj = view_job_json(c, j)) == NULL) {
		piston_error(c, req, 500, "out of memory");
		return;
	}
	verdict = json_string_value(json_object_get(obj, "verdict"));
	if (!piston_ran(verdict)) {
		snprintf(msg, sizeof(msg),
		    "the program could not be run (%s%s%s)",
		    job_state_name(j->state), j->reason[0] ? ": " : "",
		    j->reason);
		piston_error(c, req, 500, msg);
		json_decref(obj);
		return;
	}
	lang = langmap_by_runtime(&c->set, j->runtime, false);
	langmap_node_version(c, j->node, j->runtime, version);
	resp = json_pack("{s:s, s:s}", "language",
	    lang != NULL ? lang->piston : j->runtime, "version", version);
	if (resp == NULL)
		fatal("out of memory");
	compile = json_object_get(obj, "compile");
	if (json_is_object(compile))
		json_object_set_new(resp, "compile", piston_stage(compile));
	/* A compile that failed: Piston gives its stage as the run too. */
	if (strcmp(verdict, "compile_error") == 0 && json_is_object(compile))
		json_object_set_new(resp, "run", piston_stage(compile));
	else
		json_object_set_new(resp, "run", piston_stage(obj));
	json_decref(obj);
	reply_json(&c->metrics, req, 200, resp);
}

/* An execution's submission is committed (or not): hold it until its job
   ends. */
static void
piston_submitted(struct core *c, const struct job *j, int status,
    const struct error *e, void *arg)
{
	struct piston_exec *x = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(x->req);

	if (j == NULL)
		piston_error(c, x->req, status, e->msg);
	else {
		/* Committed: the body is needed no more. */
		evbuffer_drain(in, evbuffer_get_length(in));
		waiter_add_answer(x->ws, x->req, j, c->set.wait_max_seconds,
		    piston_answer, NULL);
	}
	free(x);
}

/* POST /api/v2/execute. */
static void
piston_execute(struct core *c, struct waiter_set *ws,
    struct evhttp_request *req, const struct settings_token *tok)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in), n, i;
	char versions[LANGMAP_VERSIONS_MAX][LANGMAP_VERSION_MAX];
	const struct settings_language *lang;
	json_t *root, *native = NULL;
	struct piston_exec *x;
	const char *version;
	struct error e;
	char *text;
	int status;

	error_init(&e);
	if (len > c->set.max_body_bytes) {
		piston_error(c, req, 413,
		    "the request body is larger than max_body_bytes");
		return;
	}
	/* Piston takes any Content-Type (piston-client sends text/plain);
	   NUL bytes in strings are the native parser's to judge. */
	root = json_loadb(len > 0 ? (const char *)evbuffer_pullup(in, -1) : "",
	    len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (root == NULL) {
		piston_error(c, req, 400, "the request body is not JSON");
		return;
	}
	if (piston_request(&c->set, root, &lang, &version, &native, &e) == -1) {
		piston_error(c, req, 400, e.msg);
		json_decref(root);
		return;
	}
	n = langmap_versions(c, lang->runtime, versions);
	for (i = 0; i < n && !langmap_version_match(version, versions[i]); i++)
		;
	if (i == n) {
		snprintf(e.msg, sizeof(e.msg), "%.64s-%.64s runtime is unknown",
		    json_string_value(json_object_get(root, "language")),
		    version);
		piston_error(c, req, 400, e.msg);
		json_decref(native);
		json_decref(root);
		return;
	}
	json_decref(root);
	if ((text = json_dumps(native, JSON_COMPACT)) == NULL)
		fatal("out of memory");
	json_decref(native);
	if ((x = malloc(sizeof(*x))) == NULL)
		fatal("out of memory");
	x->ws = ws;
	x->req = req;
	if (core_submit_batched(c, tok, text, strlen(text), piston_submitted, x,
		&status, &e) == -1) {
		free(x);
		/* Piston says 400 for what it finds wrong in a request. */
		piston_error(c, req, status == 422 ? 400 : status, e.msg);
	}
	free(text);
}

/* GET /api/v2/runtimes: each language some node offers, by version. */
static void
piston_runtimes(struct core *c, struct evhttp_request *req)
{
	char versions[LANGMAP_VERSIONS_MAX][LANGMAP_VERSION_MAX];
	const struct settings_language *l;
	json_t *list = json_array(), *aliases;
	size_t i, k, n, a;

	if (list == NULL)
		fatal("out of memory");
	for (i = 0; i < c->set.nlanguages; i++) {
		l = &c->set.languages[i];
		if (l->piston[0] == '\0')
			continue;
		n = langmap_versions(c, l->runtime, versions);
		for (k = 0; k < n; k++) {
			if ((aliases = json_array()) == NULL)
				fatal("out of memory");
			for (a = 0; a < l->naliases; a++)
				json_array_append_new(aliases,
				    json_string(l->aliases[a]));
			json_array_append_new(list,
			    json_pack("{s:s, s:s, s:o, s:s}", "language",
				l->piston, "version", versions[k], "aliases",
				aliases, "runtime", l->runtime));
		}
	}
	reply_json(&c->metrics, req, 200, list);
}

/* Route a request of this API. */
void
piston_route(struct core *c, struct waiter_set *ws, struct evhttp_request *req,
    const struct settings_token *tok, const char *path)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const char *allow = NULL;

	if (strcmp(path, "/api/v2/runtimes") == 0) {
		if (method == EVHTTP_REQ_GET)
			piston_runtimes(c, req);
		else
			allow = "GET";
	} else if (strcmp(path, "/api/v2/execute") == 0) {
		if (method == EVHTTP_REQ_POST)
			piston_execute(c, ws, req, tok);
		else
			allow = "POST";
	} else
		piston_error(c, req, 404, "no such endpoint");
	if (allow != NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", allow);
		piston_error(c, req, 405, "method not allowed");
	}
}

/*
 * Submissions as they arrive over HTTP: parsed and checked completely before
 * anything is stored (INTERFACES.md section 2).  Pure: no I/O.
 *
 * Short form: {"runtime": "python3", "source": "print(1)"} (entry main.py;
 * see request_source_name()).
 * Long form:  "files": {"name": "text"}, "files_base64": {"name": "b64"},
 *             "entry", "stdin", "args", "env", "limits", "labels".
 * Unknown top-level fields are refused, so a typo never falls back to a
 * default silently.
 *
 * "callback_url": where the job object is POSTed once the job has ended
 * (callback.h); only its form is checked here.
 *
 * "name": the job's own name (sbatch -J), 1 to REQUEST_NAME_MAX
 * characters of [A-Za-z0-9._+-] (not "." or ".."), for listings and
 * filters; names need not be unique.
 *
 * Extension: "stdin_base64" (a string of base64) carries a standard input
 * that is not text, as "files_base64" does for files; it excludes "stdin".
 * The short form may carry "stdin", "stdin_base64", "args", "env",
 * "limits" and "labels" too, but not "entry", "files" or "files_base64".
 * JSON strings may hold \u0000: file contents and stdin keep the byte;
 * runtime, entry, args, env values and labels are refused (422) if they
 * hold one; jansson itself refuses it in object keys (400).
 */
#ifndef SLUICE_DISPATCHER_REQUEST_H
#define SLUICE_DISPATCHER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "limit.h"
#include "manifest.h"

#define REQUEST_ENTRY_DEFAULT "main.py" /* the short form's one file */
#define REQUEST_LABEL_MAX 64 /* bytes of one label, as node labels */
#define REQUEST_NAME_MAX 64 /* bytes of a job's name (job.h: JOB_TITLE_MAX) */
#define REQUEST_DEFAULT_MAX_FILES 100
#define REQUEST_DEFAULT_MAX_FILE_BYTES (8ULL * 1024 * 1024)
#define REQUEST_DEFAULT_MAX_TOTAL_BYTES (16ULL * 1024 * 1024)
#define REQUEST_DEFAULT_MAX_LABELS 16

/* Caps a submission must stay within (from the dispatcher's settings). */
struct request_caps {
	size_t max_files; /* default 100 */
	uint64_t max_file_bytes; /* one file, decoded; default 8 MiB */
	uint64_t max_total_bytes; /* files + stdin, decoded; 16 MiB */
	size_t max_labels; /* default 16 */
};

struct request_file {
	char *name; /* relative path, util_path_check()ed */
	unsigned char *data; /* len bytes, then a NUL not counted in len */
	size_t len;
};

struct submission {
	char runtime[MANIFEST_RUNTIME_MAX + 1];
	char *entry; /* one of the files' names */
	/* "files" in the order given, then "files_base64"; no name twice,
	   none a directory of another. */
	struct request_file *files;
	size_t nfiles;
	bool has_stdin; /* "stdin" or "stdin_base64" was given */
	unsigned char *stdin_data; /* stdin_len bytes, then a NUL */
	size_t stdin_len;
	char **args; /* nargs strings, as manifest.h bounds them */
	size_t nargs;
	char **env_keys; /* nenv pairs, as manifest.h bounds them */
	char **env_values;
	size_t nenv;
	struct limits limits; /* only those whose bit is set */
	unsigned limit_set;
	struct limits compile_limits; /* "compile_limits": only those whose */
	unsigned compile_limit_set; /* bit is set */
	char **labels; /* nlabels tokens (util_token_ok) */
	size_t nlabels;
	unsigned char *expected; /* "expected_output": expected_len bytes,
				    then a NUL; NULL if not given */
	size_t expected_len;
	bool expected_exact; /* "compare": "exact" */
	char *callback_url; /* "callback_url" as given (a URL that parses, or
			       "": none); NULL if not given */
	char name[REQUEST_NAME_MAX + 1]; /* "name", "" if not given */
};

/*
 * Parse and check a submission body.  On failure e says what and which
 * field, and *http_status is 400 (not JSON, wrong shape or type), 422
 * (well-formed but invalid: bad name, bad base64, bad limit, entry not a
 * file, ...), 413 (too large) or 500 (out of memory), as detailed below.
 * Whether the runtime exists and the limits fit some node is the
 * scheduler's question, not this one.  sub is filled only on success;
 * release it with request_release().
 *
 * In detail (the unit tests pin every case):
 *   400  empty body, not JSON (also invalid UTF-8, a duplicate key, a
 *        number too big for a double or a 64-bit integer), not an object,
 *        an unknown top-level key (e->field is that key), a value of the
 *        wrong JSON type (e.g. a limit given as "5", an object where a
 *        string belongs), "runtime" missing, none of "source", "files",
 *        "files_base64", or forms mixed ("source" with "files",
 *        "files_base64" or "entry"; "stdin" with "stdin_base64").
 *   422  a value that is well typed but wrong: runtime not a token, a bad
 *        file name, a name in both "files" and "files_base64", a name that
 *        is also a directory of another ("a" and "a/b"), bad base64, no
 *        files, entry missing with several files or not one of them, more
 *        than max_files files or max_labels labels, args or env beyond
 *        manifest.h's bounds, a NUL where a C string is needed, an
 *        unknown limit or one that limit_check_value() refuses, a label
 *        that is not a token or is given twice, a name that is not one.
 *   413  a file larger than max_file_bytes, or files and stdin together
 *        larger than max_total_bytes, once decoded (INTERFACES.md says 413
 *        for "too large", as the server answers for an oversized body).
 *   500  out of memory (e->code ERR_NOMEM).
 * Every type is checked before any value, so a body with both kinds of
 * fault gets 400 whatever the order of its keys.  e->field is the
 * top-level key at fault ("limits" also for a bad limit, whose name is in
 * the message), or "" when the body as a whole is.  e->msg and e->field
 * are printable ASCII (other bytes become '?'), ready for a JSON reply.
 * *http_status is set only on failure.  caps NULL means the defaults above.
 */
int request_parse(const char *body, size_t len, const struct request_caps *caps,
    struct submission *sub, int *http_status, struct error *e);

/*
 * The short form's one file for a runtime: main.c, main.cpp, Main.java and
 * main.js for the compiled and JavaScript runtimes etc/agent.conf ships
 * (their commands name the file by its extension, and Java's class by its
 * name), REQUEST_ENTRY_DEFAULT (main.py) for any other.
 */
const char *request_source_name(const char *runtime);

/* Free what sub owns. */
void request_release(struct submission *sub);

/*
 * Fill the manifest fields of m from sub for job id (a decimal string):
 * runtime, entry, args, env and limits.  m's strings point into sub (do not
 * manifest_release() it; free only the arrays with request_manifest_free).
 * Returns -1 if id is not 1 to MANIFEST_ID_MAX decimal digits or memory
 * runs out; m is written only on success.
 */
int request_manifest(const struct submission *sub, const char *id,
    struct manifest *m);

/* Free the arrays request_manifest() made and leave m empty. */
void request_manifest_free(struct manifest *m);

/*
 * Decode standard base64 (padding required, no whitespace; the bits the
 * padding leaves over must be zero, so every input has one encoding).
 * -1 if bad (errno EINVAL) or out of memory (ENOMEM).  On success *out
 * (the caller's to free) holds *outlen bytes and a NUL not counted.
 */
int request_base64_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen);

/*
 * Base64 as lenient decoders take it (Ruby's, Node's: ASCII whitespace
 * anywhere, padding optional), tidied into what request_base64_decode()
 * takes: a new string, or NULL if it is not base64 even so (errno EINVAL)
 * or memory runs out (ENOMEM).
 */
char *request_base64_tidy(const char *in, size_t len);

#endif

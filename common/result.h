/*
 * The result of one job, result.json: written by the agent, read by the
 * dispatcher.  The dispatcher parses it as untrusted input from a node, so
 * result_from_json() checks every field, type and bound.
 */
#ifndef SLUICE_RESULT_H
#define SLUICE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "limit.h"

#define RESULT_VERSION 1
#define RESULT_MAX_BYTES (4 * 1024 * 1024)
#define RESULT_MESSAGE_MAX 1024
#define RESULT_OUT_FILES_MAX 10000

enum verdict {
	VERDICT_OK,
	VERDICT_EXITED,
	VERDICT_SIGNALED,
	VERDICT_CPU_LIMIT,
	VERDICT_WALL_LIMIT,
	VERDICT_MEMORY_LIMIT,
	VERDICT_OUTPUT_LIMIT,
	VERDICT_CANCELLED,
	VERDICT_SANDBOX_ERROR,
	VERDICT_COMPILE_ERROR /* the compile stage did not end ok */
};

struct result_file {
	char *name; /* relative path under out/, already checked */
	uint64_t bytes;
};

/*
 * A runtime's compile stage, run in the job's sandbox before the program:
 * its own verdict (any but compile_error and sandbox_error), exit, usage,
 * output (JOBDIR/compile.stdout and compile.stderr) and limits.
 */
struct result_stage {
	enum verdict verdict;
	int exit_code; /* -1 when it did not exit */
	int signal; /* 0 when no signal ended it */
	double cpu_seconds;
	double wall_seconds;
	uint64_t memory_peak_bytes;
	uint64_t stdout_bytes;
	uint64_t stderr_bytes;
	bool stdout_truncated;
	bool stderr_truncated;
	struct limits limits;
};

struct result {
	enum verdict verdict;
	int exit_code; /* -1 when the program did not exit */
	int signal; /* 0 when no signal ended it */
	double cpu_seconds;
	double wall_seconds;
	uint64_t memory_peak_bytes;
	uint64_t stdout_bytes;
	uint64_t stderr_bytes;
	bool stdout_truncated;
	bool stderr_truncated;
	struct result_file *out_files;
	size_t n_out_files;
	bool out_files_truncated;
	struct limits limits;
	char message[RESULT_MESSAGE_MAX];
	char started_at[40];
	char finished_at[40];
	bool has_compile; /* the runtime has a compile stage and it ran */
	struct result_stage compile;
};

/* The verdict's name on the wire ("ok", "memory_limit", ...). */
const char *verdict_name(enum verdict v);

/* Look a verdict up by name; -1 if there is none. */
int verdict_parse(const char *name, enum verdict *out);

/* An empty result: no exit, no signal, no files. */
void result_init(struct result *r);

/* Append an out file; the name is copied.  Returns 0 or -1 (no memory). */
int result_add_file(struct result *r, const char *name, uint64_t bytes);

/* The JSON form of r. */
json_t *result_to_json(const struct result *r);

/*
 * Write r as name in dirfd, atomically: into name.tmp (created afresh,
 * never through a link), then renamed over name.
 */
int result_write_at(int dirfd, const char *name, const struct result *r,
    struct error *e);

/*
 * Parse and check a result from untrusted JSON: every known field must be
 * present with the right type and within bounds, out file names must pass
 * util_path_check().  r is filled only on success.
 */
int result_from_json(const json_t *obj, struct result *r, struct error *e);

/* Free what r owns. */
void result_release(struct result *r);

#endif

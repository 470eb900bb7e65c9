/*
 * The job manifest, job.json: what the dispatcher asks a node to run.
 * Parsing is strict because the manifest crosses a trust boundary both ways:
 * the agent treats it as untrusted input from the dispatcher's account.
 */
#ifndef SLUICE_MANIFEST_H
#define SLUICE_MANIFEST_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "limit.h"

#define MANIFEST_VERSION 1
#define MANIFEST_MAX_BYTES (1024 * 1024)
#define MANIFEST_ID_MAX 64
#define MANIFEST_RUNTIME_MAX 64
#define MANIFEST_ARGS_MAX 256
#define MANIFEST_ARG_BYTES 4096
#define MANIFEST_ENV_MAX 64
#define MANIFEST_ENV_KEY_MAX 128
#define MANIFEST_ENV_VALUE_BYTES 4096

struct manifest {
	int version;
	char id[MANIFEST_ID_MAX + 1];
	char runtime[MANIFEST_RUNTIME_MAX + 1];
	char *entry;
	char **args; /* nargs strings */
	size_t nargs;
	char **env_keys; /* nenv pairs */
	char **env_values;
	size_t nenv;
	struct limits limits; /* only the limits whose bit is in limit_set */
	unsigned limit_set;
	/* compile_limits: the compile stage's own (a runtime with one),
	   only those whose bit is in compile_limit_set */
	struct limits compile_limits;
	unsigned compile_limit_set;
};

/*
 * Parse and validate a manifest from a buffer of len bytes.  On success m
 * owns its strings (release with manifest_release); on failure m is left
 * empty and e says what is wrong and in which field.
 */
int manifest_parse(const char *buf, size_t len, struct manifest *m,
    struct error *e);

/* Build the JSON form of m (for the dispatcher, which writes job.json). */
json_t *manifest_to_json(const struct manifest *m);

/* Free what m owns and leave it empty. */
void manifest_release(struct manifest *m);

/* Whether key is a valid environment variable name. */
int manifest_env_key_ok(const char *key);

#endif

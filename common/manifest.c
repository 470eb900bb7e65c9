/* The job manifest: see manifest.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "util.h"

/* Whether key is [A-Za-z_][A-Za-z0-9_]* and short enough. */
int
manifest_env_key_ok(const char *key)
{
	size_t n;

	for (n = 0; key[n] != '\0'; n++) {
		char c = key[n];

		if (n >= MANIFEST_ENV_KEY_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			c == '_' || (n > 0 && c >= '0' && c <= '9')))
			return 0;
	}
	return n > 0;
}

/* Copy a JSON string that must hold no NUL byte and at most max bytes. */
static char *
manifest_string(const json_t *v, size_t max, const char *field, struct error *e)
{
	const char *s;
	size_t n;
	char *copy;

	if (!json_is_string(v)) {
		error_set_field(e, ERR_INVALID, field, "'%s' must be a string",
		    field);
		return NULL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (strlen(s) != n) {
		error_set_field(e, ERR_INVALID, field,
		    "'%s' holds a NUL character", field);
		return NULL;
	}
	if (n > max) {
		error_set_field(e, ERR_INVALID, field,
		    "'%s' is longer than %zu bytes", field, max);
		return NULL;
	}
	if ((copy = strdup(s)) == NULL)
		error_set(e, ERR_NOMEM, "out of memory");
	return copy;
}

/* Parse the "args" array. */
static int
manifest_parse_args(const json_t *v, struct manifest *m, struct error *e)
{
	size_t i;

	if (!json_is_array(v))
		return error_set_field(e, ERR_INVALID, "args",
		    "'args' must be an array of strings");
	if (json_array_size(v) > MANIFEST_ARGS_MAX)
		return error_set_field(e, ERR_INVALID, "args",
		    "more than %d arguments", MANIFEST_ARGS_MAX);
	m->args = calloc(json_array_size(v) + 1, sizeof(*m->args));
	if (m->args == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(v); i++) {
		m->args[i] = manifest_string(json_array_get(v, i),
		    MANIFEST_ARG_BYTES, "args", e);
		if (m->args[i] == NULL)
			return -1;
		m->nargs++;
	}
	return 0;
}

/* Parse the "env" object. */
static int
manifest_parse_env(const json_t *v, struct manifest *m, struct error *e)
{
	const char *key;
	json_t *val;
	size_t n;

	if (!json_is_object(v))
		return error_set_field(e, ERR_INVALID, "env",
		    "'env' must be an object of strings");
	n = json_object_size(v);
	if (n > MANIFEST_ENV_MAX)
		return error_set_field(e, ERR_INVALID, "env",
		    "more than %d environment variables", MANIFEST_ENV_MAX);
	m->env_keys = calloc(n + 1, sizeof(char *));
	m->env_values = calloc(n + 1, sizeof(char *));
	if (m->env_keys == NULL || m->env_values == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	json_object_foreach ((json_t *)v, key, val) {
		if (!manifest_env_key_ok(key))
			return error_set_field(e, ERR_INVALID, "env",
			    "'%.64s' is not a valid variable name", key);
		if ((m->env_keys[m->nenv] = strdup(key)) == NULL)
			return error_set(e, ERR_NOMEM, "out of memory");
		m->env_values[m->nenv] = manifest_string(val,
		    MANIFEST_ENV_VALUE_BYTES, "env", e);
		if (m->env_values[m->nenv] == NULL) {
			free(m->env_keys[m->nenv]);
			m->env_keys[m->nenv] = NULL;
			return -1;
		}
		m->nenv++;
	}
	return 0;
}

/* Copy a required token field (id, runtime). */
static int
manifest_token(const json_t *root, const char *field, char *dst, size_t max,
    struct error *e)
{
	const json_t *v = json_object_get(root, field);

	if (v == NULL)
		return error_set_field(e, ERR_INVALID, field, "'%s' is missing",
		    field);
	if (!json_is_string(v) || !util_token_ok(json_string_value(v), max) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return error_set_field(e, ERR_INVALID, field,
		    "'%s' must be 1 to %zu characters of [A-Za-z0-9._+-]",
		    field, max);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Parse and validate a manifest. */
int
manifest_parse(const char *buf, size_t len, struct manifest *m, struct error *e)
{
	static const char *known[] = { "version", "id", "runtime", "entry",
		"args", "env", "limits", "compile_limits", NULL };
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *key;
	int rc = -1, i;

	memset(m, 0, sizeof(*m));
	if (len > MANIFEST_MAX_BYTES)
		return error_set(e, ERR_INVALID,
		    "manifest is larger than %d bytes", MANIFEST_MAX_BYTES);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return error_set(e, ERR_INVALID,
		    "manifest is not valid JSON: %s (line %d)", jerr.text,
		    jerr.line);
	if (!json_is_object(root)) {
		error_set(e, ERR_INVALID, "manifest must be a JSON object");
		goto out;
	}
	json_object_foreach (root, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], key) == 0)
				break;
		if (known[i] == NULL) {
			error_set_field(e, ERR_INVALID, key,
			    "unknown field '%.64s'", key);
			goto out;
		}
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) != MANIFEST_VERSION) {
		error_set_field(e, ERR_INVALID, "version",
		    "'version' must be %d", MANIFEST_VERSION);
		goto out;
	}
	m->version = MANIFEST_VERSION;
	if (manifest_token(root, "id", m->id, MANIFEST_ID_MAX, e) == -1 ||
	    manifest_token(root, "runtime", m->runtime, MANIFEST_RUNTIME_MAX,
		e) == -1)
		goto out;
	if ((v = json_object_get(root, "entry")) == NULL) {
		error_set_field(e, ERR_INVALID, "entry", "'entry' is missing");
		goto out;
	}
	if ((m->entry = manifest_string(v, UTIL_PATH_MAX, "entry", e)) ==
		NULL ||
	    util_path_check(m->entry, "entry", e) == -1)
		goto out;
	if ((v = json_object_get(root, "args")) != NULL &&
	    manifest_parse_args(v, m, e) == -1)
		goto out;
	if ((v = json_object_get(root, "env")) != NULL &&
	    manifest_parse_env(v, m, e) == -1)
		goto out;
	if ((v = json_object_get(root, "limits")) != NULL &&
	    limit_from_json(v, &m->limits, &m->limit_set, e) == -1)
		goto out;
	if ((v = json_object_get(root, "compile_limits")) != NULL &&
	    limit_from_json(v, &m->compile_limits, &m->compile_limit_set, e) ==
		-1) {
		error_wrap(e, "compile_limits");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc == -1)
		manifest_release(m);
	return rc;
}

/* Build the JSON form of a manifest. */
json_t *
manifest_to_json(const struct manifest *m)
{
	json_t *args, *env, *limits, *compile = NULL;
	size_t i;

	/* Only a manifest that asks for compile limits names them: a node
	   that predates compile stages then reads every other manifest. */
	if (m->compile_limit_set != 0 &&
	    (compile = limit_to_json_set(&m->compile_limits,
		 m->compile_limit_set)) == NULL)
		return NULL;
	args = json_array();
	env = json_object();
	limits = limit_to_json_set(&m->limits, m->limit_set);
	for (i = 0; args != NULL && i < m->nargs; i++)
		json_array_append_new(args, json_string(m->args[i]));
	for (i = 0; env != NULL && i < m->nenv; i++)
		json_object_set_new(env, m->env_keys[i],
		    json_string(m->env_values[i]));
	/* "o" steals each reference, also when packing fails. */
	return json_pack("{s:i, s:s, s:s, s:s, s:o*, s:o*, s:o*, s:o*}",
	    "version", MANIFEST_VERSION, "id", m->id, "runtime", m->runtime,
	    "entry", m->entry, "args", args, "env", env, "limits", limits,
	    "compile_limits", compile);
}

/* Free what a manifest owns. */
void
manifest_release(struct manifest *m)
{
	size_t i;

	free(m->entry);
	util_strv_free(m->args, m->nargs);
	for (i = 0; m->env_keys != NULL && i < m->nenv; i++) {
		free(m->env_keys[i]);
		free(m->env_values[i]);
	}
	free(m->env_keys);
	free(m->env_values);
	memset(m, 0, sizeof(*m));
}

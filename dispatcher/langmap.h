/*
 * The languages of the Piston and Judge0 APIs (sluice.conf's languages,
 * settings.h): which runtime each name or id stands for, and what the
 * nodes offer of it now.  A language is offered while some node whose
 * agent has been heard from has its runtime (as GET /v1/runtimes lists
 * them, whatever the node's state); its version is the number in what the
 * agent reports ("Python 3.11.2" is 3.11.2).  The lookups are pure; those
 * that take the core read its node table, on the main thread.
 */
#ifndef SLUICE_DISPATCHER_LANGMAP_H
#define SLUICE_DISPATCHER_LANGMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"
#include "settings.h"

#define LANGMAP_VERSION_MAX 32 /* bytes of a version number, NUL included */
#define LANGMAP_VERSIONS_MAX 16 /* distinct versions of one runtime */

/* The language whose Piston name or alias is name, or NULL. */
const struct settings_language *
langmap_piston_find(const struct settings *s, const char *name);

/* The language whose Judge0 id is id, or NULL. */
const struct settings_language *
langmap_judge0_find(const struct settings *s, long long id);

/*
 * The first language of runtime in the Judge0 API (judge0 true) or the
 * Piston API, or NULL: what a job of that runtime is shown as.
 */
const struct settings_language *
langmap_by_runtime(const struct settings *s, const char *runtime, bool judge0);

/*
 * The version number in an agent's version text: the first run of digits
 * and dots that starts with a digit ("gcc (Debian 12.2.0-14) 12.2.0" is
 * 12.2.0, "v18.19.0" is 18.19.0), without a trailing dot; "0" if there is
 * none.  out has LANGMAP_VERSION_MAX bytes.
 */
void langmap_version_number(const char *text, char out[LANGMAP_VERSION_MAX]);

/* Order two version numbers by their dotted numbers (3.9 < 3.10). */
int langmap_version_cmp(const char *a, const char *b);

/*
 * Whether a Piston version pattern takes version: "*" (or NULL) takes
 * any; otherwise its dot-separated parts, each a number or "x", "X" or
 * "*", must match the version's first parts ("3", "3.x" and "3.11.2" take
 * 3.11.2; "3.1" does not).  Semver ranges (^, ~, >=) take nothing.
 */
bool langmap_version_match(const char *pattern, const char *version);

/*
 * The distinct version numbers the nodes offer of runtime, highest first,
 * into out (at most LANGMAP_VERSIONS_MAX); the count.  0: not offered.
 */
size_t langmap_versions(struct core *c, const char *runtime,
    char out[][LANGMAP_VERSION_MAX]);

/*
 * The version number of runtime on node (as its agent said), or, if the
 * node is unknown or has none, the highest offered; "0" if none.
 */
void langmap_node_version(struct core *c, const char *node, const char *runtime,
    char out[LANGMAP_VERSION_MAX]);

/* l's Judge0 name with "{version}" replaced by version, into out. */
void langmap_judge0_name(const struct settings_language *l, const char *version,
    char *out, size_t len);

#endif

/* The languages of the Piston and Judge0 APIs: see langmap.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "langmap.h"

/* The language whose Piston name or alias is name. */
const struct settings_language *
langmap_piston_find(const struct settings *s, const char *name)
{
	const struct settings_language *l;
	size_t i, a;

	for (i = 0; i < s->nlanguages; i++) {
		l = &s->languages[i];
		if (l->piston[0] == '\0')
			continue;
		if (strcmp(l->piston, name) == 0)
			return l;
		for (a = 0; a < l->naliases; a++)
			if (strcmp(l->aliases[a], name) == 0)
				return l;
	}
	return NULL;
}

/* The language whose Judge0 id is id. */
const struct settings_language *
langmap_judge0_find(const struct settings *s, long long id)
{
	size_t i;

	for (i = 0; i < s->nlanguages; i++)
		if (s->languages[i].judge0_id != 0 &&
		    s->languages[i].judge0_id == id)
			return &s->languages[i];
	return NULL;
}

/* The first language of a runtime in one of the APIs. */
const struct settings_language *
langmap_by_runtime(const struct settings *s, const char *runtime, bool judge0)
{
	const struct settings_language *l;
	size_t i;

	for (i = 0; i < s->nlanguages; i++) {
		l = &s->languages[i];
		if (strcmp(l->runtime, runtime) == 0 &&
		    (judge0 ? l->judge0_id != 0 : l->piston[0] != '\0'))
			return l;
	}
	return NULL;
}

/* The version number in an agent's version text. */
void
langmap_version_number(const char *text, char out[LANGMAP_VERSION_MAX])
{
	size_t n;

	while (*text != '\0' && (*text < '0' || *text > '9'))
		text++;
	n = strspn(text, "0123456789.");
	while (n > 0 && text[n - 1] == '.')
		n--;
	if (n == 0) {
		strcpy(out, "0");
		return;
	}
	if (n >= LANGMAP_VERSION_MAX)
		n = LANGMAP_VERSION_MAX - 1;
	memcpy(out, text, n);
	out[n] = '\0';
}

/* Order two version numbers part by part. */
int
langmap_version_cmp(const char *a, const char *b)
{
	unsigned long x, y;
	char *ea, *eb;

	while (*a != '\0' || *b != '\0') {
		x = strtoul(a, &ea, 10);
		y = strtoul(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
		if (ea == a && eb == b)
			break; /* neither moved: not a number */
	}
	return strcmp(a, b);
}

/* Whether a Piston version pattern takes version. */
bool
langmap_version_match(const char *pattern, const char *version)
{
	size_t p, v;

	if (pattern == NULL || strcmp(pattern, "*") == 0)
		return true;
	for (;;) {
		p = strcspn(pattern, ".");
		v = strcspn(version, ".");
		if (p == 0 || strspn(pattern, "0123456789xX*") < p)
			return false;
		if (!(p == 1 && strchr("xX*", pattern[0]) != NULL)) {
			if (strspn(pattern, "0123456789") != p || v == 0 ||
			    p != v || strncmp(pattern, version, p) != 0)
				return false;
		} else if (v == 0)
			return false;
		if (pattern[p] == '\0')
			return true;
		if (version[v] == '\0')
			return false;
		pattern += p + 1;
		version += v + 1;
	}
}

/* The distinct versions offered of runtime, highest first. */
size_t
langmap_versions(struct core *c, const char *runtime,
    char out[][LANGMAP_VERSION_MAX])
{
	char v[LANGMAP_VERSION_MAX], tmp[LANGMAP_VERSION_MAX];
	size_t i, k, m, n = 0;

	for (i = 0; i < c->nnodes; i++) {
		struct core_node *nd = &c->nodes[i];

		for (k = 0; nd->known && k < nd->info.nruntimes; k++) {
			if (strcmp(nd->info.runtimes[k], runtime) != 0)
				continue;
			langmap_version_number(nd->info.versions[k], v);
			for (m = 0; m < n && strcmp(out[m], v) != 0; m++)
				;
			if (m < n || n == LANGMAP_VERSIONS_MAX)
				continue;
			strcpy(out[n++], v);
			/* Insertion: highest first. */
			for (m = n - 1; m > 0 &&
			     langmap_version_cmp(out[m - 1], out[m]) < 0;
			     m--) {
				strcpy(tmp, out[m]);
				strcpy(out[m], out[m - 1]);
				strcpy(out[m - 1], tmp);
			}
		}
	}
	return n;
}

/* The version of runtime on node, else the highest offered. */
void
langmap_node_version(struct core *c, const char *node, const char *runtime,
    char out[LANGMAP_VERSION_MAX])
{
	char all[LANGMAP_VERSIONS_MAX][LANGMAP_VERSION_MAX];
	struct core_node *nd = node != NULL && node[0] != '\0'
	    ? core_node_find(c, node)
	    : NULL;
	size_t k;

	for (k = 0; nd != NULL && nd->known && k < nd->info.nruntimes; k++)
		if (strcmp(nd->info.runtimes[k], runtime) == 0) {
			langmap_version_number(nd->info.versions[k], out);
			return;
		}
	if (langmap_versions(c, runtime, all) > 0)
		strcpy(out, all[0]);
	else
		strcpy(out, "0");
}

/* A Judge0 name with its version. */
void
langmap_judge0_name(const struct settings_language *l, const char *version,
    char *out, size_t len)
{
	const char *at = strstr(l->judge0_name, "{version}");

	if (at == NULL)
		snprintf(out, len, "%s", l->judge0_name);
	else
		snprintf(out, len, "%.*s%s%s", (int)(at - l->judge0_name),
		    l->judge0_name, version, at + 9);
}

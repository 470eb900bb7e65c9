/* sluice.conf: see settings.h. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libconfig.h>

#include "cfgfile.h"
#include "job.h"
#include "settings.h"
#include "util.h"

/* Every setting sluice.conf may hold (anything else is a typo). */
static const char *const settings_known[] = { "listen", "state_dir",
	"max_attempts", "tokens", "nodes", "connect_timeout_seconds",
	"io_timeout_seconds", "keepalive_seconds", "dead_after_seconds",
	"reconnect_min_seconds", "reconnect_max_seconds", "max_body_bytes",
	"max_pending_total", "max_batch_jobs", "wait_max_seconds",
	"max_result_file_bytes", "max_out_files", "max_files", "max_file_bytes",
	"max_submission_bytes", "max_connections", "header_timeout_seconds",
	"min_free_bytes", "attempt_margin_seconds", "retention",
	"idle_timeout_seconds", "cors_origins", "languages", "callback_allow",
	"callback_allow_public", "callback_retry_seconds",
	"callback_timeout_seconds", "callback_max_concurrent",
	"callback_ca_file", "ui_dir", "access_log", NULL };
static const char *const settings_retention_known[] = { "max_age_seconds",
	"max_jobs", "states", NULL };
static const char *const settings_retention_state_known[] = { "state",
	"max_age_seconds", "max_jobs", NULL };
static const char *const settings_token_known[] = { "name", "sha256", "role",
	"max_pending", "max_running", "path_token", "callback_secret",
	"callback_url", "listen", NULL };
static const char *const settings_language_known[] = { "runtime", "language",
	"aliases", "judge0_id", "judge0_name", "source_file", "compile", NULL };

/*
 * The languages of the Piston and Judge0 APIs when sluice.conf has no
 * "languages": the runtimes etc/agent.conf ships and the compiled ones
 * (runtime names c, cpp, java), with Piston's names and aliases and Judge0
 * CE's language ids (db/languages/active.rb of Judge0 1.13).
 */
static const struct settings_language settings_languages_default[] = {
	{ .runtime = "python3",
	    .piston = "python",
	    .aliases = { "py", "py3", "python3" },
	    .naliases = 3,
	    .judge0_id = 71,
	    .judge0_name = "Python ({version})",
	    .source_file = "script.py" },
	{ .runtime = "c",
	    .piston = "c",
	    .aliases = { "gcc" },
	    .naliases = 1,
	    .judge0_id = 50,
	    .judge0_name = "C (GCC {version})",
	    .source_file = "main.c",
	    .compile = true },
	{ .runtime = "cpp",
	    .piston = "c++",
	    .aliases = { "cpp", "g++" },
	    .naliases = 2,
	    .judge0_id = 54,
	    .judge0_name = "C++ (GCC {version})",
	    .source_file = "main.cpp",
	    .compile = true },
	{ .runtime = "java",
	    .piston = "java",
	    .judge0_id = 62,
	    .judge0_name = "Java (OpenJDK {version})",
	    .source_file = "Main.java",
	    .compile = true },
	{ .runtime = "javascript",
	    .piston = "javascript",
	    .aliases = { "node-javascript", "node-js", "js" },
	    .naliases = 3,
	    .judge0_id = 63,
	    .judge0_name = "JavaScript (Node.js {version})",
	    .source_file = "script.js" },
};
static const char *const settings_node_known[] = { "name", "host", "port",
	"user", "identity", "known_hosts", "agent", "labels", "kind", "slurm",
	NULL };
static const char *const settings_slurm_known[] = { "partition", "account",
	"qos", "options", "max_jobs", "time_margin_seconds",
	"memory_margin_bytes", "poll_seconds", "bin_dir", NULL };

/* Read an optional number of seconds within [min, max]. */
static int
settings_seconds(const config_t *cf, const char *name, double min, double max,
    double *out, struct error *e)
{
	const config_setting_t *s = config_lookup(cf, name);
	double d;

	if (s == NULL)
		return 0;
	if (cfgfile_number(s, &d) == -1 || d < min || d > max)
		return error_set_field(e, ERR_INVALID, name,
		    "'%s' must be a number of seconds from %g to %g", name, min,
		    max);
	*out = d;
	return 0;
}

/* Read an optional integer within [min, max] into a 64-bit value. */
static int
settings_int(const config_t *cf, const char *name, long long min, long long max,
    int64_t *out, struct error *e)
{
	long long v;
	int rc;

	if ((rc = cfgfile_integer(cf, name, min, max, &v, e)) == -1)
		return -1;
	if (rc == 0)
		*out = v;
	return 0;
}

/* Decode 64 hex digits into 32 bytes. */
static int
settings_hex32(const char *hex, unsigned char out[32])
{
	int i;

	if (strlen(hex) != 64)
		return -1;
	for (i = 0; i < 64; i++) {
		char c = hex[i];
		int v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 0;
}

/* Copy a required string member that must be a short token. */
static int
settings_token_str(const config_setting_t *g, const char *key, char *dst,
    size_t size, const char *what, struct error *e)
{
	const char *s;

	if (!config_setting_lookup_string(g, key, &s) ||
	    !util_token_ok(s, size - 1))
		return error_set_field(e, ERR_INVALID, what,
		    "each of '%s' needs a '%s' of 1 to %zu characters of "
		    "[A-Za-z0-9._+-]",
		    what, key, size - 1);
	strcpy(dst, s);
	return 0;
}

/* Copy a required string member that must be an absolute path. */
static int
settings_path(const config_setting_t *g, const char *key, char *dst,
    size_t size, const char *owner, struct error *e)
{
	const char *s;

	if (!config_setting_lookup_string(g, key, &s) || s[0] != '/' ||
	    strlen(s) >= size)
		return error_set_field(e, ERR_INVALID, key,
		    "%s: '%s' must be an absolute path", owner, key);
	strcpy(dst, s);
	return 0;
}

/* Read an optional integer member of a group. */
static int
settings_member_int(const config_setting_t *g, const char *key, int64_t *out)
{
	const config_setting_t *m = config_setting_get_member(g, key);
	double d;

	if (m == NULL)
		return 0;
	if (config_setting_type(m) == CONFIG_TYPE_FLOAT ||
	    cfgfile_number(m, &d) == -1)
		return -1;
	*out = (int64_t)d;
	return 0;
}

/* Read an optional boolean member of a group. */
static int
settings_member_bool(const config_setting_t *g, const char *key, bool *out)
{
	const config_setting_t *m = config_setting_get_member(g, key);

	if (m == NULL)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_BOOL)
		return -1;
	*out = config_setting_get_bool(m) != 0;
	return 0;
}

/*
 * A token's callback_secret (16 to 255 printable ASCII characters, no
 * space) and callback_url (checked once callback_allow is read).
 */
static int
settings_token_callback(const config_setting_t *g, struct settings_token *t,
    struct error *e)
{
	const config_setting_t *m;
	const char *v;
	size_t i, n;

	if ((m = config_setting_get_member(g, "callback_secret")) != NULL) {
		v = config_setting_get_string(m);
		n = v != NULL ? strlen(v) : 0;
		for (i = 0; i < n; i++)
			if ((unsigned char)v[i] < 0x21 ||
			    (unsigned char)v[i] > 0x7e)
				break;
		if (v == NULL || i < n || n < CALLBACK_SECRET_MIN ||
		    n > CALLBACK_SECRET_MAX)
			return error_set_field(e, ERR_INVALID, "tokens",
			    "token '%s': 'callback_secret' must be %d to %d "
			    "printable ASCII characters without spaces",
			    t->name, CALLBACK_SECRET_MIN, CALLBACK_SECRET_MAX);
		memcpy(t->callback_secret, v, n + 1);
	}
	if ((m = config_setting_get_member(g, "callback_url")) != NULL) {
		v = config_setting_get_string(m);
		if (v == NULL || strlen(v) > CALLBACK_URL_MAX)
			return error_set_field(e, ERR_INVALID, "tokens",
			    "token '%s': 'callback_url' must be a URL of at "
			    "most %d bytes",
			    t->name, CALLBACK_URL_MAX);
		strcpy(t->callback_url, v);
		if (t->callback_url[0] != '\0' && t->callback_secret[0] == '\0')
			return error_set_field(e, ERR_INVALID, "tokens",
			    "token '%s': a 'callback_url' needs a "
			    "'callback_secret' to sign callbacks with",
			    t->name);
	}
	return 0;
}

/* "host:port", or "[IPv6 address]:port", into host (of size
   SETTINGS_HOST_MAX, without the brackets) and *port; false if it is
   not. */
static bool
settings_hostport(const char *v, char *host, unsigned *port)
{
	const char *colon, *h = v;
	uint64_t n;
	size_t len;

	if ((colon = strrchr(v, ':')) == NULL || colon == v ||
	    !util_parse_u64(colon + 1, &n) || n > 65535)
		return false;
	len = (size_t)(colon - v);
	if (v[0] == '[') {
		if (len < 3 || v[len - 1] != ']')
			return false;
		h = v + 1;
		len -= 2;
	}
	if (len >= SETTINGS_HOST_MAX)
		return false;
	memcpy(host, h, len);
	host[len] = '\0';
	*port = (unsigned)n;
	return true;
}

/* See settings.h. */
const char *
settings_listen_str(const char *host, unsigned port, char *buf)
{
	bool v6 = strchr(host, ':') != NULL;

	snprintf(buf, SETTINGS_LISTEN_STR_MAX, "%s%s%s:%u", v6 ? "[" : "", host,
	    v6 ? "]" : "", port);
	return buf;
}

/* The family of a numeric address (its bytes into a), or 0 for a name. */
static int
settings_inet(const char *host, unsigned char a[16])
{
	if (inet_pton(AF_INET, host, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, host, a) == 1)
		return AF_INET6;
	return 0;
}

/*
 * Whether two listens (numeric addresses) would take the same port of one
 * address, which cannot be bound twice: the same port, and the same
 * address, or any address (0.0.0.0, or ::, which takes IPv4's as well)
 * beside one of its own.
 */
static bool
settings_listen_clash(const char *h1, unsigned p1, const char *h2, unsigned p2)
{
	static const unsigned char zero[16];
	unsigned char a1[16], a2[16];
	int f1, f2;
	bool any1, any2;

	if (p1 != p2)
		return false;
	if (strcmp(h1, h2) == 0)
		return true;
	if ((f1 = settings_inet(h1, a1)) == 0 ||
	    (f2 = settings_inet(h2, a2)) == 0)
		return false; /* not an address: refused before */
	any1 = memcmp(a1, zero, f1 == AF_INET ? 4 : 16) == 0;
	any2 = memcmp(a2, zero, f2 == AF_INET ? 4 : 16) == 0;
	if (f1 == f2)
		return any1 || any2 ||
		    memcmp(a1, a2, f1 == AF_INET ? 4 : 16) == 0;
	return (f1 == AF_INET6 && any1) || (f2 == AF_INET6 && any2);
}

/*
 * A token's listen = "address:port" (a numeric address, IPv6's in
 * brackets or not, and a port of 1 to 65535; role submit only, since
 * whoever reaches the address is its tenant: a name could resolve to
 * another, or a wider one), that neither the main listen nor any other
 * token's can take too.  Tokens before t and the main listen are already
 * read.
 */
static int
settings_token_listen(const config_setting_t *g, struct settings *s,
    struct settings_token *t, struct error *e)
{
	const config_setting_t *m = config_setting_get_member(g, "listen");
	const char *v;
	struct settings_token *o;
	unsigned char a[16];

	if (m == NULL)
		return 0;
	if ((v = config_setting_get_string(m)) == NULL ||
	    !settings_hostport(v, t->listen_host, &t->listen_port) ||
	    t->listen_port == 0 || settings_inet(t->listen_host, a) == 0)
		return error_set_field(e, ERR_INVALID, "tokens",
		    "token '%s': 'listen' must be \"address:port\" with a "
		    "numeric address (such as 127.0.0.1:8751 or [::1]:8751, "
		    "not a name) and a port of 1 to 65535",
		    t->name);
	if (t->role == ROLE_ADMIN)
		return error_set_field(e, ERR_INVALID, "tokens",
		    "token '%s': 'listen' is for tokens of role submit only",
		    t->name);
	if (settings_listen_clash(t->listen_host, t->listen_port,
		s->listen_host, s->listen_port))
		return error_set_field(e, ERR_INVALID, "tokens",
		    "token '%s': 'listen' takes the port of the daemon's own "
		    "listen (the same address, or any address)",
		    t->name);
	for (o = s->tokens; o < t; o++)
		if (o->listen_port != 0 &&
		    settings_listen_clash(o->listen_host, o->listen_port,
			t->listen_host, t->listen_port))
			return error_set_field(e, ERR_INVALID, "tokens",
			    "tokens '%s' and '%s' have the same 'listen' (the "
			    "same port of the same address, or any address)",
			    o->name, t->name);
	return 0;
}

/* Read the tokens list. */
static int
settings_tokens(const config_t *cf, struct settings *s, struct error *e)
{
	const config_setting_t *list = config_lookup(cf, "tokens"), *g;
	const char *hex, *role;
	int i, n, k;

	if (list == NULL || !config_setting_is_list(list) ||
	    (n = config_setting_length(list)) == 0)
		return error_set_field(e, ERR_INVALID, "tokens",
		    "'tokens' must be a non-empty list");
	if ((s->tokens = calloc((size_t)n, sizeof(*s->tokens))) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	s->ntokens = (size_t)n;
	for (i = 0; i < n; i++) {
		struct settings_token *t = &s->tokens[i];

		g = config_setting_get_elem(list, (unsigned)i);
		if (!config_setting_is_group(g))
			return error_set_field(e, ERR_INVALID, "tokens",
			    "each token must be a group");
		if (settings_token_str(g, "name", t->name, sizeof(t->name),
			"tokens", e) == -1)
			return -1;
		if (cfgfile_known(g, settings_token_known, "token", e) == -1)
			return error_wrap(e, "token '%s'", t->name);
		if (!config_setting_lookup_string(g, "sha256", &hex) ||
		    settings_hex32(hex, t->sha256) == -1)
			return error_set_field(e, ERR_INVALID, "tokens",
			    "token '%s': 'sha256' must be 64 hex digits (the "
			    "SHA-256 of the token)",
			    t->name);
		t->role = ROLE_SUBMIT;
		if (config_setting_lookup_string(g, "role", &role)) {
			if (strcmp(role, "admin") == 0)
				t->role = ROLE_ADMIN;
			else if (strcmp(role, "submit") != 0)
				return error_set_field(e, ERR_INVALID, "tokens",
				    "token '%s': role must be submit or admin",
				    t->name);
		}
		t->max_pending = t->max_running = -1;
		if (settings_member_int(g, "max_pending", &t->max_pending) ==
			-1 ||
		    settings_member_int(g, "max_running", &t->max_running) ==
			-1)
			return error_set_field(e, ERR_INVALID, "tokens",
			    "token '%s': quotas must be integers", t->name);
		if (t->max_pending == 0 || t->max_pending < -1 ||
		    t->max_running == 0 || t->max_running < -1)
			return error_set_field(e, ERR_INVALID, "tokens",
			    "token '%s': quotas must be positive", t->name);
		if (settings_token_callback(g, t, e) == -1)
			return -1;
		if (settings_member_bool(g, "path_token", &t->path_token) == -1)
			return error_set_field(e, ERR_INVALID, "tokens",
			    "token '%s': 'path_token' must be true or false",
			    t->name);
		/* A token in a URL ends up in proxies' and browsers' logs:
		   never one that manages the daemon. */
		if (t->path_token && t->role == ROLE_ADMIN)
			return error_set_field(e, ERR_INVALID, "tokens",
			    "token '%s': 'path_token' is for tokens of role "
			    "submit only",
			    t->name);
		if (settings_token_listen(g, s, t, e) == -1)
			return -1;
		for (k = 0; k < i; k++) {
			if (strcmp(s->tokens[k].name, t->name) == 0)
				return error_set_field(e, ERR_INVALID, "tokens",
				    "token name '%s' is used twice", t->name);
			if (memcmp(s->tokens[k].sha256, t->sha256, 32) == 0)
				return error_set_field(e, ERR_INVALID, "tokens",
				    "tokens '%s' and '%s' have the "
				    "same sha256",
				    s->tokens[k].name, t->name);
		}
	}
	return 0;
}

/* An optional member of a node's slurm group that is a plain name. */
static int
settings_slurm_name(const config_setting_t *g, const char *key, char *dst,
    size_t size, const char *node, struct error *e)
{
	const config_setting_t *m = config_setting_get_member(g, key);
	const char *v;

	if (m == NULL)
		return 0;
	if ((v = config_setting_get_string(m)) == NULL ||
	    !util_token_ok(v, size - 1))
		return error_set_field(e, ERR_INVALID, "nodes",
		    "node '%s': slurm '%s' must be 1 to %zu characters of "
		    "[A-Za-z0-9._+-]",
		    node, key, size - 1);
	strcpy(dst, v);
	return 0;
}

/* A number member of a node's slurm group within [min, max]. */
static int
settings_slurm_number(const config_setting_t *g, const char *key, double min,
    double max, double *out, const char *node, struct error *e)
{
	const config_setting_t *m = config_setting_get_member(g, key);
	double d;

	if (m == NULL)
		return 0;
	if (cfgfile_number(m, &d) == -1 || !(d >= min && d <= max))
		return error_set_field(e, ERR_INVALID, "nodes",
		    "node '%s': slurm '%s' must be a number from %g to %g",
		    node, key, min, max);
	*out = d;
	return 0;
}

/*
 * Whether an extra sbatch option is one word sluice may pass: "--name" or
 * "--name=value", printable ASCII with no blank and none of the shell's
 * special characters (it is quoted anyway; this keeps the config honest),
 * and neither one of the options sluice sets itself or that collide with
 * them (--ntasks after sluice's --ntasks=1 would win; --mem-per-cpu and
 * --mem-per-gpu exclude --mem, --cpus-per-gpu --cpus-per-task) nor an
 * abbreviation of one: sbatch's getopt_long takes "--nt=4" as --ntasks.
 */
bool
settings_slurm_option_ok(const char *o)
{
	static const char *const own[] = { "--time", "--mem", "--partition",
		"--account", "--qos", "--job-name", "--output", "--error",
		"--chdir", "--parsable", "--cpus-per-task", "--ntasks",
		"--no-requeue", "--requeue", "--wrap", "--array",
		"--dependency", "--mem-per-cpu", "--mem-per-gpu",
		"--cpus-per-gpu", NULL };
	size_t i, n;

	if (strncmp(o, "--", 2) != 0 || !isalpha((unsigned char)o[2]) ||
	    strlen(o) > SETTINGS_SLURM_WORD_MAX)
		return false;
	for (i = 0; o[i] != '\0'; i++)
		if (o[i] <= ' ' || o[i] >= 0x7f ||
		    strchr("'\"`$\\;&|<>()*?[]{}!#~", o[i]) != NULL)
			return false;
	n = strcspn(o, "=");
	for (i = 0; own[i] != NULL; i++)
		if (n <= strlen(own[i]) && strncmp(o, own[i], n) == 0)
			return false; /* the option or an abbreviation of it */
	return true;
}

/* Read a slurm node's "slurm" group. */
static int
settings_slurm_read(const config_setting_t *g, struct settings_node *nd,
    struct error *e)
{
	struct settings_slurm *sl = &nd->slurm;
	const config_setting_t *m;
	const char *v;
	int64_t n = -1;
	double d;
	size_t i;

	sl->time_margin_seconds = 60;
	sl->memory_margin_bytes = 256 * 1024 * 1024;
	sl->poll_seconds = 2;
	if (g == NULL || !config_setting_is_group(g))
		return error_set_field(e, ERR_INVALID, "nodes",
		    "node '%s': kind \"slurm\" needs a 'slurm' group with "
		    "at least max_jobs",
		    nd->name);
	if (cfgfile_known(g, settings_slurm_known, "slurm", e) == -1)
		return error_wrap(e, "node '%s'", nd->name);
	if (settings_slurm_name(g, "partition", sl->partition,
		sizeof(sl->partition), nd->name, e) == -1 ||
	    settings_slurm_name(g, "account", sl->account, sizeof(sl->account),
		nd->name, e) == -1 ||
	    settings_slurm_name(g, "qos", sl->qos, sizeof(sl->qos), nd->name,
		e) == -1)
		return -1;
	if (settings_member_int(g, "max_jobs", &n) == -1 || n < 1 || n > 10000)
		return error_set_field(e, ERR_INVALID, "nodes",
		    "node '%s': slurm 'max_jobs' must be an integer from 1 to "
		    "10000",
		    nd->name);
	sl->max_jobs = (unsigned)n;
	if (settings_slurm_number(g, "time_margin_seconds", 0, 86400,
		&sl->time_margin_seconds, nd->name, e) == -1 ||
	    settings_slurm_number(g, "poll_seconds", 0.2, 600,
		&sl->poll_seconds, nd->name, e) == -1)
		return -1;
	d = (double)sl->memory_margin_bytes;
	if (settings_slurm_number(g, "memory_margin_bytes", 0,
		1024.0 * 1024 * 1024 * 1024, &d, nd->name, e) == -1)
		return -1;
	sl->memory_margin_bytes = (uint64_t)d;
	if ((m = config_setting_get_member(g, "bin_dir")) != NULL) {
		if ((v = config_setting_get_string(m)) == NULL ||
		    strlen(v) >= sizeof(sl->bin_dir) ||
		    (v[0] != '\0' &&
			(v[0] != '/' || strpbrk(v, "\n\t '\"") != NULL)))
			return error_set_field(e, ERR_INVALID, "nodes",
			    "node '%s': slurm 'bin_dir' must be \"\" or an "
			    "absolute path",
			    nd->name);
		strcpy(sl->bin_dir, v);
	}
	if ((m = config_setting_get_member(g, "options")) != NULL) {
		if (cfgfile_strings(m, "options", SETTINGS_SLURM_OPTIONS_MAX,
			&sl->options, &sl->noptions, e) == -1)
			return error_wrap(e, "node '%s': slurm", nd->name);
		for (i = 0; i < sl->noptions; i++)
			if (!settings_slurm_option_ok(sl->options[i]))
				return error_set_field(e, ERR_INVALID, "nodes",
				    "node '%s': slurm option '%.64s' must be "
				    "one word \"--name\" or \"--name=value\" "
				    "without blanks or shell characters, and "
				    "not one sluice sets itself (see "
				    "sluice.conf(5)), one colliding with "
				    "them, or an abbreviation of one",
				    nd->name, sl->options[i]);
	}
	return 0;
}

/* Read one node. */
static int
settings_node_read(const config_setting_t *g, struct settings_node *nd,
    struct error *e)
{
	const config_setting_t *m;
	const char *host, *user;
	int port = 22;

	if (!config_setting_is_group(g))
		return error_set_field(e, ERR_INVALID, "nodes",
		    "each node must be a group");
	if (settings_token_str(g, "name", nd->name, sizeof(nd->name), "nodes",
		e) == -1)
		return -1;
	if (cfgfile_known(g, settings_node_known, "node", e) == -1)
		return error_wrap(e, "node '%s'", nd->name);
	if (!config_setting_lookup_string(g, "host", &host) ||
	    host[0] == '\0' || strlen(host) >= sizeof(nd->host) ||
	    strpbrk(host, " \t\n/") != NULL)
		return error_set_field(e, ERR_INVALID, "nodes",
		    "node '%s' needs a 'host'", nd->name);
	strcpy(nd->host, host);
	if (config_setting_get_member(g, "port") != NULL &&
	    (!config_setting_lookup_int(g, "port", &port) || port < 1 ||
		port > 65535))
		return error_set_field(e, ERR_INVALID, "nodes",
		    "node '%s': 'port' must be 1 to 65535", nd->name);
	nd->port = (unsigned)port;
	if (!config_setting_lookup_string(g, "user", &user) ||
	    !util_token_ok(user, sizeof(nd->user) - 1))
		return error_set_field(e, ERR_INVALID, "nodes",
		    "node '%s' needs a 'user'", nd->name);
	strcpy(nd->user, user);
	if (settings_path(g, "identity", nd->identity, sizeof(nd->identity),
		nd->name, e) == -1 ||
	    settings_path(g, "known_hosts", nd->known_hosts,
		sizeof(nd->known_hosts), nd->name, e) == -1)
		return -1;
	if (cfgfile_strings(config_setting_get_member(g, "agent"), "agent", 32,
		&nd->agent, &nd->nagent, e) == -1)
		return error_wrap(e, "node '%s'", nd->name);
	if (nd->nagent == 0 || nd->agent[0][0] != '/')
		return error_set_field(e, ERR_INVALID, "nodes",
		    "node '%s': 'agent' must start with an absolute path",
		    nd->name);
	if ((m = config_setting_get_member(g, "kind")) != NULL) {
		const char *k = config_setting_get_string(m);

		if (k != NULL && strcmp(k, "slurm") == 0)
			nd->kind = NODE_KIND_SLURM;
		else if (k == NULL || strcmp(k, "agent") != 0)
			return error_set_field(e, ERR_INVALID, "nodes",
			    "node '%s': 'kind' must be \"agent\" or "
			    "\"slurm\"",
			    nd->name);
	}
	m = config_setting_get_member(g, "slurm");
	if (nd->kind == NODE_KIND_SLURM) {
		if (settings_slurm_read(m, nd, e) == -1)
			return -1;
	} else if (m != NULL)
		return error_set_field(e, ERR_INVALID, "nodes",
		    "node '%s': a 'slurm' group needs kind = \"slurm\"",
		    nd->name);
	if (config_setting_get_member(g, "labels") != NULL) {
		size_t i;

		if (cfgfile_strings(config_setting_get_member(g, "labels"),
			"labels", 64, &nd->labels, &nd->nlabels, e) == -1)
			return error_wrap(e, "node '%s'", nd->name);
		for (i = 0; i < nd->nlabels; i++)
			if (!util_token_ok(nd->labels[i], 64))
				return error_set_field(e, ERR_INVALID, "nodes",
				    "node '%s': label '%.64s' must be a plain "
				    "name",
				    nd->name, nd->labels[i]);
	}
	return 0;
}

/* Read the nodes list. */
static int
settings_nodes(const config_t *cf, struct settings *s, struct error *e)
{
	const config_setting_t *list = config_lookup(cf, "nodes");
	int i, n, k;

	if (list == NULL || !config_setting_is_list(list) ||
	    (n = config_setting_length(list)) == 0)
		return error_set_field(e, ERR_INVALID, "nodes",
		    "'nodes' must be a non-empty list");
	if ((s->nodes = calloc((size_t)n, sizeof(*s->nodes))) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		s->nnodes++;
		if (settings_node_read(config_setting_get_elem(list,
					   (unsigned)i),
			&s->nodes[i], e) == -1)
			return -1;
		for (k = 0; k < i; k++)
			if (strcmp(s->nodes[k].name, s->nodes[i].name) == 0)
				return error_set_field(e, ERR_INVALID, "nodes",
				    "node name '%s' is used twice",
				    s->nodes[i].name);
	}
	return 0;
}

/*
 * Read listen = "address:port": a numeric address, as a token's, since a
 * name could resolve to several addresses of which one only would be
 * bound, or to another than meant.
 */
static int
settings_listen(const config_t *cf, struct settings *s, struct error *e)
{
	unsigned char a[16];
	const char *v;

	strcpy(s->listen_host, "127.0.0.1");
	s->listen_port = 8750;
	if (!config_lookup_string(cf, "listen", &v))
		return 0;
	if (!settings_hostport(v, s->listen_host, &s->listen_port) ||
	    settings_inet(s->listen_host, a) == 0)
		return error_set_field(e, ERR_INVALID, "listen",
		    "'listen' must be \"address:port\" with a numeric "
		    "address (such as 127.0.0.1:8750 or [::1]:8750, not a "
		    "name) and a port of 0 to 65535");
	return 0;
}

/*
 * The dashboard's directory (ui.h): an absolute path, or "" for no
 * dashboard; where it is not given, the one make install fills (UIDIR),
 * and a daemon that does not find the files there serves no dashboard
 * instead of refusing to start (ui_dir_given says which).
 */
static int
settings_ui(const config_t *cf, struct settings *s, struct error *e)
{
	const config_setting_t *m;
	const char *v;

	snprintf(s->ui_dir, sizeof(s->ui_dir), "%s", UIDIR);
	if ((m = config_lookup(cf, "ui_dir")) == NULL)
		return 0;
	if ((v = config_setting_get_string(m)) == NULL ||
	    (v[0] != '/' && v[0] != '\0') || strlen(v) >= sizeof(s->ui_dir))
		return error_set_field(e, ERR_INVALID, "ui_dir",
		    "'ui_dir' must be an absolute path, or \"\" for no "
		    "dashboard");
	strcpy(s->ui_dir, v);
	s->ui_dir_given = true;
	return 0;
}

/* Read the scalar settings, each with its default. */
static int
settings_scalars(const config_t *cf, struct settings *s, struct error *e)
{
	const config_setting_t *m;
	const char *v;
	int64_t n;

	if (!config_lookup_string(cf, "state_dir", &v) || v[0] != '/' ||
	    strlen(v) >= sizeof(s->state_dir))
		return error_set_field(e, ERR_INVALID, "state_dir",
		    "'state_dir' must be an absolute path");
	strcpy(s->state_dir, v);
	n = 3;
	if (settings_int(cf, "max_attempts", 1, 100, &n, e) == -1)
		return -1;
	s->max_attempts = (unsigned)n;
	s->connect_timeout_seconds = 10;
	s->io_timeout_seconds = 30;
	s->keepalive_seconds = 2;
	s->dead_after_seconds = 10;
	s->reconnect_min_seconds = 0.5;
	s->reconnect_max_seconds = 30;
	s->wait_max_seconds = 300;
	s->header_timeout_seconds = 10;
	s->idle_timeout_seconds = 60;
	s->attempt_margin_seconds = 300;
	if (settings_seconds(cf, "connect_timeout_seconds", 0.1, 600,
		&s->connect_timeout_seconds, e) == -1 ||
	    settings_seconds(cf, "io_timeout_seconds", 0.1, 3600,
		&s->io_timeout_seconds, e) == -1 ||
	    settings_seconds(cf, "keepalive_seconds", 0.1, 600,
		&s->keepalive_seconds, e) == -1 ||
	    settings_seconds(cf, "dead_after_seconds", 0.2, 3600,
		&s->dead_after_seconds, e) == -1 ||
	    settings_seconds(cf, "reconnect_min_seconds", 0.01, 600,
		&s->reconnect_min_seconds, e) == -1 ||
	    settings_seconds(cf, "reconnect_max_seconds", 0.01, 3600,
		&s->reconnect_max_seconds, e) == -1 ||
	    settings_seconds(cf, "wait_max_seconds", 1, 86400,
		&s->wait_max_seconds, e) == -1 ||
	    settings_seconds(cf, "header_timeout_seconds", 0.1, 3600,
		&s->header_timeout_seconds, e) == -1 ||
	    settings_seconds(cf, "idle_timeout_seconds", 1, 3600,
		&s->idle_timeout_seconds, e) == -1 ||
	    settings_seconds(cf, "attempt_margin_seconds", 1, 86400,
		&s->attempt_margin_seconds, e) == -1)
		return -1;
	if (s->dead_after_seconds < s->keepalive_seconds)
		return error_set_field(e, ERR_INVALID, "dead_after_seconds",
		    "'dead_after_seconds' must be at least "
		    "'keepalive_seconds'");
	if (s->reconnect_max_seconds < s->reconnect_min_seconds)
		s->reconnect_max_seconds = s->reconnect_min_seconds;
	n = 32 * 1024 * 1024;
	if (settings_int(cf, "max_body_bytes", 1024, 1LL << 32, &n, e) == -1)
		return -1;
	s->max_body_bytes = (uint64_t)n;
	n = 10000;
	if (settings_int(cf, "max_connections", 1, 1000000, &n, e) == -1)
		return -1;
	s->max_connections = (size_t)n;
	n = 64 * 1024 * 1024;
	if (settings_int(cf, "min_free_bytes", 0, 1LL << 50, &n, e) == -1)
		return -1;
	s->min_free_bytes = (uint64_t)n;
	n = 100000;
	if (settings_int(cf, "max_pending_total", 1, 100000000, &n, e) == -1)
		return -1;
	s->max_pending_total = n;
	n = 100;
	if (settings_int(cf, "max_batch_jobs", 1, 10000, &n, e) == -1)
		return -1;
	s->max_batch_jobs = (size_t)n;
	n = 64 * 1024 * 1024;
	if (settings_int(cf, "max_result_file_bytes", 1, 1LL << 40, &n, e) ==
	    -1)
		return -1;
	s->max_result_file_bytes = (uint64_t)n;
	n = 1000;
	if (settings_int(cf, "max_out_files", 0, 10000, &n, e) == -1)
		return -1;
	s->max_out_files = (unsigned)n;
	n = 100;
	if (settings_int(cf, "max_files", 1, 10000, &n, e) == -1)
		return -1;
	s->caps.max_files = (size_t)n;
	n = 8 * 1024 * 1024;
	if (settings_int(cf, "max_file_bytes", 1, 1LL << 32, &n, e) == -1)
		return -1;
	s->caps.max_file_bytes = (uint64_t)n;
	n = 16 * 1024 * 1024;
	if (settings_int(cf, "max_submission_bytes", 1, 1LL << 32, &n, e) == -1)
		return -1;
	s->caps.max_total_bytes = (uint64_t)n;
	s->caps.max_labels = 16;
	/* One line per API request in the log, unless turned off. */
	s->access_log = true;
	if ((m = config_lookup(cf, "access_log")) != NULL) {
		if (config_setting_type(m) != CONFIG_TYPE_BOOL)
			return error_set_field(e, ERR_INVALID, "access_log",
			    "'access_log' must be true or false");
		s->access_log = config_setting_get_bool(m) != 0;
	}
	return 0;
}

/*
 * Whether o is an origin as a browser sends it: "http" or "https", "://",
 * a host of letters, digits, dots and dashes (or a bracketed IPv6
 * address), an optional port, and nothing else (no path, no slash).
 */
static bool
settings_origin_ok(const char *o)
{
	const char *h, *p;

	if (strncmp(o, "https://", 8) == 0)
		h = o + 8;
	else if (strncmp(o, "http://", 7) == 0)
		h = o + 7;
	else
		return false;
	if (*h == '[') {
		p = h + 1 + strspn(h + 1, "0123456789abcdefABCDEF:");
		if (p == h + 1 || *p != ']')
			return false;
		p++;
	} else {
		p = h +
		    strspn(h,
			"abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (p == h)
			return false;
	}
	if (*p == ':') {
		p++;
		if (strspn(p, "0123456789") != strlen(p) || strlen(p) == 0 ||
		    strlen(p) > 5)
			return false;
		return true;
	}
	return *p == '\0';
}

/* cors_origins: the origins whose pages may call the API, or "*". */
static int
settings_cors(const config_t *cf, struct settings *s, struct error *e)
{
	const config_setting_t *list = config_lookup(cf, "cors_origins");
	size_t i;

	if (list == NULL)
		return 0;
	if (cfgfile_strings(list, "cors_origins", 64, &s->cors_origins,
		&s->ncors_origins, e) == -1) {
		snprintf(e->field, sizeof(e->field), "cors_origins");
		return -1;
	}
	for (i = 0; i < s->ncors_origins; i++)
		if (strcmp(s->cors_origins[i], "*") != 0 &&
		    !settings_origin_ok(s->cors_origins[i]))
			return error_set_field(e, ERR_INVALID, "cors_origins",
			    "'cors_origins': '%.200s' is not an origin "
			    "(scheme://host[:port], no path) or \"*\"",
			    s->cors_origins[i]);
	return 0;
}

/*
 * callback_allow, callback_allow_public and the numbers of deliveries; then
 * the tokens' default callback URLs, which must be allowed.
 */
static int
settings_callbacks(const config_t *cf, struct settings *s, struct error *e)
{
	const config_setting_t *m;
	char **list = NULL;
	size_t i, n = 0;
	int64_t v;
	int rc = -1;

	s->callback.allow_public = true;
	s->callback_retry_seconds = 3600;
	s->callback_timeout_seconds = 10;
	if ((m = config_lookup(cf, "callback_allow_public")) != NULL) {
		if (config_setting_type(m) != CONFIG_TYPE_BOOL)
			return error_set_field(e, ERR_INVALID,
			    "callback_allow_public",
			    "'callback_allow_public' must be true or false");
		s->callback.allow_public = config_setting_get_bool(m);
	}
	if (settings_seconds(cf, "callback_retry_seconds", 0, 7 * 86400,
		&s->callback_retry_seconds, e) == -1 ||
	    settings_seconds(cf, "callback_timeout_seconds", 0.1, 600,
		&s->callback_timeout_seconds, e) == -1)
		return -1;
	v = 16;
	if (settings_int(cf, "callback_max_concurrent", 1, 256, &v, e) == -1)
		return -1;
	s->callback_max_concurrent = (size_t)v;
	if ((m = config_lookup(cf, "callback_ca_file")) != NULL) {
		const char *path = config_setting_get_string(m);

		if (path == NULL || path[0] != '/' ||
		    strlen(path) >= sizeof(s->callback_ca_file))
			return error_set_field(e, ERR_INVALID,
			    "callback_ca_file",
			    "'callback_ca_file' must be an absolute path");
		strcpy(s->callback_ca_file, path);
	}
	if ((m = config_lookup(cf, "callback_allow")) != NULL) {
		if (cfgfile_strings(m, "callback_allow", 1000, &list, &n, e) ==
		    -1) {
			snprintf(e->field, sizeof(e->field), "callback_allow");
			goto out;
		}
		if (n > 0 &&
		    (s->callback.allow = calloc(n,
			 sizeof(*s->callback.allow))) == NULL) {
			error_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (callback_allow_parse(list[i], &s->callback.allow[i],
				e) == -1)
				goto out;
			s->callback.nallow++;
		}
	}
	for (i = 0; i < s->ntokens; i++)
		if (s->tokens[i].callback_url[0] != '\0' &&
		    callback_url_check(&s->callback, s->tokens[i].callback_url,
			e) == -1) {
			error_wrap(e, "token '%s'", s->tokens[i].name);
			e->code = ERR_INVALID;
			snprintf(e->field, sizeof(e->field), "tokens");
			goto out;
		}
	rc = 0;
out:
	util_strv_free(list, n);
	return rc;
}

/* One retention rule's numbers, from group g (either may be absent). */
static int
settings_retention_rule(const config_setting_t *g, const char *what,
    double *age, int64_t *max, struct error *e)
{
	const config_setting_t *m;
	double d;

	if ((m = config_setting_get_member(g, "max_age_seconds")) != NULL) {
		if (cfgfile_number(m, &d) == -1 || d < 0 || d > 1e10)
			return error_set_field(e, ERR_INVALID, "retention",
			    "%s: 'max_age_seconds' must be a number of seconds "
			    "from 0 (no limit) to 1e10",
			    what);
		*age = d;
	}
	if ((m = config_setting_get_member(g, "max_jobs")) != NULL) {
		if (config_setting_type(m) != CONFIG_TYPE_INT &&
		    config_setting_type(m) != CONFIG_TYPE_INT64)
			return error_set_field(e, ERR_INVALID, "retention",
			    "%s: 'max_jobs' must be an integer", what);
		*max = config_setting_get_int64(m);
		if (*max < 0 || *max > 1000000000)
			return error_set_field(e, ERR_INVALID, "retention",
			    "%s: 'max_jobs' must be from 0 (no cap) to "
			    "1000000000",
			    what);
	}
	return 0;
}

/*
 * retention = { max_age_seconds = S; max_jobs = N;
 *               states = ( { state = "COMPLETED"; max_age_seconds = S;
 *                            max_jobs = N; }, ... ); };
 * The first two apply to every final state, an entry of states to its own.
 */
static int
settings_retention(const config_t *cf, struct settings *s, struct error *e)
{
	const config_setting_t *g = config_lookup(cf, "retention"), *list, *st;
	double age = 30 * 86400;
	int64_t max = 0;
	const char *name;
	enum job_state js;
	char what[64];
	int i, n;

	if (g != NULL && !config_setting_is_group(g))
		return error_set_field(e, ERR_INVALID, "retention",
		    "'retention' must be a group { ... }");
	if (g != NULL &&
	    (cfgfile_known(g, settings_retention_known, "retention", e) == -1 ||
		settings_retention_rule(g, "retention", &age, &max, e) == -1))
		return -1;
	for (i = 0; i < 9; i++) {
		s->retention[i].max_age_seconds = age;
		s->retention[i].max_jobs = max;
	}
	if (g == NULL ||
	    (list = config_setting_get_member(g, "states")) == NULL)
		return 0;
	if (!config_setting_is_list(list))
		return error_set_field(e, ERR_INVALID, "retention",
		    "'retention.states' must be a list ( { ... }, ... )");
	n = config_setting_length(list);
	for (i = 0; i < n; i++) {
		st = config_setting_get_elem(list, (unsigned)i);
		if (!config_setting_is_group(st) ||
		    !config_setting_lookup_string(st, "state", &name) ||
		    job_state_parse(name, &js) == -1 || !job_state_final(js))
			return error_set_field(e, ERR_INVALID, "retention",
			    "each of 'retention.states' needs a 'state' that "
			    "is a final state (COMPLETED, FAILED, TIMEOUT, "
			    "...)");
		snprintf(what, sizeof(what), "retention of %s", name);
		if (cfgfile_known(st, settings_retention_state_known, what,
			e) == -1 ||
		    settings_retention_rule(st, what,
			&s->retention[js].max_age_seconds,
			&s->retention[js].max_jobs, e) == -1)
			return -1;
	}
	return 0;
}

/* Whether name is a Piston language name or alias: 1 to
   SETTINGS_LANG_NAME_MAX characters of [A-Za-z0-9._+-]. */
static bool
settings_lang_name_ok(const char *name)
{
	return util_token_ok(name, SETTINGS_LANG_NAME_MAX);
}

/* Copy an optional string member of at most size - 1 bytes. */
static int
settings_member_str(const config_setting_t *g, const char *key, char *dst,
    size_t size)
{
	const config_setting_t *m = config_setting_get_member(g, key);
	const char *v;

	if (m == NULL)
		return 0;
	if ((v = config_setting_get_string(m)) == NULL || strlen(v) >= size)
		return -1;
	strcpy(dst, v);
	return 0;
}

/* Whether name is the Piston name or an alias of l. */
static bool
settings_language_named(const struct settings_language *l, const char *name)
{
	size_t i;

	if (l->piston[0] != '\0' && strcmp(l->piston, name) == 0)
		return true;
	for (i = 0; i < l->naliases; i++)
		if (strcmp(l->aliases[i], name) == 0)
			return true;
	return false;
}

/* Read one entry of "languages" into l; what names it in errors. */
static int
settings_language_read(const config_setting_t *g, struct settings_language *l,
    const char *what, struct error *e)
{
	const config_setting_t *m;
	char **aliases = NULL;
	size_t n = 0, i;
	long long id;
	int rc = -1;

	if (!config_setting_is_group(g))
		return error_set_field(e, ERR_INVALID, "languages",
		    "each of 'languages' must be a group { ... }");
	if (cfgfile_known(g, settings_language_known, what, e) == -1)
		return -1;
	if (settings_member_str(g, "runtime", l->runtime, sizeof(l->runtime)) ==
		-1 ||
	    !util_token_ok(l->runtime, MANIFEST_RUNTIME_MAX))
		return error_set_field(e, ERR_INVALID, "languages",
		    "%s: 'runtime' must be 1 to %d characters of "
		    "[A-Za-z0-9._+-]",
		    what, MANIFEST_RUNTIME_MAX);
	if (settings_member_str(g, "language", l->piston, sizeof(l->piston)) ==
		-1 ||
	    (l->piston[0] != '\0' && !settings_lang_name_ok(l->piston)))
		return error_set_field(e, ERR_INVALID, "languages",
		    "%s: 'language' must be 1 to %d characters of "
		    "[A-Za-z0-9._+-]",
		    what, SETTINGS_LANG_NAME_MAX);
	if ((m = config_setting_get_member(g, "aliases")) != NULL) {
		if (cfgfile_strings(m, "aliases", SETTINGS_ALIASES_MAX,
			&aliases, &n, e) == -1)
			goto out;
		for (i = 0; i < n; i++) {
			if (!settings_lang_name_ok(aliases[i])) {
				error_set_field(e, ERR_INVALID, "languages",
				    "%s: alias '%.64s' must be 1 to %d "
				    "characters of [A-Za-z0-9._+-]",
				    what, aliases[i], SETTINGS_LANG_NAME_MAX);
				goto out;
			}
			strcpy(l->aliases[i], aliases[i]);
			if (settings_language_named(l, aliases[i])) {
				error_set_field(e, ERR_INVALID, "languages",
				    "%s: the Piston name '%s' is given twice",
				    what, aliases[i]);
				goto out;
			}
			l->naliases = i + 1;
		}
		if (n > 0 && l->piston[0] == '\0') {
			error_set_field(e, ERR_INVALID, "languages",
			    "%s: 'aliases' needs a 'language'", what);
			goto out;
		}
	}
	if ((m = config_setting_get_member(g, "judge0_id")) != NULL) {
		if ((config_setting_type(m) != CONFIG_TYPE_INT &&
			config_setting_type(m) != CONFIG_TYPE_INT64) ||
		    (id = config_setting_get_int64(m)) < 1 ||
		    id > 2147483647LL) {
			error_set_field(e, ERR_INVALID, "languages",
			    "%s: 'judge0_id' must be an integer from 1 to "
			    "2147483647",
			    what);
			goto out;
		}
		l->judge0_id = (int)id;
	}
	if (settings_member_str(g, "judge0_name", l->judge0_name,
		sizeof(l->judge0_name)) == -1) {
		error_set_field(e, ERR_INVALID, "languages",
		    "%s: 'judge0_name' must be a string of at most %d bytes",
		    what, SETTINGS_JUDGE0_NAME_MAX);
		goto out;
	}
	for (i = 0; l->judge0_name[i] != '\0'; i++)
		if ((unsigned char)l->judge0_name[i] < 0x20 ||
		    (unsigned char)l->judge0_name[i] > 0x7e) {
			error_set_field(e, ERR_INVALID, "languages",
			    "%s: 'judge0_name' must be printable ASCII", what);
			goto out;
		}
	if (l->judge0_id == 0 && l->judge0_name[0] != '\0') {
		error_set_field(e, ERR_INVALID, "languages",
		    "%s: 'judge0_name' needs a 'judge0_id'", what);
		goto out;
	}
	if (l->judge0_id != 0 && l->judge0_name[0] == '\0')
		snprintf(l->judge0_name, sizeof(l->judge0_name),
		    "%s ({version})", l->runtime);
	if (l->piston[0] == '\0' && l->judge0_id == 0) {
		error_set_field(e, ERR_INVALID, "languages",
		    "%s: give a Piston 'language', a 'judge0_id', or both",
		    what);
		goto out;
	}
	if (settings_member_str(g, "source_file", l->source_file,
		sizeof(l->source_file)) == -1 ||
	    l->source_file[0] == '\0' || strchr(l->source_file, '/') ||
	    util_path_check(l->source_file, "source_file", e) == -1) {
		error_set_field(e, ERR_INVALID, "languages",
		    "%s: 'source_file' must be a file name (no '/'), at most "
		    "%d bytes",
		    what, SETTINGS_NAME_MAX - 1);
		goto out;
	}
	if ((m = config_setting_get_member(g, "compile")) != NULL) {
		if (config_setting_type(m) != CONFIG_TYPE_BOOL) {
			error_set_field(e, ERR_INVALID, "languages",
			    "%s: 'compile' must be true or false", what);
			goto out;
		}
		l->compile = config_setting_get_bool(m) != 0;
	}
	rc = 0;
out:
	util_strv_free(aliases, n);
	return rc;
}

/*
 * languages = ( { runtime = "python3"; language = "python";
 *                 aliases = [ "py" ]; judge0_id = 71;
 *                 judge0_name = "Python ({version})";
 *                 source_file = "script.py"; compile = false; }, ... );
 * Absent: the default map above.  A Piston name or alias, and a Judge0
 * id, name one entry only.
 */
static int
settings_languages(const config_t *cf, struct settings *s, struct error *e)
{
	const config_setting_t *list = config_lookup(cf, "languages");
	struct settings_language *l;
	char what[48];
	size_t i, k, a;
	int n;

	if (list == NULL) {
		n = (int)(sizeof(settings_languages_default) /
		    sizeof(settings_languages_default[0]));
		if ((s->languages = calloc((size_t)n, sizeof(*l))) == NULL)
			return error_set(e, ERR_NOMEM, "out of memory");
		memcpy(s->languages, settings_languages_default,
		    sizeof(settings_languages_default));
		s->nlanguages = (size_t)n;
		return 0;
	}
	if (!config_setting_is_list(list))
		return error_set_field(e, ERR_INVALID, "languages",
		    "'languages' must be a list ( { ... }, ... )");
	if ((n = config_setting_length(list)) > SETTINGS_LANGUAGES_MAX)
		return error_set_field(e, ERR_INVALID, "languages",
		    "more than %d languages", SETTINGS_LANGUAGES_MAX);
	if (n > 0 && (s->languages = calloc((size_t)n, sizeof(*l))) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; i < (size_t)n; i++) {
		l = &s->languages[i];
		snprintf(what, sizeof(what), "language %zu", i + 1);
		if (settings_language_read(config_setting_get_elem(list,
					       (unsigned)i),
			l, what, e) == -1)
			return -1;
		s->nlanguages++;
		for (k = 0; k < i; k++) {
			const struct settings_language *o = &s->languages[k];

			if (l->judge0_id != 0 && o->judge0_id == l->judge0_id)
				return error_set_field(e, ERR_INVALID,
				    "languages", "judge0_id %d is given twice",
				    l->judge0_id);
			if (l->piston[0] != '\0' &&
			    settings_language_named(o, l->piston))
				return error_set_field(e, ERR_INVALID,
				    "languages",
				    "the Piston name '%s' is given twice",
				    l->piston);
			for (a = 0; a < l->naliases; a++)
				if (settings_language_named(o, l->aliases[a]))
					return error_set_field(e, ERR_INVALID,
					    "languages",
					    "the Piston name '%s' is given "
					    "twice",
					    l->aliases[a]);
		}
	}
	return 0;
}

/* Load and check sluice.conf. */
int
settings_load(const char *path, struct settings *out, struct error *e)
{
	struct settings s;
	config_t cf;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	config_init(&cf);
	if (cfgfile_read(&cf, path, e) == -1)
		goto out;
	if (cfgfile_known(config_root_setting(&cf), settings_known,
		"sluice.conf", e) == -1)
		goto out;
	if (settings_listen(&cf, &s, e) == -1 ||
	    settings_scalars(&cf, &s, e) == -1 ||
	    settings_tokens(&cf, &s, e) == -1 ||
	    settings_nodes(&cf, &s, e) == -1 ||
	    settings_retention(&cf, &s, e) == -1 ||
	    settings_cors(&cf, &s, e) == -1 ||
	    settings_callbacks(&cf, &s, e) == -1 ||
	    settings_languages(&cf, &s, e) == -1 ||
	    settings_ui(&cf, &s, e) == -1)
		goto out;
	*out = s;
	rc = 0;
out:
	config_destroy(&cf);
	if (rc == -1)
		settings_release(&s);
	return rc;
}

/* Free what s owns. */
void
settings_release(struct settings *s)
{
	size_t i;

	free(s->languages);
	s->languages = NULL;
	s->nlanguages = 0;
	util_strv_free(s->cors_origins, s->ncors_origins);
	s->cors_origins = NULL;
	free(s->callback.allow);
	s->callback.allow = NULL;
	s->callback.nallow = 0;
	s->ncors_origins = 0;
	for (i = 0; i < s->nnodes; i++) {
		util_strv_free(s->nodes[i].agent, s->nodes[i].nagent);
		util_strv_free(s->nodes[i].labels, s->nodes[i].nlabels);
		util_strv_free(s->nodes[i].slurm.options,
		    s->nodes[i].slurm.noptions);
	}
	free(s->nodes);
	free(s->tokens);
	s->nodes = NULL;
	s->tokens = NULL;
	s->nnodes = s->ntokens = 0;
}

/* The token whose digest matches, compared in constant time. */
const struct settings_token *
settings_token_find(const struct settings *s, const unsigned char digest[32])
{
	const struct settings_token *found = NULL;
	size_t i;
	int k;

	for (i = 0; i < s->ntokens; i++) {
		unsigned char diff = 0;

		for (k = 0; k < 32; k++)
			diff |= s->tokens[i].sha256[k] ^ digest[k];
		if (diff == 0)
			found = &s->tokens[i];
	}
	return found;
}

/* The node called name. */
const struct settings_node *
settings_node_find(const struct settings *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i].name, name) == 0)
			return &s->nodes[i];
	return NULL;
}

/* agent.conf: see conf.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "cfgfile.h"
#include "conf.h"
#include "result.h"
#include "trust.h"
#include "util.h"
#include "zygote.h"

/* Built-in defaults and ceilings, as in INTERFACES.md; the file may lower them. */
static const struct limits conf_builtin_defaults = {
	.cpu_seconds = 5.0,
	.wall_seconds = 10.0,
	.memory_bytes = 268435456,
	.processes = 32,
	.output_bytes = 1048576,
	.disk_bytes = 67108864,
	.open_files = 64,
};
static const struct limits conf_builtin_ceilings = {
	.cpu_seconds = 60.0,
	.wall_seconds = 120.0,
	.memory_bytes = 2147483648,
	.processes = 128,
	.output_bytes = 16777216,
	.disk_bytes = 1073741824,
	.open_files = 256,
};

/* Every setting agent.conf may hold (anything else is a typo). */
static const char *const conf_known[] = { "base_dir", "slots", "uid_base",
	"gid_base", "defaults", "ceilings", "runtimes", "out_files_max",
	"cgroup", "cgroup_root", "cgroup_parent", "sftp_server", "mode",
	"warm_slots", NULL };
static const char *const conf_runtime_known[] = { "name", "command", "binds",
	"version", "warm_start", "zygote", "compile", "check", NULL };
static const char *const conf_compile_known[] = { "command", "defaults",
	"ceilings", NULL };
static const char *const conf_check_known[] = { "entry", "source", NULL };

/* Paths inside the sandbox that the agent itself provides. */
static const char *conf_reserved[] = { "/job", "/out", "/tmp", "/dev", "/proc",
	"/sys", NULL };

/* Check an absolute path to bind read-only into every sandbox. */
int
conf_bind_check(const char *path, struct error *e)
{
	size_t n;
	int i;

	if (strlen(path) >= CONF_BIND_PATH_MAX)
		return error_set(e, ERR_INVALID,
		    "bind '%.64s...' is longer than %d bytes", path,
		    CONF_BIND_PATH_MAX - 1);
	if (path[0] != '/' || path[1] == '\0')
		return error_set(e, ERR_INVALID,
		    "bind '%s' must be an absolute path other than '/'", path);
	if (util_path_check(path + 1, "binds", e) == -1)
		return error_set(e, ERR_INVALID,
		    "bind '%s' is not a clean path", path);
	for (i = 0; conf_reserved[i] != NULL; i++) {
		n = strlen(conf_reserved[i]);
		if (strncmp(path, conf_reserved[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			return error_set(e, ERR_INVALID,
			    "bind '%s' would cover the sandbox's own '%s'",
			    path, conf_reserved[i]);
	}
	return 0;
}

/*
 * Whether the words of a warm_start command between the interpreter and
 * "{entry}" are options the runner's "-c" leaves as they are: known short
 * ones (-B, -s, -I, -u, ...; -X and -W with their value), none that only
 * means something for a script file or changes what runs (-x skips its
 * first line, -i, -c, -m, -h, -V; long options are not checked, so
 * refused); with need, also whether one of them has a letter of need.
 */
static bool
conf_warm_flags(const struct runtime *rt, const char *need)
{
	bool found = need == NULL;
	const char *w;
	size_t i;

	for (i = 1; i + 1 < rt->ncommand; i++) {
		w = rt->command[i];
		if (strcmp(w, "-X") == 0 || strcmp(w, "-W") == 0) {
			i++; /* its value */
			continue;
		}
		if (strncmp(w, "-X", 2) == 0 || strncmp(w, "-W", 2) == 0)
			continue;
		/* Letters of options that take no value and change nothing
		   a script file would not: -b -B -d -E -I -O -P -q -s -S -u
		   -v, and -R (a no-op since 3.3). */
		if (w[0] != '-' || w[1] == '\0' ||
		    strspn(w + 1, "bBdEIOPqsSuvR") != strlen(w + 1))
			return false;
		found = found || strpbrk(w + 1, need) != NULL;
	}
	return i + 1 == rt->ncommand && found;
}

/* A runtime's switch called name: 1 true, 0 false or absent, -1 not a
   boolean. */
static int
conf_switch(const config_setting_t *s, const char *name,
    const struct runtime *rt, struct error *e)
{
	const config_setting_t *w = config_setting_get_member(s, name);

	if (w == NULL)
		return 0;
	if (config_setting_type(w) != CONFIG_TYPE_BOOL)
		return error_set_field(e, ERR_INVALID, name,
		    "runtime '%s': '%s' must be true or false", rt->name, name);
	return config_setting_get_bool(w) ? 1 : 0;
}

/*
 * warm_start: the interpreter is started before its job (park.c), which
 * only a Python runtime whose command ends in the entry can do: the
 * runner that takes the job is Python, and it is given the command's
 * words before "{entry}".
 */
static int
conf_warm_start(const config_setting_t *s, struct runtime *rt, struct error *e)
{
	const char *base;
	size_t i;
	int on;

	if ((on = conf_switch(s, "warm_start", rt, e)) != 1)
		return on;
	base = strrchr(rt->command[0], '/') + 1;
	for (i = 0; i + 1 < rt->ncommand; i++)
		if (strstr(rt->command[i], "{entry}") != NULL)
			break;
	if (strncmp(base, "python", 6) != 0 || i + 1 != rt->ncommand ||
	    strcmp(rt->command[i], "{entry}") != 0 ||
	    !conf_warm_flags(rt, NULL))
		return error_set_field(e, ERR_INVALID, "warm_start",
		    "runtime '%s': warm_start needs a Python interpreter "
		    "whose command ends in \"{entry}\" (and names it nowhere "
		    "else), with only short options before it, none of -x, "
		    "-i, -c or -m",
		    rt->name);
	rt->warm_start = true;
	return 0;
}

/*
 * zygote: the warm_start runtime's jobs forked from one interpreter started
 * once (zygote.h), only for the interpreter sluice-zygote embeds, and with
 * the user's site-packages off (-s or -I): that start runs on the host,
 * where HOME (/tmp) is not the sandbox's.
 */
static int
conf_zygote(const config_setting_t *s, struct runtime *rt, struct error *e)
{
	int on;

	if ((on = conf_switch(s, "zygote", rt, e)) != 1)
		return on;
	if (!rt->warm_start)
		return error_set_field(e, ERR_INVALID, "zygote",
		    "runtime '%s': zygote needs warm_start = true", rt->name);
#ifdef ZYGOTE_PYTHON
	char real[PATH_MAX];
	struct error te;
	int fd;

	if (realpath(rt->command[0], real) == NULL ||
	    strcmp(real, ZYGOTE_PYTHON) != 0)
		return error_set_field(e, ERR_INVALID, "zygote",
		    "runtime '%s': zygote needs the interpreter "
		    "sluice-zygote embeds, %s, not '%s'",
		    rt->name, ZYGOTE_PYTHON, rt->command[0]);
	/* The words before "{entry}" are short options (warm_start checked
	   them), -X and -W with a value of their own: one of them -s or -I. */
	if (!conf_warm_flags(rt, "sI"))
		return error_set_field(e, ERR_INVALID, "zygote",
		    "runtime '%s': zygote needs -s or -I in the command (no "
		    "user site-packages: the interpreter starts on the host)",
		    rt->name);
	/* The program a session would start, there and root's alone, as
	   zygote_start() checks: said here, where the node's operator sees
	   it, and not only on a session's stderr. */
	error_init(&te);
	if (zygote_path(real, sizeof(real)) == -1)
		error_set(&te, ERR_NOTFOUND, "not beside this program");
	else if ((fd = trust_open(real, false, &te)) != -1)
		close(fd);
	if (te.code != ERR_NONE)
		return error_set_field(e, ERR_INVALID, "zygote",
		    "runtime '%s': zygote = true, but sluice-zygote: %s (it "
		    "is built with python3-dev installed, and installed "
		    "beside sluice-agent)",
		    rt->name, te.msg);
	rt->zygote = true;
	return 0;
#else
	return error_set_field(e, ERR_INVALID, "zygote",
	    "runtime '%s': this agent was built without sluice-zygote "
	    "(configure found no python3-embed)",
	    rt->name);
#endif
}

/*
 * A runtime's compile stage: its command and its limits, which start from
 * the node's own defaults and ceilings.
 */
static int
conf_compile(const config_setting_t *s, const struct agent_conf *c,
    struct runtime *rt, struct error *e)
{
	const config_setting_t *g = config_setting_get_member(s, "compile");
	int i;

	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return error_set_field(e, ERR_INVALID, "compile",
		    "'compile' must be a group");
	if (cfgfile_known(g, conf_compile_known, "compile", e) == -1)
		return -1;
	if (cfgfile_strings(config_setting_get_member(g, "command"),
		"compile.command", CONF_COMMAND_MAX, &rt->compile,
		&rt->ncompile, e) == -1)
		return -1;
	if (rt->ncompile == 0 || rt->compile[0][0] != '/')
		return error_set_field(e, ERR_INVALID, "compile",
		    "'compile.command' must start with an absolute path");
	rt->compile_defaults = c->defaults;
	rt->compile_ceilings = c->ceilings;
	if (cfgfile_limits_setting(config_setting_get_member(g, "defaults"),
		"compile.defaults", &rt->compile_defaults, e) == -1 ||
	    cfgfile_limits_setting(config_setting_get_member(g, "ceilings"),
		"compile.ceilings", &rt->compile_ceilings, e) == -1)
		return -1;
	for (i = 0; i < LIMITS_N; i++)
		if (limit_get(&rt->compile_defaults, i) >
		    limit_get(&rt->compile_ceilings, i))
			return error_set_field(e, ERR_INVALID, "compile",
			    "compile: default '%s' is above its ceiling",
			    limit_defs[i].name);
	if (rt->warm_start)
		return error_set_field(e, ERR_INVALID, "warm_start",
		    "warm_start is for an interpreter: a runtime with a "
		    "compile stage cannot have it");
	return 0;
}

/*
 * The program info checks the runtime with (check.h): an entry file name
 * (a plain name) and its text, at most 64 KiB.  Without it, an empty file
 * called "check", which an interpreter runs and a compiler refuses.
 */
static int
conf_check(const config_setting_t *s, struct runtime *rt, struct error *e)
{
	const config_setting_t *g = config_setting_get_member(s, "check");
	const char *entry = "check", *source = "";
	struct error pe;

	if (g != NULL && !config_setting_is_group(g))
		return error_set_field(e, ERR_INVALID, "check",
		    "'check' must be a group");
	if (g != NULL && cfgfile_known(g, conf_check_known, "check", e) == -1)
		return -1;
	if (g != NULL &&
	    (!config_setting_lookup_string(g, "entry", &entry) ||
		!config_setting_lookup_string(g, "source", &source)))
		return error_set_field(e, ERR_INVALID, "check",
		    "'check' needs 'entry' and 'source', strings");
	error_init(&pe);
	if (!util_token_ok(entry, sizeof(rt->check_entry) - 1) ||
	    util_path_check(entry, "check", &pe) == -1)
		return error_set_field(e, ERR_INVALID, "check",
		    "'check.entry' must be a plain file name");
	if (strlen(source) > 65536)
		return error_set_field(e, ERR_INVALID, "check",
		    "'check.source' is longer than 64 KiB");
	strcpy(rt->check_entry, entry);
	if ((rt->check_source = strdup(source)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

/* Read one runtime entry. */
static int
conf_runtime_read(const config_setting_t *s, const struct agent_conf *c,
    struct runtime *rt, struct error *e)
{
	const char *name, *version;
	size_t i;

	if (!config_setting_lookup_string(s, "name", &name) ||
	    !util_token_ok(name, sizeof(rt->name) - 1))
		return error_set(e, ERR_INVALID,
		    "each runtime needs a 'name' of [A-Za-z0-9._+-]");
	strcpy(rt->name, name);
	if (cfgfile_known(s, conf_runtime_known, "runtime", e) == -1)
		return error_wrap(e, "runtime '%s'", name);
	if (cfgfile_strings(config_setting_get_member(s, "command"), "command",
		CONF_COMMAND_MAX, &rt->command, &rt->ncommand, e) == -1)
		return error_wrap(e, "runtime '%s'", name);
	if (rt->ncommand == 0 || rt->command[0][0] != '/')
		return error_set(e, ERR_INVALID,
		    "runtime '%s': 'command' must start with an absolute path",
		    name);
	if (config_setting_get_member(s, "binds") != NULL &&
	    cfgfile_strings(config_setting_get_member(s, "binds"), "binds",
		CONF_BINDS_MAX, &rt->binds, &rt->nbinds, e) == -1)
		return error_wrap(e, "runtime '%s'", name);
	for (i = 0; i < rt->nbinds; i++)
		if (conf_bind_check(rt->binds[i], e) == -1)
			return error_wrap(e, "runtime '%s'", name);
	if (config_setting_lookup_string(s, "version", &version) &&
	    (rt->version = strdup(version)) == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	if (conf_warm_start(s, rt, e) == -1 || conf_zygote(s, rt, e) == -1)
		return -1;
	if (conf_compile(s, c, rt, e) == -1 || conf_check(s, rt, e) == -1)
		return error_wrap(e, "runtime '%s'", name);
	return 0;
}

/* Read the runtimes list. */
static int
conf_runtimes(const config_t *cf, struct agent_conf *c, struct error *e)
{
	const config_setting_t *list = config_lookup(cf, "runtimes");
	int i, n;
	size_t k;

	if (list == NULL || !config_setting_is_list(list) ||
	    (n = config_setting_length(list)) == 0)
		return error_set_field(e, ERR_INVALID, "runtimes",
		    "'runtimes' must be a non-empty list");
	if (n > CONF_RUNTIMES_MAX)
		return error_set_field(e, ERR_INVALID, "runtimes",
		    "more than %d runtimes", CONF_RUNTIMES_MAX);
	c->runtimes = calloc((size_t)n, sizeof(*c->runtimes));
	if (c->runtimes == NULL)
		return error_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		c->nruntimes++;
		if (conf_runtime_read(config_setting_get_elem(list,
					  (unsigned)i),
			c, &c->runtimes[i], e) == -1)
			return -1;
		for (k = 0; k < (size_t)i; k++)
			if (strcmp(c->runtimes[k].name, c->runtimes[i].name) ==
			    0)
				return error_set(e, ERR_INVALID,
				    "runtime '%s' is defined twice",
				    c->runtimes[i].name);
			else if (c->runtimes[k].warm_start &&
			    c->runtimes[i].warm_start)
				return error_set_field(e, ERR_INVALID,
				    "warm_start",
				    "runtimes '%s' and '%s' both have "
				    "warm_start; a node warms one runtime",
				    c->runtimes[k].name, c->runtimes[i].name);
	}
	return 0;
}

/*
 * A clean absolute path setting into buf, of size bytes; when it is absent,
 * buf keeps its default (none: the setting is required).  "/" is a path
 * only for a directory.
 */
static int
conf_path(const config_t *cf, const char *name, bool dir, char *buf,
    size_t size, struct error *e)
{
	const char *s;

	if (!config_lookup_string(cf, name, &s))
		return buf[0] != '\0' ? 0
				      : error_set_field(e, ERR_INVALID, name,
					    "'%s' is missing", name);
	if (s[0] != '/' || strlen(s) >= size ||
	    ((!dir || s[1] != '\0') && util_path_check(s + 1, name, e) == -1))
		return error_set_field(e, ERR_INVALID, name,
		    "'%s' must be a clean absolute path", name);
	strcpy(buf, s);
	return 0;
}

/* Read the scalar settings. */
static int
conf_scalars(const config_t *cf, struct agent_conf *c, struct error *e)
{
	static const char *const modes[] = { [CONF_CGROUP_AUTO] = "auto",
		[CONF_CGROUP_V1] = "v1",
		[CONF_CGROUP_V2] = "v2",
		[CONF_CGROUP_NONE] = "none" };
	const char *s;
	long long v;
	int i;

	/* base_dir: at most 512 bytes. */
	if (conf_path(cf, "base_dir", true, c->base_dir, 513, e) == -1)
		return -1;
	snprintf(c->jobs_dir, sizeof(c->jobs_dir), "%s%sjobs", c->base_dir,
	    strcmp(c->base_dir, "/") == 0 ? "" : "/");
	v = 4;
	if (cfgfile_integer(cf, "slots", 1, CONF_SLOTS_MAX, &v, e) == -1)
		return -1;
	c->slots = (unsigned)v;
	v = 1;
	if (cfgfile_integer(cf, "warm_slots", 1, CONF_SLOTS_MAX, &v, e) == -1)
		return -1;
	c->warm_slots = (unsigned)v;
	if (c->warm_slots > c->slots)
		return error_set_field(e, ERR_INVALID, "warm_slots",
		    "'warm_slots' (%u) must be at most 'slots' (%u)",
		    c->warm_slots, c->slots);
	if (cfgfile_integer(cf, "uid_base", 1, 2000000000LL, &v, e) != 0)
		return error_set_field(e, ERR_INVALID, "uid_base",
		    "'uid_base' must be an integer from 1 to 2000000000");
	c->uid_base = (uid_t)v;
	/* gid_base defaults to uid_base, still in v. */
	if (cfgfile_integer(cf, "gid_base", 1, 2000000000LL, &v, e) == -1)
		return -1;
	c->gid_base = (gid_t)v;
	v = 1000;
	if (cfgfile_integer(cf, "out_files_max", 0, RESULT_OUT_FILES_MAX, &v,
		e) == -1)
		return -1;
	c->out_files_max = (unsigned)v;
	/* Without a mode, the account the agent runs as decides. */
	c->mode = geteuid() == 0 ? CONF_MODE_ROOT : CONF_MODE_USER;
	if (config_lookup(cf, "mode") != NULL) {
		if (!config_lookup_string(cf, "mode", &s))
			s = "";
		if (strcmp(s, "root") == 0)
			c->mode = CONF_MODE_ROOT;
		else if (strcmp(s, "user") == 0)
			c->mode = CONF_MODE_USER;
		else
			return error_set_field(e, ERR_INVALID, "mode",
			    "'mode' must be root or user");
	}
	c->cgroup = CONF_CGROUP_AUTO;
	if (config_lookup_string(cf, "cgroup", &s)) {
		for (i = 0; i < 4 && strcmp(s, modes[i]) != 0; i++)
			;
		if (i == 4)
			return error_set_field(e, ERR_INVALID, "cgroup",
			    "'cgroup' must be auto, v1, v2 or none");
		c->cgroup = (enum conf_cgroup)i;
	}
	strcpy(c->cgroup_root, "/sys/fs/cgroup");
	strcpy(c->sftp_server, "/usr/lib/openssh/sftp-server");
	if (conf_path(cf, "cgroup_root", true, c->cgroup_root,
		sizeof(c->cgroup_root), e) == -1 ||
	    conf_path(cf, "sftp_server", false, c->sftp_server,
		sizeof(c->sftp_server), e) == -1)
		return -1;
	strcpy(c->cgroup_parent, "sluice");
	if (config_lookup_string(cf, "cgroup_parent", &s)) {
		if (!util_token_ok(s, sizeof(c->cgroup_parent) - 1))
			return error_set_field(e, ERR_INVALID, "cgroup_parent",
			    "'cgroup_parent' must be a plain name");
		strcpy(c->cgroup_parent, s);
	}
	return 0;
}

/* Load and check an open config file. */
int
conf_load_fd(int fd, const char *path, struct agent_conf *out, struct error *e)
{
	struct agent_conf c;
	config_t cf;
	int i, rc = -1;

	memset(&c, 0, sizeof(c));
	config_init(&cf);
	if (cfgfile_read_fd(&cf, fd, path, e) == -1)
		goto out;
	if (cfgfile_known(config_root_setting(&cf), conf_known, "agent.conf",
		e) == -1)
		goto out;
	c.defaults = conf_builtin_defaults;
	c.ceilings = conf_builtin_ceilings;
	if (conf_scalars(&cf, &c, e) == -1 ||
	    cfgfile_limits(&cf, "defaults", &c.defaults, e) == -1 ||
	    cfgfile_limits(&cf, "ceilings", &c.ceilings, e) == -1 ||
	    conf_runtimes(&cf, &c, e) == -1)
		goto out;
	for (i = 0; i < LIMITS_N; i++)
		if (limit_get(&c.defaults, i) > limit_get(&c.ceilings, i)) {
			error_set_field(e, ERR_INVALID, limit_defs[i].name,
			    "default '%s' is above its ceiling",
			    limit_defs[i].name);
			goto out;
		}
	/* A parked sandbox and the session's templates are namespaces of
	   the agent's own user namespace, which a job's cannot enter. */
	if (c.mode == CONF_MODE_USER && conf_warm_runtime(&c) != NULL) {
		error_set_field(e, ERR_INVALID, "warm_start",
		    "runtime '%s': warm_start is not available with mode = "
		    "\"user\"; set it false",
		    conf_warm_runtime(&c)->name);
		goto out;
	}
	/* Set, it must have a use: else a typo of the runtime's switch
	   would go unnoticed. */
	if (config_lookup(&cf, "warm_slots") != NULL &&
	    conf_warm_runtime(&c) == NULL) {
		error_set_field(e, ERR_INVALID, "warm_slots",
		    "'warm_slots' needs a runtime with warm_start = true");
		goto out;
	}
	c.slots_all = c.slots +
	    (conf_warm_runtime(&c) != NULL ? c.warm_slots : 0);
	*out = c;
	rc = 0;
out:
	config_destroy(&cf);
	if (rc == -1)
		conf_release(&c);
	return rc;
}

/* Free what a config owns. */
void
conf_release(struct agent_conf *c)
{
	size_t i;

	for (i = 0; i < c->nruntimes; i++) {
		util_strv_free(c->runtimes[i].command, c->runtimes[i].ncommand);
		util_strv_free(c->runtimes[i].binds, c->runtimes[i].nbinds);
		util_strv_free(c->runtimes[i].compile, c->runtimes[i].ncompile);
		free(c->runtimes[i].check_source);
		free(c->runtimes[i].version);
	}
	free(c->runtimes);
	c->runtimes = NULL;
	c->nruntimes = 0;
}

/* The runtime called name, or NULL. */
const struct runtime *
conf_runtime(const struct agent_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nruntimes; i++)
		if (strcmp(c->runtimes[i].name, name) == 0)
			return &c->runtimes[i];
	return NULL;
}

/* See conf.h. */
const struct runtime *
conf_warm_runtime(const struct agent_conf *c)
{
	size_t i;

	for (i = 0; i < c->nruntimes; i++)
		if (c->runtimes[i].warm_start)
			return &c->runtimes[i];
	return NULL;
}

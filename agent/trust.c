/* Who may choose the node's policy: see trust.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"
#include "util.h"

/* Whether a privilege tool says a caller other than root started us. */
static bool
trust_env_caller(const char *name, const char *root)
{
	const char *v = getenv(name);

	return v != NULL && strcmp(v, root) != 0;
}

/* Whether root is held on behalf of an account that is not root. */
bool
trust_on_behalf(void)
{
	uid_t r, eff, s;
	gid_t rg, eg, sg;

	if (getresuid(&r, &eff, &s) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return true;
	/* Without root, only set-id to another account acts for one; a
	   set-group-id agent acts for its caller with a group that is not
	   the caller's (say one that reads what the account may not). */
	if (eff != 0)
		return r != eff || s != eff || rg != eg || sg != eg;
	if (r != 0 || s != 0)
		return true;
	/* sudo, doas and pkexec set these themselves; a caller cannot. */
	return trust_env_caller("SUDO_UID", "0") ||
	    trust_env_caller("DOAS_USER", "root") ||
	    trust_env_caller("PKEXEC_UID", "0");
}

/* The account root is held for. */
int
trust_caller(uid_t *uid)
{
	struct passwd *pw;
	const char *v;
	uint64_t n;

	if (getuid() != 0) {
		*uid = getuid();
		return 0;
	}
	if (((v = getenv("SUDO_UID")) != NULL ||
		(v = getenv("PKEXEC_UID")) != NULL) &&
	    util_parse_u64(v, &n) && n < (uint64_t)UINT32_MAX) {
		*uid = (uid_t)n;
		return 0;
	}
	if ((v = getenv("DOAS_USER")) != NULL && (pw = getpwnam(v)) != NULL) {
		*uid = pw->pw_uid;
		return 0;
	}
	return -1;
}

/* Check one opened component of a path (shown is the path up to it). */
static int
trust_check(int fd, const char *shown, bool want_file, struct error *e)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return error_set(e, ERR_REFUSED, "cannot stat '%s': %s", shown,
		    strerror(errno));
	if (want_file && !S_ISREG(st.st_mode))
		return error_set(e, ERR_REFUSED, "'%s' is not a regular file",
		    shown);
	/* Without root (mode "user"), the agent's own account may own them
	   too: it is the one whose jobs they are. */
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return error_set(e, ERR_REFUSED,
		    geteuid() == 0 ? "'%s' is owned by uid %u, not root: the "
				     "node's policy must be root's alone"
				   : "'%s' is owned by uid %u, neither root "
				     "nor the agent's account: the policy "
				     "must be theirs alone",
		    shown, (unsigned)st.st_uid);
	/* A sticky directory's entries can be renamed only by their owners,
	   and the next component is checked to be root's. */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0))
		return error_set(e, ERR_REFUSED,
		    "'%s' is writable by %s: the node's policy must be "
		    "its owner's alone",
		    shown, (st.st_mode & S_IWOTH) ? "others" : "its group");
	return 0;
}

/* Whether name in dirfd is a symbolic link (for messages only). */
static bool
trust_is_link(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode);
}

/* Open a path component by component, checking each. */
int
trust_open(const char *path, bool dir, struct error *e)
{
	char buf[PATH_MAX], cwd[PATH_MAX], *comp, *next;
	int fd, sub, flags;
	bool last;

	if (path[0] == '\0')
		return error_set(e, ERR_REFUSED, "an empty path");
	if (path[0] == '/') {
		if (strlen(path) >= sizeof(buf))
			return error_set(e, ERR_REFUSED, "path too long");
		strcpy(buf, path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return error_set(e, ERR_REFUSED,
			    "cannot find the current directory: %s",
			    strerror(errno));
		if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", cwd, path) >=
		    sizeof(buf))
			return error_set(e, ERR_REFUSED, "path too long");
	}
	if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return error_set(e, ERR_SYS, "cannot open '/': %s",
		    strerror(errno));
	if (trust_check(fd, "/", false, e) == -1)
		goto fail;
	for (comp = buf + 1; *comp != '\0'; comp = next + 1) {
		if ((next = strchr(comp, '/')) != NULL)
			*next = '\0';
		last = next == NULL || next[1 + strspn(next + 1, "/")] == '\0';
		if (*comp != '\0') {
			flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
			flags |= last && !dir ? O_NONBLOCK | O_NOCTTY
					      : O_DIRECTORY;
			if ((sub = openat(fd, comp, flags)) == -1) {
				error_set(e,
				    errno == ENOENT ? ERR_NOTFOUND
						    : ERR_REFUSED,
				    "cannot open '%s': %s", buf,
				    trust_is_link(fd, comp) ? "a symbolic link"
							    : strerror(errno));
				goto fail;
			}
			close(fd);
			fd = sub;
			if (trust_check(fd, buf, last && !dir, e) == -1)
				goto fail;
		}
		if (next == NULL)
			break;
		*next = '/';
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Check one id range against the accounts or groups of the system. */
static int
trust_id_range(unsigned base, unsigned n, bool group, struct error *e)
{
	const char *what = group ? "gid_base" : "uid_base";
	const char *owner;
	struct passwd *pw;
	struct group *gr;
	unsigned i;

	if (base < 1000)
		return error_set_field(e, ERR_INVALID, what,
		    "'%s' is %u: slot ids must start at 1000 or above, away "
		    "from the system's own accounts",
		    what, base);
	for (i = 0; i < n; i++) {
		errno = 0;
		owner = NULL;
		if (group) {
			if ((gr = getgrgid((gid_t)(base + i))) != NULL)
				owner = gr->gr_name;
		} else if ((pw = getpwuid((uid_t)(base + i))) != NULL)
			owner = pw->pw_name;
		if (owner != NULL)
			return error_set_field(e, ERR_INVALID, what,
			    "slot %u's %s %u belongs to the existing %s '%s'; "
			    "choose a %s whose %u ids no account or group uses",
			    i, group ? "gid" : "uid", base + i,
			    group ? "group" : "account", owner, what, n);
		/* Not found is NULL with errno 0, ENOENT, ESRCH, EBADF or
		   EPERM (getpwuid(3)); anything else is a failed lookup. */
		if (errno != 0 && errno != ENOENT && errno != ESRCH &&
		    errno != EBADF && errno != EPERM)
			return error_set_field(e, ERR_SYS, what,
			    "cannot look up %s %u: %s", group ? "gid" : "uid",
			    base + i, strerror(errno));
	}
	return 0;
}

/*
 * Check one id range against the subordinate ranges in file (/etc/subuid
 * or /etc/subgid, "name:start:count" lines): an account may map those ids
 * into a user namespace of its own, and so would hold a slot's uid.
 */
static int
trust_sub_range(const char *file, const char *what, unsigned base, unsigned n,
    struct error *e)
{
	char line[512], *name, *start, *count, *save = NULL;
	unsigned long long lo, len;
	FILE *f;
	int rc = 0;

	if ((f = fopen(file, "re")) == NULL)
		return 0; /* no file: no subordinate ids */
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		if ((name = strtok_r(line, ":\n", &save)) == NULL ||
		    (start = strtok_r(NULL, ":\n", &save)) == NULL ||
		    (count = strtok_r(NULL, ":\n", &save)) == NULL)
			continue;
		lo = strtoull(start, NULL, 10);
		len = strtoull(count, NULL, 10);
		if ((unsigned long long)base < lo + len &&
		    lo < (unsigned long long)base + n)
			rc = error_set_field(e, ERR_INVALID, what,
			    "the slot ids from %u overlap '%s', which %s lists "
			    "from %llu for %llu ids",
			    base, name, file, lo, len);
	}
	fclose(f);
	return rc;
}

/* Check the slot ids against the system's accounts and groups. */
int
trust_ids(const struct agent_conf *c, struct error *e)
{
	if (trust_id_range((unsigned)c->uid_base, c->slots_all, false, e) ==
		-1 ||
	    trust_id_range((unsigned)c->gid_base, c->slots_all, true, e) ==
		-1 ||
	    trust_sub_range("/etc/subuid", "uid_base", (unsigned)c->uid_base,
		c->slots_all, e) == -1 ||
	    trust_sub_range("/etc/subgid", "gid_base", (unsigned)c->gid_base,
		c->slots_all, e) == -1)
		return -1;
	return 0;
}

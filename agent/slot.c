/* Slots and their locks: see slot.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "slot.h"

/* Create a directory owned by the agent (root, or the account of mode
   "user"), closed to everyone else. */
static int
slot_mkdir(const char *path, struct error *e)
{
	struct stat st;

	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return error_set(e, ERR_SYS, "cannot create '%s': %s", path,
		    strerror(errno));
	if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid())
		return error_set(e, ERR_SYS,
		    "'%s' must be a directory owned by uid %u", path,
		    (unsigned)geteuid());
	return 0;
}

/* Create the agent's own directories. */
int
slot_dirs(const struct agent_conf *c, struct error *e)
{
	static const char *const dirs[] = { "slots", "empty", "root",
		"checks" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", c->base_dir, dirs[i]);
		if (slot_mkdir(path, e) == -1)
			return -1;
	}
	return 0;
}

/* Open slot i's lock file of kind ext ("lock" or "parked"). */
static int
slot_open(const struct agent_conf *c, unsigned i, const char *ext, int flags)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/slots/%u.%s", c->base_dir, i, ext);
	return open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* Take slot i's lock of kind ext if it is free. */
static int
slot_lock(const struct agent_conf *c, unsigned i, const char *ext)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	if ((fd = slot_open(c, i, ext, O_RDWR | O_CREAT)) == -1)
		return -1;
	if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Take slot i if it is free. */
int
slot_try(const struct agent_conf *c, unsigned i)
{
	return slot_lock(c, i, "lock");
}

/* Take a free slot. */
int
slot_acquire(const struct agent_conf *c, unsigned *slot, int *fd,
    struct error *e)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	unsigned i;
	int tries, lfd;

	/* A job that just finished releases its slot a moment before its
	   run command returns; allow that moment before saying busy. */
	for (tries = 0; tries < 100; tries++) {
		for (i = 0; i < c->slots; i++)
			if ((lfd = slot_try(c, i)) != -1) {
				*slot = i;
				*fd = lfd;
				return 0;
			}
		nanosleep(&pause, NULL);
	}
	return error_set(e, ERR_BUSY, "all %u slots are busy", c->slots);
}

/* Whether slot i's lock file of kind ext is locked, tested without taking
   it. */
static bool
slot_locked(const struct agent_conf *c, unsigned i, const char *ext)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	bool locked;
	int fd;

	if ((fd = slot_open(c, i, ext, O_RDONLY)) == -1)
		return false;
	/* F_OFD_GETLK tests without taking the lock, so info never makes a
	   starting job think a slot is busy. */
	locked = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return locked;
}

/* How many slots are held by a job (a parked sandbox waits for one): at
   most slots, since jobs run on slots_all only while others are free. */
unsigned
slot_busy(const struct agent_conf *c)
{
	unsigned i, n = 0;

	for (i = 0; i < c->slots_all; i++)
		n += slot_locked(c, i, "lock") && !slot_locked(c, i, "parked");
	return n < c->slots ? n : c->slots;
}

/* See slot.h. */
int
slot_park(const struct agent_conf *c, unsigned *slot, int *fd, int *parked)
{
	unsigned i;

	/* The slots past the others, which only a parked sandbox takes: a
	   cold run never waits for one.  The first free. */
	for (i = c->slots; i < c->slots_all; i++)
		if ((*fd = slot_try(c, i)) != -1)
			break;
	if (i == c->slots_all)
		return -1;
	if ((*parked = slot_lock(c, i, "parked")) == -1) {
		close(*fd);
		return -1;
	}
	*slot = i;
	return 0;
}

/* See slot.h. */
void
slot_nets_init(struct slot_nets *n)
{
	size_t i;

	n->base_dir[0] = '\0';
	for (i = 0; i < SLOT_NETS_MAX; i++)
		n->fd[i] = -1;
}

/* See slot.h. */
void
slot_nets_close(struct slot_nets *n)
{
	size_t i;

	for (i = 0; i < SLOT_NETS_MAX; i++)
		if (n->fd[i] != -1) {
			close(n->fd[i]);
			n->fd[i] = -1;
		}
	n->base_dir[0] = '\0';
}

/* See slot.h. */
bool
slot_nets_keep(struct slot_nets *n, const struct agent_conf *c)
{
	unsigned i, made = 0, all;

	if (strcmp(n->base_dir, c->base_dir) != 0) {
		slot_nets_close(n);
		snprintf(n->base_dir, sizeof(n->base_dir), "%s", c->base_dir);
	}
	all = c->slots_all < SLOT_NETS_MAX ? c->slots_all : SLOT_NETS_MAX;
	for (i = 0; i < all && made < SLOT_NETS_PER_KEEP; i++)
		if (n->fd[i] == -1 &&
		    (n->fd[i] = sandbox_ns_ahead(CLONE_NEWNET)) != -1)
			made++;
	for (i = 0; i < c->slots; i++)
		if (i >= SLOT_NETS_MAX || n->fd[i] == -1)
			return false;
	return true;
}

/* See slot.h. */
int
slot_net(const struct slot_nets *n, const struct agent_conf *c, unsigned i)
{
	if (i >= SLOT_NETS_MAX || n->base_dir[0] == '\0' ||
	    strcmp(n->base_dir, c->base_dir) != 0)
		return -1;
	return n->fd[i];
}

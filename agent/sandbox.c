/*
 * The sandbox's inside: init and the job (see sandbox.h).  Each step is a
 * short function that fails closed: any failure reports an error to the
 * supervisor and ends the process, so a job never runs in a half-built
 * sandbox.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/openat2.h>

#include "files.h"
#include "filter.h"
#include "sandbox.h"

/* Descriptors init keeps from 3 up (sandbox_fds()). */
#define SANDBOX_KEEPERS 8

/* The flags a mount's owner locks on it for a mount namespace of a less
   privileged user namespace: a remount there must keep them. */
#define SANDBOX_LOCKED_FLAGS \
	(ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | \
	    ST_NODIRATIME | ST_RELATIME)

/* Whether this process builds a sandbox in a user namespace of its own
   (mode "user", set by init from its plan): remounts then keep the locked
   flags of what they remount (sandbox_remount()). */
static bool sandbox_in_userns;

/* Whether the job's /proc was mounted before pivot_root (mode "user":
   sandbox_build_template()), so that its PLAN_PROC step is done. */
static bool sandbox_proc_done;

/* Send iov with fds[0..n) (n may be 0) as one message; sendmsg's result. */
static ssize_t
sandbox_sendmsg(int sock, const struct iovec *iov, size_t niov, const int *fds,
    size_t n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(SANDBOX_FDS_MAX * sizeof(int))];
	} u;
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t r;

	memset(&mh, 0, sizeof(mh));
	memset(&u, 0, sizeof(u));
	mh.msg_iov = (struct iovec *)iov;
	mh.msg_iovlen = niov;
	mh.msg_control = u.buf;
	mh.msg_controllen = n > 0 ? CMSG_SPACE(n * sizeof(int)) : 0;
	if ((c = CMSG_FIRSTHDR(&mh)) != NULL) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	while ((r = sendmsg(sock, &mh, MSG_NOSIGNAL)) == -1 && errno == EINTR)
		;
	return r;
}

/* Send a message, with an optional descriptor or the compiled filter. */
int
sandbox_send(int sock, enum sandbox_msg_type type, int32_t value,
    const char *text, int fd, const struct filter_prog *prog)
{
	struct sandbox_msg m;
	struct iovec iov = { &m, sizeof(m) };

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.value = value;
	if (text != NULL)
		snprintf(m.text, sizeof(m.text), "%s", text);
	if (prog != NULL)
		m.filter = *prog;
	if (sandbox_sendmsg(sock, &iov, 1, &fd, fd != -1) != (ssize_t)sizeof(m))
		return -1;
	return 0;
}

/*
 * Receive one message of at most size bytes into buf, with min to max
 * descriptors (close-on-exec) into fds, -1 past those that came.  With
 * past_reset an ECONNRESET is read past, once (see sandbox_recv()).
 * recvmsg's result (0, the end, with every descriptor that came
 * closed); -1 with EBADMSG for a message cut short or with another number
 * of descriptors (those that came are closed).
 */
static ssize_t
sandbox_recvmsg(int sock, void *buf, size_t size, int *fds, size_t min,
    size_t max, bool past_reset)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(SANDBOX_FDS_MAX * sizeof(int))];
	} u;
	struct iovec iov = { buf, size };
	struct msghdr mh;
	struct cmsghdr *c;
	int got[SANDBOX_FDS_MAX];
	size_t ngot = 0, i;
	ssize_t r;

	for (i = 0; i < max; i++)
		fds[i] = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	do {
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (r == -1 && errno == ECONNRESET && past_reset) {
			past_reset = false;
			errno = EINTR;
		}
	} while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	/* An empty message may bring descriptors too (SOCK_SEQPACKET): it
	   reads as the end, and what came with it is closed. */
	c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(0)) {
		ngot = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (ngot > SANDBOX_FDS_MAX)
			ngot = SANDBOX_FDS_MAX;
		memcpy(got, CMSG_DATA(c), ngot * sizeof(int));
	}
	if (r > 0 && ngot >= min && ngot <= max &&
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0) {
		memcpy(fds, got, ngot * sizeof(int));
		return r;
	}
	for (i = 0; i < ngot; i++)
		close(got[i]);
	if (r == 0)
		return 0;
	errno = EBADMSG;
	return -1;
}

/* Receive a message and any descriptor that came with it. */
int
sandbox_recv(int sock, struct sandbox_msg *m, int *fd)
{
	/* A peer that ended with a message of ours unread leaves the
	   socket's error ECONNRESET, reported (once) before what it sent
	   first, still queued: init's ERROR, say, when it died before
	   reading the filter.  Read on past it, once. */
	if (sandbox_recvmsg(sock, m, sizeof(*m), fd, 0, 1, true) ==
	    (ssize_t)sizeof(*m)) {
		m->text[sizeof(m->text) - 1] = '\0';
		return 0;
	}
	/* Only a short message, never sent, can have brought one. */
	if (*fd != -1)
		close(*fd);
	*fd = -1;
	return -1;
}

/* See sandbox.h. */
int
sandbox_send_fds(int sock, const struct iovec *iov, size_t niov, const int *fds,
    size_t n)
{
	if (n == 0 || n > SANDBOX_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	return sandbox_sendmsg(sock, iov, niov, fds, n) == -1 ? -1 : 0;
}

/* See sandbox.h. */
ssize_t
sandbox_recv_fds(int sock, void *buf, size_t size, int *fds, size_t n)
{
	return sandbox_recvmsg(sock, buf, size, fds, n, n, false);
}

/* See sandbox.h. */
void
sandbox_die(int sock, const char *fmt, ...)
{
	char text[sizeof(((struct sandbox_msg *)0)->text)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	(void)sandbox_send(sock, SANDBOX_ERROR, 0, text, -1, NULL);
	_exit(127);
}

/* Wait for one message of the given type from the supervisor, into *m. */
static void
sandbox_expect(int sock, enum sandbox_msg_type type, struct sandbox_msg *m)
{
	int fd;

	/* The supervisor's end closing means it died: so do we. */
	if (sandbox_recv(sock, m, &fd) == -1)
		_exit(127);
	if (fd != -1)
		close(fd);
	if (m->type != type)
		sandbox_die(sock, "unexpected message %u from the supervisor",
		    m->type);
}

/*
 * The node at target under rootfd, which exists, in one step: openat2()
 * refuses a symbolic link on the way and a path out of rootfd, and the
 * node itself may not be one.  -1 with errno if that fails for any
 * reason (ENOENT: it must be made; ENOSYS: a kernel before 5.6), and the
 * caller walks instead.
 */
static int
sandbox_open_existing(int rootfd, const char *target)
{
	struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH };
	struct stat st;
	int fd;

	while (*target == '/')
		target++;
	if (*target == '\0')
		return -1;
	fd = (int)syscall(SYS_openat2, rootfd, target, &how, sizeof(how));
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || S_ISLNK(st.st_mode)) {
		close(fd);
		errno = ELOOP;
		return -1;
	}
	return fd;
}

/* Open (creating) the node at target, refusing links: see sandbox.h. */
int
sandbox_open_target(int rootfd, const char *target, bool as_file)
{
	char buf[PLAN_PATH_MAX], *comp, *next;
	struct stat st;
	int dirfd, fd;
	bool last;

	/* Most targets exist (the masks over /proc, a template's nodes):
	   one system call for the walk below, not four per component. */
	if ((fd = sandbox_open_existing(rootfd, target)) != -1)
		return fd;
	snprintf(buf, sizeof(buf), "%s", target);
	if ((dirfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	for (comp = buf; *comp == '/'; comp++)
		;
	while (*comp != '\0') {
		if ((next = strchr(comp, '/')) != NULL)
			*next = '\0';
		last = next == NULL || next[1] == '\0';
		fd = openat(dirfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT) {
			if (last && as_file) {
				fd = openat(dirfd, comp,
				    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					O_CLOEXEC,
				    0644);
				if (fd != -1)
					close(fd);
			} else
				fd = mkdirat(dirfd, comp, 0755);
			if (fd != -1)
				fd = openat(dirfd, comp,
				    O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		close(dirfd);
		if (fd == -1)
			return -1;
		/* A symbolic link anywhere on the way is refused. */
		if (fstat(fd, &st) == -1 || S_ISLNK(st.st_mode) ||
		    (!last && !S_ISDIR(st.st_mode))) {
			close(fd);
			errno = ELOOP;
			return -1;
		}
		dirfd = fd;
		if (last)
			break;
		comp = next + 1;
	}
	return dirfd;
}

/* Create target as a symbolic link to dest, making its parents. */
static int
sandbox_symlink(int rootfd, const char *target, const char *dest)
{
	char parent[PLAN_PATH_MAX], *slash;
	int fd, rc;

	snprintf(parent, sizeof(parent), "%s", target);
	if ((slash = strrchr(parent, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((fd = sandbox_open_target(rootfd, parent, false)) == -1)
		return -1;
	rc = symlinkat(dest, fd, slash + 1);
	close(fd);
	return rc;
}

/* Mount onto an O_PATH descriptor through its /proc/self/fd alias. */
int
sandbox_mount_fd(const char *source, int fd, const char *fstype,
    unsigned long flags, const char *data)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return mount(source, path, fstype, flags, data);
}

/* Remount the mount at target with flags, reopened first so that the
   remount acts on the newest mount there, not on what lies beneath. */
static int
sandbox_remount(int rootfd, const char *target, bool as_file,
    unsigned long flags)
{
	struct statvfs sv;
	int fd, rc;

	if ((fd = sandbox_open_target(rootfd, target, as_file)) == -1)
		return -1;
	/* In a user namespace the kernel refuses (EPERM) a remount that
	   would clear a flag the host's mount has (read-only, nosuid, nodev,
	   noexec, its atime mode): keep them.  The result is as strict as
	   the plan asks, or stricter. */
	if (sandbox_in_userns) {
		if (fstatvfs(fd, &sv) == -1) {
			close(fd);
			return -1;
		}
		flags |= sv.f_flag & SANDBOX_LOCKED_FLAGS;
	}
	rc = sandbox_mount_fd(NULL, fd, NULL, MS_REMOUNT | MS_BIND | flags,
	    NULL);
	close(fd);
	return rc;
}

/* Bind source (not recursively) at target, then remount it with flags. */
int
sandbox_bind_path(int rootfd, const char *source, const char *target,
    bool as_file, unsigned long flags)
{
	int fd, rc;

	if ((fd = sandbox_open_target(rootfd, target, as_file)) == -1)
		return -1;
	rc = sandbox_mount_fd(source, fd, NULL, MS_BIND, NULL);
	close(fd);
	return rc == -1 ? -1 : sandbox_remount(rootfd, target, as_file, flags);
}

/* Bind source over target and remount it with the plan's flags. */
static int
sandbox_bind(int sock, int rootfd, const char *root, int emptyfd,
    const struct plan_mount *pm)
{
	char src[PATH_MAX], link[PATH_MAX], data[PATH_MAX + 64];
	struct stat st;
	ssize_t n;
	int fd;

	if (pm->in_root)
		snprintf(src, sizeof(src), "%s%s", root, pm->source);
	else
		snprintf(src, sizeof(src), "%s", pm->source);
	if (lstat(src, &st) == -1) {
		if (errno == ENOENT && pm->host_optional)
			return 0;
		sandbox_die(sock, "cannot bind '%s': %s", pm->source,
		    strerror(errno));
	}
	/* A bind path that is a symbolic link on the host stays that link,
	   so that /lib -> usr/lib keeps resolving inside the root. */
	if (S_ISLNK(st.st_mode) && !pm->in_root) {
		if ((n = readlink(src, link, sizeof(link) - 1)) == -1)
			sandbox_die(sock, "cannot read link '%s': %s", src,
			    strerror(errno));
		link[n] = '\0';
		if (sandbox_symlink(rootfd, pm->target, link) == -1)
			sandbox_die(sock, "cannot link '%s': %s", pm->target,
			    strerror(errno));
		return 0;
	}
	fd = sandbox_open_target(rootfd, pm->target, !S_ISDIR(st.st_mode));
	if (fd == -1)
		sandbox_die(sock, "cannot create '%s': %s", pm->target,
		    strerror(errno));
	/* A bind carries the host mount's device name (/dev/vda, an LVM
	   volume) into the job's mountinfo.  A read-only overlay of the one
	   directory, named "sluice", shows the same files without it (a
	   second, empty lower layer is what overlayfs needs to mount without
	   an upper one).  Like the bind it does not reach mounts below the
	   path.  Where overlayfs cannot stack on the host's filesystem, and
	   for a file, a plain bind. */
	if (!(pm->in_root || !S_ISDIR(st.st_mode) || emptyfd == -1 ||
		strpbrk(src, ":,\\") != NULL) &&
	    (size_t)snprintf(data, sizeof(data), "lowerdir=%s:/proc/self/fd/%d",
		src, emptyfd) < sizeof(data) &&
	    sandbox_mount_fd("sluice", fd, "overlay",
		MS_RDONLY | MS_NOSUID | MS_NODEV, data) == 0)
		;
	/* Not MS_REC: mounts below a bound host path stay out of sight. */
	else if (sandbox_mount_fd(src, fd, NULL, MS_BIND, NULL) == -1)
		sandbox_die(sock, "cannot bind '%s': %s", pm->source,
		    strerror(errno));
	close(fd);
	if (sandbox_remount(rootfd, pm->target, !S_ISDIR(st.st_mode),
		pm->flags) == -1)
		sandbox_die(sock, "cannot remount '%s': %s", pm->target,
		    strerror(errno));
	return 0;
}

/*
 * Hide a /proc path: an empty read-only tmpfs over a directory, the root's
 * /dev/null over a file.  A path this kernel lacks cannot leak; any other
 * failure is fatal.
 */
static void
sandbox_mask(int sock, int rootfd, const char *root,
    const struct plan_mount *pm)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s%s", root, pm->target);
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return;
		sandbox_die(sock, "cannot mask '%s': %s", pm->target,
		    strerror(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		if ((fd = sandbox_open_target(rootfd, pm->target, false)) ==
			-1 ||
		    sandbox_mount_fd("sluice", fd, "tmpfs",
			MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			"size=4k,nr_inodes=1,mode=0555") == -1)
			sandbox_die(sock, "cannot mask '%s': %s", pm->target,
			    strerror(errno));
		close(fd);
		return;
	}
	/* One bind, no remount (about 30 of them, a millisecond a job): a
	   bind takes the flags of the mount it copies, and the root's
	   /dev/null is already read-only, nosuid and noexec (its
	   PLAN_DEVICE step). */
	snprintf(path, sizeof(path), "%s/dev/null", root);
	if ((fd = sandbox_open_target(rootfd, pm->target, true)) == -1 ||
	    sandbox_mount_fd(path, fd, NULL, MS_BIND, NULL) == -1)
		sandbox_die(sock, "cannot mask '%s': %s", pm->target,
		    strerror(errno));
	close(fd);
}

/*
 * Carry out one mount step of the plan on the root at rootfd, whose path is
 * root ("" once it is this process's root).
 */
static void
sandbox_mount_step(int sock, int rootfd, const char *root,
    const struct sandbox_io *io, int emptyfd, const struct plan *p,
    const struct plan_mount *pm)
{
	char path[PATH_MAX];
	struct error e;
	int fd;

	switch (pm->kind) {
	case PLAN_TMPFS:
		/* The root's own was mounted before rootfd. */
		if (strcmp(pm->target, "/") == 0)
			return;
		if ((fd = sandbox_open_target(rootfd, pm->target, false)) ==
			-1 ||
		    sandbox_mount_fd("tmpfs", fd, "tmpfs", pm->flags,
			pm->data) == -1)
			sandbox_die(sock, "cannot mount a tmpfs on '%s': %s",
			    pm->target, strerror(errno));
		close(fd);
		return;
	case PLAN_UNMOUNT:
		/* Not MNT_DETACH: a mount still in use is an error. */
		snprintf(path, sizeof(path), "%s%s", root, pm->target);
		if (umount2(path, UMOUNT_NOFOLLOW) == -1)
			sandbox_die(sock, "cannot unmount '%s': %s", pm->target,
			    strerror(errno));
		return;
	case PLAN_DIR:
		if ((fd = sandbox_open_target(rootfd, pm->target, false)) == -1)
			sandbox_die(sock, "cannot create '%s': %s", pm->target,
			    strerror(errno));
		close(fd);
		if (fchmodat(rootfd, pm->target + 1, pm->mode, 0) == -1 ||
		    (pm->slot_owned &&
			fchownat(rootfd, pm->target + 1, p->uid, p->gid,
			    AT_SYMLINK_NOFOLLOW) == -1))
			sandbox_die(sock, "cannot set up '%s': %s", pm->target,
			    strerror(errno));
		return;
	case PLAN_BIND:
		sandbox_bind(sock, rootfd, root, emptyfd, pm);
		return;
	case PLAN_DEVICE:
		if (sandbox_bind_path(rootfd, pm->source, pm->target, true,
			pm->flags) == -1)
			sandbox_die(sock,
			    "cannot bind or remount device '%s': %s",
			    pm->source, strerror(errno));
		return;
	case PLAN_SYMLINK:
		if (sandbox_symlink(rootfd, pm->target, pm->source) == -1)
			sandbox_die(sock, "cannot link '%s': %s", pm->target,
			    strerror(errno));
		return;
	case PLAN_PROC:
		if (sandbox_proc_done)
			return;
		/* By its path: there is no /proc/self/fd before it.  The
		   walk refuses links, and nothing but this process can
		   change the tree it walked (its own root, the job not yet
		   started). */
		snprintf(path, sizeof(path), "%s%s", root, pm->target);
		if ((fd = sandbox_open_target(rootfd, pm->target, false)) ==
			-1 ||
		    mount("proc", path, "proc", pm->flags, pm->data) == -1)
			sandbox_die(sock, "cannot mount procfs: %s",
			    strerror(errno));
		close(fd);
		return;
	case PLAN_MASK:
		sandbox_mask(sock, rootfd, root, pm);
		return;
	case PLAN_COPY_IN:
		/* A warm start's submission comes after its interpreter
		   has started: the supervisor copies it in then. */
		if (io->files_dirfd == -1)
			return;
		if ((fd = openat(rootfd, pm->target + 1,
			 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) ==
		    -1)
			sandbox_die(sock, "cannot copy the submission: %s",
			    strerror(errno));
		if (files_copy_in(io->files_dirfd, io->files_owner, fd, p->uid,
			p->gid, FILES_SUBMISSION_MAX, p->limits.disk_bytes,
			&e) == -1)
			sandbox_die(sock, "cannot copy the submission: %s",
			    e.msg);
		close(fd);
		return;
	case PLAN_REMOUNT:
		if (sandbox_remount(rootfd, pm->target, false, pm->flags) == -1)
			sandbox_die(sock, "cannot remount '%s': %s", pm->target,
			    strerror(errno));
		return;
	}
}

/* Make the built root the process's root and detach the host's tree. */
static void
sandbox_pivot(int sock, const char *root)
{
	/* pivot_root(".", ".") stacks the old root on the new one; the
	   lazy unmount then removes the host's whole tree from this
	   namespace.  Unlike chroot, nothing of the host stays reachable. */
	if (chdir(root) == -1 || syscall(SYS_pivot_root, ".", ".") == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1)
		sandbox_die(sock, "cannot switch to the new root: %s",
		    strerror(errno));
}

/* Whether the directory at fd holds nothing but "." and "..". */
static bool
sandbox_dir_empty(int fd)
{
	char buf[1024];
	long n, off;

	if (lseek(fd, 0, SEEK_SET) == -1)
		return false;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (strcmp(d->d_name, ".") != 0 &&
			    strcmp(d->d_name, "..") != 0)
				return false;
			off += d->d_reclen;
		}
	return n == 0;
}

/*
 * Carry out the job's steps of p (past the template's) on the root at
 * rootfd, whose path is root: those of the given kind, or with -1 all.
 */
static void
sandbox_job_steps(int sock, int rootfd, const char *root,
    const struct sandbox_io *io, const struct plan *p, int kind)
{
	size_t i;

	for (i = p->ntemplate; i < p->nmounts; i++)
		if (kind == -1 ||
		    p->mounts[i].kind == (enum plan_mount_kind)kind)
			sandbox_mount_step(sock, rootfd, root, io, -1, p,
			    &p->mounts[i]);
}

/* See sandbox.h. */
void
sandbox_build_template(int sock, const struct plan *p, const char *root_dir,
    const char *empty_dir)
{
	const struct plan_mount *pm = &p->mounts[0];
	int rootfd, emptyfd;
	size_t i;

	/* Nothing done below may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		sandbox_die(sock, "cannot make mounts private: %s",
		    strerror(errno));
	if (pm->kind != PLAN_TMPFS ||
	    mount("tmpfs", root_dir, "tmpfs", pm->flags, pm->data) == -1)
		sandbox_die(sock, "cannot mount the root tmpfs: %s",
		    strerror(errno));
	rootfd = open(root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd == -1)
		sandbox_die(sock, "cannot open the root: %s", strerror(errno));
	/* Without it, runtime binds are plain binds (see sandbox_bind()).
	   It is the overlays' second lower layer: anything in it would show
	   in every runtime bind of every job. */
	emptyfd = open(empty_dir,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (emptyfd != -1 && !sandbox_dir_empty(emptyfd))
		sandbox_die(sock, "'%s' is not empty", empty_dir);
	for (i = 1; i < p->ntemplate; i++)
		sandbox_mount_step(sock, rootfd, root_dir, NULL, emptyfd, p,
		    &p->mounts[i]);
	if (emptyfd != -1)
		close(emptyfd);
	/* Mode "user": mount the job's procfs (its PLAN_PROC step) while
	   the host's /proc is still in this mount namespace.  In a user
	   namespace the kernel lets a procfs be mounted only where one is
	   already fully visible, which after pivot_root none is.  The step
	   is then skipped. */
	if (sandbox_in_userns) {
		sandbox_job_steps(sock, rootfd, root_dir, NULL, p, PLAN_PROC);
		sandbox_proc_done = true;
	}
	close(rootfd);
	sandbox_pivot(sock, root_dir);
}

/*
 * Take a session's template instead of building one: enter its mount
 * namespace (its root is the template's root, the host's tree gone) and
 * make a copy of it for this job alone, so that no mount of the job's ever
 * reaches the template or another job's copy.
 */
static void
sandbox_enter_template(int sock, int fd)
{
	if (setns(fd, CLONE_NEWNS) == -1 || unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    chdir("/") == -1)
		sandbox_die(sock, "cannot take the slot's template: %s",
		    strerror(errno));
	close(fd);
}

/* The job's own steps of the given kind (-1: all), on the template's copy
   that is now the root. */
static void
sandbox_build_job(int sock, const struct plan *p, const struct sandbox_io *io,
    int kind)
{
	int rootfd;

	if ((rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		sandbox_die(sock, "cannot open the root: %s", strerror(errno));
	sandbox_job_steps(sock, rootfd, "", io, p, kind);
	close(rootfd);
}

/* Bring up loopback in the new network namespace; nothing else exists. */
static void
sandbox_loopback(int sock)
{
	struct ifreq ifr;
	int fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		sandbox_die(sock, "cannot open a socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		sandbox_die(sock, "cannot bring up loopback: %s",
		    strerror(errno));
	close(fd);
}

/* Write a value to a /proc file of this process. */
static int
sandbox_proc_write(const char *path, const char *val)
{
	int fd, rc;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	rc = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return rc;
}

/* Drop every capability from the bounding set and the ambient set. */
static int
sandbox_drop_bounding(void)
{
	int cap;

	for (cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EINVAL)
			return -1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/* Empty the permitted, effective and inheritable capability sets. */
static int
sandbox_drop_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
		0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Whether every capability set of this process is empty (the ambient
   and bounding sets were emptied by sandbox_drop_bounding()). */
static bool
sandbox_no_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
		0 };
	struct __user_cap_data_struct data[2];
	int i;

	if (syscall(SYS_capget, &hdr, data) == -1)
		return false;
	for (i = 0; i < 2; i++)
		if (data[i].effective != 0 || data[i].permitted != 0 ||
		    data[i].inheritable != 0)
			return false;
	/* 1: in the set; past the kernel's last capability, -1. */
	for (i = 0; i <= 63; i++)
		if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, i, 0, 0) == 1)
			return false;
	return true;
}

/* See sandbox.h. */
void
sandbox_job_prepare(const struct plan *p, const struct sandbox_stage *st,
    int sock)
{
	struct error e;
	sigset_t none;
	size_t i;
	int nfd, null;

	/* Mode "user": dumpable again, as the job's execve would make it
	   anyway (init, its parent, is not: see sandbox_init_main()), so
	   that its own /proc files are its own. */
	if (p->userns && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == -1)
		sandbox_die(sock, "cannot make the job dumpable: %s",
		    strerror(errno));
	/* The signals init blocked (sandbox_init_main()) are the job's
	   again. */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		sandbox_die(sock, "cannot unblock signals: %s",
		    strerror(errno));
	/* A fresh session: no controlling terminal, so no TIOCSTI. */
	if (setsid() == -1)
		sandbox_die(sock, "setsid: %s", strerror(errno));
	/* init is shielded from the OOM killer; the job must not be. */
	if (sandbox_proc_write("/proc/self/oom_score_adj", "0") == -1)
		sandbox_die(sock, "cannot reset oom_score_adj: %s",
		    strerror(errno));
	if (chdir(p->workdir) == -1)
		sandbox_die(sock, "chdir '%s': %s", p->workdir,
		    strerror(errno));
	/* A compile stage reads nothing (the job's stdin is the run's) and
	   writes to output of its own. */
	if (st->out != -1) {
		if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
		    dup2(null, 0) == -1 || dup2(st->out, 1) == -1 ||
		    dup2(st->err, 2) == -1)
			sandbox_die(sock,
			    "cannot set up the compile stage's "
			    "stdio: %s",
			    strerror(errno));
		close(null);
	}
	if (sandbox_drop_bounding() == -1)
		sandbox_die(sock, "cannot drop capabilities: %s",
		    strerror(errno));
	/* The slot's ids only: no supplementary groups, real, effective and
	   saved ids all changed, so every capability is gone.  In a user
	   namespace (mode "user") setgroups is denied for good (the
	   supervisor wrote "deny"), and init already has the slot's ids. */
	if ((!p->userns && setgroups(0, NULL) == -1) ||
	    setresgid(p->gid, p->gid, p->gid) == -1 ||
	    setresuid(p->uid, p->uid, p->uid) == -1)
		sandbox_die(sock, "cannot switch to uid %u: %s",
		    (unsigned)p->uid, strerror(errno));
	/* A uid change keeps the capabilities of a user namespace whose
	   root is unmapped (mode "user"): empty them explicitly, and check
	   that none is left in any set. */
	if (sandbox_drop_caps() == -1 || !sandbox_no_caps())
		sandbox_die(sock, "cannot drop capabilities: %s",
		    strerror(errno));
	if (setresuid(0, 0, 0) == 0 || getuid() != p->uid ||
	    geteuid() != p->uid || getgid() != p->gid)
		sandbox_die(sock, "privileges were not dropped");
	/* The change of ids made this process undumpable, which an execve
	   undoes; a zygote's job (no argv: it runs no execve) undoes it
	   here, or its own /proc/self files would be refused to it. */
	if (st->argv == NULL && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == -1)
		sandbox_die(sock, "cannot make the job dumpable: %s",
		    strerror(errno));
	/* The filter comes last: everything above needed calls it refuses.
	   filter_install sets no_new_privs first. */
	if (filter_install(st->prog, &nfd, &e) == -1)
		sandbox_die(sock, "%s", e.msg);
	if (sandbox_send(sock, SANDBOX_NOTIFY_FD, 0, NULL, nfd, NULL) == -1)
		_exit(127);
	close(nfd);
	/* A warm start's runner takes its job on descriptor 3 (park.h);
	   dup2 leaves it open across execve.  It replaces the socket to
	   the supervisor, which the job never keeps. */
	if (st->runner != -1 && dup2(st->runner, 3) == -1)
		sandbox_die(sock, "cannot pass the runner's socket: %s",
		    strerror(errno));
	/* The limits come last of all, so that the sandbox's own few
	   descriptors and tasks never count against a job's small limit.
	   Lowering a limit needs no privilege. */
	for (i = 0; i < st->nrlimits; i++) {
		struct rlimit rl = { st->rlimits[i].soft, st->rlimits[i].hard };
		struct rlimit now;

		/* Mode "user": the account's own hard limit may be lower
		   than the plan's, and cannot be raised; keep it (stricter
		   than asked, never looser). */
		if (p->userns &&
		    getrlimit(st->rlimits[i].resource, &now) == 0 &&
		    now.rlim_max < rl.rlim_max) {
			rl.rlim_max = now.rlim_max;
			if (rl.rlim_cur > rl.rlim_max)
				rl.rlim_cur = rl.rlim_max;
		}
		if (setrlimit(st->rlimits[i].resource, &rl) == -1)
			sandbox_die(sock, "setrlimit %d: %s",
			    st->rlimits[i].resource, strerror(errno));
	}
}

/*
 * The job: become the slot's user with nothing left of root, apply limits,
 * load the filter, execute.  Runs as PID 2 of the namespace (a compile
 * stage's job first, when there is one).
 */
static void __attribute__((noreturn))
sandbox_job_main(const struct plan *p, const struct sandbox_stage *st, int sock)
{
	sandbox_job_prepare(p, st, sock);
	execve(st->argv[0], st->argv, st->envp);
	/* A program in /job is the job's own (submitted, or made by its
	   compile stage): that it cannot be executed is the job's fault,
	   told as a shell tells it, not the node's. */
	if (strncmp(st->argv[0], "/job/", 5) == 0) {
		dprintf(2, "sluice: cannot execute '%s': %s\n", st->argv[0],
		    strerror(errno));
		_exit(127);
	}
	sandbox_die(sock, "cannot execute '%s': %s", st->argv[0],
	    strerror(errno));
}

/* See sandbox.h. */
void
sandbox_spare_close(int ns[2])
{
	int i;

	for (i = 0; i < 2; i++)
		if (ns[i] != -1)
			close(ns[i]);
	ns[0] = ns[1] = -1;
}

/* See sandbox.h. */
int
sandbox_ns_ahead(int type)
{
	const char *path = type == CLONE_NEWNET ? "/proc/self/ns/net"
						: "/proc/self/ns/ipc";
	int own, fd = -1;

	if ((own = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (unshare(type) == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		/* Never go on in the new one. */
		if (setns(own, type) == -1)
			_exit(1);
	}
	close(own);
	return fd;
}

/* See sandbox.h. */
int
sandbox_spare_ns(int ns[2], bool net)
{
	ns[0] = net ? sandbox_ns_ahead(CLONE_NEWNET) : -1;
	ns[1] = sandbox_ns_ahead(CLONE_NEWIPC);
	if ((net && ns[0] == -1) || ns[1] == -1) {
		sandbox_spare_close(ns);
		return -1;
	}
	return 0;
}

/*
 * Put descriptors in place: 0-2 for the job, then the keepers at fixed
 * numbers: 3 the socket, 4 the files, 5 and 6 the namespaces made ahead, 7
 * the template, 8 a warm start's runner socket, 9 and 10 a compile stage's
 * stdout and stderr, those after the socket only if given (else closed).
 */
static void
sandbox_fds(const struct sandbox_io *io, int fds[SANDBOX_KEEPERS])
{
	const int from[SANDBOX_KEEPERS] = { io->sock, io->files_dirfd,
		io->spare_ns[0], io->spare_ns[1], io->template_fd,
		io->runner_fd, io->compile_out_fd, io->compile_err_fd };
	int i;

	/* Move the keepers above the range first, then into it. */
	for (i = 0; i < SANDBOX_KEEPERS; i++)
		if ((fds[i] = from[i] == -1
			    ? -1
			    : fcntl(from[i], F_DUPFD_CLOEXEC, 10)) == -1 &&
		    from[i] != -1)
			_exit(127);
	if (dup2(io->stdin_fd, 0) == -1 || dup2(io->stdout_fd, 1) == -1 ||
	    dup2(io->stderr_fd, 2) == -1)
		_exit(127);
	for (i = 0; i < SANDBOX_KEEPERS; i++) {
		if (fds[i] == -1)
			(void)close(3 + i);
		else if (dup3(fds[i], 3 + i, O_CLOEXEC) == -1)
			_exit(127);
		else
			fds[i] = 3 + i;
	}
	/* Nothing the agent had open reaches the job. */
	if (syscall(SYS_close_range, 3 + SANDBOX_KEEPERS, ~0U, 0) == -1)
		_exit(127);
}

/* Lines in the file at path; 0 if there is no such file, -1 on error. */
static int
sandbox_lines(const char *path)
{
	char buf[4096];
	ssize_t n, i;
	int fd, lines = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return n == -1 ? -1 : lines;
}

/*
 * Whether the network namespace init is now in holds nothing of anyone's:
 * no device but loopback, and no socket at all (the count of the
 * namespace's sockets, of every family, and the list of its AF_UNIX ones,
 * the only family a job may make, each a header line alone).  So no name a
 * job bound, no socket a job left in flight (its last reference on a
 * queue, until the kernel's collector frees it) and no connection reaches
 * the next job of the slot.  A job cannot change the namespace's devices,
 * addresses or settings (it has no capability over it) nor make traffic
 * (no socket that sends any).  Read through the host's /proc, which shows
 * the reader's own namespace.
 */
static bool
sandbox_net_clean(void)
{
	static const char used0[] = "sockets: used 0\n";
	char buf[sizeof(used0)];
	ssize_t n;
	int fd;

	/* Two header lines and lo. */
	if (sandbox_lines("/proc/self/net/dev") != 3 ||
	    sandbox_lines("/proc/self/net/unix") != 1)
		return false;
	if ((fd = open("/proc/self/net/sockstat", O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n == (ssize_t)sizeof(used0) - 1 &&
	    memcmp(buf, used0, sizeof(used0) - 1) == 0;
}

/* Whether the IPC namespace init is now in has no SysV object (each /proc
   file a header line alone): as clone makes it. */
static bool
sandbox_ipc_fresh(void)
{
	static const char *const ipc[] = { "/proc/sysvipc/shm",
		"/proc/sysvipc/msg", "/proc/sysvipc/sem" };
	size_t i;
	int n;

	for (i = 0; i < sizeof(ipc) / sizeof(ipc[0]); i++)
		if ((n = sandbox_lines(ipc[i])) > 1 || n == -1)
			return false;
	return true;
}

/*
 * Enter the network (fd, or -1) and IPC (fd2, or -1) namespaces given,
 * first of all, so that nothing of init ever uses the host's.  setns()
 * checks each is of its type; one that is the namespace init is already in
 * (the host's) is refused: it is no namespace of the job's own.  The IPC
 * one was made ahead and must be as new (sandbox_ipc_fresh()).  The
 * network one is new, or its slot's (slot.h), which earlier jobs of the
 * slot used: if anything of theirs is left in it (sandbox_net_clean()),
 * init leaves it for a new one.
 */
static void
sandbox_enter_spare(int sock, int fd, int fd2)
{
	static const struct {
		int type;
		const char *path;
	} ns[] = { { CLONE_NEWNET, "/proc/self/ns/net" },
		{ CLONE_NEWIPC, "/proc/self/ns/ipc" } };
	const int fds[2] = { fd, fd2 };
	struct stat own, spare;
	int i;

	for (i = 0; i < 2; i++) {
		if (fds[i] == -1)
			continue;
		if (stat(ns[i].path, &own) == -1 || fstat(fds[i], &spare) == -1)
			sandbox_die(sock, "cannot stat a namespace: %s",
			    strerror(errno));
		if (own.st_dev == spare.st_dev && own.st_ino == spare.st_ino)
			sandbox_die(sock,
			    "a namespace made ahead is the "
			    "host's own");
		if (setns(fds[i], ns[i].type) == -1)
			sandbox_die(sock, "cannot enter a namespace: %s",
			    strerror(errno));
		close(fds[i]);
	}
	if (fd2 != -1 && !sandbox_ipc_fresh())
		sandbox_die(sock, "a namespace made ahead has been used");
	if (fd != -1 && !sandbox_net_clean() && unshare(CLONE_NEWNET) == -1)
		sandbox_die(sock, "cannot make a network namespace: %s",
		    strerror(errno));
}

/*
 * A warm start (park.h): the job's runner waits for its job.  When the
 * supervisor sends the submission, copy it in from here, inside the slot's
 * cgroup (its pages and time are the job's, as a cold start's are), with
 * the same step as a cold start, and say READY.  If the runner ends first,
 * return to reap it.
 */
static void
sandbox_handoff(int sock, const struct plan *p, struct sandbox_io *io,
    pid_t job)
{
	struct pollfd pfd[2] = { { sock, POLLIN, 0 }, { -1, POLLIN, 0 } };
	struct sandbox_msg m;
	int fd = -1;

	/* A zygote's job (job -1) is not init's child: the supervisor
	   watches it. */
	if (job != -1 &&
	    (pfd[1].fd = (int)syscall(SYS_pidfd_open, job, 0)) == -1)
		sandbox_die(sock, "pidfd_open: %s", strerror(errno));
	while (poll(pfd, 2, -1) == -1 && errno == EINTR)
		;
	if (pfd[1].fd != -1)
		close(pfd[1].fd);
	if (pfd[0].revents == 0)
		return;
	if (sandbox_recv(sock, &m, &fd) == -1 || m.type != SANDBOX_FILES ||
	    fd == -1)
		sandbox_die(sock, "no submission from the supervisor");
	io->files_dirfd = fd;
	io->files_owner = (uid_t)(uint32_t)m.value;
	sandbox_build_job(sock, p, io, PLAN_COPY_IN);
	close(fd);
	if (sandbox_send(sock, SANDBOX_READY, 0, NULL, -1, NULL) == -1)
		_exit(127);
}

/*
 * Reap every child (orphans of the job land here too) until job itself
 * ends; its wait status.  what names the job in the error when init has
 * no children left before that.
 */
static int
sandbox_reap_job(int sock, pid_t job, const char *what)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, __WALL);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1)
			sandbox_die(sock, "init lost %s: %s", what,
			    strerror(errno));
		if (pid == job)
			return status;
	}
}

/*
 * The compile stage (sandbox.h): its job, then whatever it left killed, and
 * init alone again.  Its output closes here, so that the supervisor reads
 * it to its end; the STAGE message says how it ended.  Returns once the
 * supervisor says GO (the compile ended ok); dies if it does not.
 */
static void
sandbox_compile(const struct plan *p, const struct sandbox_stage *st, int sock)
{
	struct sandbox_msg m;
	int status, s;
	pid_t job;

	if ((job = fork()) == -1)
		sandbox_die(sock, "fork: %s", strerror(errno));
	if (job == 0)
		sandbox_job_main(p, st, sock);
	/* Reap until the compiler itself ends, then kill the rest: init is
	   PID 1 of the namespace and still holds CAP_KILL, so kill(-1)
	   reaches every process of the job and no other.  Nothing of the
	   compile stage may run on into the run. */
	status = sandbox_reap_job(sock, job, "the compile stage");
	(void)kill(-1, SIGKILL);
	while (waitpid(-1, &s, __WALL) != -1 || errno == EINTR)
		;
	if (errno != ECHILD)
		sandbox_die(sock, "init cannot reap the compile stage: %s",
		    strerror(errno));
	close(st->out);
	close(st->err);
	if (sandbox_send(sock, SANDBOX_STAGE, status, NULL, -1, NULL) == -1)
		_exit(127);
	sandbox_expect(sock, SANDBOX_GO, &m);
}

/* init once the job has its own: no stdio, no capability left. */
static void
sandbox_init_done(int sock)
{
	close(0);
	close(1);
	close(2);
	if (sandbox_drop_bounding() == -1 || sandbox_drop_caps() == -1)
		sandbox_die(sock, "init cannot drop capabilities: %s",
		    strerror(errno));
}

/*
 * A warm start whose job a zygote forks into these namespaces (zygote.h):
 * copy the submission in at the handoff as for any warm start, then hold
 * the namespace with no privilege left, the kernel reaping what the job
 * leaves (SIGCHLD ignored), until the supervisor, which has the job's
 * status from the zygote, kills init or goes.
 */
static void __attribute__((noreturn))
sandbox_zygote_wait(int sock, const struct plan *p, struct sandbox_io *io)
{
	struct sandbox_msg m;
	int fd;

	sandbox_handoff(sock, p, io, -1);
	sandbox_init_done(sock);
	if (signal(SIGCHLD, SIG_IGN) == SIG_ERR)
		sandbox_die(sock, "init cannot ignore SIGCHLD: %s",
		    strerror(errno));
	while (sandbox_recv(sock, &m, &fd) == 0)
		if (fd != -1)
			close(fd);
	_exit(0);
}

/* The body of init: see sandbox.h. */
void
sandbox_init_main(const struct plan *p, const struct sandbox_io *io)
{
	static struct sandbox_msg m, filter, cfilter;
	struct sandbox_stage run, compile;
	struct sandbox_io mine = *io;
	struct error e;
	sigset_t blocked;
	pid_t job;
	int fds[SANDBOX_KEEPERS], sock, files, status;

	/* If the supervisor dies, so does init, and with it the namespace. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		_exit(127);
	sandbox_fds(io, fds);
	sock = fds[0];
	files = fds[1];
	sandbox_enter_spare(sock, fds[2], fds[3]);
	mine.sock = sock;
	mine.files_dirfd = files;
	sandbox_expect(sock, SANDBOX_CGROUP_DONE, &m);
	if (io->enter_cgroup && cgroup_enter_self(io->cg, p->uid, &e) == -1)
		sandbox_die(sock, "%s", e.msg);
	/* Mode "user": the supervisor has mapped the slot's ids in this
	   user namespace (CGROUP_DONE comes after).  Take them now, keeping
	   the namespace's capabilities (its root is unmapped), so that what
	   init creates is the slot's, as the job will be.  A change of ids
	   clears the parent-death signal: set it again. */
	if (p->userns) {
		sandbox_in_userns = true;
		if (setresgid(p->gid, p->gid, p->gid) == -1 ||
		    setresuid(p->uid, p->uid, p->uid) == -1 ||
		    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
			sandbox_die(sock,
			    "cannot take the slot's ids in the "
			    "user namespace: %s",
			    strerror(errno));
	}
	/* Now inside the slot's cgroup: make it the job's cgroup root. */
	if (unshare(CLONE_NEWCGROUP) == -1)
		sandbox_die(sock, "cannot make a cgroup namespace: %s",
		    strerror(errno));
	/* Shield init from the OOM killer when the node lets us (it takes
	   CAP_SYS_RESOURCE); if init were killed, the job would still end
	   and its verdict would still come from the cgroup's OOM count. */
	(void)sandbox_proc_write("/proc/self/oom_score_adj", "-1000");
	/* The root: a copy of the session's template for this runtime if
	   it has one, else built the same way here; then the job's own
	   steps on it. */
	if (fds[4] != -1)
		sandbox_enter_template(sock, fds[4]);
	else
		sandbox_build_template(sock, p, io->root_dir, io->empty_dir);
	sandbox_build_job(sock, p, &mine, -1);
	close(files);
	if (sethostname(p->hostname, strlen(p->hostname)) == -1)
		sandbox_die(sock, "sethostname: %s", strerror(errno));
	sandbox_loopback(sock);
	if (sandbox_send(sock, SANDBOX_READY, 0, NULL, -1, NULL) == -1)
		_exit(127);
	sandbox_expect(sock, SANDBOX_FILTER, &filter);
	if (filter.filter.len == 0 || filter.filter.len > FILTER_INSNS_MAX)
		sandbox_die(sock, "no seccomp filter from the supervisor");
	if (p->has_compile) {
		sandbox_expect(sock, SANDBOX_FILTER, &cfilter);
		if (cfilter.filter.len == 0 ||
		    cfilter.filter.len > FILTER_INSNS_MAX)
			sandbox_die(sock,
			    "no compile filter from the supervisor");
		if (fds[6] == -1 || fds[7] == -1)
			sandbox_die(sock, "no output for the compile stage");
	}
	sandbox_expect(sock, SANDBOX_GO, &m);
	/* Mode "user": init has the job's uid, so hidepid alone would not
	   hide it from the job.  Not dumpable, it is out of the job's reach
	   (its /proc entry, environ, memory, ptrace), as the root agent's
	   init, root's, is.  The supervisor has opened what it needs of it
	   (/out).  The job's processes are dumpable again once they
	   execute. */
	if (p->userns && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		sandbox_die(sock, "cannot make init undumpable: %s",
		    strerror(errno));
	/* Every signal blocked from here (the job unblocks its own): in mode
	   "user" the job has init's uid and may signal it, and a handler of
	   init's (a sanitizer's, say) would then run on the job's word.  The
	   kernel drops the rest from inside the namespace (SIG_DFL at PID 1),
	   and the supervisor only ever sends SIGKILL. */
	sigfillset(&blocked);
	if (sigprocmask(SIG_SETMASK, &blocked, NULL) == -1)
		sandbox_die(sock, "init cannot block signals: %s",
		    strerror(errno));

	if (p->has_compile) {
		compile = (struct sandbox_stage){ p->compile.argv,
			p->compile.envp, p->compile.rlimits,
			p->compile.nrlimits, &cfilter.filter, -1, fds[6],
			fds[7] };
		sandbox_compile(p, &compile, sock);
	}
	run = (struct sandbox_stage){ p->argv, p->envp, p->rlimits, p->nrlimits,
		&filter.filter, fds[5], -1, -1 };
	if (io->zygote)
		sandbox_zygote_wait(sock, p, &mine);
	if ((job = fork()) == -1)
		sandbox_die(sock, "fork: %s", strerror(errno));
	if (job == 0)
		sandbox_job_main(p, &run, sock);
	if (fds[5] != -1) {
		close(fds[5]);
		sandbox_handoff(sock, p, &mine, job);
	}
	/* init needs no privilege from here on: it only reaps. */
	sandbox_init_done(sock);
	/* Reap everything; orphans of the job land here.  When the job
	   itself ends, report and exit: the kernel then kills whatever is
	   left in the namespace, double-forked daemons included. */
	status = sandbox_reap_job(sock, job, "the job");
	(void)sandbox_send(sock, SANDBOX_STATUS, status, NULL, -1, NULL);
	_exit(0);
}

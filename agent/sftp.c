/* SFTP confined to the jobs directory: see sftp.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"
#include "sftp.h"
#include "trust.h"

/*
 * The requests the dispatcher makes (dispatcher/remote.c): staging creates
 * directories and files and writes them, collection lists, stats and reads,
 * and a failed upload removes its file; realpath and stat let an operator's
 * sftp(1) in.  Everything else (links, renames, attribute changes, rmdir,
 * statvfs, ...) is refused by sftp-server.
 */
#define SFTP_ALLOWED \
	"open,close,read,write,lstat,fstat,stat,opendir,readdir,remove," \
	"mkdir,realpath"
#define SFTP_GROUPS_MAX 64

/* Who the server runs as: the account root is held for, or the caller. */
static int
sftp_account(struct passwd *out, struct error *e)
{
	struct passwd *pw;
	uid_t uid = getuid();

	if (trust_on_behalf() && trust_caller(&uid) == -1)
		return error_set(e, ERR_REFUSED,
		    "cannot tell which account runs sluice-agent");
	if ((pw = getpwuid(uid)) == NULL)
		return error_set(e, ERR_REFUSED, "uid %u has no account",
		    (unsigned)uid);
	*out = *pw;
	return 0;
}

/* Serve SFTP on stdin and stdout, confined to the jobs directory. */
int
sftp_serve(const struct agent_conf *c, int jobsfd, struct error *e)
{
	const char *jobs = c->jobs_dir;
	char root[PATH_MAX], src[64], user[256];
	static const char *const links[] = { "lib", "lib64", "bin", "sbin" };
	gid_t groups[SFTP_GROUPS_MAX];
	int ngroups = SFTP_GROUPS_MAX, rootfd, i;
	struct passwd pw = { 0 };
	struct stat st, jst;
	int fd;
	char target[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	if (strncmp(c->sftp_server, "/usr/", 5) != 0)
		return error_set(e, ERR_INVALID,
		    "sftp_server '%s' must lie under /usr, the only host "
		    "directory the SFTP view holds",
		    c->sftp_server);
	if (sftp_account(&pw, e) == -1)
		return -1;
	snprintf(user, sizeof(user), "%s", pw.pw_name);
	if (getgrouplist(user, pw.pw_gid, groups, &ngroups) == -1)
		return error_set(e, ERR_SYS, "account '%s' has too many groups",
		    user);
	snprintf(root, sizeof(root), "%s/root", c->base_dir);
	if (mkdir(root, 0700) == -1 && errno != EEXIST)
		return error_set(e, ERR_SYS, "cannot create '%s': %s", root,
		    strerror(errno));
	/* A mount namespace of its own, private: nothing propagates back. */
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return error_set(e, ERR_SYS,
		    "cannot make a mount namespace: %s", strerror(errno));
	/* The new root: a small tmpfs that holds only mount points. */
	if (mount("sluice", root, "tmpfs", MS_NOSUID | MS_NODEV,
		"size=64k,mode=0755") == -1 ||
	    (rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return error_set(e, ERR_SYS, "cannot mount the SFTP root: %s",
		    strerror(errno));
	/* The jobs directory, read-write at its own path so that the
	   dispatcher's absolute paths still hold.  A bind needs a mount of
	   this namespace, so the path is opened again here: it must still
	   be the directory trust_open() checked.  No setuid, no devices,
	   nothing executable. */
	if ((fd = open(jobs,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || fstat(jobsfd, &jst) == -1 ||
	    st.st_dev != jst.st_dev || st.st_ino != jst.st_ino)
		return error_set(e, ERR_SYS, "'%s' changed while in use", jobs);
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (sandbox_bind_path(rootfd, src, jobs, false,
		MS_NOSUID | MS_NODEV | MS_NOEXEC) == -1)
		return error_set(e, ERR_SYS, "cannot bind '%s': %s", jobs,
		    strerror(errno));
	close(fd);
	/* /usr read-only: sftp-server and the libraries it loads. */
	if (sandbox_bind_path(rootfd, "/usr", "/usr", false,
		MS_RDONLY | MS_NOSUID | MS_NODEV) == -1)
		return error_set(e, ERR_SYS, "cannot bind /usr: %s",
		    strerror(errno));
	/* /dev/null, which sftp-server opens at start: an empty file as
	   the mount point, the host's device bound on it. */
	if ((fd = sandbox_open_target(rootfd, "/dev/null", true)) == -1 ||
	    sandbox_mount_fd("/dev/null", fd, NULL, MS_BIND, NULL) == -1)
		return error_set(e, ERR_SYS, "cannot bind /dev/null: %s",
		    strerror(errno));
	close(fd);
	/* sftp-server looks its user up: an /etc/passwd of one line, the
	   account's, and nothing else of the host's /etc. */
	if (mkdirat(rootfd, "etc", 0755) == -1 ||
	    (fd = openat(rootfd, "etc/passwd",
		 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) ==
		-1 ||
	    dprintf(fd, "%s:x:%u:%u::%s:/bin/false\n", user,
		(unsigned)pw.pw_uid, (unsigned)pw.pw_gid, jobs) < 0)
		return error_set(e, ERR_SYS, "cannot write /etc/passwd: %s",
		    strerror(errno));
	close(fd);
	/* Merged /usr: /lib, /lib64, /bin, /sbin are links into it; where
	   they are directories of their own, they are bound read-only. */
	for (i = 0; i < (int)(sizeof(links) / sizeof(links[0])); i++) {
		snprintf(target, sizeof(target), "/%s", links[i]);
		if (lstat(target, &st) == -1)
			continue;
		if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(target, link, sizeof(link) - 1)) ==
			    -1)
				return error_set(e, ERR_SYS,
				    "cannot read '%s': %s", target,
				    strerror(errno));
			link[n] = '\0';
			if (symlinkat(link, rootfd, links[i]) == -1)
				return error_set(e, ERR_SYS,
				    "cannot link '%s': %s", target,
				    strerror(errno));
		} else if (S_ISDIR(st.st_mode) &&
		    sandbox_bind_path(rootfd, target, target, false,
			MS_RDONLY | MS_NOSUID | MS_NODEV) == -1)
			return error_set(e, ERR_SYS, "cannot bind '%s': %s",
			    target, strerror(errno));
	}
	/* The host's tree leaves the namespace; the skeleton is read-only. */
	if (fchdir(rootfd) == -1 || syscall(SYS_pivot_root, ".", ".") == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1 ||
	    mount(NULL, "/", NULL,
		MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) == -1)
		return error_set(e, ERR_SYS, "cannot enter the SFTP root: %s",
		    strerror(errno));
	close(rootfd);
	/* The account, for good: its groups, its ids, no way back. */
	if (setgroups((size_t)ngroups, groups) == -1 ||
	    setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) == -1 ||
	    setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) == -1 ||
	    (pw.pw_uid != 0 && setresuid(0, 0, 0) != -1) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return error_set(e, ERR_SYS, "cannot become '%s': %s", user,
		    strerror(errno));
	umask(022);
	if (chdir(jobs) == -1)
		return error_set(e, ERR_SYS, "cannot enter '%s': %s", jobs,
		    strerror(errno));
	{
		char *argv[] = { (char *)"sftp-server", (char *)"-d",
			(char *)jobs, (char *)"-p", (char *)SFTP_ALLOWED,
			NULL };
		char *envp[] = { (char *)"PATH=/usr/bin:/bin", NULL };

		execve(c->sftp_server, argv, envp);
	}
	return error_set(e, ERR_SYS, "cannot run '%s': %s", c->sftp_server,
	    strerror(errno));
}

/*
 * The seccomp filter: see filter.h.  Every rule says why it exists.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <jansson.h>
#include <seccomp.h>

#include "filter.h"

/* The filter filter_keep() compiled, with its arguments. */
static struct {
	bool valid;
	uint64_t memory_bytes;
	bool memcg;
	struct filter_prog prog;
} filter_kept;

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* A syscall refused outright with an errno. */
struct filter_deny {
	const char *name;
	int err;
	const char *why;
};

static const struct filter_deny filter_denies[] = {
	/* Debugging other processes. */
	{ "ptrace", EPERM,
	    "no tracing: it reads and changes other processes "
	    "and once bypassed seccomp (CVE-2017-5206)" },
	{ "process_vm_readv", EPERM, "reads another process's memory" },
	{ "process_vm_writev", EPERM, "writes another process's memory" },
	{ "kcmp", EPERM,
	    "compares kernel objects of other processes; an "
	    "information leak with no use in a job" },

	/* The filesystem tree is the sandbox's; the job may not reshape it. */
	{ "mount", EPERM, "the sandbox's mounts are fixed" },
	{ "umount2", EPERM, "unmounting could uncover what a mount hides" },
	{ "pivot_root", EPERM, "the root is fixed" },
	{ "chroot", EPERM, "classic chroot escapes need it" },
	{ "open_tree", EPERM, "new mount API: same as mount" },
	{ "move_mount", EPERM, "new mount API: same as mount" },
	{ "fsopen", EPERM, "new mount API: same as mount" },
	{ "fsconfig", EPERM, "new mount API: same as mount" },
	{ "fsmount", EPERM, "new mount API: same as mount" },
	{ "fspick", EPERM, "new mount API: same as mount" },
	{ "mount_setattr", EPERM, "changes mount flags such as read-only" },
	{ "name_to_handle_at", EPERM,
	    "file handles are the first half of "
	    "open_by_handle_at escapes" },
	{ "open_by_handle_at", EPERM,
	    "opens files by handle, outside the "
	    "root (the 'shocker' escape)" },

	/* Namespaces: a new user namespace would give back capabilities. */
	{ "unshare", EPERM,
	    "no new namespaces, above all no user namespace "
	    "that would hand back capabilities" },
	{ "setns", EPERM, "no entering other namespaces" },
	{ "clone3", ENOSYS,
	    "its flags sit in memory that a filter cannot "
	    "read; ENOSYS makes libc fall back to clone, which is checked" },

	/* Kernel keyrings are not namespaced. */
	{ "keyctl", EPERM,
	    "keyrings are shared across the host and outlive "
	    "the job" },
	{ "add_key", EPERM, "keyrings are shared across the host" },
	{ "request_key", EPERM, "keyrings are shared across the host" },

	/* Large kernel attack surfaces a job never needs. */
	{ "bpf", EPERM, "eBPF is a large kernel attack surface" },
	{ "perf_event_open", EPERM,
	    "performance counters leak host activity "
	    "and are a frequent source of kernel bugs" },
	{ "userfaultfd", EPERM, "used to win kernel races in exploits" },
	{ "io_uring_setup", ENOSYS,
	    "io_uring performs I/O outside the "
	    "per-syscall filter (it could create sockets)" },
	{ "io_uring_enter", ENOSYS, "io_uring, as above" },
	{ "io_uring_register", ENOSYS, "io_uring, as above" },
	{ "lookup_dcookie", EPERM, "profiling interface; host paths" },

	/* The machine itself. */
	{ "kexec_load", EPERM, "loads a new kernel" },
	{ "kexec_file_load", EPERM, "loads a new kernel" },
	{ "init_module", EPERM, "loads kernel code" },
	{ "finit_module", EPERM, "loads kernel code" },
	{ "delete_module", EPERM, "unloads kernel code" },
	{ "reboot", EPERM, "the host is not the job's to restart" },
	{ "swapon", EPERM, "host swap configuration" },
	{ "swapoff", EPERM, "host swap configuration" },
	{ "acct", EPERM, "process accounting is host-wide" },
	{ "quotactl", EPERM, "disk quotas are host-wide" },
	{ "quotactl_fd", EPERM, "disk quotas are host-wide" },
	{ "syslog", EPERM, "the kernel log leaks host addresses and events" },
	{ "vhangup", EPERM, "terminal control of the host" },
	{ "iopl", EPERM, "raw I/O port access" },
	{ "ioperm", EPERM, "raw I/O port access" },

	/* The clock is shared by the whole host. */
	{ "settimeofday", EPERM, "the clock is the host's" },
	{ "clock_settime", EPERM, "the clock is the host's" },
	{ "clock_adjtime", EPERM, "the clock is the host's" },
	{ "adjtimex", EPERM, "the clock is the host's" },

	/* Watching files: the runtime binds are shared by every slot and
	   the host, so a watch would show what other tenants' jobs import
	   and what the host runs.  ENOSYS, as on a kernel without them:
	   file watchers fall back to polling their own files. */
	{ "inotify_init", ENOSYS,
	    "watches on shared read-only binds show other jobs' "
	    "and the host's file activity" },
	{ "inotify_init1", ENOSYS, "inotify, as above" },
	{ "inotify_add_watch", ENOSYS, "inotify, as above" },
	{ "fanotify_init", EPERM,
	    "fanotify reports every access to a mount or "
	    "filesystem the job shares with others" },
	{ "fanotify_mark", EPERM, "fanotify, as above" },
};

/* Namespace flags that clone may not carry. */
static const unsigned long filter_clone_flags[] = {
	CLONE_NEWNS,
	CLONE_NEWCGROUP,
	CLONE_NEWUTS,
	CLONE_NEWIPC,
	CLONE_NEWUSER,
	CLONE_NEWPID,
	CLONE_NEWNET,
	CLONE_NEWTIME,
};

/* A system call's number for a rule: see filter.h. */
int
filter_resolve(const char *name, int *nr, struct error *e)
{
	int n = seccomp_syscall_resolve_name(name);

	if (n == __NR_SCMP_ERROR)
		return error_set(e, ERR_SYS,
		    "the seccomp rule for '%s' cannot be installed: this "
		    "libseccomp does not know the system call",
		    name);
	*nr = n;
	return 0;
}

/*
 * Add a rule by name.  A name that this libseccomp does not know is an
 * error: on a deny-list, a rule skipped is a hole.  A system call that the
 * native architecture does not have resolves to a negative pseudo-number,
 * which libseccomp accepts and drops: there is nothing to refuse.  With
 * log, the rule is also described there (what: the action in words).
 */
static int
filter_add(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
    const struct scmp_arg_cmp *cmp, const char *what, json_t *log,
    struct error *e)
{
	int nr = 0, rc;

	if (filter_resolve(name, &nr, e) == -1)
		return -1;
	rc = seccomp_rule_add_array(ctx, action, nr, n, cmp);
	if (rc < 0)
		return error_set(e, ERR_SYS,
		    "the seccomp rule for '%s' cannot be installed: %s", name,
		    strerror(-rc));
	if (log != NULL)
		json_array_append_new(log,
		    json_pack("{s:s, s:s, s:b}", "syscall", name, "action",
			what, "native", nr >= 0));
	return 0;
}

/* Add every rule of the filter to ctx (and describe each in log). */
static int
filter_rules(scmp_filter_ctx ctx, uint64_t memory_bytes, bool memcg,
    json_t *log, struct error *e)
{
	struct scmp_arg_cmp cmp[2];
	int err;
	size_t i;

	for (i = 0; i < sizeof(filter_denies) / sizeof(filter_denies[0]); i++) {
		err = filter_denies[i].err;
		if (filter_add(ctx, SCMP_ACT_ERRNO(err), filter_denies[i].name,
			0, NULL,
			err == EPERM        ? "errno EPERM"
			    : err == ENOSYS ? "errno ENOSYS"
					    : "errno",
			log, e) == -1)
			return -1;
	}

	/* clone may create threads and processes, but no namespaces. */
	for (i = 0;
	     i < sizeof(filter_clone_flags) / sizeof(*filter_clone_flags);
	     i++) {
		cmp[0] = SCMP_A0(SCMP_CMP_MASKED_EQ, filter_clone_flags[i],
		    filter_clone_flags[i]);
		if (filter_add(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, cmp,
			"errno EPERM with a namespace flag",
			i == 0 ? log : NULL, e) == -1)
			return -1;
	}

	/* Only AF_UNIX sockets: the network namespace has nothing but
	   loopback, and the other families (netlink, packet, vsock, ...) are
	   kernel surfaces a job does not need. */
	cmp[0] = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
	if (filter_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), "socket", 1, cmp,
		"errno EAFNOSUPPORT unless AF_UNIX", log, e) == -1 ||
	    filter_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), "socketpair", 1, cmp,
		"errno EAFNOSUPPORT unless AF_UNIX", log, e) == -1)
		return -1;

	/* TIOCSTI and TIOCLINUX push input into a terminal; the job has no
	   terminal, but an inherited one must never be usable.  The command
	   is compared on its low 32 bits only (CVE-2019-10063). */
	cmp[0] = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI);
	if (filter_add(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, cmp,
		"errno EPERM for TIOCSTI", log, e) == -1)
		return -1;
	cmp[0] = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX);
	if (filter_add(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, cmp,
		"errno EPERM for TIOCLINUX", log, e) == -1)
		return -1;

	/* dnotify (fcntl F_NOTIFY) is a directory watch as inotify is: on
	   the runtime's binds, which every job shares (one overlay per
	   template under a session), it would show what other jobs read.
	   The rest of fcntl (flags, locks, duplication) stays.  The command
	   is compared on its low 32 bits, as the kernel reads it. */
	cmp[0] = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, F_NOTIFY);
	if (filter_add(ctx, SCMP_ACT_ERRNO(EPERM), "fcntl", 1, cmp,
		"errno EPERM for F_NOTIFY", log, e) == -1)
		return -1;

	/* personality can turn off ASLR or switch to odd execution domains;
	   only the query (0xffffffff) is allowed. */
	cmp[0] = SCMP_A0(SCMP_CMP_NE, 0xffffffffu);
	if (filter_add(ctx, SCMP_ACT_ERRNO(EPERM), "personality", 1, cmp,
		"errno EPERM except the query", log, e) == -1)
		return -1;

	/* A writable mapping larger than the whole memory limit can never
	   fit.  The supervisor answers ENOMEM and so learns that the job ran
	   into its memory limit, even if the program catches the error. */
	cmp[0] = SCMP_A1(SCMP_CMP_GT, memory_bytes);
	cmp[1] = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE, PROT_WRITE);
	if (filter_add(ctx, SCMP_ACT_NOTIFY, "mmap", 2, cmp,
		"ENOMEM from the supervisor above the memory limit", log,
		e) == -1)
		return -1;
	cmp[0] = SCMP_A2(SCMP_CMP_GT, memory_bytes);
	if (filter_add(ctx, SCMP_ACT_NOTIFY, "mremap", 1, cmp,
		"ENOMEM from the supervisor above the memory limit", log,
		e) == -1)
		return -1;

	/* Without a memory cgroup, memory_bytes holds only what is mapped
	   (RLIMIT_AS and the check above).  A memfd written with write(2),
	   a SysV shared memory segment detached after filling and the
	   messages in a SysV queue are held by the kernel in no process's
	   address space: one job could keep several times its limit.  With
	   a cgroup they are charged to it, and allowed.  ENOSYS, as on a
	   kernel built without them: programs that use them (memfd_create
	   since 3.17) test for it and fall back, to a file in /dev/shm or
	   /tmp, which is the job's tmpfs and counts against disk_bytes.
	   POSIX message queues need no rule: RLIMIT_MSGQUEUE is 0. */
	if (!memcg &&
	    (filter_add(ctx, SCMP_ACT_ERRNO(ENOSYS), "memfd_create", 0, NULL,
		 "errno ENOSYS without a memory cgroup", log, e) == -1 ||
		filter_add(ctx, SCMP_ACT_ERRNO(ENOSYS), "shmget", 0, NULL,
		    "errno ENOSYS without a memory cgroup", log, e) == -1 ||
		filter_add(ctx, SCMP_ACT_ERRNO(ENOSYS), "msgget", 0, NULL,
		    "errno ENOSYS without a memory cgroup", log, e) == -1))
		return -1;
	return 0;
}

/* A new filter context: allow by default, kill foreign ABIs. */
static scmp_filter_ctx
filter_new(struct error *e)
{
	scmp_filter_ctx ctx;
	int r;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		error_set(e, ERR_SYS, "seccomp_init failed");
		return NULL;
	}
	/* Foreign ABIs (i386 through int 0x80, x32) would skip a filter
	   written for the native one: kill the process outright.  libseccomp
	   also routes x32 numbers on x86-64 to this action. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
		 SCMP_ACT_KILL_PROCESS)) < 0) {
		error_set(e, ERR_SYS, "seccomp attribute: %s", strerror(-r));
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/* Compile the filter into prog. */
int
filter_build(uint64_t memory_bytes, bool memcg, struct filter_prog *prog,
    struct error *e)
{
	scmp_filter_ctx ctx;
	struct stat st;
	int rc = -1, r, fd = -1;

	if (filter_kept.valid && filter_kept.memory_bytes == memory_bytes &&
	    filter_kept.memcg == memcg) {
		*prog = filter_kept.prog;
		return 0;
	}
	if ((ctx = filter_new(e)) == NULL)
		return -1;
	if (filter_rules(ctx, memory_bytes, memcg, NULL, e) == -1)
		goto out;
	/* libseccomp 2.5 exports only to a descriptor. */
	if ((fd = memfd_create("sluice-filter", MFD_CLOEXEC)) == -1) {
		error_set(e, ERR_SYS, "memfd_create: %s", strerror(errno));
		goto out;
	}
	if ((r = seccomp_export_bpf(ctx, fd)) < 0) {
		error_set(e, ERR_SYS, "cannot compile the seccomp filter: %s",
		    strerror(-r));
		goto out;
	}
	if (fstat(fd, &st) == -1 || st.st_size <= 0 ||
	    st.st_size % sizeof(prog->insns[0]) != 0 ||
	    (size_t)st.st_size > sizeof(prog->insns) ||
	    pread(fd, prog->insns, (size_t)st.st_size, 0) != st.st_size) {
		error_set(e, ERR_SYS,
		    "the compiled seccomp filter is unusable");
		goto out;
	}
	prog->len = (unsigned short)(st.st_size / sizeof(prog->insns[0]));
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	seccomp_release(ctx);
	return rc;
}

/* See filter.h. */
void
filter_keep(uint64_t memory_bytes, bool memcg)
{
	struct error e;

	if (filter_kept.valid && filter_kept.memory_bytes == memory_bytes &&
	    filter_kept.memcg == memcg)
		return;
	filter_kept.valid = false;
	error_init(&e);
	if (filter_build(memory_bytes, memcg, &filter_kept.prog, &e) == -1)
		return;
	filter_kept.memory_bytes = memory_bytes;
	filter_kept.memcg = memcg;
	filter_kept.valid = true;
}

/* The filter's rules, as info shows them. */
json_t *
filter_describe(bool memcg)
{
	scmp_filter_ctx ctx;
	struct error e;
	json_t *rules, *obj;

	error_init(&e);
	if ((rules = json_array()) == NULL)
		return NULL;
	if ((ctx = filter_new(&e)) != NULL) {
		(void)filter_rules(ctx, 1, memcg, rules, &e);
		seccomp_release(ctx);
	}
	obj = json_pack("{s:s, s:o}", "default", "allow", "rules", rules);
	if (obj != NULL)
		json_object_set_new(obj, "error",
		    e.msg[0] != '\0' ? json_string(e.msg) : json_null());
	return obj;
}

/* Install a compiled filter in the calling process. */
int
filter_install(const struct filter_prog *prog, int *notify_fd, struct error *e)
{
	struct sock_fprog fprog = { prog->len,
		(struct sock_filter *)(uintptr_t)prog->insns };
	long fd;

	/* no_new_privs: no setuid or file-capability gain, ever; the kernel
	   also requires it of an unprivileged process installing a filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return error_set(e, ERR_SYS, "no_new_privs: %s",
		    strerror(errno));
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
	if (fd < 0)
		return error_set(e, ERR_SYS,
		    "cannot install the seccomp filter: %s", strerror(errno));
	*notify_fd = (int)fd;
	return 0;
}

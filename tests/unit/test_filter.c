/*
 * Unit tests for agent/filter.c: the compiled filter, installed in a child
 * process (no root needed: no_new_privs suffices), refuses what it must and
 * allows what a job needs; an oversized writable mapping goes to the
 * listener, here played by the test as the supervisor would.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "filter.h"

#define MEMORY (64 * 1024 * 1024)

/* Run fn in a child under the filter; its exit status is the verdict:
   0 when every check in fn held. */
static int
run_filtered_memcg(int (*fn)(void), bool memcg)
{
	static struct filter_prog prog;
	struct error e;
	int status, nfd;
	pid_t pid;

	error_init(&e);
	assert_int_equal(filter_build(MEMORY, memcg, &prog, &e), 0);
	assert_true(prog.len > 10);
	if ((pid = fork()) == 0) {
		if (filter_install(&prog, &nfd, &e) == -1)
			_exit(100);
		_exit(fn());
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The same, for a node without a memory cgroup. */
static int
run_filtered(int (*fn)(void))
{
	return run_filtered_memcg(fn, false);
}

/* Checks run under the filter: each returns a distinct code on failure. */
static int
refusals(void)
{
	int sv[2];

	errno = 0;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != -1 || errno != EPERM)
		return 1;
	errno = 0;
	if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EAFNOSUPPORT)
		return 2;
	errno = 0;
	if (socket(AF_NETLINK, SOCK_RAW, 0) != -1 || errno != EAFNOSUPPORT)
		return 3;
	errno = 0;
	if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
		return 4;
	errno = 0;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 5;
	errno = 0;
	if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 6;
	errno = 0;
	if (syscall(SYS_personality, 0x0040000) != -1 || errno != EPERM)
		return 7;
	errno = 0;
	if (syscall(SYS_io_uring_setup, 1, NULL) != -1 || errno != ENOSYS)
		return 8;
	errno = 0;
	if (syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL) != -1 ||
	    errno != EPERM)
		return 9;
	errno = 0;
	if (syscall(SYS_bpf, 0, NULL, 0) != -1 || errno != EPERM)
		return 10;
	errno = 0;
	if (syscall(SYS_inotify_init1, 0) != -1 || errno != ENOSYS)
		return 11;
	errno = 0;
	if (syscall(SYS_fanotify_init, 0, 0) != -1 || errno != EPERM)
		return 12;
	errno = 0;
	if (syscall(SYS_fcntl, 0, F_NOTIFY | (1UL << 32), DN_ACCESS) != -1 ||
	    errno != EPERM)
		return 13;
	/* Other fcntl commands are the job's. */
	if (fcntl(0, F_GETFD) == -1)
		return 14;
	/* And what a job needs still works. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return 20;
	if (syscall(SYS_personality, 0xffffffff) == -1)
		return 21;
	if (fork() == 0)
		_exit(0);
	return 0;
}

static void
filter__job_checks__refused_and_allowed(void **state)
{
	assert_int_equal(run_filtered(refusals), 0);
}

/* Memory outside every address space: refused without a memory cgroup. */
static int
outside_memory_refused(void)
{
	errno = 0;
	if (syscall(SYS_memfd_create, "m", 0) != -1 || errno != ENOSYS)
		return 1;
	errno = 0;
	if (shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600) != -1 ||
	    errno != ENOSYS)
		return 2;
	errno = 0;
	if (msgget(IPC_PRIVATE, IPC_CREAT | 0600) != -1 || errno != ENOSYS)
		return 3;
	return 0;
}

/* With one, the cgroup charges them: allowed. */
static int
outside_memory_allowed(void)
{
	int fd, id;

	if ((fd = (int)syscall(SYS_memfd_create, "m", 0)) == -1)
		return 1;
	close(fd);
	if ((id = shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600)) == -1)
		return 2;
	(void)shmctl(id, IPC_RMID, NULL);
	if ((id = msgget(IPC_PRIVATE, IPC_CREAT | 0600)) == -1)
		return 3;
	(void)msgctl(id, IPC_RMID, NULL);
	return 0;
}

static void
filter__memory_outside_mappings__refused_without_memcg(void **state)
{
	(void)state;
	assert_int_equal(run_filtered_memcg(outside_memory_refused, false), 0);
	assert_int_equal(run_filtered_memcg(outside_memory_allowed, true), 0);
}

/* An x32 system call number: the process is killed with SIGSYS. */
static int
x32_call(void)
{
	syscall(0x40000000 | 39); /* getpid, x32 */
	return 0;
}

static void
filter__x32_syscall__killed(void **state)
{
	assert_int_equal(run_filtered(x32_call), 128 + SIGSYS);
}

static void
filter__oversized_mapping__sent_to_listener(void **state)
{
	static struct filter_prog prog;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct iovec iov;
	struct error e;
	char byte = 0;
	int sv[2], nfd = -1, status;
	pid_t pid;

	assert_int_equal(filter_build(MEMORY, false, &prog, &e), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((pid = fork()) == 0) {
		void *small, *big;

		close(sv[0]);
		if (filter_install(&prog, &nfd, &e) == -1)
			_exit(100);
		/* Hand the listener to the parent, as the job does to the
		   supervisor. */
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = &byte;
		iov.iov_len = 1;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &nfd, sizeof(int));
		if (sendmsg(sv[1], &mh, 0) != 1)
			_exit(101);
		close(nfd);
		/* Small mappings are not the listener's business. */
		small = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (small == MAP_FAILED)
			_exit(102);
		big = mmap(NULL, (size_t)MEMORY * 4, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		_exit(big == MAP_FAILED && errno == ENOMEM ? 0 : 103);
	}
	close(sv[1]);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	assert_int_equal(recvmsg(sv[0], &mh, 0), 1);
	if ((cm = CMSG_FIRSTHDR(&mh)) == NULL)
		fail_msg("no descriptor came with the message");
	else
		memcpy(&nfd, CMSG_DATA(cm), sizeof(int));
	assert_int_equal(seccomp_notify_alloc(&req, &resp), 0);
	assert_int_equal(seccomp_notify_receive(nfd, req), 0);
	assert_int_equal(req->data.nr, SYS_mmap);
	assert_int_equal(req->data.args[1], (uint64_t)MEMORY * 4);
	resp->id = req->id;
	resp->val = 0;
	resp->error = -ENOMEM;
	resp->flags = 0;
	assert_int_equal(seccomp_notify_respond(nfd, resp), 0);
	seccomp_notify_free(req, resp);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(nfd);
	close(sv[0]);
}

/* A rule whose call libseccomp does not know fails: no silent hole. */
static void
filter_resolve__unknown_name__refused(void **state)
{
	struct error e;
	int nr = -7;

	(void)state;
	error_init(&e);
	assert_int_equal(filter_resolve("no_such_call_sluice", &nr, &e), -1);
	assert_non_null(strstr(e.msg, "no_such_call_sluice"));
	assert_int_equal(nr, -7);
	assert_int_equal(filter_resolve("ptrace", &nr, &e), 0);
	assert_true(nr >= 0);
}

/* info's description lists every rule, the new ones too, and no error. */
static void
filter_describe__rules__listed(void **state)
{
	json_t *d = filter_describe(false), *rules, *r;
	bool inotify = false, fanotify = false, clone = false, memfd = false;
	size_t i;

	(void)state;
	assert_non_null(d);
	assert_true(json_is_null(json_object_get(d, "error")));
	rules = json_object_get(d, "rules");
	assert_true(json_array_size(rules) > 40);
	json_array_foreach (rules, i, r) {
		const char *name = json_string_value(
		    json_object_get(r, "syscall"));

		assert_non_null(name);
		assert_non_null(
		    json_string_value(json_object_get(r, "action")));
		if (strcmp(name, "inotify_init1") == 0)
			inotify = true;
		if (strcmp(name, "fanotify_init") == 0)
			fanotify = true;
		if (strcmp(name, "clone") == 0)
			clone = true;
		if (strcmp(name, "memfd_create") == 0)
			memfd = true;
	}
	assert_true(inotify && fanotify && clone && memfd);
	json_decref(d);
	/* With a memory cgroup, memfd_create is the job's. */
	d = filter_describe(true);
	assert_non_null(d);
	json_array_foreach (json_object_get(d, "rules"), i, r)
		assert_string_not_equal(json_string_value(
					    json_object_get(r, "syscall")),
		    "memfd_create");
	json_decref(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(filter__job_checks__refused_and_allowed),
		cmocka_unit_test(
		    filter__memory_outside_mappings__refused_without_memcg),
		cmocka_unit_test(filter__x32_syscall__killed),
		cmocka_unit_test(filter__oversized_mapping__sent_to_listener),
		cmocka_unit_test(filter_resolve__unknown_name__refused),
		cmocka_unit_test(filter_describe__rules__listed),
	};

	return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}

/* Unit tests for agent/sandbox.c's messages between the supervisor and init. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox.h"

/* init sent an ERROR and died without reading what the supervisor had sent
   it meanwhile: the supervisor still reads the ERROR (the kernel reports
   ECONNRESET first), then sees the peer gone. */
static void
sandbox_recv__peer_died_with_our_message_unread__its_message_read(void **state)
{
	struct sandbox_msg m;
	int sv[2], fd;
	pid_t pid;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(sandbox_send(sv[0], SANDBOX_FILTER, 0, NULL, -1, NULL),
	    0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(sv[0]);
		_exit(sandbox_send(sv[1], SANDBOX_ERROR, 0, "the root failed",
			  -1, NULL) == 0
			? 0
			: 1);
	}
	close(sv[1]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(sandbox_recv(sv[0], &m, &fd), 0);
	assert_int_equal(m.type, SANDBOX_ERROR);
	assert_string_equal(m.text, "the root failed");
	assert_int_equal(fd, -1);
	assert_int_equal(sandbox_recv(sv[0], &m, &fd), -1);
	close(sv[0]);
}

/* A peer that died having sent nothing: an error, not a message. */
static void
sandbox_recv__peer_died_silent__error(void **state)
{
	struct sandbox_msg m;
	int sv[2], fd;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(sandbox_send(sv[0], SANDBOX_GO, 0, NULL, -1, NULL), 0);
	close(sv[1]);
	assert_int_equal(sandbox_recv(sv[0], &m, &fd), -1);
	assert_int_equal(sandbox_recv(sv[0], &m, &fd), -1);
	close(sv[0]);
}

/* Send len bytes of a message (a struct sandbox_msg padded with zeros)
   with n copies of fd, as a peer that does not use sandbox_send() would. */
static void
test_send_raw(int sock, size_t len, int fd, size_t n)
{
	char body[sizeof(struct sandbox_msg) + 16];
	struct iovec iov = { body, len };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(16 * sizeof(int))];
	} u;
	struct msghdr mh;
	struct cmsghdr *c;
	size_t i;

	assert_true(len <= sizeof(body) && n <= 16);
	memset(body, 0, sizeof(body));
	((struct sandbox_msg *)(void *)body)->type = SANDBOX_STATUS;
	memset(&mh, 0, sizeof(mh));
	memset(&u, 0, sizeof(u));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (n > 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		assert_non_null(c);
		if (c == NULL)
			return;
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		for (i = 0; i < n; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &fd,
			    sizeof(int));
	}
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)len);
}

/* Whether the receiver kept no copy of the write end p[1] it was sent: the
   read end then sees the end of file once the sender's own is closed. */
static bool
test_pipe_unheld(int p[2])
{
	char c;

	close(p[1]);
	/* Non-blocking: a copy left open is an EAGAIN, not a hang. */
	return fcntl(p[0], F_SETFL, O_NONBLOCK) == 0 && read(p[0], &c, 1) == 0;
}

/* What a peer (init, or the zygote's reply socket) sends that is not one
   message with at most one descriptor is refused, and any descriptor
   that came with it is closed, not left open in the receiver. */
static void
sandbox_recv__not_one_message_with_one_fd__refused_fds_closed(void **state)
{
	static const struct {
		size_t len, nfds;
	} bad[] = {
		{ sizeof(struct sandbox_msg), 2 }, /* one too many */
		{ sizeof(struct sandbox_msg), 12 }, /* past the buffer */
		{ sizeof(struct sandbox_msg) - 1, 1 }, /* short */
		{ sizeof(struct sandbox_msg) + 8, 1 }, /* long */
		{ 0, 1 }, /* empty: the end */
	};
	struct sandbox_msg m;
	int sv[2], p[2], fd;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
		assert_int_equal(pipe(p), 0);
		test_send_raw(sv[1], bad[i].len, p[1], bad[i].nfds);
		assert_int_equal(sandbox_recv(sv[0], &m, &fd), -1);
		assert_int_equal(fd, -1);
		assert_true(test_pipe_unheld(p));
		close(p[0]);
		close(sv[0]);
		close(sv[1]);
	}
}

/* One message with one descriptor, or none: taken, as sent. */
static void
sandbox_recv__one_fd_or_none__taken(void **state)
{
	struct sandbox_msg m;
	int sv[2], p[2], fd;
	char c = 'x';

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sandbox_send(sv[1], SANDBOX_NOTIFY_FD, 7, NULL, p[1],
			     NULL),
	    0);
	test_send_raw(sv[1], sizeof(m), -1, 0);
	assert_int_equal(sandbox_recv(sv[0], &m, &fd), 0);
	assert_int_equal(m.type, SANDBOX_NOTIFY_FD);
	assert_int_equal(m.value, 7);
	assert_true(fd != -1 && fd != p[1]);
	assert_int_equal(write(fd, &c, 1), 1);
	close(fd);
	assert_int_equal(sandbox_recv(sv[0], &m, &fd), 0);
	assert_int_equal(m.type, SANDBOX_STATUS);
	assert_int_equal(fd, -1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_true(test_pipe_unheld(p));
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

/* sandbox_recv_fds() takes exactly the count asked for: one fewer or one
   more is EBADMSG, with what came closed; an empty message is the end,
   with what came closed too. */
static void
sandbox_recv_fds__another_count__ebadmsg_fds_closed(void **state)
{
	char buf[64];
	int sv[2], p[2], fds[3];
	size_t n;

	(void)state;
	for (n = 1; n <= 3; n += 2) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
		assert_int_equal(pipe(p), 0);
		test_send_raw(sv[1], 32, p[1], n);
		test_send_raw(sv[1], 0, p[1], 2);
		errno = 0;
		assert_int_equal(sandbox_recv_fds(sv[0], buf, sizeof(buf), fds,
				     2),
		    -1);
		assert_int_equal(errno, EBADMSG);
		assert_int_equal(fds[0], -1);
		assert_int_equal(fds[1], -1);
		/* An empty message is the end, whatever came with it. */
		assert_int_equal(sandbox_recv_fds(sv[0], buf, sizeof(buf), fds,
				     2),
		    0);
		assert_int_equal(fds[0], -1);
		assert_int_equal(fds[1], -1);
		assert_true(test_pipe_unheld(p));
		close(p[0]);
		close(sv[0]);
		close(sv[1]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    sandbox_recv__peer_died_with_our_message_unread__its_message_read),
		cmocka_unit_test(sandbox_recv__peer_died_silent__error),
		cmocka_unit_test(
		    sandbox_recv__not_one_message_with_one_fd__refused_fds_closed),
		cmocka_unit_test(sandbox_recv__one_fd_or_none__taken),
		cmocka_unit_test(
		    sandbox_recv_fds__another_count__ebadmsg_fds_closed),
	};

	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}

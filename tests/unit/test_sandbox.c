/* Unit tests for agent/sandbox.c's messages between the supervisor and init. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    sandbox_recv__peer_died_with_our_message_unread__its_message_read),
		cmocka_unit_test(sandbox_recv__peer_died_silent__error),
	};

	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}

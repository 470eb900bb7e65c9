/*
 * Unit tests for dispatcher/pool.c without threads or nodes: a command the
 * pool cannot queue must not be dropped in silence (its job would stay
 * placed until a restart).  realloc() is wrapped (-Wl,--wrap=realloc) so
 * that a test can make it fail.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "pool.h"

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static bool realloc_fails;

/* realloc(), unless a test makes it fail. */
void *
__wrap_realloc(void *p, size_t n)
{
	return realloc_fails ? NULL : __real_realloc(p, n);
}

/* Events are never delivered here: no worker runs. */
static void
test_pool_cb(struct pool_ev *ev, void *arg)
{
	pool_ev_free(ev);
}

/* Out of memory while queueing a command ends the dispatcher (a restart
   recovers the job) instead of dropping the command. */
static void
pool_send__out_of_memory__fatal_not_dropped(void **state)
{
	char agent0[] = "sluice-agent", *agent[] = { agent0 };
	struct pool_cmd cmd = { .type = POOL_CMD_START,
		.epoch = 1,
		.job_id = 42,
		.attempt = 1 };
	struct settings_node node;
	struct settings set;
	struct spool sp;
	char out[4096];
	int fds[2], status;
	size_t got;
	ssize_t n;
	pid_t pid;

	memset(&node, 0, sizeof(node));
	snprintf(node.name, sizeof(node.name), "node1");
	node.agent = agent;
	node.nagent = 1;
	memset(&set, 0, sizeof(set));
	set.nodes = &node;
	set.nnodes = 1;
	memset(&sp, 0, sizeof(sp));
	sp.root = -1;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct event_base *base = event_base_new();
		struct error e;
		struct pool *p;

		dup2(fds[1], 2);
		if (base == NULL ||
		    (p = pool_new(&set, &sp, base, test_pool_cb, NULL, &e)) ==
			NULL)
			_exit(3);
		realloc_fails = true;
		pool_send(p, 0, &cmd);
		_exit(0); /* the command was dropped */
	}
	close(fds[1]);
	/* Everything the child wrote, however many writes it took. */
	got = 0;
	while (got < sizeof(out) - 1 &&
	    (n = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_non_null(strstr(out, "out of memory"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_send__out_of_memory__fatal_not_dropped),
	};

	return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}

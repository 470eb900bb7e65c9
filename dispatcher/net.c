/* A TCP connect with a deadline: see net.h. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "util.h"

/* Wait for a non-blocking connect() on fd to end; its errno, or 0. */
static int
net_wait(int fd, int64_t deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int64_t left;
	int n, err = 0;

	do {
		if ((left = deadline_ms - util_now_ms()) <= 0)
			return ETIMEDOUT;
		n = poll(&pfd, 1, (int)left);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno;
	if (n == 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

/* Connect to host:port by the deadline. */
int
net_connect(const char *host, const char *port, int64_t deadline_ms, int *gai,
    int *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	*err = ECONNREFUSED;
	if ((*gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		*err = errno;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			*err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		*err = errno == EINPROGRESS ? net_wait(fd, deadline_ms) : errno;
		if (*err == 0)
			break;
		close(fd);
		fd = -1;
		/* The deadline is for all the addresses together. */
		if (*err == ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	return fd;
}

/* Say what net_connect()'s failure was. */
const char *
net_strerror(int gai, int err)
{
	if (gai != 0 && gai != EAI_SYSTEM)
		return gai_strerror(gai);
	return strerror(err);
}

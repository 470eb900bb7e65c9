/*
 * A TCP connect with a deadline, for remote.c (to the nodes' sshd).
 */
#ifndef SLUICE_NET_H
#define SLUICE_NET_H

#include <stdint.h>

/*
 * Resolve host:port (a numeric port) and connect to each address in turn
 * until one accepts or deadline_ms (util_now_ms()) passes.  Returns the
 * connected socket, non-blocking and close-on-exec, which the caller
 * closes.  On failure returns -1 with *gai set to the getaddrinfo() code
 * when the name did not resolve (else 0) and *err to the errno of the last
 * failure (ETIMEDOUT when the deadline passed); net_strerror() says it.
 */
int net_connect(const char *host, const char *port, int64_t deadline_ms,
    int *gai, int *err);

/* What net_connect()'s *gai and *err say, as text. */
const char *net_strerror(int gai, int err);

#endif

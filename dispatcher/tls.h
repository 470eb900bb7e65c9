/*
 * TLS for the dispatcher's outgoing HTTPS (callbacks to https:// URLs),
 * from OpenSSL's libssl through libevent's OpenSSL bufferevents.  Kept
 * apart, as digest.h is, so that OpenSSL's headers (which define names
 * such as ERR_STATE) meet no other header of ours: this one names only
 * libevent's types.
 *
 * Peers are verified: a certificate chain to a trusted CA (the file given,
 * or the system's), valid now, for the host the URL names (its DNS name,
 * or its IP address); TLS 1.2 at least.  A name is sent as SNI.
 */
#ifndef SLUICE_DISPATCHER_TLS_H
#define SLUICE_DISPATCHER_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct bufferevent;
struct event_base;
struct tls_client;

/*
 * A client context that trusts the CAs of ca_file (PEM; NULL or "": the
 * system's default CAs).  NULL on failure, with why in err.
 */
struct tls_client *
tls_client_new(const char *ca_file, char *err, size_t err_len);

/* Free a context (NULL is a no-op); bufferevents made from it may live
   on (each holds a reference). */
void tls_client_free(struct tls_client *t);

/*
 * A bufferevent, not connected yet, that speaks TLS as a client to host:
 * an IP address (is_addr: the certificate must be for it) or a DNS name
 * (sent as SNI; the certificate must be for it).  It frees its TLS state
 * and socket when freed.  NULL on failure.
 */
struct bufferevent *tls_bufferevent(struct tls_client *t,
    struct event_base *base, const char *host, bool is_addr);

/*
 * Why the TLS of bev (made by tls_bufferevent()) failed, in words, into
 * buf; false if it knows of no TLS failure (the connection itself
 * failed, say).
 */
bool tls_why(struct bufferevent *bev, char *buf, size_t len);

#endif

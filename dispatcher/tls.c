/* TLS clients for outgoing HTTPS: see tls.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "tls.h"

struct tls_client {
	SSL_CTX *ctx;
};

/* The oldest error OpenSSL has queued, in words, into buf (and the queue
   emptied, so that the next failure reads its own). */
static void
tls_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

/* A client context that trusts the CAs of ca_file, or the system's. */
struct tls_client *
tls_client_new(const char *ca_file, char *err, size_t err_len)
{
	struct tls_client *t;
	char why[256];

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
		tls_error(why, sizeof(why));
		snprintf(err, err_len, "cannot set up TLS: %s", why);
		goto fail;
	}
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file != NULL && ca_file[0] != '\0') {
		if (SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1) {
			tls_error(why, sizeof(why));
			snprintf(err, err_len,
			    "cannot load the CAs of '%s': %s", ca_file, why);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
		tls_error(why, sizeof(why));
		snprintf(err, err_len, "cannot find the system's CAs: %s", why);
		goto fail;
	}
	return t;
fail:
	tls_client_free(t);
	return NULL;
}

/* Free a context. */
void
tls_client_free(struct tls_client *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/* A TLS client bufferevent for host, not connected yet. */
struct bufferevent *
tls_bufferevent(struct tls_client *t, struct event_base *base, const char *host,
    bool is_addr)
{
	X509_VERIFY_PARAM *param;
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = SSL_new(t->ctx)) == NULL)
		return NULL;
	param = SSL_get0_param(ssl);
	X509_VERIFY_PARAM_set_hostflags(param,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	/* The certificate must name what the URL names; an address gets no
	   SNI (RFC 6066). */
	if (is_addr ? X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1
		    : (SSL_set_tlsext_host_name(ssl, host) != 1 ||
			  SSL_set1_host(ssl, host) != 1)) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	/* CLOSE_ON_FREE: freeing the bufferevent frees ssl too. */
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* Only the answer's headers are read; how the peer closes does not
	   matter. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* Why the TLS of bev failed, if it is known. */
bool
tls_why(struct bufferevent *bev, char *buf, size_t len)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e = bufferevent_get_openssl_error(bev);
	char text[256];
	long v;

	if (ssl == NULL)
		return false;
	if ((v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(buf, len, "its certificate is refused: %s",
		    X509_verify_cert_error_string(v));
		return true;
	}
	if (e != 0) {
		ERR_error_string_n(e, text, sizeof(text));
		snprintf(buf, len, "TLS failed: %s", text);
		return true;
	}
	return false;
}

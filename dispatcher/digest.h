/*
 * SHA-256 and HMAC-SHA256, from libcrypto.  Kept apart so that OpenSSL's headers (which
 * define names such as ERR_STATE) meet no other header of ours.
 */
#ifndef SLUICE_DISPATCHER_DIGEST_H
#define SLUICE_DISPATCHER_DIGEST_H

#include <stddef.h>

/* The SHA-256 of len bytes at data. */
void digest_sha256(const void *data, size_t len, unsigned char out[32]);

/* The HMAC-SHA256 under key (keylen bytes) of len bytes at data; -1 if
   libcrypto fails. */
int digest_hmac_sha256(const void *key, size_t keylen, const void *data,
    size_t len, unsigned char out[32]);

#endif

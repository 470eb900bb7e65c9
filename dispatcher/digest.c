/* SHA-256 and HMAC-SHA256: see digest.h. */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "digest.h"

/* The SHA-256 of len bytes at data. */
void
digest_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32); /* matches no configured token */
}

/* The HMAC-SHA256 of len bytes at data under key. */
int
digest_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[32])
{
	unsigned int n = 32;

	if (keylen > 1024 ||
	    HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n) == NULL ||
	    n != 32)
		return -1;
	return 0;
}

/*
 * SHA-256 (FIPS 180-4) for hashing API keys and file contents: a streaming
 * context (init, update, final) and a one-call helper with a lowercase hex
 * digest. Pure, no allocation, no global state.
 */
#ifndef DMS_SHA256_H
#define DMS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define DMS_SHA256_DIGEST 32
#define DMS_SHA256_HEX (2 * DMS_SHA256_DIGEST + 1)

typedef struct dms_sha256 {
    uint32_t state[8];
    uint64_t length; /* bytes hashed so far */
    unsigned char block[64];
    size_t used; /* bytes waiting in block */
} dms_sha256;

/* Starts a new hash in ctx. */
void dms_sha256_init(dms_sha256 *ctx);

/* Adds len bytes of data (may be NULL when len is 0). */
void dms_sha256_update(dms_sha256 *ctx, const void *data, size_t len);

/* Finishes the hash into digest; ctx must be re-initialised before reuse. */
void dms_sha256_final(dms_sha256 *ctx, unsigned char digest[DMS_SHA256_DIGEST]);

/* The digest of len bytes of data as 64 lowercase hex digits plus NUL in hex. */
void dms_sha256_hex(const void *data, size_t len, char hex[DMS_SHA256_HEX]);

#endif

/* Redirection tokens: compact JWS (RFC 7515) with HS256, httpd-free.
 *
 * A token is what the relay accepts to open one KVM or SOL stream. It is bound
 * to a system, a mode and the Redfish session that asked for it, carries a unique
 * id (jti) that the relay accepts once, and expires quickly. The signing key is
 * dedicated to these tokens (nothing else is ever signed with it), and the
 * audience claim "amt-relay" keeps any other JWT from being mistaken for one. The
 * issuer claim names the virtual host that issued it: a relay on another virtual
 * host (another auth configuration) refuses it. */
#ifndef RF_TOKEN_H
#define RF_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define RF_TOKEN_KEY_LEN   32   /* HMAC-SHA256 key bytes */
#define RF_TOKEN_MAX_LEN   1024 /* longest token we ever produce or accept */
#define RF_TOKEN_AUDIENCE  "amt-relay"

typedef struct rf_token_claims {
    char sys[37];   /* SystemId, canonical lower-case UUID */
    char mode[4];   /* "kvm" or "sol" */
    char sid[33];   /* issuing Redfish session id (hex) */
    char sub[65];   /* user name (for relay logs) */
    char jti[33];   /* unique id, 128 random bits in hex */
    int64_t iat;    /* issued at, seconds since the epoch */
    int64_t exp;    /* expiry, seconds since the epoch */
    char iss[33];   /* issuer: the virtual host that issued it (rf_scope.h), hex */
} rf_token_claims;

typedef enum {
    RF_TOKEN_VALID = 0,
    RF_TOKEN_BAD,      /* not a token, wrong algorithm, bad signature, bad claims */
    RF_TOKEN_EXPIRED   /* signature good but exp has passed */
} rf_token_result;

/* Signs claims into out (NUL-terminated). Returns the length, or -1 when out is
 * too small or a claim is not printable/too long. */
int rf_token_sign(const unsigned char key[RF_TOKEN_KEY_LEN], const rf_token_claims *c,
                  char *out, size_t outlen);

/* Verifies signature, header and claims. On RF_TOKEN_VALID and RF_TOKEN_EXPIRED,
 * *c is filled. Anything unexpected is RF_TOKEN_BAD (fail closed). */
rf_token_result rf_token_verify(const unsigned char key[RF_TOKEN_KEY_LEN], const char *token,
                                int64_t now, rf_token_claims *c);

/* base64url without padding; returns output length or -1 (out too small / bad input). */
int rf_b64url_encode(const unsigned char *in, size_t inlen, char *out, size_t outlen);
int rf_b64url_decode(const char *in, size_t inlen, unsigned char *out, size_t outlen);

/* Fills out with 2*n hex digits (plus NUL) from the OpenSSL CSPRNG. 0 or -1. */
int rf_random_hex(char *out, size_t n);

#endif

/* amt_digest: the HTTP digest responses used by AMT redirection authentication
 * (docs/redirection-protocol.md 4.4, 4.6). Method is always POST, uri /RedirectionService.
 * Strings are (pointer, length) because they come from length-prefixed protocol
 * elements that are not NUL-terminated. */
#ifndef AMT_DIGEST_H
#define AMT_DIGEST_H

#include <stddef.h>

#define AMT_DIGEST_HEX 32

typedef struct amt_str {
    const char *p;
    size_t n;
} amt_str;

/* RFC 2617, qop=auth (auth type 4):
 * MD5hex(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2). out gets 32 lower-case
 * hex digits + NUL. Returns 0, or -1 on a crypto failure. */
int amt_digest_rfc2617(char out[AMT_DIGEST_HEX + 1], amt_str user, amt_str realm,
                       amt_str password, amt_str nonce, amt_str nc, amt_str cnonce,
                       amt_str qop, amt_str uri);

/* RFC 2069 (auth type 3): MD5hex(HA1 ":" nonce ":" HA2). */
int amt_digest_rfc2069(char out[AMT_DIGEST_HEX + 1], amt_str user, amt_str realm,
                       amt_str password, amt_str nonce, amt_str uri);

/* n random lower-case hex digits (a client nonce) + NUL; out needs n + 1. */
int amt_digest_cnonce(char *out, size_t n);

static inline amt_str amt_s(const char *z)
{
    amt_str s = { z ? z : "", 0 };
    if (z)
        while (z[s.n])
            s.n++;
    return s;
}

#endif

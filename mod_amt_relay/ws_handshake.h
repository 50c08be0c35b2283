/* ws_handshake: the httpd-free parts of the RFC 6455 opening handshake
 * (key check, Sec-WebSocket-Accept, header token lists, subprotocol choice). */
#ifndef WS_HANDSHAKE_H
#define WS_HANDSHAKE_H

#include <stddef.h>

#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

/* 1 if key is the base64 encoding of exactly 16 bytes (RFC 6455 4.2.1 item 5). */
int ws_key_valid(const char *key);

/* out = base64(SHA-1(key || GUID)), NUL-terminated. 0 on success. */
int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);

/* 1 if the comma-separated header value contains token (case-insensitive,
 * surrounding whitespace ignored), e.g. Connection: keep-alive, Upgrade. */
int ws_header_has_token(const char *value, const char *token);

/* Sec-WebSocket-Protocol carries the redirection token (one value; the DMT
 * ui-toolkit offers exactly one). Copies the single offered protocol into out.
 * Returns 0 on success, -1 if absent/empty, -2 if more than one is offered,
 * -3 if it does not fit or contains characters a token cannot have. */
int ws_single_subprotocol(const char *value, char *out, size_t outlen);

/* 1 if a browser's Origin names the host the request was sent to (its Host header):
 * "scheme://host[:port]" against "host[:port]", host names compared without case,
 * IPv6 literals in brackets, a missing port taken as the Origin scheme's default (80
 * for http, 443 for https) on both sides, so that a TLS-terminating proxy in front
 * does not matter. Only http and https origins can match; "null" and anything with
 * a path, user info or garbage never does. The relay's default when no
 * AmtRelayOriginAllow list is configured (docs/security-model.md). */
int ws_origin_matches_host(const char *origin, const char *host_header);

#endif

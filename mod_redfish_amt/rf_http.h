/* Per-request context and the HTTP side of Redfish: JSON responses with the
 * headers every response needs, Base-registry error envelopes, bounded bodies. */
#ifndef RF_HTTP_H
#define RF_HTTP_H

#include "httpd.h"
#include <jansson.h>

#include "rf_config.h"
#include "rf_directives.h"

#define RF_MAX_BODY (64 * 1024)
#define RF_MAX_PARAMS 3

typedef struct rf_req {
    request_rec *r;
    rf_server_conf *sconf;
    const rf_settings *cfg;
    const rf_dir_conf *dconf;
    const char *path;                  /* normalized (no trailing slash), no query */
    const char *params[RF_MAX_PARAMS]; /* route captures ({id}, action name) */
    /* who is asking (after rf_authenticate) */
    const char *user;
    int role;
    unsigned privs;
    char session_id[33];               /* "" when authenticated by HTTP Basic */
} rf_req;

/* Fills q for request r (configuration pointers; nobody authenticated yet). */
void rf_req_init(rf_req *q, request_rec *r);

/* Sends obj (consumed) as the response with status, OData/Cache-Control/Link
 * headers, and an ETag when etag is non-zero. Returns OK for the handler. */
int rf_send_json(rf_req *q, int status, json_t *obj, int with_etag);

/* Serializes obj (consumed) once: body text, its ETag and Link header value (or
 * NULL), all from the request pool. 0, or -1 on failure. */
int rf_render_json(rf_req *q, json_t *obj, const char **text, const char **etag, const char **link);
/* Sends an already rendered body with the common headers (etag/link may be NULL). */
int rf_send_text(rf_req *q, int status, const char *text, const char *etag, const char *link);

/* The ETag we would send for obj (W/"..."), allocated from the request pool. */
const char *rf_etag_of(rf_req *q, json_t *obj);

/* A Message object from the Base registry: key, then nargs string arguments.
 * related may be NULL or a JSON pointer such as "#/GraphicalConsole/ServiceEnabled". */
json_t *rf_msg(const char *related, const char *key, ...);

/* Error response: the first message is the top-level code/message, every message
 * also goes into @Message.ExtendedInfo. msgs (a JSON array) is consumed.
 * Returns DONE (never OK), so that every "if ((rc = check()) != OK) return rc;"
 * stops at an error already sent; the router turns DONE into OK. rf_error,
 * rf_unavailable and rf_read_json_object follow the same rule. */
int rf_send_errors(rf_req *q, int status, json_t *msgs);
/* Shorthand for one message without a related property. */
int rf_error(rf_req *q, int status, const char *key, ...);

/* 503 with Retry-After: the device (or store) cannot answer now. */
int rf_unavailable(rf_req *q, int retry_after_s);
/* 429 with Retry-After: this caller is over a quota or a throttle (nobody else is). */
int rf_too_many(rf_req *q, int retry_after_s);

/* Reads a JSON object body of at most RF_MAX_BODY bytes. On failure an error has
 * been sent and the returned code is what the handler must return. */
int rf_read_json_object(rf_req *q, json_t **out);

/* Absolute URL prefix for links meant for other clients (relay), honouring
 * X-Forwarded-Proto/Host when set by a proxy. Example: "https://bmc.example:8443". */
const char *rf_external_origin(rf_req *q, int websocket);

/* Pool cleanup that drops a JSON reference. */
apr_status_t rf_json_cleanup(void *o);

/* 1 when our own connection is TLS. */
int rf_is_https(rf_req *q);

/* 1 when the client's leg is encrypted: our connection is TLS, or it came from a
 * RedfishTrustedProxy whose X-Forwarded-Proto says https. Passwords (HTTP Basic,
 * session logins) are refused unless this holds or the vhost opted in with
 * RedfishAllowBasicOverHTTP / RedfishAllowLoginOverHTTP. */
int rf_secure_transport(rf_req *q);

/* OK when the request's Content-Type is application/json (parameters allowed);
 * otherwise a 415 with HeaderMissing/HeaderInvalid has been sent and DONE is
 * returned. Every POST and PATCH goes through it, bodies or not. */
int rf_require_json_content_type(rf_req *q);

#endif

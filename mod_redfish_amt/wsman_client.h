/* One WS-Man exchange with an AMT device: envelope with a fresh MessageID -> HTTP POST ->
 * reply checks (HTTP status, SOAP fault, Action, RelatesTo), mapped to amt_rc codes
 *. httpd-free.
 *
 * Not thread-safe per client: one request in flight per client (the caller serialises). */
#ifndef WSMAN_CLIENT_H
#define WSMAN_CLIENT_H

#include <stddef.h>

#include "wsman_http.h"
#include "wsman_xml.h"

typedef struct wsman_client wsman_client;

/* cfg as for wsman_http_new(); NULL on failure (err says why, never with credentials). */
wsman_client *wsman_client_new(const wsman_http_config *cfg, char *err, size_t errlen);
void wsman_client_free(wsman_client *c);

/* Starts a request: a new envelope for action/resource_uri with a MessageID unique to
 * this client and process ("uuid:" + random prefix + counter). *body receives the Body
 * element to fill. The client remembers action and MessageID to check the reply. */
xmlDocPtr wsman_client_request(wsman_client *c, const char *action, const char *resource_uri,
                               xmlNodePtr *body);

/* Sends req (always freed) and parses the reply into *reply. Returns an amt_rc:
 *   AMT_OK         reply holds a non-fault envelope whose Action is <action>Response
 *   AMT_E_FAULT    reply holds the fault (reply->fault_subcode etc.), err has the reason
 *   others         reply is empty.
 * The caller calls wsman_reply_free(reply) in every case. */
int wsman_client_send(wsman_client *c, xmlDocPtr req, wsman_reply *reply, char *err,
                      size_t errlen);

/* HTTP exchanges attempted so far (one per wsman_client_send). */
unsigned long wsman_client_calls(const wsman_client *c);

/* Server: header of the last reply (AMT puts its firmware version there, spec §1.3). */
const char *wsman_client_server_header(const wsman_client *c);

/* TCP connections opened so far. */
long wsman_client_connects(const wsman_client *c);
const char *wsman_client_tls(const wsman_client *c); /* wsman_http_tls */

/* The MessageID of the last request built (for tests). */
const char *wsman_client_last_message_id(const wsman_client *c);

#endif

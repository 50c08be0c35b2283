/* relay_client_health: is the WebSocket client still there? Two watches, both
 * judged on the kernel's queue towards the client (what it has not acknowledged)
 * as well as on what the poll loop sees:
 * - the stall watch: a client that takes none of the bytes the core holds for it
 *   for stall_ms stopped reading and is given up on (a slow reader is not);
 * - the liveness probe: asked for by a newcomer that wants this device. */
#ifndef RELAY_CLIENT_HEALTH_H
#define RELAY_CLIENT_HEALTH_H

#include <stdint.h>

#include "apr_network_io.h"
#include "relay_pump.h"
#include "relay_registry.h"

/* Bytes the kernel still holds for the client (not sent, or not acknowledged), or
 * -1 where that cannot be known. */
long relay_client_unacked(apr_socket_t *s);

/* Watches a client while the core holds bytes for it: one that takes none of them
 * for stall_ms is given up on. Progress is poll saying its socket drained, or the
 * kernel's queue towards it shrinking between turns. */
typedef struct client_watch {
    uint64_t stall_ms;
    uint64_t since;  /* last progress while bytes waited (ms); 0: nothing waits */
    long unacked;    /* the kernel's queue after the last turn's writes; -1: unknown */
} client_watch;

/* Before a turn writes anything: has the client acknowledged bytes since the last? */
int relay_watch_acked(const client_watch *w, apr_socket_t *s);
/* After a turn's writes. Returns 1 when the client is to be given up on. */
int relay_watch_update(client_watch *w, apr_socket_t *s, int pending, int progress, uint64_t now);
/* Shortens a poll timeout so that the watch looks at the socket's queue a few
 * times a second and wakes up when the client's time is up. */
apr_interval_time_t relay_watch_timeout(const client_watch *w, apr_interval_time_t timeout, uint64_t now);

/* A liveness check of the client, asked for through the stream table by a newcomer
 * that wants this device (relay_registry_probe): a ping goes out at once, and the
 * client counts as alive on any byte from it, or on its TCP acknowledging what it
 * was sent (the kernel's queue towards it shrinking or empty: a live client behind
 * a slow link, or one busy elsewhere, still acknowledges). A client whose host or
 * network vanished without a FIN does neither; it is given up on after
 * PROBE_ANSWER_MS, which lets the newcomer in instead of leaving the device held
 * until the idle timeout. A client that answers is never taken over. */
#define PROBE_ANSWER_MS 3000

typedef struct client_probe {
    apr_time_t seen;    /* the last request looked at (slot->probe_at) */
    apr_time_t active;  /* the request being checked; 0: none */
    uint64_t deadline;
    long unacked;       /* the kernel's queue at the last turn; -1: unknown */
    int heard;          /* bytes came from the client since the ping */
} client_probe;

/* At the start of a turn: begins a check when a new request is in the slot. */
void relay_probe_start(client_probe *pr, relay_slot *slot, relay_pump *pump, uint64_t now);
/* After a turn's writes. Returns 1 when the client is to be given up on. */
int relay_probe_update(client_probe *pr, relay_slot *slot, apr_socket_t *s, uint64_t now);

#endif

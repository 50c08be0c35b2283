/* relay_client_health: see relay_client_health.h. */
#include "relay_client_health.h"

#include <sys/ioctl.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif

#include "apr_portable.h"

/* Bytes the kernel still holds for the client (not sent, or not acknowledged), or
 * -1 where that cannot be known. A count that shrinks is a client reading, however
 * slowly: POLLOUT alone fires only once a third of the socket buffer is free, which
 * a slow link may take longer than the idle time to drain. */
long relay_client_unacked(apr_socket_t *s)
{
#ifdef SIOCOUTQ
    apr_os_sock_t fd;
    int n;
    if (apr_os_sock_get(&fd, s) == APR_SUCCESS && ioctl(fd, SIOCOUTQ, &n) == 0)
        return n;
#endif
    (void)s;
    return -1;
}

/* Before a turn writes anything: has the client acknowledged bytes since the last? */
int relay_watch_acked(const client_watch *w, apr_socket_t *s)
{
    return w->since && w->unacked >= 0 && relay_client_unacked(s) < w->unacked;
}

/* After a turn's writes. Returns 1 when the client is to be given up on. */
int relay_watch_update(client_watch *w, apr_socket_t *s, int pending, int progress, uint64_t now)
{
    if (!pending) {
        w->since = 0;
        w->unacked = -1;
        return 0;
    }
    w->unacked = relay_client_unacked(s);
    if (!w->since || progress)
        w->since = now;
    return now - w->since >= w->stall_ms;
}

/* Shortens a poll timeout so that the watch looks at the socket's queue a few
 * times a second and wakes up when the client's time is up. */
apr_interval_time_t relay_watch_timeout(const client_watch *w, apr_interval_time_t timeout,
                                         uint64_t now)
{
    uint64_t waited, left;
    if (!w->since)
        return timeout;
    waited = now - w->since;
    left = waited < w->stall_ms ? w->stall_ms - waited : 0;
    if (left > 250)
        left = 250;
    return timeout > (apr_interval_time_t)left * 1000 ? (apr_interval_time_t)left * 1000 : timeout;
}

/* At the start of a turn: begins a check when a new request is in the slot. */
void relay_probe_start(client_probe *pr, relay_slot *slot, relay_pump *pump, uint64_t now)
{
    apr_time_t req = slot ? slot->probe_at : 0;
    if (!req || req == pr->seen || pr->active)
        return;
    pr->seen = req;
    if (pump->state != PUMP_OPEN || pump->client_eof)
        return; /* the stream is ending anyway: the newcomer waits for the slot */
    /* Behind a vanished client's output (KVM video, SOL output) the ping waits in
       full buffers and may never leave; the check is judged on the kernel's queue
       and on what the client sends, so it goes on even if no ping could be queued. */
    (void)relay_pump_ping(pump);
    pr->active = req;
    pr->deadline = now + PROBE_ANSWER_MS;
    pr->unacked = -1;
    pr->heard = 0;
}

/* After a turn's writes. Returns 1 when the client is to be given up on. */
int relay_probe_update(client_probe *pr, relay_slot *slot, apr_socket_t *s, uint64_t now)
{
    long q;
    if (!pr->active)
        return 0;
    q = relay_client_unacked(s);
    if (pr->heard || q == 0 || (q > 0 && pr->unacked >= 0 && q < pr->unacked)) {
        slot->probe_alive = pr->active; /* the newcomer reads this and gives up */
        pr->active = 0;
        return 0;
    }
    pr->unacked = q;
    if (now < pr->deadline)
        return 0;
    pr->active = 0;
    return 1;
}

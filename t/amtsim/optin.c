/* User consent (IPS_OptInService) state machine.
 * OptInState: 0 not started, 1 requested, 2 displayed, 3 received, 4 in session.
 * Timeouts are evaluated lazily (optin_tick) whenever the state is looked at.
 * All functions expect d->lock held. */
#include "amtsim.h"

#include <string.h>

static void clear_code(struct device *d)
{
    d->optin.code = 0;
    d->optin.state = 0;
}

void optin_tick(struct device *d, double now)
{
    struct optin *o = &d->optin;
    /* The code can only be shown while the host is on (S0); MeshCommander
     * powers the machine up after StartOptIn for exactly this reason. */
    if (o->state == 1 && d->power_state == 2) {
        o->state = 2;
        o->displayed_at = now;
        d->screen.version++;
    }
    if (o->state == 2 && now - o->displayed_at > o->display_timeout) {
        clear_code(d);
        d->screen.version++;
    }
    if (o->state == 3 && d->sol_active + d->kvm_active + d->ider_active == 0 &&
        now - o->received_at > o->code_timeout)
        clear_code(d);
}

int optin_start(struct device *d)
{
    double now = now_s();
    optin_tick(d, now);
    if (now < d->optin.blocked_until)
        return 3; /* blocked after repeated wrong codes (anti-DoS) */
    if (d->optin.state != 0)
        return 2; /* invalid state */
    uint32_t r;
    rand_bytes(&r, sizeof r);
    d->optin.code = r % 1000000u;
    d->optin.state = 1;
    d->optin.failures = 0;
    optin_tick(d, now);
    d->screen.version++;
    return 0;
}

int optin_send_code(struct device *d, unsigned long code)
{
    double now = now_s();
    optin_tick(d, now);
    if (d->optin.state != 2)
        return 2;
    if (code == d->optin.code) {
        d->optin.state = 3;
        d->optin.received_at = now;
        d->optin.failures = 0;
        d->optin.code = 0;
        d->screen.version++;
        return 0;
    }
    if (++d->optin.failures >= d->optin.max_failures) {
        /* lock-out: back to NOT STARTED and StartOptIn refused for a while */
        clear_code(d);
        d->optin.failures = 0;
        d->optin.blocked_until = now + d->optin.lockout_secs;
        d->screen.version++;
    }
    return 2066; /* 0x812: code rejected */
}

int optin_cancel(struct device *d)
{
    optin_tick(d, now_s());
    switch (d->optin.state) {
    case 1:
    case 2:
    case 3: /* UNCONFIRMED: cancel from RECEIVED revokes the consent */
        clear_code(d);
        d->screen.version++;
        return 0;
    default:
        return 2;
    }
}

bool optin_needed(struct device *d, bool kvm)
{
    optin_tick(d, now_s());
    bool required = kvm ? d->optin_required != 0 : d->optin_required == OPTIN_ALL;
    return required && d->optin.state != 3 && d->optin.state != 4;
}

/* Called after the session counters changed. */
void optin_session(struct device *d, bool open)
{
    if (open && d->optin.state == 3)
        d->optin.state = 4;
    if (!open && d->optin.state == 4 && d->sol_active + d->kvm_active + d->ider_active == 0) {
        d->optin.state = 3;
        d->optin.received_at = now_s();
    }
}

/* relay_revoke: see relay_revoke.h. */
#include "relay_revoke.h"

#include "http_log.h"

#include "relay_glue.h"

APLOG_USE_MODULE(amt_relay);

void relay_revoke_init(relay_revoke_watch *w, apr_uint64_t now_ms)
{
    w->next_ms = now_ms + RELAY_REVOKE_CHECK_MS;
    w->seen_ended = 0;
    w->ask_at = 0;
    w->asked = 0;
}

const char *relay_revoke_check(relay_revoke_watch *w, request_rec *r, const relay_slot *slot,
                               apr_uint64_t now_ms)
{
    apr_uint32_t ended;
    redfish_amt_session_state st;
    if (!slot || now_ms < w->next_ms)
        return NULL;
    w->next_ms = now_ms + RELAY_REVOKE_CHECK_MS;
    if (slot->end_asked) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "relay: an administrator ended the streams of %s",
                      slot->system_id);
        return "ended by an administrator";
    }
    if (!slot->session_id[0] || !relay_sessions_ended || !relay_stream_session)
        return "no Redfish session to check"; /* fail closed: cannot be revoked */
    ended = relay_sessions_ended();
    if (w->asked && ended == w->seen_ended && apr_time_now() < w->ask_at)
        return NULL;
    w->seen_ended = ended;
    w->asked = 1;
    st = relay_stream_session(r, slot->session_id, &w->ask_at);
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "relay: session %.8s... of the stream: %d "
                  "(next question in %" APR_TIME_T_FMT " ms unless a session ends)", slot->session_id,
                  (int)st, apr_time_as_msec(w->ask_at - apr_time_now()));
    switch (st) {
    case REDFISH_AMT_SESSION_ENDED:
        return "the Redfish session ended";
    case REDFISH_AMT_SESSION_USER_REVOKED:
        return "the session's user lost access";
    default:
        return NULL; /* live, or cannot tell now: ask again next second */
    }
}

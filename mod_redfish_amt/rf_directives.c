/* Redfish* directives. Server-wide settings go in rf_server_conf.redfish; the
 * authentication sources and role mapping are per-directory, because Apache's
 * authn/authz providers read their own directives (AuthUserFile, AuthGroupFile,
 * AuthLDAPURL...) from the per-directory config of the request. */
#include "rf_directives.h"

#include <string.h>
#include <strings.h>

#include "apr_network_io.h"
#include "apr_strings.h"
#include "ap_provider.h"
#include "http_log.h"
#include "mod_auth.h"

#include "amt_uuid.h"
#include "rf_config.h"
#include "rf_privileges.h"

APLOG_USE_MODULE(redfish_amt);

#define EFFECTIVE(field, def) return s->field ? s->field : (def)
int rf_cfg_session_timeout(const rf_settings *s) { EFFECTIVE(session_timeout, RF_DEF_SESSION_TIMEOUT); }
int rf_cfg_max_sessions(const rf_settings *s) { EFFECTIVE(max_sessions, RF_DEF_MAX_SESSIONS); }
int rf_cfg_token_lifetime(const rf_settings *s) { EFFECTIVE(token_lifetime, RF_DEF_TOKEN_LIFETIME); }
int rf_cfg_state_ttl_ms(const rf_settings *s) { EFFECTIVE(state_ttl_ms, RF_DEF_STATE_TTL_MS); }
int rf_cfg_amt_timeout_ms(const rf_settings *s) { EFFECTIVE(amt_timeout_ms, RF_DEF_AMT_TIMEOUT_MS); }
int rf_cfg_consent_attempts(const rf_settings *s) { EFFECTIVE(consent_attempts, RF_DEF_CONSENT_ATTEMPTS); }
int rf_cfg_page_size(const rf_settings *s) { EFFECTIVE(page_size, RF_DEF_PAGE_SIZE); }
int rf_cfg_login_user_limit(const rf_settings *s) { EFFECTIVE(login_user_limit, RF_DEF_LOGIN_USER_LIMIT); }
int rf_cfg_login_user_window(const rf_settings *s) { EFFECTIVE(login_user_window, RF_DEF_LOGIN_USER_WINDOW); }
int rf_cfg_login_client_limit(const rf_settings *s) { EFFECTIVE(login_client_limit, RF_DEF_LOGIN_CLIENT_LIMIT); }
int rf_cfg_login_client_window(const rf_settings *s) { EFFECTIVE(login_client_window, RF_DEF_LOGIN_CLIENT_WINDOW); }
int rf_cfg_login_concurrency(const rf_settings *s) { EFFECTIVE(login_concurrency, RF_DEF_LOGIN_CONCURRENCY); }
int rf_cfg_sessions_per_user(const rf_settings *s) { EFFECTIVE(sessions_per_user, RF_DEF_SESSIONS_PER_USER); }
int rf_cfg_tokens_session_min(const rf_settings *s) { EFFECTIVE(tokens_session_min, RF_DEF_TOKENS_SESSION_MIN); }
int rf_cfg_tokens_user_min(const rf_settings *s) { EFFECTIVE(tokens_user_min, RF_DEF_TOKENS_USER_MIN); }
int rf_cfg_tokens_session_unspent(const rf_settings *s) { EFFECTIVE(tokens_session_unspent, RF_DEF_TOKENS_SESSION_UNSPENT); }
int rf_cfg_tokens_user_unspent(const rf_settings *s) { EFFECTIVE(tokens_user_unspent, RF_DEF_TOKENS_USER_UNSPENT); }

int rf_cfg_admin_reserve(const rf_settings *s)
{
    /* -1 stands for an explicit 0 (zero means "not set" in rf_settings) */
    int r = s->admin_reserve ? (s->admin_reserve < 0 ? 0 : s->admin_reserve) : RF_DEF_ADMIN_RESERVE;
    int max = rf_cfg_max_sessions(s);
    return r >= max ? max - 1 : r;
}
int rf_cfg_absolute_timeout(const rf_settings *s) { EFFECTIVE(absolute_timeout, RF_DEF_ABSOLUTE_TIMEOUT); }
int rf_cfg_user_recheck(const rf_settings *s) { EFFECTIVE(user_recheck, RF_DEF_USER_RECHECK); }
int rf_cfg_kvm_consent_inband(const rf_settings *s) { return s->kvm_consent == 2; }
int rf_cfg_sol_consent_amt(const rf_settings *s) { return s->sol_consent == 2; }

void *rf_create_dir_conf(apr_pool_t *p, char *dir)
{
    rf_dir_conf *c = apr_pcalloc(p, sizeof(*c));
    c->authn = apr_array_make(p, 2, sizeof(rf_authn_entry));
    c->roles = apr_array_make(p, 3, sizeof(rf_role_rule));
    return c;
}

/* A <Location> that names its own providers/roles replaces the outer ones. */
void *rf_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    rf_dir_conf *base = basev, *add = addv, *c = apr_pcalloc(p, sizeof(*c));
    c->authn = add->authn->nelts ? add->authn : base->authn;
    c->roles = add->roles->nelts ? add->roles : base->roles;
    c->console_headers = add->console_headers ? add->console_headers : base->console_headers;
    return c;
}

/* Virtual hosts share the main server's device registry (rf_merge_server_conf)
 * but may override the per-host Redfish settings; the rest are server-wide
 * because they size or govern shared state. */
void *rf_merge_server(apr_pool_t *p, void *basev, void *addv)
{
    const rf_server_conf *base = basev, *add = addv;
    rf_server_conf *c = apr_pmemdup(p, rf_merge_server_conf(p, basev, addv), sizeof(*c));
    const rf_settings *b = &base->redfish, *a = &add->redfish;
    c->redfish = *b;
    if (a->token_lifetime)
        c->redfish.token_lifetime = a->token_lifetime;
    if (a->allow_basic_http)
        c->redfish.allow_basic_http = a->allow_basic_http;
    if (a->allow_login_http)
        c->redfish.allow_login_http = a->allow_login_http;
    if (a->page_size)
        c->redfish.page_size = a->page_size;
    if (a->relay_url)
        c->redfish.relay_url = a->relay_url;
    if (a->trusted_proxies)
        c->redfish.trusted_proxies = a->trusted_proxies;
    if (a->kvm_consent)
        c->redfish.kvm_consent = a->kvm_consent;
    if (a->sol_consent)
        c->redfish.sol_consent = a->sol_consent;
    return c;
}

static rf_settings *settings(cmd_parms *cmd)
{
    return &rf_sconf(cmd->server)->redfish;
}

static const char *parse_int(cmd_parms *cmd, const char *arg, long min, long max, long *out)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (!*arg || *end || v < min || v > max)
        return apr_psprintf(cmd->pool, "%s: '%s' must be an integer from %ld to %ld",
                            cmd->cmd->name, arg, min, max);
    *out = v;
    return NULL;
}

enum int_field { I_SESSION_TIMEOUT, I_MAX_SESSIONS, I_TOKEN_LIFETIME, I_STATE_TTL, I_AMT_TIMEOUT,
                 I_CONSENT_ATTEMPTS, I_PAGE_SIZE, I_LOGIN_CONCURRENCY, I_SESSIONS_PER_USER,
                 I_ADMIN_RESERVE, I_ABSOLUTE_TIMEOUT, I_USER_RECHECK };

static const char *set_int(cmd_parms *cmd, void *dummy, const char *arg)
{
    rf_settings *s = settings(cmd);
    enum int_field f = (enum int_field)(apr_uintptr_t)cmd->info;
    const char *err = (f == I_TOKEN_LIFETIME || f == I_PAGE_SIZE)
                          ? NULL
                          : ap_check_cmd_context(cmd, GLOBAL_ONLY);
    long v;
    if (err)
        return err;
    switch (f) {
    case I_SESSION_TIMEOUT:
        err = parse_int(cmd, arg, RF_MIN_SESSION_TIMEOUT, RF_MAX_SESSION_TIMEOUT, &v);
        if (!err) s->session_timeout = (int)v;
        break;
    case I_MAX_SESSIONS:
        err = parse_int(cmd, arg, 1, RF_MAX_MAX_SESSIONS, &v);
        if (!err) s->max_sessions = (int)v;
        break;
    case I_TOKEN_LIFETIME:
        err = parse_int(cmd, arg, 5, RF_MAX_TOKEN_LIFETIME, &v);
        if (!err) s->token_lifetime = (int)v;
        break;
    case I_STATE_TTL: /* milliseconds: sub-second TTLs are useful in tests */
        err = parse_int(cmd, arg, 100, 600000, &v);
        if (!err) s->state_ttl_ms = (int)v;
        break;
    case I_AMT_TIMEOUT:
        err = parse_int(cmd, arg, 200, 120000, &v);
        if (!err) s->amt_timeout_ms = (int)v;
        break;
    case I_CONSENT_ATTEMPTS:
        err = parse_int(cmd, arg, 1, 100, &v);
        if (!err) s->consent_attempts = (int)v;
        break;
    case I_PAGE_SIZE:
        err = parse_int(cmd, arg, 1, 10000, &v);
        if (!err) s->page_size = (int)v;
        break;
    case I_LOGIN_CONCURRENCY:
        err = parse_int(cmd, arg, 1, 1000, &v);
        if (!err) s->login_concurrency = (int)v;
        break;
    case I_SESSIONS_PER_USER:
        err = parse_int(cmd, arg, 1, RF_MAX_MAX_SESSIONS, &v);
        if (!err) s->sessions_per_user = (int)v;
        break;
    case I_ADMIN_RESERVE:
        err = parse_int(cmd, arg, 0, RF_MAX_MAX_SESSIONS, &v);
        if (!err) s->admin_reserve = v ? (int)v : -1;
        break;
    case I_ABSOLUTE_TIMEOUT:
        err = parse_int(cmd, arg, RF_MIN_SESSION_TIMEOUT, RF_MAX_SESSION_TIMEOUT, &v);
        if (!err) s->absolute_timeout = (int)v;
        break;
    case I_USER_RECHECK:
        err = parse_int(cmd, arg, 1, RF_MAX_USER_RECHECK, &v);
        if (!err) s->user_recheck = (int)v;
        break;
    }
    return err;
}

enum pair_field { P_LOGIN_USER, P_LOGIN_CLIENT, P_TOKENS_PER_MIN, P_TOKENS_UNSPENT };

/* Directives that take two numbers (a budget and its window, or a session and a
 * user quota). */
static const char *set_pair(cmd_parms *cmd, void *dummy, const char *a1, const char *a2)
{
    rf_settings *s = settings(cmd);
    enum pair_field f = (enum pair_field)(apr_uintptr_t)cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    long x, y;
    if (err)
        return err;
    switch (f) {
    case P_LOGIN_USER:
    case P_LOGIN_CLIENT:
        if ((err = parse_int(cmd, a1, 1, 100000, &x)) || (err = parse_int(cmd, a2, 1, 86400, &y)))
            return err;
        if (f == P_LOGIN_USER) {
            s->login_user_limit = (int)x;
            s->login_user_window = (int)y;
        } else {
            s->login_client_limit = (int)x;
            s->login_client_window = (int)y;
        }
        break;
    case P_TOKENS_PER_MIN:
    case P_TOKENS_UNSPENT:
        if ((err = parse_int(cmd, a1, 1, 1000, &x)) || (err = parse_int(cmd, a2, 1, 10000, &y)))
            return err;
        if (y < x)
            return apr_psprintf(cmd->pool, "%s: the user quota (%ld) cannot be below the "
                                "session quota (%ld)", cmd->cmd->name, y, x);
        if (f == P_TOKENS_PER_MIN) {
            s->tokens_session_min = (int)x;
            s->tokens_user_min = (int)y;
        } else {
            s->tokens_session_unspent = (int)x;
            s->tokens_user_unspent = (int)y;
        }
        break;
    }
    return NULL;
}

static const char *set_basic_http(cmd_parms *cmd, void *dummy, int on)
{
    settings(cmd)->allow_basic_http = on ? 2 : 1;
    return NULL;
}

static const char *set_login_http(cmd_parms *cmd, void *dummy, int on)
{
    settings(cmd)->allow_login_http = on ? 2 : 1;
    return NULL;
}

static const char *set_console_headers(cmd_parms *cmd, void *dconf, int on)
{
    ((rf_dir_conf *)dconf)->console_headers = on ? 2 : 1;
    return NULL;
}

/* RedfishTrustedProxy 10.0.0.5 192.168.1.0/24 ...: peers whose X-Forwarded-* we believe. */
static const char *add_trusted_proxy(cmd_parms *cmd, void *dummy, const char *arg)
{
    rf_settings *s = settings(cmd);
    char *ip = apr_pstrdup(cmd->pool, arg), *bits = strchr(ip, '/');
    apr_ipsubnet_t *sub;
    if (bits)
        *bits++ = '\0';
    if (apr_ipsubnet_create(&sub, ip, bits, cmd->pool) != APR_SUCCESS)
        return apr_psprintf(cmd->pool, "RedfishTrustedProxy: '%s' is not an IP address or "
                            "address/prefix-length", arg);
    if (!s->trusted_proxies)
        s->trusted_proxies = apr_array_make(cmd->pool, 2, sizeof(apr_ipsubnet_t *));
    APR_ARRAY_PUSH(s->trusted_proxies, apr_ipsubnet_t *) = sub;
    return NULL;
}

/* RedfishKVMConsent redfish|inband and RedfishSOLConsent required|amt: which consent
 * a KVM/SOL token needs (rf_consent_policy.h); 1 = the default word, 2 = the other. */
static const char *set_consent_policy(cmd_parms *cmd, void *dummy, const char *arg)
{
    int kvm = cmd->info != NULL;
    const char *dflt = kvm ? "redfish" : "required", *other = kvm ? "inband" : "amt";
    int v = strcasecmp(arg, dflt) == 0 ? 1 : strcasecmp(arg, other) == 0 ? 2 : 0;
    if (!v)
        return apr_psprintf(cmd->pool, "%s must be %s or %s, not '%s'", cmd->cmd->name, dflt, other, arg);
    if (kvm)
        settings(cmd)->kvm_consent = v;
    else
        settings(cmd)->sol_consent = v;
    return NULL;
}

static const char *set_relay_url(cmd_parms *cmd, void *dummy, const char *arg)
{
    if (strncmp(arg, "wss://", 6) != 0 && strncmp(arg, "ws://", 5) != 0)
        return "RedfishRelayURL must be an absolute ws:// or wss:// URL "
               "(e.g. wss://bmc.example.com/relay/webrelay.ashx)";
    if (strchr(arg, '?') || strchr(arg, '#'))
        return "RedfishRelayURL must not carry a query or fragment (host= and mode= are added)";
    settings(cmd)->relay_url = arg;
    return NULL;
}

static const char *set_service_uuid(cmd_parms *cmd, void *dummy, const char *arg)
{
    char canon[37];
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err)
        return err;
    if (amt_uuid_canonical(arg, canon) != 0)
        return "RedfishServiceUUID must be a UUID";
    settings(cmd)->service_uuid = apr_pstrdup(cmd->pool, canon);
    return NULL;
}

/* RedfishAuthProvider file [dbm ldap ...]: looked up now, so a missing
 * LoadModule is reported by `apachectl -t` instead of at the first login. */
static const char *add_authn(cmd_parms *cmd, void *dconf, const char *name)
{
    rf_dir_conf *c = dconf;
    const authn_provider *prov =
        ap_lookup_provider(AUTHN_PROVIDER_GROUP, name, AUTHN_PROVIDER_VERSION);
    rf_authn_entry *e;
    if (!prov)
        return apr_psprintf(cmd->pool,
                            "RedfishAuthProvider: unknown authn provider '%s' (is mod_authn_%s "
                            "loaded before this line?)", name, name);
    if (!prov->check_password)
        return apr_psprintf(cmd->pool, "RedfishAuthProvider: provider '%s' cannot check passwords",
                            name);
    e = apr_array_push(c->authn);
    e->name = name;
    e->provider = prov;
    return NULL;
}

/* RedfishRole <Administrator|Operator|ReadOnly> "<provider> <args>", e.g.
 * RedfishRole Operator "group operators" — the same words as a Require line. */
static const char *add_role(cmd_parms *cmd, void *dconf, const char *role_name, const char *spec)
{
    rf_dir_conf *c = dconf;
    int role = rf_role_from_name(role_name);
    const char *args = spec;
    char *provider_name = ap_getword_white(cmd->pool, &args);
    const authz_provider *prov;
    rf_role_rule *rule;
    const void *parsed = NULL;

    if (role < 0)
        return apr_psprintf(cmd->pool, "RedfishRole: unknown role '%s' (Administrator, Operator "
                            "or ReadOnly)", role_name);
    if (!*provider_name || !*args)
        return "RedfishRole needs a role and a require-style spec, e.g. "
               "RedfishRole Operator \"group operators\"";
    prov = ap_lookup_provider(AUTHZ_PROVIDER_GROUP, provider_name, AUTHZ_PROVIDER_VERSION);
    if (!prov)
        return apr_psprintf(cmd->pool, "RedfishRole: unknown authz provider '%s' (is its module "
                            "loaded, e.g. authz_groupfile for 'group'?)", provider_name);
    if (prov->parse_require_line) {
        const char *err = prov->parse_require_line(cmd, args, &parsed);
        if (err)
            return apr_psprintf(cmd->pool, "RedfishRole %s: %s", role_name, err);
    }
    rule = apr_array_push(c->roles);
    rule->role = role;
    rule->provider_name = provider_name;
    rule->require_args = args;
    rule->provider = prov;
    rule->parsed = parsed;
    return NULL;
}

#define INT_DIRECTIVE(name, f, help) \
    AP_INIT_TAKE1(name, set_int, (void *)(apr_uintptr_t)(f), RSRC_CONF, help)

/* The module's one directive table: <AmtDevice> and friends (rf_config.h), then
 * the Redfish* service directives. */
const command_rec rf_redfish_cmds[] = {
    RF_DEVICE_CMDS
    INT_DIRECTIVE("RedfishSessionTimeout", I_SESSION_TIMEOUT,
                  "Idle timeout of Redfish sessions in seconds (30-86400, default 1800)"),
    INT_DIRECTIVE("RedfishMaxSessions", I_MAX_SESSIONS,
                  "Maximum number of concurrent Redfish sessions (default 64)"),
    INT_DIRECTIVE("RedfishTokenLifetime", I_TOKEN_LIFETIME,
                  "Lifetime of redirection tokens in seconds (5-600, default 60)"),
    INT_DIRECTIVE("RedfishStateCacheTTL", I_STATE_TTL,
                  "How long AMT state is reused, in milliseconds (default 5000)"),
    INT_DIRECTIVE("RedfishAMTTimeout", I_AMT_TIMEOUT,
                  "Bound on one WS-Man exchange with a device, in milliseconds (default 5000)"),
    INT_DIRECTIVE("RedfishConsentAttempts", I_CONSENT_ATTEMPTS,
                  "Wrong consent codes accepted for the code on a device's screen before refusing (default 3)"),
    INT_DIRECTIVE("RedfishPageSize", I_PAGE_SIZE,
                  "Members per page of the Systems/Managers collections (default 50)"),
    INT_DIRECTIVE("RedfishLoginConcurrency", I_LOGIN_CONCURRENCY,
                  "Password checks in flight per process; more logins get 503 at once (default 4)"),
    INT_DIRECTIVE("RedfishSessionsPerUser", I_SESSIONS_PER_USER,
                  "Sessions one user may hold; a new login ends that user's oldest (default 8)"),
    INT_DIRECTIVE("RedfishAdminSessionReserve", I_ADMIN_RESERVE,
                  "Session slots only Administrators may take (default 2)"),
    AP_INIT_TAKE2("RedfishLoginFailuresPerUser", set_pair, (void *)P_LOGIN_USER, RSRC_CONF,
                  "Failed logins allowed per user name per window: n seconds (default 5 60)"),
    AP_INIT_TAKE2("RedfishLoginFailuresPerClient", set_pair, (void *)P_LOGIN_CLIENT, RSRC_CONF,
                  "Failed logins allowed per client address per window: n seconds (default 30 60)"),
    AP_INIT_TAKE2("RedfishTokensPerMinute", set_pair, (void *)P_TOKENS_PER_MIN, RSRC_CONF,
                  "Redirection tokens issued per minute: per-session per-user (default 30 60)"),
    AP_INIT_TAKE2("RedfishTokensUnspent", set_pair, (void *)P_TOKENS_UNSPENT, RSRC_CONF,
                  "Issued, not yet used redirection tokens: per-session per-user (default 8 16)"),
    INT_DIRECTIVE("RedfishAbsoluteSessionTimeout", I_ABSOLUTE_TIMEOUT,
                  "Lifetime of Redfish sessions whatever their activity, in seconds (30-86400, default 28800)"),
    INT_DIRECTIVE("RedfishUserRecheckInterval", I_USER_RECHECK,
                  "Seconds between asking the providers again about a session's user (1-3600, default 60)"),
    AP_INIT_FLAG("RedfishAllowBasicOverHTTP", set_basic_http, NULL, RSRC_CONF,
                 "on: accept HTTP Basic credentials over plain HTTP (default off)"),
    AP_INIT_FLAG("RedfishAllowLoginOverHTTP", set_login_http, NULL, RSRC_CONF,
                 "on: accept session logins (POST Sessions) over plain HTTP (default off)"),
    AP_INIT_FLAG("RedfishConsoleHeaders", set_console_headers, NULL, ACCESS_CONF | RSRC_CONF,
                 "on: send the web console's CSP, anti-framing, nosniff and Referrer-Policy "
                 "headers on every response here (default off)"),
    AP_INIT_TAKE1("RedfishKVMConsent", set_consent_policy, (void *)"kvm", RSRC_CONF,
                  "redfish (default): a CCM KVM token needs consent obtained through Redfish; "
                  "inband: the token is issued and AMT asks for the code in the KVM picture"),
    AP_INIT_TAKE1("RedfishSOLConsent", set_consent_policy, NULL, RSRC_CONF,
                  "required (default): a SOL token needs consent where the device requires it "
                  "for everything; amt: follow AMT, which opens SOL without consent"),
    AP_INIT_TAKE1("RedfishRelayURL", set_relay_url, NULL, RSRC_CONF,
                  "Absolute ws(s):// URL of the relay (default: derived from the request)"),
    AP_INIT_ITERATE("RedfishTrustedProxy", add_trusted_proxy, NULL, RSRC_CONF,
                    "Proxies (IP or IP/prefix) whose X-Forwarded-Proto/Host are believed (default: none)"),
    AP_INIT_TAKE1("RedfishServiceUUID", set_service_uuid, NULL, RSRC_CONF,
                  "ServiceRoot UUID (default: derived from ServerName)"),
    AP_INIT_ITERATE("RedfishAuthProvider", add_authn, NULL, OR_AUTHCFG | ACCESS_CONF,
                    "Apache authn providers that check Redfish passwords (default: file)"),
    AP_INIT_TAKE2("RedfishRole", add_role, NULL, OR_AUTHCFG | ACCESS_CONF,
                  "RedfishRole Administrator|Operator|ReadOnly \"<authz provider> <args>\""),
    {NULL}};

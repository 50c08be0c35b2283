/* Redfish* directives: server-wide service settings and per-<Location> auth. */
#ifndef RF_DIRECTIVES_H
#define RF_DIRECTIVES_H

#include "httpd.h"
#include "http_config.h"
#include "apr_tables.h"

/* Server-wide settings (embedded in rf_server_conf; zero means "not set"). */
typedef struct rf_settings {
    int session_timeout;     /* RedfishSessionTimeout, seconds (default for SessionTimeout) */
    int max_sessions;        /* RedfishMaxSessions */
    int token_lifetime;      /* RedfishTokenLifetime, seconds */
    int state_ttl_ms;        /* RedfishStateCacheTTL, milliseconds */
    int amt_timeout_ms;      /* RedfishAMTTimeout, milliseconds */
    int allow_basic_http;    /* RedfishAllowBasicOverHTTP: 0 unset, 1 off, 2 on */
    int allow_login_http;    /* RedfishAllowLoginOverHTTP: 0 unset, 1 off, 2 on */
    int consent_attempts;    /* RedfishConsentAttempts: wrong codes allowed per code on screen */
    int page_size;           /* RedfishPageSize: members per collection page */
    const char *relay_url;   /* RedfishRelayURL, e.g. wss://host/relay/webrelay.ashx */
    apr_array_header_t *trusted_proxies; /* RedfishTrustedProxy: apr_ipsubnet_t * whose
                                            X-Forwarded-Proto/Host are believed */
    const char *service_uuid;/* RedfishServiceUUID (default: derived from ServerName) */
    /* quotas and throttles (docs/security-quotas.md), all server-wide */
    int login_user_limit, login_user_window;     /* RedfishLoginFailuresPerUser n seconds */
    int login_client_limit, login_client_window; /* RedfishLoginFailuresPerClient n seconds */
    int login_concurrency;   /* RedfishLoginConcurrency: password checks in flight per process */
    int sessions_per_user;   /* RedfishSessionsPerUser */
    int admin_reserve;       /* RedfishAdminSessionReserve: slots only Administrators may take */
    int tokens_session_min, tokens_user_min;         /* RedfishTokensPerMinute session user */
    int tokens_session_unspent, tokens_user_unspent; /* RedfishTokensUnspent session user */
    int absolute_timeout;    /* RedfishAbsoluteSessionTimeout, seconds (default for
                                SessionService.AbsoluteSessionTimeout) */
    int user_recheck;        /* RedfishUserRecheckInterval, seconds */
    int kvm_consent;         /* RedfishKVMConsent: 0 unset, 1 redfish, 2 inband */
    int sol_consent;         /* RedfishSOLConsent: 0 unset, 1 required, 2 amt */
} rf_settings;

/* Defaults and limits (one place, so the README directive reference and the code agree). */
enum {
    RF_DEF_SESSION_TIMEOUT = 1800, RF_MIN_SESSION_TIMEOUT = 30, RF_MAX_SESSION_TIMEOUT = 86400,
    RF_DEF_MAX_SESSIONS = 64, RF_MAX_MAX_SESSIONS = 4096,
    RF_DEF_TOKEN_LIFETIME = 60, RF_MAX_TOKEN_LIFETIME = 600,
    RF_DEF_STATE_TTL_MS = 5000,
    RF_DEF_AMT_TIMEOUT_MS = 5000,
    RF_DEF_CONSENT_ATTEMPTS = 3,
    RF_DEF_PAGE_SIZE = 50,
    RF_LOGINFAIL_SLOTS = 4096,
    RF_DEF_LOGIN_USER_LIMIT = 5, RF_DEF_LOGIN_USER_WINDOW = 60,
    RF_DEF_LOGIN_CLIENT_LIMIT = 30, RF_DEF_LOGIN_CLIENT_WINDOW = 60,
    RF_DEF_LOGIN_CONCURRENCY = 4,
    RF_DEF_SESSIONS_PER_USER = 8, RF_DEF_ADMIN_RESERVE = 2,
    RF_DEF_TOKENS_SESSION_MIN = 30, RF_DEF_TOKENS_USER_MIN = 60,
    RF_DEF_TOKENS_SESSION_UNSPENT = 8, RF_DEF_TOKENS_USER_UNSPENT = 16,
    RF_DEF_ABSOLUTE_TIMEOUT = 28800, /* 8 h; same 30-86400 range as SessionTimeout */
    RF_DEF_USER_RECHECK = 60, RF_MAX_USER_RECHECK = 3600
};

int rf_cfg_session_timeout(const rf_settings *s);
int rf_cfg_max_sessions(const rf_settings *s);
int rf_cfg_token_lifetime(const rf_settings *s);
int rf_cfg_state_ttl_ms(const rf_settings *s);
int rf_cfg_amt_timeout_ms(const rf_settings *s);
int rf_cfg_consent_attempts(const rf_settings *s);
int rf_cfg_page_size(const rf_settings *s);
int rf_cfg_login_user_limit(const rf_settings *s);
int rf_cfg_login_user_window(const rf_settings *s);
int rf_cfg_login_client_limit(const rf_settings *s);
int rf_cfg_login_client_window(const rf_settings *s);
int rf_cfg_login_concurrency(const rf_settings *s);
int rf_cfg_sessions_per_user(const rf_settings *s);
/* The reserve actually kept: never all of RedfishMaxSessions. */
int rf_cfg_admin_reserve(const rf_settings *s);
int rf_cfg_tokens_session_min(const rf_settings *s);
int rf_cfg_tokens_user_min(const rf_settings *s);
int rf_cfg_tokens_session_unspent(const rf_settings *s);
int rf_cfg_tokens_user_unspent(const rf_settings *s);
int rf_cfg_absolute_timeout(const rf_settings *s);
int rf_cfg_user_recheck(const rf_settings *s);
/* RedfishKVMConsent inband / RedfishSOLConsent amt (both vhost; docs/consent.md). */
int rf_cfg_kvm_consent_inband(const rf_settings *s);
int rf_cfg_sol_consent_amt(const rf_settings *s);

/* One RedfishRole line: the role and a compiled authz "require" line. */
typedef struct rf_role_rule {
    int role;                 /* rf_role */
    const char *provider_name;
    const char *require_args;
    const void *provider;     /* const authz_provider * */
    const void *parsed;       /* provider's parsed require line */
} rf_role_rule;

typedef struct rf_dir_conf {
    apr_array_header_t *authn;  /* rf_authn_entry: RedfishAuthProvider, in order */
    apr_array_header_t *roles;  /* rf_role_rule */
    int console_headers;        /* RedfishConsoleHeaders: 0 unset, 1 off, 2 on */
} rf_dir_conf;

typedef struct rf_authn_entry {
    const char *name;
    const void *provider;       /* const authn_provider * */
} rf_authn_entry;

/* Server config merge used by the module record: the registry part is
 * rf_merge_server_conf (rf_device_config.c), plus per-vhost Redfish settings. */
void *rf_merge_server(apr_pool_t *p, void *base, void *add);

void *rf_create_dir_conf(apr_pool_t *p, char *dir);
void *rf_merge_dir_conf(apr_pool_t *p, void *base, void *add);

extern const command_rec rf_redfish_cmds[];

#endif

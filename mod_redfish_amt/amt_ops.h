/* AMT operations behind the Redfish resources: the WS-Man call sequences that read
 * and change one device. httpd-free (APR pools only), synchronous, one call at a time
 * per amt_client. Implemented in amt_ops.c over wsman_client.c (libcurl + libxml2).
 *
 * Every function returns AMT_OK or a negative amt_rc; on failure *err (when not NULL)
 * gets a short human-readable reason that never contains credentials. */
#ifndef AMT_OPS_H
#define AMT_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "apr_pools.h"

#include "amt_device.h"

typedef enum {
    AMT_OK = 0,
    AMT_E_UNREACHABLE = -1,   /* connect failed / timed out: Redfish 503 + Retry-After */
    AMT_E_AUTH = -2,          /* 401 from the device (our stored credentials are wrong) */
    AMT_E_TLS = -3,           /* certificate verification / pin mismatch */
    AMT_E_FAULT = -4,         /* SOAP fault (message in err) */
    AMT_E_PROTOCOL = -5,      /* unparsable or unexpected reply */
    AMT_E_RETURN_VALUE = -6,  /* method ran but ReturnValue != 0 (see *return_value) */
    AMT_E_UNSUPPORTED = -7,   /* the device lacks the feature (e.g. no KVM SAP) */
    AMT_E_INVALID = -8,       /* bad argument from the caller; nothing was sent */
    AMT_E_IDENTITY = -9,      /* the device is not the configured machine (PlatformGUID) */
    AMT_E_TRANSIENT = -10     /* the device answered 400 without a body: try again soon */
} amt_rc;

/* Process-wide set-up: curl_global_init(CURL_GLOBAL_DEFAULT) and xmlInitParser(). Not
 * thread-safe: call once before any thread uses amt_client (the httpd glue calls it from
 * post_config in the parent, so children inherit it). Returns AMT_OK or AMT_E_PROTOCOL. */
int amt_ops_global_init(void);

/* Short constant name of an amt_rc ("AMT_E_AUTH"), for logs and tests. */
const char *amt_rc_name(int rc);

typedef enum { AMT_MODE_UNKNOWN = 0, AMT_MODE_ACM, AMT_MODE_CCM } amt_control_mode;

/* IPS_OptInService.OptInState */
typedef enum {
    AMT_OPTIN_NOT_STARTED = 0, AMT_OPTIN_REQUESTED = 1, AMT_OPTIN_DISPLAYED = 2,
    AMT_OPTIN_RECEIVED = 3, AMT_OPTIN_IN_SESSION = 4
} amt_optin_state;

/* What one "read everything" refresh returns (the Redfish GET needs all of it). */
typedef struct amt_state {
    amt_control_mode control_mode;
    int kvm_available;          /* CIM_KVMRedirectionSAP exists */
    int kvm_enabled;            /* SAP EnabledState 2 (active) or 6 (enabled, idle) */
    int kvm_active;             /* SAP EnabledState 2: a KVM session is open */
    int sol_enabled;            /* AMT_RedirectionService EnabledState 32770 or 32771 */
    int ider_enabled;           /* 32769 or 32771 */
    int listener_enabled;       /* AMT_RedirectionService.ListenerEnabled */
    int optin_absent;           /* IPS_OptInService answered DestinationUnreachable */
    uint32_t optin_required;    /* IPS_OptInService.OptInRequired: 0, 1 (KVM), 0xFFFFFFFF (all) */
    amt_optin_state optin_state;
    int power_state;            /* CIM power state: 2 on, 8 off-soft, 4 sleep, 7 hibernate ... */
    int os_power_saving;        /* IPS_PowerManagementService.OSPowerSavingState: 3 = Modern
                                 * Standby (PowerState stays 2), 2 = full power; 0 = unknown,
                                 * class absent (before AMT 10) or host not on */
    char fw_version[32];        /* AMT firmware, e.g. "16.1.27" */
    char model[64];             /* chassis/system model when AMT reports it */
    char manufacturer[64];
    char hostname[64];          /* AMT_GeneralSettings HostName (may be empty) */
    char platform_guid[37];     /* from CIM_ComputerSystemPackage, canonical UUID; may be empty */
    int identity_valid;         /* model..platform_guid were read (see amt_get_state_with) */
} amt_state;

typedef struct amt_client amt_client;

/* Creates a client for one device (connection settings from d, timeout in ms bounds
 * each HTTP exchange including connect; <= 0 means 10 s). The client struct lives in
 * pool; the transport copies what it needs from d (nothing of d is referenced later).
 * The curl handle and per-call buffers are malloc'ed and released by
 * amt_client_destroy() or, at the latest, by the pool cleanup. A client that lives
 * across requests also keeps the digest nonce and the socket (saves one 401 round trip
 * and a TLS handshake per refresh).
 * Returns NULL when the settings are unusable (e.g. a pin with a non-OpenSSL libcurl).
 * One request in flight per client: callers serialise (the Redfish layer holds a
 * per-device lock); distinct clients may be used from different threads. */
amt_client *amt_client_create(apr_pool_t *pool, const amt_device *d, long timeout_ms);
/* Same, with the reason for a NULL return in err (no credentials in it). */
amt_client *amt_client_create_err(apr_pool_t *pool, const amt_device *d, long timeout_ms,
                                  char *err, size_t errlen);
void amt_client_destroy(amt_client *c);

/* Reads every property in amt_state (several WS-Man Gets, in one sequence).
 * Cost: 6 exchanges (AMT_RedirectionService, IPS_OptInService, CIM_KVMRedirectionSAP,
 * AMT_SetupAndConfigurationService Gets + CIM_ServiceAvailableToElement Enumerate/Pull),
 * 1 Get of IPS_PowerManagementService while the host is on (Modern Standby), plus
 * 3 Gets (CIM_Chassis, AMT_GeneralSettings, CIM_ComputerSystemPackage) for the
 * identity fields, read only on the first successful call of a client; later calls
 * read CIM_ComputerSystemPackage again (1 Get), because the PlatformGUID is checked
 * against the configured SystemId on every read: an address that now leads to another
 * machine gives AMT_E_IDENTITY (err names the reported GUID). Absent classes
 * (DestinationUnreachable) degrade their feature only: IPS_OptInService ->
 * optin_absent 1, CIM_KVMRedirectionSAP -> kvm_available 0, IPS_PowerManagementService
 * -> os_power_saving 0. fw_version comes from AMT's Server: header (free); a bare
 * "AMT" header leaves it empty. */
int amt_get_state(amt_client *c, amt_state *out, char *err, size_t errlen);

/* Same, but when known (a previous result for the same device, e.g. from the shared
 * state cache) has identity_valid, its identity fields are reused and the 3 identity
 * Gets are skipped even on a fresh client: a refresh then costs 6 exchanges. known may
 * be NULL or equal to out. */
int amt_get_state_with(amt_client *c, const amt_state *known, amt_state *out, char *err,
                       size_t errlen);

/* Enables/disables KVM (CIM_KVMRedirectionSAP.RequestStateChange, and the
 * listener if needed) without touching SOL/IDER; likewise SOL without KVM/IDER. */
int amt_set_kvm(amt_client *c, int enable, char *err, size_t errlen);
int amt_set_sol(amt_client *c, int enable, char *err, size_t errlen);

/* IPS_OptInService methods. *return_value gets the AMT ReturnValue (0 ok,
 * 2066 wrong code, 2 wrong state, ...), also when the call returns AMT_E_RETURN_VALUE. */
int amt_optin_start(amt_client *c, uint32_t *return_value, char *err, size_t errlen);
int amt_optin_send_code(amt_client *c, const char *code, uint32_t *return_value, char *err,
                        size_t errlen);
int amt_optin_cancel(amt_client *c, uint32_t *return_value, char *err, size_t errlen);

/* One Get of CIM_ComputerSystemPackage: AMT_OK when the device's PlatformGUID is the
 * configured SystemId, else AMT_E_IDENTITY (or a transport error). Callers run it
 * before anything that changes the device. */
int amt_verify_identity(amt_client *c, char *err, size_t errlen);

/* IPS_PowerManagementService.RequestOSPowerSavingStateChange(2): wakes a host in
 * Modern Standby (OSPowerSavingState 3) to full power. */
int amt_os_power_saving_wake(amt_client *c, uint32_t *return_value, char *err, size_t errlen);

/* CIM_PowerManagementService.RequestPowerStateChange(power_state). */
int amt_power_change(amt_client *c, int power_state, uint32_t *return_value, char *err,
                     size_t errlen);

/* AMT PlatformGUID (32 hex digits, SMBIOS byte order, spec §4.7) -> canonical lower-case
 * UUID; a 36-character UUID is just canonicalised. Returns 0 or -1. */
int amt_platform_guid_to_uuid(const char *guid, char out[37]);

/* Count of WS-Man HTTP exchanges this client made (for tests and benchmarks). Digest
 * negotiation round trips inside one exchange are not counted separately. */
unsigned long amt_client_calls(const amt_client *c);

/* Number of TCP connections the client opened (tests of connection handling). */
long amt_client_connects(const amt_client *c);
/* TLS version and cipher of the device connection ("" for plain HTTP). */
const char *amt_client_tls(const amt_client *c);

#endif

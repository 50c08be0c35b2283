/* One Intel AMT device as declared by an <AmtDevice> block.
 * Plain C (no httpd types) so that the cores and tests can use it. */
#ifndef AMT_DEVICE_H
#define AMT_DEVICE_H

#define AMT_UUID_STRLEN 36

enum { AMT_PORT_WSMAN = 16992, AMT_PORT_WSMAN_TLS = 16993,
       AMT_PORT_REDIR = 16994, AMT_PORT_REDIR_TLS = 16995 };

typedef struct amt_device {
    char system_id[AMT_UUID_STRLEN + 1]; /* canonical lower-case UUID = Redfish SystemId */
    const char *name;                    /* display name (AmtName), defaults to host */
    const char *host;                    /* AmtHost: address or DNS name */
    const char *user;                    /* AmtUser */
    const char *password;                /* secret: never logged, never sent to clients */
    int password_inline;                 /* AmtPassword (not AmtPasswordFile): warned at start */
    int tls;                             /* AmtTLS, default on: 16993/16995 */
    const char *tls_ca_file;             /* AmtTLSCA: verify the device against this CA */
    unsigned char tls_pin[32];           /* AmtTLSPin: SHA-256 of the device certificate (DER) */
    int tls_pin_set;
    int tls_insecure;                    /* AmtTLSInsecure on: explicit, logged opt-out */
    int tls_legacy;                      /* AmtTLSLegacy on: TLS 1.0/1.1 firmware, logged */
    int identity_unchecked;              /* AmtIdentityCheck off: explicit, logged opt-out */
    int wsman_port;                      /* 0 = default for the TLS setting */
    int redir_port;                      /* 0 = default for the TLS setting */
    const char *conf_file;               /* where it was declared, for messages */
    int conf_line;
} amt_device;

/* Effective ports (applies the defaults). */
static inline int amt_device_wsman_port(const amt_device *d)
{
    return d->wsman_port ? d->wsman_port : (d->tls ? AMT_PORT_WSMAN_TLS : AMT_PORT_WSMAN);
}
static inline int amt_device_redir_port(const amt_device *d)
{
    return d->redir_port ? d->redir_port : (d->tls ? AMT_PORT_REDIR_TLS : AMT_PORT_REDIR);
}

#endif

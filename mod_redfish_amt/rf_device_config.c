/* <AmtDevice SystemId> ... </AmtDevice>: per-device configuration.
 *
 * Every mistake is reported while the configuration is read, so `apachectl -t`
 * names the file, the line and the device instead of failing at the first request. */
#include "rf_config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "apr_strings.h"
#include "apr_lib.h"
#include "http_log.h"

#include "amt_uuid.h"

APLOG_USE_MODULE(redfish_amt);

void *rf_create_server_conf(apr_pool_t *p, server_rec *s)
{
    rf_server_conf *conf = apr_pcalloc(p, sizeof(*conf));
    conf->devices = apr_array_make(p, 8, sizeof(amt_device *));
    conf->by_id = apr_hash_make(p);
    return conf;
}

/* Devices are server-wide: a virtual host sees the main server's registry. */
void *rf_merge_server_conf(apr_pool_t *p, void *base, void *add)
{
    return base;
}

static const char *device_label(const amt_device *d)
{
    return d->system_id;
}

static amt_device *current_device(cmd_parms *cmd, const char **err)
{
    rf_server_conf *conf = rf_sconf(cmd->server);
    if (!conf->current) {
        *err = apr_psprintf(cmd->pool, "%s is only valid inside <AmtDevice>", cmd->cmd->name);
        return NULL;
    }
    *err = NULL;
    return conf->current;
}

/* Reads the whole of a password file. The file must be a regular file that only
 * its owner can read (like ssh keys): a secret readable by others is refused. */
static const char *read_password_file(cmd_parms *cmd, const amt_device *d, const char *path,
                                      const char **out)
{
    struct stat st;
    const char *full = ap_server_root_relative(cmd->pool, path);
    apr_file_t *f;
    char buf[512];
    apr_size_t len = sizeof(buf) - 1;
    apr_status_t rv;

    if (!full)
        return apr_psprintf(cmd->pool, "AmtDevice %s: invalid AmtPasswordFile path '%s'",
                            device_label(d), path);
    if (stat(full, &st) != 0)
        return apr_psprintf(cmd->pool, "AmtDevice %s: cannot read AmtPasswordFile '%s': %s",
                            device_label(d), full, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return apr_psprintf(cmd->pool, "AmtDevice %s: AmtPasswordFile '%s' is not a regular file",
                            device_label(d), full);
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return apr_psprintf(cmd->pool,
                            "AmtDevice %s: AmtPasswordFile '%s' is accessible by group or others "
                            "(mode %04o); make it readable by its owner only (chmod 600)",
                            device_label(d), full, (unsigned)(st.st_mode & 07777));
    rv = apr_file_open(&f, full, APR_FOPEN_READ, 0, cmd->temp_pool);
    if (rv != APR_SUCCESS)
        return apr_psprintf(cmd->pool, "AmtDevice %s: cannot read AmtPasswordFile '%s': %pm",
                            device_label(d), full, &rv);
    rv = apr_file_read(f, buf, &len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv))
        return apr_psprintf(cmd->pool, "AmtDevice %s: cannot read AmtPasswordFile '%s': %pm",
                            device_label(d), full, &rv);
    buf[len] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0'; /* the first line is the password */
    if (!buf[0])
        return apr_psprintf(cmd->pool, "AmtDevice %s: AmtPasswordFile '%s' is empty",
                            device_label(d), full);
    *out = apr_pstrdup(cmd->pool, buf);
    memset(buf, 0, sizeof(buf));
    return NULL;
}

static int parse_hex(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned int v;
        if (!apr_isxdigit(hex[2 * i]) || !apr_isxdigit(hex[2 * i + 1]) ||
            sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return hex[2 * n] == '\0' ? 0 : -1;
}

/* AmtTLSPin sha256/<64 hex digits> (colons allowed, as openssl prints them). */
static const char *parse_pin(cmd_parms *cmd, amt_device *d, const char *arg)
{
    char hex[65];
    size_t n = 0;
    if (strncasecmp(arg, "sha256/", 7) != 0)
        return apr_psprintf(cmd->pool, "AmtDevice %s: AmtTLSPin must look like sha256/<64 hex digits>",
                            device_label(d));
    for (const char *p = arg + 7; *p; p++) {
        if (*p == ':')
            continue;
        if (n == 64)
            return apr_psprintf(cmd->pool, "AmtDevice %s: AmtTLSPin is longer than a SHA-256 digest",
                                device_label(d));
        hex[n++] = *p;
    }
    hex[n] = '\0';
    if (n != 64 || parse_hex(hex, d->tls_pin, 32) != 0)
        return apr_psprintf(cmd->pool,
                            "AmtDevice %s: AmtTLSPin must hold 64 hex digits (SHA-256 of the certificate)",
                            device_label(d));
    d->tls_pin_set = 1;
    return NULL;
}

static const char *parse_port(cmd_parms *cmd, const amt_device *d, const char *arg, int *out)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || v < 1 || v > 65535)
        return apr_psprintf(cmd->pool, "AmtDevice %s: %s '%s' is not a port number (1-65535)",
                            device_label(d), cmd->cmd->name, arg);
    *out = (int)v;
    return NULL;
}

const char *rf_device_set_field(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err;
    amt_device *d = current_device(cmd, &err);
    if (!d)
        return err;
    switch ((enum rf_device_field)(apr_uintptr_t)cmd->info) {
    case F_HOST:
        d->host = arg;
        return NULL;
    case F_USER:
        d->user = arg;
        return NULL;
    case F_PASSWORD:
        if (d->password)
            return apr_psprintf(cmd->pool, "AmtDevice %s: password given twice", device_label(d));
        d->password = arg;
        d->password_inline = 1;
        return NULL;
    case F_PASSWORD_FILE:
        if (d->password)
            return apr_psprintf(cmd->pool, "AmtDevice %s: password given twice", device_label(d));
        return read_password_file(cmd, d, arg, &d->password);
    case F_NAME:
        d->name = arg;
        return NULL;
    case F_TLS_CA: {
        const char *full = ap_server_root_relative(cmd->pool, arg);
        apr_finfo_t fi;
        if (!full || apr_stat(&fi, full, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS ||
            fi.filetype != APR_REG)
            return apr_psprintf(cmd->pool, "AmtDevice %s: AmtTLSCA '%s' is not a readable file",
                                device_label(d), arg);
        d->tls_ca_file = full;
        return NULL;
    }
    case F_TLS_PIN:
        return parse_pin(cmd, d, arg);
    case F_WSMAN_PORT:
        return parse_port(cmd, d, arg, &d->wsman_port);
    case F_REDIR_PORT:
        return parse_port(cmd, d, arg, &d->redir_port);
    }
    return "internal error: unknown device field";
}

const char *rf_device_set_flag(cmd_parms *cmd, void *dummy, int on)
{
    const char *err;
    amt_device *d = current_device(cmd, &err);
    if (!d)
        return err;
    if (strcmp(cmd->info, "tls") == 0)
        d->tls = on;
    else if (strcmp(cmd->info, "legacy") == 0)
        d->tls_legacy = on;
    else if (strcmp(cmd->info, "identity") == 0)
        d->identity_unchecked = !on;
    else
        d->tls_insecure = on;
    return NULL;
}

static const char *check_device(cmd_parms *cmd, const amt_device *d)
{
    if (!d->host)
        return apr_psprintf(cmd->pool, "AmtDevice %s: AmtHost is missing", device_label(d));
    if (!d->user)
        return apr_psprintf(cmd->pool, "AmtDevice %s: AmtUser is missing", device_label(d));
    if (!d->password)
        return apr_psprintf(cmd->pool, "AmtDevice %s: AmtPassword or AmtPasswordFile is missing",
                            device_label(d));
    if (!d->tls && (d->tls_ca_file || d->tls_pin_set || d->tls_insecure || d->tls_legacy))
        return apr_psprintf(cmd->pool, "AmtDevice %s: AmtTLSCA/AmtTLSPin/AmtTLSInsecure/AmtTLSLegacy "
                            "contradict AmtTLS off", device_label(d));
    if (d->tls && !d->tls_ca_file && !d->tls_pin_set && !d->tls_insecure)
        return apr_psprintf(cmd->pool,
                            "AmtDevice %s: AmtTLS on needs AmtTLSCA or AmtTLSPin to verify the "
                            "device (or an explicit AmtTLSInsecure on); TLS is the default, so a "
                            "device without TLS needs an explicit AmtTLS off",
                            device_label(d));
    if (d->tls_insecure && (d->tls_ca_file || d->tls_pin_set))
        return apr_psprintf(cmd->pool, "AmtDevice %s: AmtTLSInsecure contradicts AmtTLSCA/AmtTLSPin",
                            device_label(d));
    return NULL;
}

const char *rf_device_section(cmd_parms *cmd, void *dummy, const char *args)
{
    rf_server_conf *conf = rf_sconf(cmd->server);
    const char *endp = ap_strrchr_c(args, '>');
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE | NOT_IN_VIRTUALHOST);
    char *id_text;
    amt_device *d;

    if (err)
        return err;
    if (!endp)
        return "<AmtDevice> directive missing closing '>'";
    id_text = ap_getword_conf(cmd->temp_pool, &args);
    if (id_text[0] && id_text[strlen(id_text) - 1] == '>')
        id_text[strlen(id_text) - 1] = '\0';
    else
        id_text = apr_pstrmemdup(cmd->temp_pool, id_text, strcspn(id_text, ">"));
    if (!id_text[0])
        return "<AmtDevice> needs the device's SystemId (its platform GUID as a UUID)";

    d = apr_pcalloc(cmd->pool, sizeof(*d));
    if (amt_uuid_canonical(id_text, d->system_id) != 0)
        return apr_psprintf(cmd->pool,
                            "<AmtDevice %s>: SystemId must be a UUID such as "
                            "8c3f1e52-1234-4abc-9def-0123456789ab",
                            id_text);
    if (apr_hash_get(conf->by_id, d->system_id, APR_HASH_KEY_STRING)) {
        const amt_device *first = apr_hash_get(conf->by_id, d->system_id, APR_HASH_KEY_STRING);
        return apr_psprintf(cmd->pool, "AmtDevice %s is declared twice (first at %s line %d)",
                            d->system_id, first->conf_file, first->conf_line);
    }
    d->conf_file = cmd->directive->filename;
    d->conf_line = cmd->directive->line_num;

    conf->current = d;
    d->tls = -1; /* not said: TLS by default (AMT firmware from CSME 16.1 on has no other) */
    err = ap_walk_config(cmd->directive->first_child, cmd, cmd->context);
    conf->current = NULL;
    if (err)
        return err;
    if (d->tls < 0)
        d->tls = 1;
    if ((err = check_device(cmd, d)))
        return err;
    if (!d->name)
        d->name = d->host;
    APR_ARRAY_PUSH(conf->devices, amt_device *) = d;
    apr_hash_set(conf->by_id, d->system_id, APR_HASH_KEY_STRING, d);
    return NULL;
}

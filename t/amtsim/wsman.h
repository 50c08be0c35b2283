/* WS-Man dispatcher <-> class modules. */
#ifndef AMTSIM_WSMAN_H
#define AMTSIM_WSMAN_H

#include "amtsim.h"
#include <libxml/tree.h>

#define NS_SOAP "http://www.w3.org/2003/05/soap-envelope"
#define NS_WSA "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define NS_WSMAN "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define NS_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define NS_XFER "http://schemas.xmlsoap.org/ws/2004/09/transfer"
#define URI_AMT "http://intel.com/wbem/wscim/1/amt-schema/1/"
#define URI_CIM "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define URI_IPS "http://intel.com/wbem/wscim/1/ips-schema/1/"

enum fault_kind { F_NONE, F_WSA, F_WSMAN, F_ENUM };

struct wsctx {
    struct device *d;         /* locked while a class callback runs */
    const char *method;       /* method name for method calls */
    xmlNodePtr input;         /* <Method>_INPUT or the Put instance element */
    const char *uri;          /* class ResourceURI */
    struct sbuf *out;         /* method output parameters (prefix g:) */
    enum fault_kind fault;
    char fault_sub[64];
    char fault_text[256];
};

struct wsclass {
    const char *name;
    const char *uri;
    const char *const *keys;            /* selector names accepted */
    const char *const *methods;         /* NULL-terminated */
    bool can_get, can_put, can_enum;
    const char *item_name, *item_uri;   /* Pull items of another class (associations) */
    /* write instance idx's properties as <pfx:Name>v</pfx:Name>; -1 if no such instance */
    int (*render)(struct device *d, int idx, const char *pfx, struct sbuf *b);
    int (*put)(struct wsctx *x);        /* 0 or -1 with fault set */
    int (*call)(struct wsctx *x);       /* ReturnValue, or -1 with fault set */
};

/* helpers (wsman.c) */
bool ws_text(xmlNodePtr parent, const char *ns, const char *name, char *buf, size_t cap);
int ws_bool(const char *s, bool *b);
int ws_uint(const char *s, unsigned long max, unsigned long *v);
int ws_fault(struct wsctx *x, enum fault_kind k, const char *sub, const char *text);
void prop(struct sbuf *b, const char *pfx, const char *name, const char *val);
void propu(struct sbuf *b, const char *pfx, const char *name, unsigned long v);
void propb(struct sbuf *b, const char *pfx, const char *name, bool v);

/* replay.c's view of a request and of AMT's fault envelope (wsman.c) */
int wsman_request_ids(const char *body, size_t len, char *action, size_t alen, char *uri, size_t ulen,
                      char *msgid, size_t mlen);
void wsman_fault_reply(struct device *d, const char *relates, enum fault_kind k, const char *sub,
                       const char *text, struct sbuf *out);

/* class tables */
extern const struct wsclass cls_kvm_settings, cls_redirection, cls_kvm_sap, cls_optin, cls_setup,
    cls_avail_to_elem, cls_assoc_power, cls_power_mgmt, cls_ips_power, cls_sys_package,
    cls_general, cls_software, cls_chassis;

#endif

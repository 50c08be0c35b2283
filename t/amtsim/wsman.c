/* WS-Man dispatcher: parse the SOAP envelope (libxml2, namespace-aware, never
 * by prefix), check Action / ResourceURI / selectors / body element strictly,
 * route Get, Put, Enumerate, Pull and methods to the class modules, and build
 * responses and faults in AMT's own envelope shapes. */
#include "wsman.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>

static const struct wsclass *const classes[] = {
    &cls_kvm_settings, &cls_redirection, &cls_kvm_sap, &cls_optin, &cls_setup,
    &cls_avail_to_elem, &cls_assoc_power, &cls_power_mgmt, &cls_ips_power, &cls_sys_package,
    &cls_general, &cls_software, &cls_chassis, NULL,
};

/* ---- helpers for the class modules ---- */

static bool is(xmlNodePtr n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           !strcmp((const char *)n->ns->href, ns) && !strcmp((const char *)n->name, name);
}

static xmlNodePtr child(xmlNodePtr parent, const char *ns, const char *name)
{
    for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
        if (is(n, ns, name))
            return n;
    return NULL;
}

static xmlNodePtr first_elem(xmlNodePtr parent)
{
    for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

static bool node_text(xmlNodePtr n, char *buf, size_t cap)
{
    xmlChar *t = xmlNodeGetContent(n);
    if (!t)
        return false;
    /* surrounding whitespace is not significant in these values */
    const char *s = (const char *)t;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t l = strlen(s);
    while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n'))
        l--;
    bool ok = l < cap;
    if (ok) {
        memcpy(buf, s, l);
        buf[l] = 0;
    }
    xmlFree(t);
    return ok;
}

bool ws_text(xmlNodePtr parent, const char *ns, const char *name, char *buf, size_t cap)
{
    xmlNodePtr n = child(parent, ns, name);
    return n && node_text(n, buf, cap);
}

int ws_bool(const char *s, bool *b)
{
    if (!strcasecmp(s, "true") || !strcmp(s, "1"))
        *b = true;
    else if (!strcasecmp(s, "false") || !strcmp(s, "0"))
        *b = false;
    else
        return -1;
    return 0;
}

int ws_uint(const char *s, unsigned long max, unsigned long *v)
{
    char *end;
    if (!*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long x = strtoul(s, &end, 10);
    if (errno || *end || x > max)
        return -1;
    *v = x;
    return 0;
}

int ws_fault(struct wsctx *x, enum fault_kind k, const char *sub, const char *text)
{
    x->fault = k;
    snprintf(x->fault_sub, sizeof x->fault_sub, "%s", sub);
    snprintf(x->fault_text, sizeof x->fault_text, "%s", text);
    return -1;
}

void prop(struct sbuf *b, const char *pfx, const char *name, const char *val)
{
    sb_printf(b, "<%s:%s>", pfx, name);
    sb_xml(b, val);
    sb_printf(b, "</%s:%s>", pfx, name);
}

void propu(struct sbuf *b, const char *pfx, const char *name, unsigned long v)
{
    sb_printf(b, "<%s:%s>%lu</%s:%s>", pfx, name, v, pfx, name);
}

void propb(struct sbuf *b, const char *pfx, const char *name, bool v)
{
    prop(b, pfx, name, v ? "true" : "false");
}

/* ---- envelopes ---- */

static void header(struct sbuf *o, struct device *d, const char *ns_g, const char *ns_h, const char *relates,
                   const char *action, const char *uri)
{
    sb_puts(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"" NS_SOAP "\" xmlns:b=\"" NS_WSA
               "\" xmlns:c=\"" NS_WSMAN "\" xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/02/trust\" "
               "xmlns:e=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\" "
               "xmlns:f=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\" xmlns:g=\"");
    sb_xml(o, ns_g);
    sb_puts(o, "\" xmlns:h=\"");
    sb_xml(o, ns_h);
    sb_puts(o, "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><a:Header>"
               "<b:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:To><b:RelatesTo>");
    sb_xml(o, relates);
    sb_puts(o, "</b:RelatesTo><b:Action a:mustUnderstand=\"true\">");
    sb_xml(o, action);
    sb_printf(o, "</b:Action><b:MessageID>uuid:00000000-8086-8086-8086-%012lX</b:MessageID><c:ResourceURI>",
              ++d->msg_counter);
    sb_xml(o, uri);
    sb_puts(o, "</c:ResourceURI></a:Header><a:Body>");
}

static void fault_env(struct sbuf *o, struct device *d, const char *relates, const struct wsctx *x)
{
    const char *action = x->fault == F_WSA ? NS_WSA "/fault"
                       : x->fault == F_ENUM ? NS_ENUM "/fault"
                                            : "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault";
    const char *pfx = x->fault == F_WSA ? "b" : x->fault == F_ENUM ? "c" : "e";
    /* AMT's fault prefix map differs from the normal one (§2.5) */
    sb_puts(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"" NS_SOAP "\" xmlns:b=\"" NS_WSA
               "\" xmlns:c=\"" NS_ENUM "\" xmlns:d=\"" NS_XFER "\" xmlns:e=\"" NS_WSMAN
               "\" xmlns:f=\"http://schemas.xmlsoap.org/ws/2004/08/eventing\" "
               "xmlns:g=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\" "
               "xmlns:h=\"http://schemas.xmlsoap.org/ws/2005/02/trust\" "
               "xmlns:i=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">"
               "<a:Header><b:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:To><b:RelatesTo>");
    sb_xml(o, relates);
    sb_printf(o, "</b:RelatesTo><b:Action a:mustUnderstand=\"true\">%s</b:Action>"
                 "<b:MessageID>uuid:00000000-8086-8086-8086-%012lX</b:MessageID></a:Header>"
                 "<a:Body><a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>%s:%s</a:Value>"
                 "</a:Subcode></a:Code><a:Reason><a:Text xml:lang=\"en-US\">",
              action, ++d->msg_counter, pfx, x->fault_sub);
    sb_xml(o, x->fault_text);
    sb_puts(o, "</a:Text></a:Reason><a:Detail></a:Detail></a:Fault></a:Body></a:Envelope>");
}

/* ---- enumeration contexts: a small pool, like AMT's ---- */

static unsigned enum_new(struct device *d, const char *cls)
{
    double now = now_s();
    int slot = -1;
    for (int i = 0; i < 8; i++) {
        if (d->enums[i].id && now - d->enums[i].t > 60)
            d->enums[i].id = 0; /* expire contexts nobody pulled */
        if (!d->enums[i].id && slot < 0)
            slot = i;
    }
    if (slot < 0)
        return 0;
    d->enums[slot].id = ++d->enum_next ? d->enum_next : ++d->enum_next;
    snprintf(d->enums[slot].cls, sizeof d->enums[slot].cls, "%s", cls);
    d->enums[slot].t = now;
    return d->enums[slot].id;
}

static int enum_take(struct device *d, const char *ctx, const char *cls)
{
    if (strlen(ctx) != 36 || strcmp(ctx + 8, "-0000-0000-0000-000000000000"))
        return -1;
    char hex[9], *end;
    memcpy(hex, ctx, 8);
    hex[8] = 0;
    unsigned id = (unsigned)strtoul(hex, &end, 16);
    if (*end)
        return -1;
    for (int i = 0; i < 8; i++)
        if (d->enums[i].id == id && id) {
            bool same = !strcmp(d->enums[i].cls, cls);
            d->enums[i].id = 0;
            return same ? 0 : -1;
        }
    return -1;
}

/* ---- strict schema (knob strict-schema): real firmware validates a Put or method
 * body against the class's XSD sequence; unknown elements and a different order are
 * a SchemaValidationError ---- */

/* Method parameters in their documented (MOF/XSD) order. */
static const struct { const char *method; const char *const params[5]; } method_params[] = {
    { "RequestStateChange", { "RequestedState", "TimeoutPeriod", NULL } },
    { "RequestPowerStateChange", { "PowerState", "ManagedElement", "Time", "TimeoutPeriod", NULL } },
    { "RequestOSPowerSavingStateChange", { "OSPowerSavingState", "ManagedElement", "Time", "TimeoutPeriod", NULL } },
    { "StartOptIn", { NULL } },
    { "CancelOptIn", { NULL } },
    { "SendOptInCode", { "OptInCode", NULL } },
    { "TerminateSession", { NULL } },
    { "GetUuid", { NULL } },
};

/* Position of name in the list (n entries), or -1. */
static int position(const char *const *list, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i], name))
            return i;
    return -1;
}

/* Every element child of el is in the list and the positions never go back
 * (repeats of one array property are fine). */
static bool in_order(xmlNodePtr el, const char *const *list, int n)
{
    int last = 0;
    for (xmlNodePtr ch = el->children; ch; ch = ch->next) {
        if (ch->type != XML_ELEMENT_NODE)
            continue;
        int pos = position(list, n, (const char *)ch->name);
        if (pos < last)
            return false;
        last = pos;
    }
    return true;
}

/* Classes whose Put is checked: the real Get reply of AMT_RedirectionService is in
 * schema order (alphabetical), so the render order is the schema order. Other classes'
 * Puts stay lenient (no evidence of their XSD order). */
static bool put_in_schema_order(struct device *d, const struct wsclass *c, xmlNodePtr inst)
{
    if (strcmp(c->name, "AMT_RedirectionService"))
        return true;
    struct sbuf b;
    const char *names[64];
    char buf[64][64];
    int n = 0;
    sb_init(&b);
    c->render(d, 0, "p", &b);
    for (const char *p = b.p; p && (p = strstr(p, "<p:")) && n < 64; p += 3) {
        size_t l = strcspn(p + 3, ">");
        if (l >= sizeof buf[0])
            continue;
        memcpy(buf[n], p + 3, l);
        buf[n][l] = 0;
        if (n == 0 || strcmp(buf[n], buf[n - 1]))
            names[n] = buf[n], n++;
    }
    sb_free(&b);
    return in_order(inst, names, n);
}

static bool method_in_schema_order(const char *method, xmlNodePtr in)
{
    for (size_t i = 0; i < sizeof method_params / sizeof method_params[0]; i++)
        if (!strcmp(method_params[i].method, method)) {
            int n = 0;
            while (n < 5 && method_params[i].params[n])
                n++;
            return in_order(in, method_params[i].params, n);
        }
    return true; /* not in the table: not checked */
}

/* ---- request handling ---- */

struct req {
    const char *action, *uri;
    char action_buf[512], uri_buf[512], msgid[256];
    struct { char name[64], value[256]; } sel[8];
    int nsel;
    xmlNodePtr body;
};

static int parse_header(xmlNodePtr env, struct req *r, struct wsctx *x)
{
    if (!is(env, NS_SOAP, "Envelope"))
        return ws_fault(x, F_WSMAN, "SchemaValidationError", "The root element is not a SOAP 1.2 Envelope.");
    xmlNodePtr h = child(env, NS_SOAP, "Header");
    r->body = child(env, NS_SOAP, "Body");
    if (!h || !r->body)
        return ws_fault(x, F_WSMAN, "SchemaValidationError", "The SOAP Header or Body is missing.");
    if (!ws_text(h, NS_WSA, "Action", r->action_buf, sizeof r->action_buf) || !r->action_buf[0] ||
        !ws_text(h, NS_WSA, "MessageID", r->msgid, sizeof r->msgid) || !r->msgid[0] ||
        !child(h, NS_WSA, "To"))
        return ws_fault(x, F_WSA, "MessageInformationHeaderRequired",
                        "A required message information header, To, MessageID, or Action, is not present.");
    if (!ws_text(h, NS_WSMAN, "ResourceURI", r->uri_buf, sizeof r->uri_buf) || !r->uri_buf[0])
        return ws_fault(x, F_WSA, "DestinationUnreachable",
                        "No route can be determined to reach the destination role defined by the WSAddressing To.");
    r->action = r->action_buf;
    r->uri = r->uri_buf;
    xmlNodePtr ss = child(h, NS_WSMAN, "SelectorSet");
    for (xmlNodePtr s = ss ? ss->children : NULL; s; s = s->next) {
        if (s->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *nm = is(s, NS_WSMAN, "Selector") ? xmlGetProp(s, (const xmlChar *)"Name") : NULL;
        bool ok = nm && r->nsel < 8 && strlen((char *)nm) < sizeof r->sel[0].name &&
                  node_text(s, r->sel[r->nsel].value, sizeof r->sel[0].value);
        if (ok)
            snprintf(r->sel[r->nsel++].name, sizeof r->sel[0].name, "%s", (char *)nm);
        xmlFree(nm);
        if (!ok)
            return ws_fault(x, F_WSMAN, "InvalidSelectors", "The Selectors for the resource are not valid.");
    }
    return 0;
}

/* Which instance do the selectors address? -1 = none (fault). */
static int select_instance(struct device *d, const struct wsclass *c, const struct req *r)
{
    if (r->nsel == 0)
        return 0; /* singletons (and the first instance) without selectors, as DMT sends */
    for (int s = 0; s < r->nsel; s++) {
        bool known = false;
        for (const char *const *k = c->keys; k && *k; k++)
            known |= !strcmp(*k, r->sel[s].name);
        if (!known)
            return -1;
    }
    for (int idx = 0;; idx++) {
        struct sbuf b;
        sb_init(&b);
        if (c->render(d, idx, "p", &b) < 0) {
            sb_free(&b);
            return -1;
        }
        bool all = true;
        for (int s = 0; s < r->nsel && all; s++) {
            struct sbuf want;
            sb_init(&want);
            prop(&want, "p", r->sel[s].name, r->sel[s].value);
            all = b.p && want.p && strstr(b.p, want.p);
            sb_free(&want);
        }
        sb_free(&b);
        if (all)
            return idx;
    }
}

static void render_item(struct device *d, const struct wsclass *c, int idx, const char *pfx, struct sbuf *o)
{
    const char *name = c->item_name ? c->item_name : c->name;
    sb_printf(o, "<%s:%s>", pfx, name);
    c->render(d, idx, pfx, o);
    sb_printf(o, "</%s:%s>", pfx, name);
}

static int dispatch(struct device *d, struct req *r, struct wsctx *x, struct sbuf *o)
{
    const struct wsclass *c = NULL;
    for (int i = 0; classes[i]; i++)
        if (!strcmp(classes[i]->uri, r->uri))
            c = classes[i];
    if (!c || class_absent(d, c->name)) /* a class this platform lacks (knob absent) */
        return ws_fault(x, F_WSA, "DestinationUnreachable",
                        "No route can be determined to reach the destination role defined by the WSAddressing To.");
    x->uri = c->uri;
    char resp_action[600];
    snprintf(resp_action, sizeof resp_action, "%sResponse", r->action);
    const char *item_uri = c->item_uri ? c->item_uri : c->uri;

    if (!strcmp(r->action, NS_XFER "/Get") && c->can_get) {
        int idx = select_instance(d, c, r);
        if (idx < 0)
            return ws_fault(x, F_WSMAN, "InvalidSelectors", "The Selectors for the resource are not valid.");
        header(o, d, c->uri, "http://schemas.dmtf.org/wbem/wscim/1/common", r->msgid, resp_action, c->uri);
        render_item(d, c, idx, "g", o);
    } else if (!strcmp(r->action, NS_XFER "/Put") && c->can_put) {
        if (select_instance(d, c, r) < 0)
            return ws_fault(x, F_WSMAN, "InvalidSelectors", "The Selectors for the resource are not valid.");
        xmlNodePtr inst = first_elem(r->body);
        if (!is(inst, c->uri, c->name))
            return ws_fault(x, F_WSMAN, "SchemaValidationError",
                            "The supplied SOAP violates the corresponding XML Schema definition.");
        if (d->knobs.strict_schema && !put_in_schema_order(d, c, inst))
            return ws_fault(x, F_WSMAN, "SchemaValidationError",
                            "The supplied SOAP violates the corresponding XML Schema definition.");
        x->input = inst;
        if (c->put(x))
            return -1;
        header(o, d, c->uri, "http://schemas.dmtf.org/wbem/wscim/1/common", r->msgid, resp_action, c->uri);
        render_item(d, c, 0, "g", o);
    } else if (!strcmp(r->action, NS_ENUM "/Enumerate") && c->can_enum) {
        if (!is(first_elem(r->body), NS_ENUM, "Enumerate"))
            return ws_fault(x, F_WSMAN, "SchemaValidationError",
                            "The supplied SOAP violates the corresponding XML Schema definition.");
        unsigned id = enum_new(d, c->uri);
        if (!id)
            return ws_fault(x, F_WSMAN, "QuotaLimit", "The service is busy servicing other requests.");
        header(o, d, NS_ENUM, "http://schemas.dmtf.org/wbem/wscim/1/common", r->msgid, resp_action, c->uri);
        sb_printf(o, "<g:EnumerateResponse><g:EnumerationContext>%08X-0000-0000-0000-000000000000"
                     "</g:EnumerationContext></g:EnumerateResponse>", id);
    } else if (!strcmp(r->action, NS_ENUM "/Pull") && c->can_enum) {
        xmlNodePtr pull = first_elem(r->body);
        char ctx[64];
        if (!is(pull, NS_ENUM, "Pull") || !ws_text(pull, NS_ENUM, "EnumerationContext", ctx, sizeof ctx))
            return ws_fault(x, F_WSMAN, "SchemaValidationError",
                            "The supplied SOAP violates the corresponding XML Schema definition.");
        if (enum_take(d, ctx, c->uri))
            return ws_fault(x, F_ENUM, "InvalidEnumerationContext",
                            "The supplied enumeration context is invalid.");
        header(o, d, NS_ENUM, item_uri, r->msgid, resp_action, c->uri);
        sb_puts(o, "<g:PullResponse><g:Items>");
        struct sbuf tmp;
        for (int idx = 0;; idx++) {
            sb_init(&tmp);
            int rc = c->render(d, idx, "h", &tmp);
            sb_free(&tmp);
            if (rc < 0)
                break;
            render_item(d, c, idx, "h", o);
        }
        sb_puts(o, "</g:Items><g:EndOfSequence></g:EndOfSequence></g:PullResponse>");
    } else {
        /* method: <ResourceURI>/<Method> */
        size_t ul = strlen(c->uri);
        const char *m = NULL;
        if (!strncmp(r->action, c->uri, ul) && r->action[ul] == '/')
            for (const char *const *mm = c->methods; mm && *mm; mm++)
                if (!strcmp(r->action + ul + 1, *mm))
                    m = *mm;
        if (!m)
            return ws_fault(x, F_WSA, "ActionNotSupported",
                            "The action is not supported by the service.");
        if (select_instance(d, c, r) < 0)
            return ws_fault(x, F_WSMAN, "InvalidSelectors", "The Selectors for the resource are not valid.");
        char in_name[128];
        snprintf(in_name, sizeof in_name, "%s_INPUT", m);
        xmlNodePtr in = first_elem(r->body);
        if (!is(in, c->uri, in_name))
            return ws_fault(x, F_WSMAN, "SchemaValidationError",
                            "The supplied SOAP violates the corresponding XML Schema definition.");
        if (d->knobs.strict_schema && !method_in_schema_order(m, in))
            return ws_fault(x, F_WSMAN, "SchemaValidationError",
                            "The supplied SOAP violates the corresponding XML Schema definition.");
        x->method = m;
        x->input = in;
        struct sbuf params;
        sb_init(&params);
        x->out = &params;
        int rv = c->call(x);
        if (rv < 0) {
            sb_free(&params);
            return -1;
        }
        header(o, d, c->uri, "http://schemas.dmtf.org/wbem/wscim/1/common", r->msgid, resp_action, c->uri);
        sb_printf(o, "<g:%s_OUTPUT>", m);
        if (params.p)
            sb_add(o, params.p, params.len);
        sb_printf(o, "<g:ReturnValue>%d</g:ReturnValue></g:%s_OUTPUT>", rv, m);
        sb_free(&params);
    }
    sb_puts(o, "</a:Body></a:Envelope>");
    return 0;
}

int wsman_handle(struct device *d, const char *body, size_t len, struct sbuf *out, int *status)
{
    struct wsctx x = { .d = d };
    struct req *r = calloc(1, sizeof *r);
    if (!r) {
        *status = 500;
        return -1;
    }
    snprintf(r->msgid, sizeof r->msgid, "0");
    xmlDocPtr doc = len < 1024 * 1024
        ? xmlReadMemory(body, (int)len, "wsman.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
        : NULL;
    pthread_mutex_lock(&d->lock);
    int rc;
    if (!doc)
        rc = ws_fault(&x, F_WSMAN, "SchemaValidationError", "The request is not well-formed XML.");
    else {
        rc = parse_header(xmlDocGetRootElement(doc), r, &x);
        if (!rc)
            rc = dispatch(d, r, &x, out);
    }
    if (rc) {
        out->len = 0;
        if (out->p)
            out->p[0] = 0;
        fault_env(out, d, r->msgid, &x);
        logmsg(d, "wsman fault %s for %s", x.fault_sub, r->action ? r->action : "(unparsed)");
    }
    pthread_mutex_unlock(&d->lock);
    *status = rc ? 400 : 200;
    if (doc)
        xmlFreeDoc(doc);
    free(r);
    return 0;
}

/* Action, ResourceURI and MessageID of a request (empty when absent); for replay.c. */
int wsman_request_ids(const char *body, size_t len, char *action, size_t alen, char *uri, size_t ulen,
                      char *msgid, size_t mlen)
{
    xmlDocPtr doc = len < 1024 * 1024
        ? xmlReadMemory(body, (int)len, "wsman.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
        : NULL;
    xmlNodePtr h = doc ? child(xmlDocGetRootElement(doc), NS_SOAP, "Header") : NULL;
    int rc = h && ws_text(h, NS_WSA, "Action", action, alen) && ws_text(h, NS_WSMAN, "ResourceURI", uri, ulen) &&
             ws_text(h, NS_WSA, "MessageID", msgid, mlen) ? 0 : -1;
    xmlFreeDoc(doc);
    return rc;
}

/* A fault envelope as AMT writes it (for replay.c's "nothing recorded" answer). */
void wsman_fault_reply(struct device *d, const char *relates, enum fault_kind k, const char *sub,
                       const char *text, struct sbuf *out)
{
    struct wsctx x = { .d = d };
    ws_fault(&x, k, sub, text);
    pthread_mutex_lock(&d->lock);
    fault_env(out, d, relates, &x);
    pthread_mutex_unlock(&d->lock);
}

// Redfish client for the console: sessions, resources, actions and the
// Redfish error envelope. Same origin as the console; the session token is
// kept in sessionStorage only (never localStorage, never in the URL).

const KEY = 'rfamt.session';
const REQUEST_TIMEOUT_MS = 45000;

export class ApiError extends Error {
    constructor(status, message, { resolution = '', messageId = '', retryAfter = null, kind = '' } = {}) {
        super(message);
        this.status = status;
        this.resolution = resolution;
        this.messageId = messageId;
        this.retryAfter = retryAfter;
        // kind: 'session' (expired/invalid), 'unreachable' (device/service down),
        //       'network' (browser could not reach the console server), '' otherwise
        this.kind = kind;
    }
}

export function loadSession() {
    try {
        const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
        return s && s.token ? s : null;
    } catch {
        return null;
    }
}

function saveSession(s) {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    else sessionStorage.removeItem(KEY);
}

let session = loadSession();
const expiredListeners = new Set();

export function currentSession() { return session; }
export function onSessionExpired(fn) { expiredListeners.add(fn); return () => expiredListeners.delete(fn); }

function expire() {
    if (!session) return;
    session = null;
    saveSession(null);
    for (const fn of expiredListeners) {
        try { fn(); } catch (e) { console.error(e); }
    }
}

// Turn a failed response into an ApiError carrying the Redfish Message and
// Resolution (the envelope's @Message.ExtendedInfo wins over error.message).
async function toError(res) {
    let body = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    const err = body && body.error ? body.error : null;
    const info = err && Array.isArray(err['@Message.ExtendedInfo']) ? err['@Message.ExtendedInfo'] : [];
    const first = info.find(i => i && (i.Message || i.Resolution)) || {};
    let message = first.Message || (err && err.message) || '';
    const resolution = first.Resolution || '';
    const messageId = first.MessageId || (err && err.code) || '';
    const ra = res.headers.get('Retry-After');
    let kind = '';
    if (res.status === 401) kind = 'session';
    else if (res.status === 503) kind = 'unreachable';
    if (!message) {
        message = {
            400: 'The request was not accepted.',
            401: 'Your session has expired or is no longer valid.',
            403: 'Your account is not allowed to do this.',
            404: 'The resource was not found.',
            409: 'The request conflicts with the current state.',
            412: 'The resource changed meanwhile; please retry.',
            503: 'The device is not reachable right now.',
        }[res.status] || `The server answered ${res.status} ${res.statusText}.`;
    }
    return new ApiError(res.status, message, {
        resolution, messageId, kind,
        retryAfter: ra ? (Number.isFinite(+ra) ? +ra : null) : null,
    });
}

// request(method, path, {body, etag, auth=true}) -> {status, body, headers}
export async function request(method, path, { body, etag, auth = true, signal } = {}) {
    // X-Requested-With: tells the service this is a script, so it must not answer
    // 401 with a Basic challenge (a browser would pop up its own login box).
    const headers = { 'Accept': 'application/json', 'OData-Version': '4.0', 'X-Requested-With': 'XMLHttpRequest' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (etag) headers['If-Match'] = etag;
    if (auth) {
        if (!session) throw new ApiError(401, 'You are not logged in.', { kind: 'session' });
        headers['X-Auth-Token'] = session.token;
    }
    let res;
    // Bounded wait: the service itself bounds its calls to AMT, so a request
    // that takes longer than this is stuck somewhere between here and there.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), REQUEST_TIMEOUT_MS);
    if (signal) signal.addEventListener('abort', () => timeout.abort(), { once: true });
    try {
        res = await fetch(path, {
            method, headers, signal: timeout.signal, credentials: 'same-origin', cache: 'no-store',
            body: body === undefined ? undefined : JSON.stringify(body),
        });
    } catch (e) {
        if (signal && signal.aborted) throw e;
        if (e && e.name === 'AbortError') {
            throw new ApiError(0, 'The service did not answer in time.', { kind: 'network', resolution: 'Retry in a moment.' });
        }
        throw new ApiError(0, 'The console server cannot be reached. Check your network connection.', { kind: 'network' });
    } finally {
        clearTimeout(timer);
    }
    if (!res.ok) {
        const err = await toError(res);
        if (res.status === 401 && auth) {
            err.message = 'Your session has expired. Please log in again.';
            expire();
        }
        throw err;
    }
    let data = null;
    if (res.status !== 204) {
        const text = await res.text();
        if (text) {
            try { data = JSON.parse(text); } catch { data = null; }
        }
    }
    return { status: res.status, body: data, headers: res.headers };
}

export async function get(path, opts) {
    const r = await request('GET', path, opts);
    return { ...r.body, '@etag': r.headers.get('ETag') || (r.body && r.body['@odata.etag']) || null };
}

export async function login(user, password) {
    const r = await request('POST', '/redfish/v1/SessionService/Sessions', {
        body: { UserName: user, Password: password }, auth: false,
    }).catch(e => {
        if (e.status === 401 || e.status === 400 || e.status === 403) {
            e.message = 'The user name or password is not correct.';
            e.resolution = '';
            e.kind = 'login';
        }
        throw e;
    });
    const token = r.headers.get('X-Auth-Token');
    if (!token) throw new ApiError(r.status, 'The service did not return a session token.');
    let location = r.headers.get('Location') || (r.body && r.body['@odata.id']) || '';
    if (location) {
        try { location = new URL(location, window.location.href).pathname; } catch { /* keep */ }
    }
    session = { token, location, user: (r.body && r.body.UserName) || user };
    saveSession(session);
    return session;
}

export async function logout() {
    const s = session;
    session = null;
    saveSession(null);
    if (!s || !s.location) return;
    try {
        await fetch(s.location, {
            method: 'DELETE', cache: 'no-store',
            headers: { 'X-Auth-Token': s.token, 'OData-Version': '4.0', 'X-Requested-With': 'XMLHttpRequest' },
        });
    } catch { /* the session dies with its timeout anyway */ }
}

// ---- ComputerSystem helpers ----

export async function listSystems() {
    const col = await get('/redfish/v1/Systems');
    return (col.Members || []).map(m => m['@odata.id']).filter(Boolean);
}

export function intel(sys) {
    return (sys && sys.Oem && (sys.Oem.Intel || sys.Oem.intel)) || {};
}

// Find an action by its short name ("Reset", "RequestKVMConsent", ...) in
// Actions or Actions.Oem, tolerant of the "#Schema." prefix and of Sol/SOL case.
export function findAction(sys, name) {
    const want = name.toLowerCase();
    const scan = obj => {
        if (!obj) return null;
        for (const [k, v] of Object.entries(obj)) {
            if (!k.startsWith('#') || !v || !v.target) continue;
            if (k.split('.').pop().toLowerCase() === want) return v;
        }
        return null;
    };
    const a = sys && sys.Actions;
    return a ? (scan(a) || scan(a.Oem)) : null;
}

export async function runAction(sys, name, body = {}) {
    const a = findAction(sys, name);
    if (!a) throw new ApiError(0, `This system does not offer the ${name} action.`);
    const r = await request('POST', a.target, { body });
    return r.body;
}

export async function patchSystem(sys, patch) {
    const path = sys['@odata.id'];
    try {
        return await request('PATCH', path, { body: patch, etag: sys['@etag'] || undefined });
    } catch (e) {
        if (e.status !== 412) throw e;
        const fresh = await get(path);           // someone changed it: retry once on the new ETag
        return await request('PATCH', path, { body: patch, etag: fresh['@etag'] || undefined });
    }
}

// Where to open the stream for a mode ("kvm" | "sol"). Prefer what the
// resource advertises; fall back to the documented relay pattern.
export function streamUrl(sys, mode) {
    let uri = '';
    if (mode === 'sol') {
        uri = sys.SerialConsole && sys.SerialConsole.WebSocket && sys.SerialConsole.WebSocket.ConsoleURI;
    } else {
        const o = intel(sys);
        uri = o.KVMConsoleURI || o.KVMURI || o.KVMStreamURI || o.KVMWebSocketURI ||
              (o.KVM && (o.KVM.ConsoleURI || o.KVM.URI)) || '';
        if (!uri) {
            for (const [k, v] of Object.entries(o)) {
                if (typeof v === 'string' && /kvm/i.test(k) && /ur[il]$/i.test(k)) { uri = v; break; }
            }
        }
    }
    if (!uri) uri = `/relay/webrelay.ashx?host=${encodeURIComponent(sys.Id)}&mode=${mode}`;
    const u = new URL(uri, window.location.href);
    if (u.protocol === 'https:') u.protocol = 'wss:';
    else if (u.protocol === 'http:') u.protocol = 'ws:';
    return u.toString();
}

// A fresh, single-use redirection token for mode ("KVM" | "SOL").
export async function redirectionToken(sys, mode) {
    const r = await runAction(sys, 'GenerateRedirectionToken', { Mode: mode });
    if (!r || !r.RedirectionToken) throw new ApiError(0, 'The service did not issue a redirection token.');
    return r.RedirectionToken;
}

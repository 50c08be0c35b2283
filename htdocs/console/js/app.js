// The operator console: login, systems list, system page (power, KVM/SOL
// enable, consent, KVM viewer, SOL terminal). Hash routes:
//   #/login   #/systems   #/systems/<id>   #/systems/<id>/kvm   #/systems/<id>/sol

import * as api from './api.js';
import { h, $, announce, banner, confirmDialog, fmtTime, badge } from './ui.js';
import { KvmSession, SolSession, SPECIAL_KEYS } from './streams.js';

const LIST_REFRESH_MS = 5000;
const SYSTEM_REFRESH_MS = 3000;
const CONSENT_REFRESH_MS = 1000;

const view = () => document.getElementById('view');
let cleanup = null;            // teardown of the current view (timers, streams)
let pendingNotice = null;      // message to show on the next login view
const knownNames = new Map();  // system id -> last known Name (for when it is unreachable)

// ---------- routing ----------

function route() {
    const hash = location.hash.replace(/^#/, '') || '/systems';
    const parts = hash.split('/').filter(Boolean).map(decodeURIComponent);
    if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } cleanup = null; }
    const session = api.currentSession();
    renderHeader(session);
    if (!session || parts[0] === 'login') {
        if (session && parts[0] === 'login') { location.hash = '#/systems'; return; }
        cleanup = renderLogin(parts[0] === 'login' ? null : hash);
        return;
    }
    if (parts[0] === 'systems' && parts[1]) {
        cleanup = renderSystem(parts[1], parts[2] || 'overview');
    } else {
        cleanup = renderSystems();
    }
}

function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
}

api.onSessionExpired(() => {
    pendingNotice = 'Your session has expired. Please log in again.';
    const back = location.hash.replace(/^#/, '');
    sessionStorage.setItem('rfamt.return', back && back !== '/login' ? back : '/systems');
    go('#/login');
});

// ---------- header ----------

function renderHeader(session) {
    const right = $('#header-user');
    right.replaceChildren();
    if (!session) return;
    right.append(
        h('span', { class: 'user', 'aria-label': 'Signed in as' },
            h('span', { class: 'user-icon', 'aria-hidden': 'true' }, '\u25CF'), session.user),
        h('button', {
            type: 'button', class: 'btn btn-ghost', id: 'logout',
            onclick: async () => {
                if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
                await api.logout();
                pendingNotice = 'You have been logged out.';
                go('#/login');
            },
        }, 'Log out'));
}

function setCrumbs(items) {
    const nav = $('#crumbs');
    nav.replaceChildren();
    const ol = h('ol');
    items.forEach((it, i) => {
        const last = i === items.length - 1;
        ol.append(h('li', {}, last ? h('span', { 'aria-current': 'page', text: it.label })
                                   : h('a', { href: it.href, text: it.label })));
    });
    nav.append(ol);
}

// ---------- login ----------

function renderLogin(returnTo) {
    if (returnTo && returnTo !== '/login') sessionStorage.setItem('rfamt.return', returnTo);
    setCrumbs([]);
    document.title = 'Sign in — AMT Redfish Console';
    const msg = h('div', { class: 'banner', hidden: true, id: 'login-msg' });
    const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, autofocus: true });
    const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const btn = h('button', { type: 'submit', class: 'btn btn-primary btn-block', id: 'login-submit' }, 'Sign in');
    const form = h('form', { class: 'login-form', 'aria-labelledby': 'login-title', novalidate: true },
        h('h1', { id: 'login-title', text: 'Sign in' }),
        h('p', { class: 'muted', text: 'Use your Redfish account for this service.' }),
        msg,
        h('label', { for: 'login-user' }, 'User name'), user,
        h('label', { for: 'login-password' }, 'Password'), pass,
        btn);
    if (pendingNotice) {
        banner(msg, pendingNotice, pendingNotice.includes('expired') ? 'warn' : 'info');
        pendingNotice = null;
    }
    form.addEventListener('submit', async ev => {
        ev.preventDefault();
        if (!user.value || !pass.value) {
            banner(msg, 'Enter your user name and password.');
            (user.value ? pass : user).focus();
            return;
        }
        btn.disabled = true;
        btn.textContent = 'Signing in…';
        try {
            await api.login(user.value.trim(), pass.value);
            pass.value = '';
            announce('Signed in.');
            const ret = sessionStorage.getItem('rfamt.return') || '/systems';
            sessionStorage.removeItem('rfamt.return');
            go('#' + ret);
        } catch (e) {
            banner(msg, e);
            pass.select();
            pass.focus();
        } finally {
            btn.disabled = false;
            btn.textContent = 'Sign in';
        }
    });
    view().replaceChildren(h('section', { class: 'login-wrap' }, form));
    user.focus();
    return () => {};
}

// ---------- shared system helpers ----------

function consentNeeded(sys) {
    const o = api.intel(sys);
    const c = o.UserConsentStatus;
    return o.ControlMode === 'CCM' && c && c !== 'NotRequired' && c !== 'Granted';
}

function kvmEnabled(sys) { return !!(sys.GraphicalConsole && sys.GraphicalConsole.ServiceEnabled); }
function solEnabled(sys) {
    return !!(sys.SerialConsole && sys.SerialConsole.WebSocket && sys.SerialConsole.WebSocket.ServiceEnabled);
}

// After a stream failed: re-read the system and say why in plain words.
async function explainStream(sysPath, mode, opened, again = true) {
    const label = mode === 'kvm' ? 'KVM' : 'serial console (SOL)';
    let sys;
    try {
        sys = await api.get(sysPath);
    } catch (e) {
        if (e.kind === 'unreachable') {
            return new api.ApiError(503, `The device is unreachable, so the ${label} cannot be opened.`,
                { resolution: e.resolution || 'Check that the machine is powered and connected to the network, then retry.' });
        }
        return e;
    }
    const o = api.intel(sys);
    const st = mode === 'kvm' ? o.KVMStatus : o.SOLStatus;
    const enabled = mode === 'kvm' ? kvmEnabled(sys) : solEnabled(sys);
    if (!enabled || st === 'Disabled') {
        return new api.ApiError(409, `The ${label} is disabled on this device.`, { resolution: 'Enable it on the Overview tab, then connect again.' });
    }
    const c = o.UserConsentStatus;
    if (c === 'Denied') return new api.ApiError(403, 'The user at the device denied consent.', { resolution: 'Request consent again and ask the user to read out the code.' });
    if (c === 'Timeout') return new api.ApiError(403, 'The consent request timed out before a code was entered.', { resolution: 'Request consent again and enter the 6-digit code shown on the device screen.' });
    if (consentNeeded(sys) || st === 'PendingConsent') {
        return new api.ApiError(403, 'User consent is required before this stream can be opened.', { resolution: 'Request consent and enter the 6-digit code shown on the device screen.' });
    }
    if (st === 'Active') {
        return new api.ApiError(409, `Another ${label} session is already live on this device, so this one was refused.`,
            { resolution: 'Close the other session (or wait for it to end), then connect again.' });
    }
    if (st === 'Error') return new api.ApiError(502, `The device reported an error on its ${label}.`, { resolution: 'Retry; if it persists, check the device.' });
    if (!opened && again) {
        // The service may still hold a cached state: look once more shortly.
        await new Promise(r => setTimeout(r, 2500));
        return explainStream(sysPath, mode, opened, false);
    }
    if (!opened) {
        // The relay refuses before the WebSocket upgrade, so the browser gets no reason.
        const max = mode === 'kvm' ? sys.GraphicalConsole && sys.GraphicalConsole.MaxConcurrentSessions
                                   : sys.SerialConsole && sys.SerialConsole.MaxConcurrentSessions;
        return new api.ApiError(0, `The relay refused the ${label} stream.`, {
            resolution: (max ? `This device allows ${max} ${label} session${max === 1 ? '' : 's'} at a time; if one is open elsewhere, close it and connect again. ` : '') +
                'Otherwise retry; if it keeps failing, check the relay log.',
        });
    }
    return new api.ApiError(0, `The ${label} stream closed unexpectedly.`, { resolution: 'Connect again. If it keeps failing, check the device and the relay log.' });
}

// ---------- systems list ----------

function renderSystems() {
    setCrumbs([{ label: 'Systems' }]);
    document.title = 'Systems — AMT Redfish Console';
    const msg = h('div', { class: 'banner', hidden: true });
    const tbody = h('tbody');
    const stamp = h('span', { class: 'muted small', id: 'systems-updated' });
    const refreshBtn = h('button', { type: 'button', class: 'btn', onclick: () => load(true) }, 'Refresh');
    const table = h('table', { class: 'table', id: 'systems-table' },
        h('caption', { class: 'sr-only', text: 'Managed systems with their power, KVM, SOL and consent state' }),
        h('thead', {}, h('tr', {},
            ['Name', 'System ID', 'Mode', 'Power', 'KVM', 'SOL', 'Consent', ''].map(t => h('th', { scope: 'col', text: t })))),
        tbody);
    view().replaceChildren(h('section', { class: 'page' },
        h('div', { class: 'page-head' },
            h('h1', { text: 'Systems' }),
            h('div', { class: 'page-tools' }, stamp, refreshBtn)),
        msg,
        h('div', { class: 'table-wrap' }, table)));

    let timer = null;
    let alive = true;
    let ctrl = new AbortController();

    async function load(manual) {
        clearTimeout(timer);
        try {
            const ids = await api.listSystems();
            const rows = await Promise.all(ids.map(async p => {
                try { return { path: p, sys: await api.get(p, { signal: ctrl.signal }) }; } catch (e) {
                    if (e.kind === 'session' || e.name === 'AbortError') throw e;
                    return { path: p, err: e };
                }
            }));
            if (!alive) return;
            banner(msg, null);
            tbody.replaceChildren(...(rows.length ? rows.map(systemRow)
                : [h('tr', {}, h('td', { colspan: 8, class: 'empty', text: 'No systems are configured.' }))]));
            stamp.textContent = `Updated ${fmtTime()}`;
            if (manual) announce(`Systems refreshed: ${rows.length} system${rows.length === 1 ? '' : 's'}.`);
        } catch (e) {
            if (!alive || e.name === 'AbortError' || e.kind === 'session') return;
            banner(msg, e);
        }
        if (alive) timer = setTimeout(() => load(false), LIST_REFRESH_MS);
    }
    load(false);
    return () => { alive = false; clearTimeout(timer); ctrl.abort(); };
}

function systemRow({ path, sys, err }) {
    const id = sys ? sys.Id : decodeURIComponent(path.split('/').pop());
    const href = `#/systems/${encodeURIComponent(id)}`;
    if (sys) knownNames.set(id, sys.Name || id);
    if (!sys) {
        const unreachable = err.kind === 'unreachable';
        return h('tr', { 'data-system': id },
            h('td', {}, h('a', { href, text: knownNames.get(id) || id })),
            h('td', { class: 'mono small', text: id }),
            h('td', { colspan: 5, title: err.message }, badge(unreachable ? 'Unreachable' : 'Error'), ' ',
                h('span', { class: 'small', text: unreachable
                    ? `The device does not answer; retrying${err.retryAfter ? ` (in ${err.retryAfter} s)` : ''}.`
                    : err.message })),
            h('td', {}, h('a', { href, class: 'btn btn-small' }, 'Open')));
    }
    const o = api.intel(sys);
    const kvm = o.KVMStatus || (kvmEnabled(sys) ? 'Enabled' : 'Disabled');
    const sol = o.SOLStatus || (solEnabled(sys) ? 'Enabled' : 'Disabled');
    return h('tr', { 'data-system': id },
        h('td', {}, h('a', { href, text: sys.Name || id })),
        h('td', { class: 'mono small', text: id }),
        h('td', { 'data-col': 'mode' }, badge(o.ControlMode)),
        h('td', { 'data-col': 'power' }, badge(sys.PowerState)),
        h('td', { 'data-col': 'kvm' }, badge(kvm)),
        h('td', { 'data-col': 'sol' }, badge(sol)),
        h('td', { 'data-col': 'consent' }, badge(o.UserConsentStatus)),
        h('td', { class: 'row-actions' },
            h('a', { href, class: 'btn btn-small', 'aria-label': `Open ${sys.Name || id}` }, 'Open')));
}

// ---------- system page ----------

function renderSystem(id, tab) {
    const path = `/redfish/v1/Systems/${encodeURIComponent(id)}`;
    const base = `#/systems/${encodeURIComponent(id)}`;
    setCrumbs([{ label: 'Systems', href: '#/systems' }, { label: id }]);
    let sys = null;
    let alive = true;
    let timer = null;
    let consentOpen = null;     // active consent dialog controller
    let stream = null;          // KvmSession | SolSession
    const msg = h('div', { class: 'banner', hidden: true, id: 'system-msg' });
    const title = h('h1', { id: 'system-title', text: knownNames.get(id) || id });
    const headBadges = h('div', { class: 'head-badges' });
    const stamp = h('span', { class: 'muted small' });

    const tabs = [
        { id: 'overview', label: 'Overview' },
        { id: 'kvm', label: 'KVM' },
        { id: 'sol', label: 'Serial console' },
    ];
    const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'System views' },
        tabs.map(t => h('a', {
            role: 'tab', id: `tab-${t.id}`, href: t.id === 'overview' ? base : `${base}/${t.id}`,
            'aria-selected': t.id === tab ? 'true' : 'false', 'aria-controls': 'tabpanel',
            tabindex: t.id === tab ? '0' : '-1', text: t.label,
        })));
    tablist.addEventListener('keydown', ev => {
        const items = [...tablist.querySelectorAll('[role=tab]')];
        const i = items.indexOf(document.activeElement);
        if (i < 0) return;
        let j = null;
        if (ev.key === 'ArrowRight') j = (i + 1) % items.length;
        else if (ev.key === 'ArrowLeft') j = (i - 1 + items.length) % items.length;
        else if (ev.key === 'Home') j = 0;
        else if (ev.key === 'End') j = items.length - 1;
        if (j !== null) { ev.preventDefault(); items[j].focus(); items[j].click(); }
    });
    const panel = h('div', { id: 'tabpanel', role: 'tabpanel', 'aria-labelledby': `tab-${tab}`, tabindex: '-1' });
    view().replaceChildren(h('section', { class: 'page' },
        h('div', { class: 'page-head' }, h('div', {}, title, headBadges), h('div', { class: 'page-tools' }, stamp)),
        msg, tablist, panel));

    // ---- data ----
    const listeners = new Set();
    async function refresh() {
        clearTimeout(timer);
        try {
            sys = await api.get(path);
            if (!alive) return;
            knownNames.set(sys.Id || id, sys.Name || id);
            banner(msg, null);
            paintHead();
            for (const fn of listeners) fn(sys);
            stamp.textContent = `Updated ${fmtTime()}`;
        } catch (e) {
            if (!alive || e.kind === 'session') return;
            if (e.kind === 'unreachable') {
                e.message = 'The device is unreachable. The console keeps trying' +
                    (e.retryAfter ? ` (next attempt in ${e.retryAfter} s).` : '.');
                e.resolution = e.resolution || 'Check that the machine is powered and on the network.';
            }
            banner(msg, e);
        }
        if (alive) {
            timer = setTimeout(refresh, consentOpen ? CONSENT_REFRESH_MS : SYSTEM_REFRESH_MS);
        }
    }
    function paintHead() {
        const o = api.intel(sys);
        title.textContent = sys.Name || sys.Id;
        document.title = `${sys.Name || sys.Id} — AMT Redfish Console`;
        setCrumbs([{ label: 'Systems', href: '#/systems' }, { label: sys.Name || sys.Id }]);
        headBadges.replaceChildren(
            h('span', { class: 'kv' }, 'Power ', badge(sys.PowerState)),
            h('span', { class: 'kv' }, 'Mode ', badge(o.ControlMode)),
            h('span', { class: 'kv' }, 'Consent ', badge(o.UserConsentStatus)));
    }

    // ---- consent dialog (CCM) ----
    // Resolves true when consent is granted (or not needed), false otherwise.
    function ensureConsent(mode) {
        if (!sys || !consentNeeded(sys)) return Promise.resolve(true);
        return openConsent(mode);
    }

    function openConsent(mode) {
        const M = mode === 'kvm' ? 'KVM' : 'SOL';
        return new Promise(resolve => {
            const state = h('span', { id: 'consent-state' });
            const live = h('p', { class: 'consent-live', 'aria-live': 'polite', id: 'consent-live' });
            const err = h('div', { class: 'banner', hidden: true, id: 'consent-msg' });
            const code = h('input', {
                id: 'consent-code', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: '6', autocomplete: 'one-time-code',
                'aria-describedby': 'consent-code-help', spellcheck: 'false',
            });
            const reqBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'consent-request' }, 'Request consent code');
            const submitBtn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'consent-submit' }, 'Submit code');
            const cancelBtn = h('button', { type: 'button', class: 'btn', id: 'consent-cancel' }, 'Cancel request');
            const closeBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: 'consent-close' }, 'Close');
            const codeRow = h('div', { class: 'consent-code', hidden: true },
                h('label', { for: 'consent-code' }, '6-digit code shown on the device screen'), code,
                h('p', { id: 'consent-code-help', class: 'muted small', text: 'Ask the person at the machine to read you the code.' }));
            const form = h('form', { method: 'dialog', novalidate: true },
                h('h2', { id: 'consent-title', text: `User consent for ${M}` }),
                h('p', { text: 'This device is in Client Control Mode: a person at the machine must read you the code that appears on its screen.' }),
                h('p', { class: 'consent-status' }, 'Consent state: ', state),
                live, err, codeRow,
                h('div', { class: 'dialog-actions' }, closeBtn, cancelBtn, reqBtn, submitBtn));
            const dlg = h('dialog', { class: 'dialog', id: 'consent-dialog', 'aria-labelledby': 'consent-title' }, form);
            document.body.append(dlg);
            const opener = document.activeElement;
            let done = false;
            let busy = false;

            const paint = s => {
                const c = api.intel(s).UserConsentStatus || 'Unknown';
                state.replaceChildren(badge(c));
                dlg.dataset.state = c;
                const requested = c === 'Requested';
                codeRow.hidden = !requested;
                submitBtn.hidden = !requested;
                cancelBtn.hidden = !requested;
                reqBtn.hidden = requested || c === 'Granted' || c === 'NotRequired';
                reqBtn.textContent = c === 'Denied' || c === 'Timeout' ? 'Request a new code' : 'Request consent code';
                const text = {
                    Required: 'Consent is required. Request a code to show it on the device screen.',
                    Requested: 'A code is now shown on the device screen. Enter it below.',
                    Granted: 'Consent granted.',
                    NotRequired: 'Consent is not required for this device.',
                    Denied: 'Consent was denied.',
                    Timeout: 'The consent request timed out.',
                }[c] || `Consent state: ${c}`;
                if (live.textContent !== text) live.textContent = text;
                if (c === 'Granted' || c === 'NotRequired') finish(true);
            };
            const onSys = s => { if (!busy) paint(s); };
            listeners.add(onSys);
            consentOpen = { close: () => finish(false) };

            function finish(ok) {
                if (done) return;
                done = true;
                listeners.delete(onSys);
                consentOpen = null;
                if (dlg.open) dlg.close();
                dlg.remove();
                if (opener && opener.focus && document.contains(opener)) opener.focus();
                announce(ok ? 'User consent granted.' : 'Consent dialog closed.');
                resolve(ok);
            }
            async function act(fn) {
                if (busy) return;
                busy = true;
                banner(err, null);
                for (const b of [reqBtn, submitBtn, cancelBtn]) b.disabled = true;
                try {
                    await fn();
                } catch (e) {
                    if (e.kind !== 'session') banner(err, e);
                } finally {
                    busy = false;
                    for (const b of [reqBtn, submitBtn, cancelBtn]) b.disabled = false;
                    try {
                        sys = await api.get(path);
                        paintHead();
                        for (const fn of listeners) fn(sys);
                    } catch { /* shown by refresh */ }
                }
            }
            reqBtn.addEventListener('click', () => act(async () => {
                await api.runAction(sys, `Request${M}Consent`, {});
                announce('Consent requested: a code is shown on the device screen.');
                setTimeout(() => { if (!codeRow.hidden) code.focus(); }, 0);
            }));
            form.addEventListener('submit', ev => {
                ev.preventDefault();
                const v = code.value.trim();
                if (!/^[0-9]{6}$/.test(v)) {
                    banner(err, 'Enter the 6 digits shown on the device screen.');
                    code.focus();
                    return;
                }
                act(async () => {
                    try {
                        await api.runAction(sys, `Submit${M}ConsentCode`, { ConsentCode: v });
                    } catch (e) {
                        if (e.status === 400 || e.status === 403 || e.status === 409) {
                            const detail = e.message && !/^The request was not accepted/.test(e.message) ? ` ${e.message}` : '';
                            throw new api.ApiError(e.status, `The consent code was refused.${detail}`,
                                { resolution: e.resolution || 'Check the code on the device screen and try again, or request a new one.' });
                        }
                        throw e;
                    }
                    code.value = '';
                });
            });
            cancelBtn.addEventListener('click', () => act(async () => {
                await api.runAction(sys, `Cancel${M}Consent`, {});
                finish(false);
            }));
            closeBtn.addEventListener('click', () => finish(false));
            // Escape: cancel a pending request, then close.
            dlg.addEventListener('cancel', ev => {
                ev.preventDefault();
                if (dlg.dataset.state === 'Requested') {
                    api.runAction(sys, `Cancel${M}Consent`, {}).catch(() => {});
                }
                finish(false);
            });
            code.addEventListener('input', () => { code.value = code.value.replace(/\D/g, '').slice(0, 6); });
            paint(sys);
            if (done) return;
            dlg.showModal();
            (reqBtn.hidden ? code : reqBtn).focus();
            clearTimeout(timer);
            timer = setTimeout(refresh, CONSENT_REFRESH_MS);
        });
    }

    // ---- tabs ----
    function overviewTab() {
        const power = h('div', { class: 'card', 'aria-labelledby': 'power-h' });
        const remote = h('div', { class: 'card', 'aria-labelledby': 'remote-h' });
        const details = h('div', { class: 'card', 'aria-labelledby': 'details-h' });
        const actMsg = h('div', { class: 'banner', hidden: true, id: 'action-msg' });
        panel.replaceChildren(h('p', { class: 'muted', text: 'Reading the system…' }));
        let busy = false;

        const paint = s => {
            if (!power.isConnected) panel.replaceChildren(actMsg, h('div', { class: 'grid' }, power, remote, details));
            const o = api.intel(s);
            const reset = api.findAction(s, 'Reset');
            const types = (reset && reset['ResetType@Redfish.AllowableValues']) || [];
            power.replaceChildren(
                h('h2', { id: 'power-h', text: 'Power' }),
                h('p', {}, 'Current state: ', badge(s.PowerState)),
                types.length ? h('div', { class: 'btn-row', role: 'group', 'aria-label': 'Power actions' },
                    types.map(t => h('button', {
                        type: 'button', class: /Force|Off|Shutdown/.test(t) ? 'btn btn-danger-outline' : 'btn',
                        'data-reset': t, disabled: busy,
                        onclick: () => doReset(t),
                    }, resetLabel(t))))
                    : h('p', { class: 'muted', text: 'No power actions are offered for this system.' }));
            const kvmOn = kvmEnabled(s), solOn = solEnabled(s);
            remote.replaceChildren(
                h('h2', { id: 'remote-h', text: 'Remote access' }),
                toggleRow('kvm', 'KVM (remote screen)', kvmOn, o.KVMStatus, on => setService('kvm', on)),
                toggleRow('sol', 'Serial over LAN', solOn, o.SOLStatus, on => setService('sol', on)),
                h('div', { class: 'kvrow' }, h('span', { text: 'User consent' }), badge(o.UserConsentStatus),
                    o.ControlMode === 'CCM' && consentNeeded(s)
                        ? h('button', { type: 'button', class: 'btn btn-small', id: 'open-consent', onclick: () => openConsent('kvm') }, 'Consent…')
                        : null),
                h('div', { class: 'btn-row' },
                    h('a', { class: 'btn btn-primary', href: `${base}/kvm`, 'aria-disabled': kvmOn ? null : 'true', id: 'open-kvm' }, 'Open KVM'),
                    h('a', { class: 'btn btn-primary', href: `${base}/sol`, 'aria-disabled': solOn ? null : 'true', id: 'open-sol' }, 'Open serial console')));
            const health = s.Status ? (s.Status.Health || s.Status.State || '') : '';
            details.replaceChildren(
                h('h2', { id: 'details-h', text: 'Details' }),
                h('dl', { class: 'dl' },
                    [['Name', s.Name], ['System ID', s.Id], ['UUID', s.UUID], ['Model', s.Model],
                     ['Control mode', o.ControlMode], ['Health', health],
                     ['KVM sessions max', s.GraphicalConsole && s.GraphicalConsole.MaxConcurrentSessions],
                     ['SOL sessions max', s.SerialConsole && s.SerialConsole.MaxConcurrentSessions]]
                        .filter(([, v]) => v !== undefined && v !== null && v !== '')
                        .map(([k, v]) => [h('dt', { text: k }), h('dd', { class: /ID|UUID/.test(k) ? 'mono' : '', text: String(v) })])));
        };

        function toggleRow(key, label, on, status, fn) {
            const cb = h('input', { type: 'checkbox', role: 'switch', id: `toggle-${key}`, checked: on, disabled: busy,
                'aria-checked': on ? 'true' : 'false' });
            cb.addEventListener('change', () => fn(cb.checked));
            return h('div', { class: 'kvrow' },
                h('label', { for: `toggle-${key}`, class: 'switch' }, cb, h('span', { class: 'switch-ui', 'aria-hidden': 'true' }), label),
                badge(status || (on ? 'Enabled' : 'Disabled')));
        }

        async function setService(which, on) {
            busy = true;
            paint(sys);
            banner(actMsg, null);
            const patch = which === 'kvm' ? { GraphicalConsole: { ServiceEnabled: on } }
                                          : { SerialConsole: { WebSocket: { ServiceEnabled: on } } };
            try {
                await api.patchSystem(sys, patch);
                announce(`${which === 'kvm' ? 'KVM' : 'Serial over LAN'} ${on ? 'enabled' : 'disabled'}.`);
            } catch (e) {
                if (e.kind !== 'session') banner(actMsg, e);
            }
            busy = false;
            await refresh();
        }

        async function doReset(type) {
            const ok = await confirmDialog({
                title: `${resetLabel(type)}?`,
                body: `Send “${type}” to ${sys.Name || sys.Id}? ${/Force/.test(type) ? 'Unsaved work on the machine will be lost.' : ''}`,
                confirm: resetLabel(type), danger: /Force|Off|Shutdown|Cycle/.test(type),
            });
            if (!ok) return;
            busy = true; paint(sys);
            banner(actMsg, null);
            try {
                await api.runAction(sys, 'Reset', { ResetType: type });
                banner(actMsg, `${resetLabel(type)} sent to ${sys.Name || sys.Id}.`, 'info');
                announce(`${resetLabel(type)} sent.`);
            } catch (e) {
                if (e.kind !== 'session') banner(actMsg, e);
            }
            busy = false;
            await refresh();
        }

        listeners.add(paint);
        if (sys) paint(sys);
        return () => listeners.delete(paint);
    }

    function streamTab(mode) {
        const isKvm = mode === 'kvm';
        const label = isKvm ? 'KVM' : 'serial console';
        const stateEl = h('span', { class: 'conn-state', id: `${mode}-state`, 'data-state': 'idle' }, 'Not connected');
        const smsg = h('div', { class: 'banner', hidden: true, id: `${mode}-msg` });
        const connectBtn = h('button', { type: 'button', class: 'btn btn-primary', id: `${mode}-connect` }, 'Connect');
        const disconnectBtn = h('button', { type: 'button', class: 'btn', id: `${mode}-disconnect`, hidden: true }, 'Disconnect');
        const screen = h('div', { class: isKvm ? 'kvm-screen' : 'sol-screen', id: `${mode}-screen`,
            'aria-label': isKvm ? 'Remote screen. Click or focus it to send keyboard and mouse input.' : 'Serial console terminal' });
        const tools = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': `${label} controls` }, connectBtn, disconnectBtn);
        const wrap = h('div', { class: 'viewer', id: `${mode}-viewer` });
        let fsBtn = null;
        if (isKvm) {
            const cad = h('button', { type: 'button', class: 'btn', id: 'kvm-cad', onclick: () => { stream && stream.ctrlAltDel(); announce('Ctrl+Alt+Del sent.'); } }, 'Ctrl+Alt+Del');
            const sel = h('select', { id: 'kvm-keys', 'aria-label': 'Special key' },
                h('option', { value: '', text: 'Special keys…' }),
                SPECIAL_KEYS.map(k => h('option', { value: k.id, text: k.label })));
            const send = h('button', { type: 'button', class: 'btn', id: 'kvm-send-key' }, 'Send');
            send.addEventListener('click', () => {
                const k = SPECIAL_KEYS.find(x => x.id === sel.value);
                if (!k || !stream) return;
                stream.sendCombo(k.keys);
                announce(`${k.label} sent.`);
            });
            const scale = h('input', { type: 'checkbox', id: 'kvm-scale', checked: true });
            scale.addEventListener('change', () => stream && stream.setScale(scale.checked));
            fsBtn = h('button', { type: 'button', class: 'btn', id: 'kvm-fullscreen', 'aria-pressed': 'false' }, 'Fullscreen');
            fsBtn.addEventListener('click', async () => {
                try {
                    if (document.fullscreenElement) await document.exitFullscreen();
                    else await wrap.requestFullscreen();
                } catch (e) { banner(smsg, `Fullscreen is not available: ${e.message}`, 'warn'); }
            });
            tools.append(h('span', { class: 'sep', 'aria-hidden': 'true' }), cad, sel, send,
                h('label', { class: 'inline', for: 'kvm-scale' }, scale, ' Scale to fit'), fsBtn);
        }
        tools.append(h('span', { class: 'spacer' }), stateEl);
        wrap.append(tools, screen);
        if (isKvm) {
            wrap.append(h('p', { class: 'hint', id: 'kvm-hint' },
                'While the remote screen has focus, every key (Tab too) goes to the machine. ',
                h('kbd', {}, 'Shift'), '+', h('kbd', {}, 'Esc'), ' brings focus back to the toolbar.'));
            screen.setAttribute('aria-describedby', 'kvm-hint');
            // Capture phase: runs before noVNC's handler on the canvas.
            screen.addEventListener('keydown', ev => {
                if (ev.key === 'Escape' && ev.shiftKey && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
                    ev.preventDefault();
                    ev.stopPropagation();
                    (disconnectBtn.hidden ? connectBtn : disconnectBtn).focus();
                }
            }, true);
        }
        panel.replaceChildren(smsg, wrap);
        const onFs = () => {
            if (fsBtn) fsBtn.setAttribute('aria-pressed', document.fullscreenElement ? 'true' : 'false');
            if (fsBtn) fsBtn.textContent = document.fullscreenElement ? 'Exit fullscreen' : 'Fullscreen';
        };
        document.addEventListener('fullscreenchange', onFs);

        const states = {
            idle: 'Not connected', connecting: 'Connecting…', connected: 'Connected',
            reconnecting: 'Reconnecting…', closed: 'Disconnected', failed: 'Connection failed',
        };
        function onState(st, detail) {
            stateEl.textContent = states[st] || st;
            stateEl.dataset.state = st;
            connectBtn.hidden = st === 'connected' || st === 'connecting' || st === 'reconnecting';
            disconnectBtn.hidden = !connectBtn.hidden;
            if (st === 'connected') { banner(smsg, null); announce(`${isKvm ? 'KVM' : 'Serial console'} connected.`); }
            if (st === 'failed') {
                banner(smsg, detail || `The ${label} could not be opened.`);
                announce(`${isKvm ? 'KVM' : 'Serial console'}: ${detail && detail.message ? detail.message : 'connection failed'}`);
            }
            if (st === 'closed') announce(`${isKvm ? 'KVM' : 'Serial console'} disconnected.`);
        }

        function makeStream() {
            const opts = {
                url: api.streamUrl(sys, mode),
                getToken: () => api.redirectionToken(sys, isKvm ? 'KVM' : 'SOL'),
                explain: everOpened => explainStream(path, mode, everOpened),
                onState,
            };
            return isKvm ? new KvmSession(screen, { ...opts, scale: $('#kvm-scale').checked })
                         : new SolSession(screen, opts);
        }

        async function connect() {
            banner(smsg, null);
            if (!sys) { try { sys = await api.get(path); } catch (e) { if (e.kind !== 'session') banner(smsg, e); return; } }
            const enabled = isKvm ? kvmEnabled(sys) : solEnabled(sys);
            if (!enabled) {
                banner(smsg, new api.ApiError(409, `The ${label} is disabled on this device.`,
                    { resolution: 'Enable it on the Overview tab, then connect again.' }));
                return;
            }
            if (!(await ensureConsent(mode))) {
                banner(smsg, 'Consent was not granted, so the stream was not opened.', 'warn');
                return;
            }
            if (!alive) return;
            if (stream && !isKvm) { stream.start(); return; }
            if (stream) stream.stop();
            stream = makeStream();
            stream.start();
        }
        connectBtn.addEventListener('click', connect);
        disconnectBtn.addEventListener('click', () => { if (stream) stream.stop(); });

        // Connect as soon as the data is there.
        let started = false;
        const kick = () => { if (!started && sys) { started = true; connect(); } };
        listeners.add(kick);
        kick();
        return () => {
            listeners.delete(kick);
            document.removeEventListener('fullscreenchange', onFs);
            if (stream) { if (stream.destroy) stream.destroy(); else stream.stop(); stream = null; }
        };
    }

    let tabCleanup = tab === 'kvm' ? streamTab('kvm') : tab === 'sol' ? streamTab('sol') : overviewTab();
    refresh();
    return () => {
        alive = false;
        clearTimeout(timer);
        if (consentOpen) consentOpen.close();
        if (tabCleanup) tabCleanup();
        tabCleanup = null;
    };
}

function resetLabel(t) {
    return {
        On: 'Power on', ForceOff: 'Force off', GracefulShutdown: 'Shut down', GracefulRestart: 'Restart',
        ForceRestart: 'Force restart', PowerCycle: 'Power cycle', Nmi: 'Send NMI', ForceOn: 'Force on',
        PushPowerButton: 'Push power button', Pause: 'Pause', Resume: 'Resume', Suspend: 'Suspend',
    }[t] || t;
}

window.rfamtConsoleStarted = true;
window.addEventListener('hashchange', route);
route();

// Small DOM helpers: element builder (no innerHTML with data), the aria-live
// status line, banners and confirmation dialogs.

export function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'dataset') Object.assign(el.dataset, v);
        else if (v === true) el.setAttribute(k, '');
        else el.setAttribute(k, String(v));
    }
    for (const c of children.flat(Infinity)) {
        if (c === undefined || c === null || c === false) continue;
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
}

export function $(sel, root = document) { return root.querySelector(sel); }

// Polite status line (aria-live) in the footer.
export function announce(text) {
    const el = document.getElementById('status-line');
    if (!el) return;
    el.textContent = '';
    // re-set on the next frame so screen readers announce repeats
    requestAnimationFrame(() => { el.textContent = text; });
}

// Error/info banner inside a container. err may be an ApiError or a string.
export function banner(container, err, kind = 'error') {
    if (!container) return;
    container.replaceChildren();
    if (!err) { container.hidden = true; return; }
    const msg = typeof err === 'string' ? err : err.message;
    const res = typeof err === 'string' ? '' : (err.resolution || '');
    container.hidden = false;
    container.className = `banner banner-${kind}`;
    container.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    container.append(h('p', { class: 'banner-msg', text: msg }));
    if (res) container.append(h('p', { class: 'banner-res', text: res }));
}

// Modal confirmation using <dialog>: resolves true/false. Escape = cancel.
export function confirmDialog({ title, body, confirm = 'Confirm', danger = false }) {
    return new Promise(resolve => {
        const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': 'confirm-title' },
            h('form', { method: 'dialog' },
                h('h2', { id: 'confirm-title', text: title }),
                h('p', { text: body }),
                h('div', { class: 'dialog-actions' },
                    h('button', { type: 'submit', value: 'cancel', class: 'btn', 'data-role': 'cancel' }, 'Cancel'),
                    h('button', { type: 'submit', value: 'ok', class: danger ? 'btn btn-danger' : 'btn btn-primary', 'data-role': 'confirm' }, confirm))));
        document.body.append(dlg);
        const opener = document.activeElement;
        dlg.addEventListener('close', () => {
            const ok = dlg.returnValue === 'ok';
            dlg.remove();
            if (opener && opener.focus) opener.focus();
            resolve(ok);
        });
        dlg.showModal();
        dlg.querySelector('[data-role=cancel]').focus();
    });
}

export function fmtTime(d = new Date()) {
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// Badge for a state value with a tone picked from the value.
const TONES = {
    On: 'ok', Off: 'muted', PoweringOn: 'warn', PoweringOff: 'warn', Paused: 'warn',
    Enabled: 'ok', Active: 'info', Disabled: 'muted', PendingConsent: 'warn', Error: 'bad',
    NotRequired: 'muted', Required: 'warn', Requested: 'warn', Granted: 'ok', Denied: 'bad', Timeout: 'bad',
    Unreachable: 'bad', ACM: 'muted', CCM: 'info',
};
export function badge(value, label) {
    const v = value === undefined || value === null || value === '' ? 'Unknown' : String(value);
    return h('span', { class: `badge tone-${TONES[v] || 'muted'}`, 'data-value': v }, label || v);
}

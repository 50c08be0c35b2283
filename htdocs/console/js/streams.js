// KVM (noVNC, plain RFB) and SOL (xterm.js, raw bytes) stream clients.
// Each (re)connect first fetches a fresh single-use redirection token, so
// reconnects after a drop are silent for the user.

import RFB from '../vendor/novnc/core/rfb.js';
import { Terminal } from '../vendor/xterm/lib/xterm.mjs';
import { FitAddon } from '../vendor/xterm-addon-fit/lib/addon-fit.mjs';

const RECONNECT_DELAYS = [500, 1500, 3000];

// Common life cycle: idle -> connecting -> connected -> (reconnecting) -> closed/failed
class StreamBase {
    // opts: { getToken: async () => token, url, onState(state, detail), explain: async () => ApiError|string }
    constructor(opts) {
        this.opts = opts;
        this.state = 'idle';
        this.everConnected = false;
        this.attempt = 0;
        this.stopped = false;
        this.timer = null;
    }

    setState(state, detail) {
        this.state = state;
        if (this.opts.onState) this.opts.onState(state, detail);
    }

    async start() {
        this.stopped = false;
        this.attempt = 0;
        this.everConnected = false;
        await this.connectOnce(false);
    }

    async connectOnce(reconnecting) {
        if (this.stopped) return;
        this.setState(reconnecting ? 'reconnecting' : 'connecting');
        let token;
        try {
            token = await this.opts.getToken();
        } catch (e) {
            if (this.stopped) return;
            this.setState('failed', e);
            return;
        }
        if (this.stopped) return;
        this.open(token);
    }

    // Called by subclasses when the transport is up.
    opened() {
        this.everConnected = true;
        this.openedAt = Date.now();
        this.setState('connected');
    }

    // Called by subclasses when the transport went away.
    async closed(clean) {
        this.dispose();
        if (this.stopped) { this.setState('closed'); return; }
        // A drop after a working session: reconnect quietly with a new token
        // (a session that lasted a while earns a fresh set of attempts).
        if (this.everConnected && Date.now() - (this.openedAt || 0) > 10000) this.attempt = 0;
        if (this.everConnected && this.attempt < RECONNECT_DELAYS.length) {
            const d = RECONNECT_DELAYS[this.attempt++];
            this.setState('reconnecting');
            this.timer = setTimeout(() => this.connectOnce(true), d);
            return;
        }
        // The relay refuses before the upgrade, so the browser sees only a
        // failed socket: ask the service why.
        let why = null;
        try { why = await this.opts.explain(this.everConnected); } catch (e) { why = e; }
        if (this.stopped) { this.setState('closed'); return; }
        this.setState(clean && !why ? 'closed' : 'failed', why);
    }

    stop() {
        this.stopped = true;
        clearTimeout(this.timer);
        this.dispose(true);
        this.setState('closed');
    }
}

export class KvmSession extends StreamBase {
    constructor(target, opts) {
        super(opts);
        this.target = target;
        this.rfb = null;
        this.scale = opts.scale !== undefined ? opts.scale : true;
    }

    open(token) {
        const rfb = new RFB(this.target, this.opts.url, { wsProtocols: [token], shared: true });
        this.rfb = rfb;
        rfb.scaleViewport = this.scale;
        rfb.resizeSession = false;
        rfb.focusOnClick = true;
        rfb.background = '#101418';
        rfb.addEventListener('connect', () => { if (this.rfb === rfb) this.opened(); });
        rfb.addEventListener('disconnect', e => {
            if (this.rfb !== rfb) return;
            this.rfb = null;        // already disconnected: nothing to tear down
            this.closed(!!(e.detail && e.detail.clean));
        });
        rfb.addEventListener('securityfailure', e => {
            if (this.rfb !== rfb) return;
            this.setState('failed', `The KVM stream was refused: ${(e.detail && e.detail.reason) || 'security failure'}.`);
        });
        rfb.addEventListener('credentialsrequired', () => {
            if (this.rfb !== rfb) return;
            this.stop();
            this.setState('failed', 'The device asked for a VNC password; the relay should have handled authentication.');
        });
        rfb.addEventListener('desktopname', e => {
            if (this.opts.onName) this.opts.onName(e.detail && e.detail.name);
        });
    }

    dispose() {
        const rfb = this.rfb;
        this.rfb = null;
        if (rfb) { try { rfb.disconnect(); } catch { /* already gone */ } }
    }

    setScale(on) {
        this.scale = on;
        if (this.rfb) this.rfb.scaleViewport = on;
    }

    ctrlAltDel() { if (this.rfb) this.rfb.sendCtrlAltDel(); }

    // keys: [[keysym, code], ...] pressed in order, released in reverse.
    sendCombo(keys) {
        if (!this.rfb) return;
        for (const [sym, code] of keys) this.rfb.sendKey(sym, code, true);
        for (const [sym, code] of [...keys].reverse()) this.rfb.sendKey(sym, code, false);
    }

    focus() { if (this.rfb) this.rfb.focus(); }

    canvas() { return this.target.querySelector('canvas'); }
}

export class SolSession extends StreamBase {
    constructor(target, opts) {
        super(opts);
        this.target = target;
        this.ws = null;
        this.term = new Terminal({
            cursorBlink: true, convertEol: false, scrollback: 5000,
            fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace', fontSize: 14,
            theme: { background: '#101418', foreground: '#d8dee6' },
        });
        this.fit = new FitAddon();
        this.term.loadAddon(this.fit);
        this.term.open(target);
        this.fitNow();
        this.enc = new TextEncoder();
        this.term.onData(d => this.send(this.enc.encode(d)));
        this.term.onBinary(d => {
            const b = new Uint8Array(d.length);
            for (let i = 0; i < d.length; i++) b[i] = d.charCodeAt(i) & 0xff;
            this.send(b);
        });
        this.ro = new ResizeObserver(() => this.fitNow());
        this.ro.observe(target);
    }

    fitNow() { try { this.fit.fit(); } catch { /* not visible yet */ } }

    send(bytes) {
        if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
    }

    open(token) {
        let ws;
        try {
            ws = new WebSocket(this.opts.url, [token]);
        } catch (e) {
            this.setState('failed', `The serial console address is not valid: ${e.message}`);
            return;
        }
        ws.binaryType = 'arraybuffer';
        this.ws = ws;
        let wasOpen = false;
        ws.onopen = () => { if (this.ws !== ws) return; wasOpen = true; this.opened(); this.term.focus(); };
        ws.onmessage = ev => {
            if (this.ws !== ws) return;
            if (typeof ev.data === 'string') this.term.write(ev.data);
            else this.term.write(new Uint8Array(ev.data));
        };
        ws.onclose = ev => {
            if (this.ws !== ws) return;
            this.ws = null;
            if (wasOpen && ev.code !== 1000 && ev.reason) this.lastReason = ev.reason;
            this.closed(wasOpen && ev.code === 1000);
        };
    }

    dispose(final) {
        const ws = this.ws;
        this.ws = null;
        if (ws) { try { ws.close(1000); } catch { /* gone */ } }
        if (final) {
            if (this.ro) { this.ro.disconnect(); this.ro = null; }
        }
    }

    destroy() {
        this.stop();
        this.term.dispose();
    }

    focus() { this.term.focus(); }
}

// Special keys offered in the KVM toolbar (X11 keysyms + DOM codes).
export const SPECIAL_KEYS = [
    { id: 'ctrl-alt-del', label: 'Ctrl+Alt+Del', keys: [[0xffe3, 'ControlLeft'], [0xffe9, 'AltLeft'], [0xffff, 'Delete']] },
    { id: 'ctrl-alt-backspace', label: 'Ctrl+Alt+Backspace', keys: [[0xffe3, 'ControlLeft'], [0xffe9, 'AltLeft'], [0xff08, 'Backspace']] },
    { id: 'alt-tab', label: 'Alt+Tab', keys: [[0xffe9, 'AltLeft'], [0xff09, 'Tab']] },
    { id: 'alt-f4', label: 'Alt+F4', keys: [[0xffe9, 'AltLeft'], [0xffc1, 'F4']] },
    { id: 'super', label: 'Windows / Super', keys: [[0xffeb, 'MetaLeft']] },
    { id: 'escape', label: 'Esc', keys: [[0xff1b, 'Escape']] },
    { id: 'tab', label: 'Tab', keys: [[0xff09, 'Tab']] },
    { id: 'f2', label: 'F2 (BIOS setup)', keys: [[0xffbf, 'F2']] },
    { id: 'f12', label: 'F12 (boot menu)', keys: [[0xffc9, 'F12']] },
    { id: 'print', label: 'Print Screen', keys: [[0xff61, 'PrintScreen']] },
    ...[1, 2, 3, 4, 5, 6, 7].map(n => ({
        id: `ctrl-alt-f${n}`, label: `Ctrl+Alt+F${n}`,
        keys: [[0xffe3, 'ControlLeft'], [0xffe9, 'AltLeft'], [0xffbe + n - 1, `F${n}`]],
    })),
];

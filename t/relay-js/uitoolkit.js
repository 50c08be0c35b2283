#!/usr/bin/env node
// The DMT ui-toolkit's own redirection code (npm @device-management-toolkit/ui-toolkit,
// unmodified bundles/core.bundle.js: AMTRedirector, AMTDesktop, DataProcessor) under
// node with the `ws` package as WebSocket, through mod_amt_relay with p=2 and EMPTY
// AMT credentials, exactly as the DMT UI configures it.
// The relay must replace both digest messages with its stored credentials.
// Prints ONE JSON object; assertions are in t/relay/clients.t.
//   node uitoolkit.js '{"server":"ws://localhost:8529/relay","host":"<SystemId>",
//                       "kvm_token":"...","sol_token":"...","word":"..."}'
'use strict';
const path = require('path');
const root = path.resolve(__dirname, '../..');
global.self = global; // the UMD bundle looks for 'self'
const WS = require(path.join(root, 'node_modules/ws'));
const UIT = require(path.join(root, 'node_modules/@device-management-toolkit/ui-toolkit/bundles/core.bundle.js'));
global.window = undefined; // not a browser: the redirector then uses cfg.server for its URL

const cfg = JSON.parse(process.argv[2]);
const out = { kvm: {}, sol: {}, errors: [] };
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function waitFor(cond, ms) {
    const lim = Date.now() + ms;
    while (Date.now() < lim) { if (cond()) return true; await sleep(50); }
    return !!cond();
}
// WebSocket subclass that records what the toolkit did on the wire
function recordingWS(rec) {
    return class extends WS.WebSocket {
        constructor(url, proto) {
            super(url, proto);
            rec.url = url;
            rec.sent = [];
            rec.received = 0;
            rec.first_received = [];
            this.on('upgrade', res => { rec.http = res.statusCode; rec.protocol = res.headers['sec-websocket-protocol']; });
            this.on('unexpected-response', (req, res) => { rec.http = res.statusCode; });
            this.on('message', d => {
                rec.received += d.length;
                if (rec.first_received.length < 4) rec.first_received.push(Buffer.from(d).toString('hex').slice(0, 40));
            });
            this.on('close', (code, reason) => { rec.close = { code, reason: String(reason) }; });
            this.on('error', e => { rec.error = String(e.message || e); });
            const send = this.send.bind(this);
            this.send = (d, ...a) => { rec.sent.push(Buffer.from(d).toString('hex').slice(0, 80)); return send(d, ...a); };
        }
    };
}
// a 2D context that keeps what the toolkit draws (putImageData / fillRect)
function makeCanvasCtx() {
    const canvas = { _w: 0, _h: 0, rgba: new Uint8ClampedArray(0), frames: 0, style: {},
        get width() { return this._w; }, set width(v) { this._w = v; this.rgba = new Uint8ClampedArray(this._w * this._h * 4); },
        get height() { return this._h; }, set height(v) { this._h = v; this.rgba = new Uint8ClampedArray(this._w * this._h * 4); },
        getContext() { return ctx; } };
    const ctx = { canvas, fillStyle: '',
        createImageData(w, h) { return { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }; },
        putImageData(img, x, y) {
            canvas.frames++;
            for (let j = 0; j < img.height && y + j < canvas._h; j++) {
                const n = Math.min(img.width, canvas._w - x);
                canvas.rgba.set(img.data.subarray(j * img.width * 4, (j * img.width + n) * 4), ((y + j) * canvas._w + x) * 4);
            }
        },
        fillRect(x, y, w, h) {
            const m = /rgb\(\s*(\d+),\s*(\d+),\s*(\d+)/.exec(ctx.fillStyle);
            if (!m) return;
            canvas.frames++;
            for (let j = y; j < Math.min(y + h, canvas._h); j++)
                for (let i = x; i < Math.min(x + w, canvas._w); i++) {
                    const o = (j * canvas._w + i) * 4;
                    canvas.rgba[o] = +m[1]; canvas.rgba[o + 1] = +m[2]; canvas.rgba[o + 2] = +m[3]; canvas.rgba[o + 3] = 255;
                }
        },
        setTransform() {}, rotate() {}, drawImage() {} };
    return ctx;
}

async function kvm() {
    const rec = out.kvm;
    const ctx = makeCanvasCtx();
    const r = new UIT.AMTRedirector({ mode: 'kvm', protocol: UIT.Protocol.KVM, fr: {}, host: cfg.host, port: 16994,
        user: '', pass: '', tls: 0, tls1only: 0, authToken: cfg.kvm_token, server: cfg.server });
    const desktop = new UIT.AMTDesktop(ctx);
    const dp = new UIT.DataProcessor(r, desktop);
    desktop.onProcessData = dp.processData.bind(dp);
    desktop.onSend = r.send.bind(r);
    r.onProcessData = desktop.processData.bind(desktop);
    r.onStart = desktop.start.bind(desktop);
    r.onNewState = desktop.onStateChange.bind(desktop);
    r.onSendKvmData = desktop.onSendKvmData.bind(desktop);
    rec.states = [];
    r.onStateChanged = (x, s) => rec.states.push(s);
    r.onError = () => rec.states.push('error');
    r.start(recordingWS(rec));
    // ServerInit sets the canvas size; a decoded update then draws into it
    rec.server_init = await waitFor(() => ctx.canvas.width > 0, 10000);
    rec.frame = await waitFor(() => ctx.canvas.frames > 0, 5000);
    rec.width = ctx.canvas.width;
    rec.height = ctx.canvas.height;
    const colours = new Set();
    for (let i = 0; i < ctx.canvas.rgba.length; i += 4)
        colours.add((ctx.canvas.rgba[i] << 16) | (ctx.canvas.rgba[i + 1] << 8) | ctx.canvas.rgba[i + 2]);
    rec.colours = colours.size;
    rec.first_sent = rec.sent.slice(0, 4);
    r.stop();
    await sleep(300);
}

async function sol() {
    const rec = out.sol;
    let text = '';
    const r = new UIT.AMTRedirector({ mode: 'sol', protocol: UIT.Protocol.SOL, fr: {}, host: cfg.host, port: 16994,
        user: '', pass: '', tls: 0, tls1only: 0, authToken: cfg.sol_token, server: cfg.server });
    rec.states = [];
    r.onStateChanged = (x, s) => rec.states.push(s);
    r.onNewState = () => {};
    r.onError = () => rec.states.push('error');
    r.onProcessData = d => { text += d; };
    r.onStart = () => {};
    r.start(recordingWS(rec));
    rec.connected = await waitFor(() => r.connectState === 1, 10000);
    if (rec.connected) {
        r.send(`echo ${cfg.word}\r`);
        rec.round_trip = await waitFor(() => text.includes(cfg.word), 8000);
        // the echoed command line and the command's output: the word twice
        rec.round_trip_output = await waitFor(() => text.split(cfg.word).length - 1 >= 2, 3000);
    }
    rec.text_tail = text.slice(-200);
    rec.first_sent = rec.sent.slice(0, 4);
    r.stop();
    await sleep(300);
}

(async () => {
    const timer = setTimeout(() => { out.errors.push('timeout'); console.log(JSON.stringify(out)); process.exit(2); }, 45000);
    if (cfg.only !== 'sol')
        try { await kvm(); } catch (e) { out.errors.push('kvm: ' + (e.stack || e)); }
    try { await sol(); } catch (e) { out.errors.push('sol: ' + (e.stack || e)); }
    clearTimeout(timer);
    console.log(JSON.stringify(out));
    setTimeout(() => process.exit(0), 100);
})();

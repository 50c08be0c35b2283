#!/usr/bin/env node
// Development stand-in for conf/demo/run-demo, used ONLY when
// RFAMT_BROWSER_MOCK=1 (t/browser/run) or by hand while the real modules are
// being built. It serves the console like conf/console.conf, fakes the Redfish
// subset the console uses, and a relay whose KVM side is a tiny RFB 3.8 server
// drawing an 80x25 text screen with amtsim's own 5x7 font, and whose SOL side
// is raw bytes. Plain HTTP on 127.0.0.1. Writes a demo.json like run-demo.
//
//   node t/browser/lib/mock-demo.js OUT_DIR
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { WebSocketServer } = require('ws');

const SRC = path.resolve(__dirname, '../../..');
const OUT = path.resolve(process.argv[2] || path.join(SRC, 'build/demo'));
fs.mkdirSync(OUT, { recursive: true });
const USER = 'admin', PASSWORD = crypto.randomBytes(6).toString('hex');

// ---- font from amtsim (same glyphs as the real simulator) ----
const font = (() => {
    const txt = fs.readFileSync(path.join(SRC, 't/amtsim/screen.c'), 'utf8');
    const body = txt.slice(txt.indexOf('font5x7'), txt.indexOf('};', txt.indexOf('font5x7')));
    const rows = [...body.matchAll(/\{([^{}]*)\}/g)].map(m => m[1].split(',').map(s => parseInt(s.trim(), 16 /* 0x.. */)));
    return rows.map(r => r.filter(n => !Number.isNaN(n)));
})();
const COLS = 80, ROWS = 25, CW = 9, CH = 16, W = COLS * CW, HGT = ROWS * CH;

class Screen {
    constructor(banner) { this.cells = Array.from({ length: ROWS }, () => Array(COLS).fill(' ')); this.cx = 0; this.cy = 0; this.version = 1; this.line = ''; this.write(banner); }
    write(s) {
        for (const ch of s) {
            if (ch === '\r') this.cx = 0;
            else if (ch === '\n') this.nl();
            else if (ch === '\b') { if (this.cx > 0) this.cx--; }
            else { this.cells[this.cy][this.cx] = ch; if (++this.cx >= COLS) { this.cx = 0; this.nl(); } }
        }
        this.version++;
    }
    nl() { if (++this.cy >= ROWS) { this.cells.shift(); this.cells.push(Array(COLS).fill(' ')); this.cy = ROWS - 1; } }
    text() { return this.cells.map(r => r.join('').replace(/ +$/, '')).join('\n') + '\n'; }
}

function consoleInput(dev, bytes) {
    let out = '';
    for (const b of bytes) {
        const ch = String.fromCharCode(b);
        if (b === 13 || b === 10) {
            const line = dev.screen.line.trim(); dev.screen.line = '';
            out += '\r\n';
            if (line === 'help') out += 'commands: help, echo TEXT, uname, id, power, clear\r\n';
            else if (line === 'echo' || line.startsWith('echo ')) out += line.slice(5) + '\r\n';
            else if (line === 'uname') out += 'amtsim-host 1.0\r\n';
            else if (line === 'id') out += dev.id + '\r\n';
            else if (line) out += `${line}: command not found\r\n`;
            out += 'amtsim$ ';
        } else if (b === 8 || b === 127) {
            if (dev.screen.line) { dev.screen.line = dev.screen.line.slice(0, -1); out += '\b \b'; }
        } else if (b >= 32 && b < 127) { dev.screen.line += ch; out += ch; }
    }
    if (out) dev.screen.write(out);
    for (const s of dev.solClients) s.send(Buffer.from(out, 'latin1'));
    return out;
}

const devices = [
    { id: '8c3f1e52-d000-4000-8000-00000000a001', name: 'demo-acm', mode: 'ACM' },
    { id: '8c3f1e52-d000-4000-8000-00000000c002', name: 'demo-ccm', mode: 'CCM' },
].map(d => Object.assign(d, {
    power: 'On', kvm: true, sol: true, optin: d.mode === 'CCM' ? 'Required' : 'NotRequired', code: null,
    kvmActive: 0, solActive: 0, solClients: new Set(), etag: 1, down: false, dropAfter: 0,
    screen: new Screen(`\r\nIntel(R) AMT simulated host ${d.id} (firmware 16.1.30)\r\nType 'help' for commands.\r\namtsim$ `),
}));
const byId = id => devices.find(d => d.id === id);
const sessions = new Map();   // token -> id
const tokens = new Map();     // redirection token -> {dev, mode, exp}
let sessSeq = 0;

let currentReq = null;   // like mod_redfish_amt: a 401 carries a Basic challenge unless X-Requested-With is sent
function rfErr(res, status, id, message, resolution, hdrs = {}) {
    if (status === 401 && !(currentReq && currentReq.headers['x-requested-with'])) hdrs = { ...hdrs, 'WWW-Authenticate': 'Basic realm="Redfish"' };
    res.writeHead(status, { 'Content-Type': 'application/json', ...hdrs });
    res.end(JSON.stringify({ error: { code: `Base.1.22.0.${id}`, message, '@Message.ExtendedInfo': [{ MessageId: `Base.1.22.0.${id}`, Message: message, Resolution: resolution, Severity: 'Critical' }] } }));
}
function json(res, status, obj, hdrs = {}) {
    res.writeHead(status, { 'Content-Type': 'application/json', ...hdrs });
    res.end(status === 204 ? undefined : JSON.stringify(obj));
}
function sysBody(d, host) {
    const p = `/redfish/v1/Systems/${d.id}`;
    const act = n => ({ target: `${p}/Actions/Oem/IntelComputerSystem.${n}` });
    const st = (en, active) => !en ? 'Disabled' : active ? 'Active' : (d.optin !== 'NotRequired' && d.optin !== 'Granted') ? 'PendingConsent' : 'Enabled';
    return {
        '@odata.id': p, '@odata.type': '#ComputerSystem.v1_26_0.ComputerSystem', Id: d.id, Name: d.name, UUID: d.id,
        Model: 'amtsim', PowerState: d.power, Status: { State: 'Enabled', Health: 'OK' },
        GraphicalConsole: { ServiceEnabled: d.kvm, MaxConcurrentSessions: 1, ConnectTypesSupported: ['KVMIP'] },
        SerialConsole: { MaxConcurrentSessions: 1, WebSocket: { ServiceEnabled: d.sol, ConsoleURI: `/relay/webrelay.ashx?host=${d.id}&mode=sol` } },
        Oem: { Intel: { '@odata.type': '#IntelComputerSystem.v1_0_0.AMT', ControlMode: d.mode, KVMStatus: st(d.kvm, d.kvmActive), SOLStatus: st(d.sol, d.solActive),
            UserConsentStatus: d.optin, KVMConsoleURI: `/relay/webrelay.ashx?host=${d.id}&mode=kvm` } },
        Actions: {
            '#ComputerSystem.Reset': { target: `${p}/Actions/ComputerSystem.Reset`, 'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart', 'PowerCycle'] },
            Oem: Object.fromEntries(['RequestKVMConsent', 'SubmitKVMConsentCode', 'CancelKVMConsent', 'RequestSOLConsent', 'SubmitSOLConsentCode', 'CancelSOLConsent', 'GenerateRedirectionToken']
                .map(n => [`#IntelComputerSystem.${n}`, act(n)])),
        },
    };
}
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.json': 'application/json' };
const ALIASES = [
    ['/console/vendor/novnc/', 'node_modules/@novnc/novnc/'],
    ['/console/vendor/xterm/', 'node_modules/@xterm/xterm/'],
    ['/console/vendor/xterm-addon-fit/', 'node_modules/@xterm/addon-fit/'],
    ['/console/', 'htdocs/console/'],
];
function readBody(req) { return new Promise(r => { let b = ''; req.on('data', c => { b += c; }); req.on('end', () => { try { r(b ? JSON.parse(b) : {}); } catch { r(null); } }); }); }

const server = http.createServer(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    const p = u.pathname;
    if (p === '/') { res.writeHead(302, { Location: '/console/' }); return res.end(); }
    if (p.startsWith('/ctl/')) {          // mock of amtsimctl: /ctl/<verb>/<id>
        const [, , verb, id] = p.split('/');
        const d = byId(id);
        if (!d) { res.writeHead(404); return res.end('error no such device\n'); }
        if (verb === 'code') { res.writeHead(d.code ? 200 : 409); return res.end(d.code ? `ok\n${d.code}\n` : 'error no consent code on screen\n'); }
        if (verb === 'fault') {
            for (const kv of (u.searchParams.get('text') || '').split(/\s+/).filter(Boolean)) {
                const [k, v] = kv.split('=');
                if (k === 'down') d.down = v === '1' || v === 'on' || v === 'true';
                else if (k === 'drop-after') d.dropAfter = Number(v) || 0;
                else { res.writeHead(400); return res.end(`error unknown knob ${k}\n`); }
            }
            res.writeHead(200); return res.end('ok\n');
        }
        if (verb === 'type') { d.screen.write(u.searchParams.get('text') + '\r\n'); res.writeHead(200); return res.end('ok\n'); }
        if (verb === 'screen') { res.writeHead(200); return res.end('ok\n' + d.screen.text()); }
        res.writeHead(400); return res.end('error\n');
    }
    for (const [pre, dir] of ALIASES) {
        if (!p.startsWith(pre)) continue;
        let f = path.join(SRC, dir, decodeURIComponent(p.slice(pre.length)));
        if (!f.startsWith(path.join(SRC, dir))) break;
        if (f.endsWith('/')) f += 'index.html';
        return fs.readFile(f, (e, data) => {
            if (e) { res.writeHead(404); return res.end('not found'); }
            res.writeHead(200, { 'Content-Type': MIME[path.extname(f)] || 'application/octet-stream', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff',
                // same policy as conf/console.conf
                'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'" });
            res.end(data);
        });
    }
    if (!p.startsWith('/redfish/')) { res.writeHead(404); return res.end(); }
    currentReq = req;
    if (p === '/redfish/v1/SessionService/Sessions' && req.method === 'POST') {
        const b = await readBody(req);
        if (!b || b.UserName !== USER || b.Password !== PASSWORD) return rfErr(res, 401, 'NoValidSession', 'Invalid user name or password.', 'Check the credentials.');
        const tok = crypto.randomBytes(16).toString('hex'), sid = String(++sessSeq);
        sessions.set(tok, sid);
        return json(res, 201, { '@odata.id': `/redfish/v1/SessionService/Sessions/${sid}`, Id: sid, UserName: USER },
            { 'X-Auth-Token': tok, Location: `/redfish/v1/SessionService/Sessions/${sid}` });
    }
    const tok = req.headers['x-auth-token'];
    if (!tok || !sessions.has(tok)) return rfErr(res, 401, 'NoValidSession', 'There is no valid session established with the implementation.', 'Establish a session before attempting any operations.');
    if (p.startsWith('/redfish/v1/SessionService/Sessions/') && req.method === 'DELETE') {
        for (const [t, s] of sessions) if (s === p.split('/').pop()) sessions.delete(t);
        return json(res, 204);
    }
    if (p === '/redfish/v1/Systems') return json(res, 200, { Members: devices.map(d => ({ '@odata.id': `/redfish/v1/Systems/${d.id}` })), 'Members@odata.count': devices.length });
    const m = p.match(/^\/redfish\/v1\/Systems\/([^/]+)(?:\/Actions\/(?:Oem\/)?[A-Za-z]+\.([A-Za-z]+))?$/);
    const d = m && byId(m[1]);
    if (!d) return rfErr(res, 404, 'ResourceNotFound', 'The requested resource was not found.', 'Check the URI.');
    if (d.down) return rfErr(res, 503, 'ServiceTemporarilyUnavailable', 'The service is temporarily unavailable.  Retry in 5 seconds.', 'Wait for the indicated retry duration and retry the operation.', { 'Retry-After': '5' });
    if (!m[2]) {
        if (req.method === 'PATCH') {
            const b = await readBody(req) || {};
            if (b.GraphicalConsole && 'ServiceEnabled' in b.GraphicalConsole) d.kvm = !!b.GraphicalConsole.ServiceEnabled;
            if (b.SerialConsole && b.SerialConsole.WebSocket) d.sol = !!b.SerialConsole.WebSocket.ServiceEnabled;
            d.etag++;
        }
        return json(res, 200, sysBody(d), { ETag: `W/"${d.etag}"` });
    }
    const b = await readBody(req) || {};
    const a = m[2];
    const ok = () => json(res, 200, { error: { code: 'Base.1.22.0.Success', message: 'Successfully Completed Request' } });
    if (a === 'Reset') { d.power = /Off|Shutdown/.test(b.ResetType) ? 'Off' : 'On'; d.etag++; return json(res, 204); }
    if (/^Request(KVM|SOL)Consent$/i.test(a)) {
        if (d.mode === 'ACM') return rfErr(res, 400, 'ActionNotSupported', 'User consent is not required in ACM.', 'None.');
        d.code = String(crypto.randomInt(0, 1000000)).padStart(6, '0'); d.optin = 'Requested';
        d.screen.version++; return ok();
    }
    if (/^Submit(KVM|SOL)ConsentCode$/i.test(a)) {
        if (d.optin !== 'Requested') return rfErr(res, 400, 'ActionNotSupported', 'No consent request is pending.', 'Request consent first.');
        if (String(b.ConsentCode) !== d.code) return rfErr(res, 400, 'ActionParameterValueError', 'The consent code does not match the code shown on the device.', 'Enter the code shown on the device screen.');
        d.optin = 'Granted'; d.code = null; return ok();
    }
    if (/^Cancel(KVM|SOL)Consent$/i.test(a)) { if (d.optin === 'Requested') d.optin = 'Required'; d.code = null; return ok(); }
    if (a === 'GenerateRedirectionToken') {
        if (d.optin !== 'NotRequired' && d.optin !== 'Granted') return rfErr(res, 409, 'ActionNotSupported', 'User consent has not been granted for this device.', 'Request consent and submit the code.');
        const t = crypto.randomBytes(18).toString('base64url');
        tokens.set(t, { dev: d, mode: (b.Mode || '').toLowerCase(), exp: Date.now() + 60000 });
        return json(res, 200, { RedirectionToken: t, ExpirationTime: new Date(Date.now() + 60000).toISOString() });
    }
    return rfErr(res, 404, 'ResourceNotFound', 'Unknown action.', '');
});

// ---- relay ----
const wss = new WebSocketServer({ noServer: true, handleProtocols: set => [...set][0] });
server.on('upgrade', (req, socket, head) => {
    const u = new URL(req.url, 'http://x');
    const refuse = (code, text) => { socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`); };
    if (u.pathname !== '/relay/webrelay.ashx') return refuse(404, 'Not Found');
    const tok = (req.headers['sec-websocket-protocol'] || '').split(',')[0].trim();
    const t = tokens.get(tok); tokens.delete(tok);
    const mode = u.searchParams.get('mode');
    if (!t || t.exp < Date.now() || t.dev.id !== u.searchParams.get('host') || t.mode !== mode) return refuse(403, 'Forbidden');
    const d = t.dev;
    if (d.down) return refuse(503, 'Service Unavailable');
    if ((mode === 'kvm' && d.kvmActive) || (mode === 'sol' && d.solActive)) return refuse(409, 'Conflict');
    wss.handleUpgrade(req, socket, head, ws => (mode === 'kvm' ? kvm : sol)(d, ws));
});

function sol(d, ws) {
    d.solActive++; d.solClients.add(ws);
    ws.on('message', data => consoleInput(d, Buffer.from(data)));
    ws.on('close', () => { d.solActive--; d.solClients.delete(ws); });
    ws.send(Buffer.from('\r\namtsim$ ', 'latin1'));
}

function render(d) {
    const fb = new Uint8Array(W * HGT);   // 0 bg, 1 text, 2 consent box, 3 consent text, 4 cursor
    const draw = (c, r, ch, fg, bg) => {
        for (let y = 0; y < CH; y++) fb.fill(bg, (r * CH + y) * W + c * CW, (r * CH + y) * W + c * CW + CW);
        const code = ch.charCodeAt(0);
        if (code <= 0x20 || code >= 0x7f) return;
        const g = font[code - 0x20];
        for (let col = 0; col < 5; col++) for (let row = 0; row < 7; row++) if (g[col] & (1 << row)) {
            fb[(r * CH + 1 + 2 * row) * W + c * CW + 2 + col] = fg;
            fb[(r * CH + 2 + 2 * row) * W + c * CW + 2 + col] = fg;
        }
    };
    const off = d.power !== 'On';
    for (let r = 0; r < ROWS; r++) for (let c = 0; c < COLS; c++) draw(c, r, off ? ' ' : d.screen.cells[r][c], 1, 0);
    if (!off) for (let y = CH - 2; y < CH; y++) fb.fill(4, (d.screen.cy * CH + y) * W + d.screen.cx * CW, (d.screen.cy * CH + y) * W + d.screen.cx * CW + CW);
    if (d.code) {
        const text = ` User consent code: ${d.code.slice(0, 3)} ${d.code.slice(3)} `;
        const c0 = COLS - text.length - 2;
        [...text].forEach((ch, i) => draw(c0 + i, 1, ch, 3, 2));
    }
    return fb;
}
const PAL = [[0, 0, 0], [170, 170, 170], [0, 0, 170], [255, 255, 85], [255, 255, 255]];

function kvm(d, ws) {
    d.kvmActive++;
    let stage = 'version', buf = Buffer.alloc(0), pf = { bpp: 32, be: 0, rs: 16, gs: 8, bs: 0, rm: 255, gm: 255, bm: 255 };
    let pending = false, sentVersion = -1, polling = null, sent = 0;
    ws.send(Buffer.from('RFB 003.008\n'));
    const sendFrame = () => {
        const fb = render(d);
        const bypp = pf.bpp / 8;
        const out = Buffer.alloc(4 + 12 + W * HGT * bypp);
        out.writeUInt8(0, 0); out.writeUInt16BE(1, 2);
        out.writeUInt16BE(0, 4); out.writeUInt16BE(0, 6); out.writeUInt16BE(W, 8); out.writeUInt16BE(HGT, 10); out.writeInt32BE(0, 12);
        let o = 16;
        for (let i = 0; i < fb.length; i++) {
            const [r, g, b] = PAL[fb[i]];
            const v = (Math.round(r * pf.rm / 255) << pf.rs) | (Math.round(g * pf.gm / 255) << pf.gs) | (Math.round(b * pf.bm / 255) << pf.bs);
            if (bypp === 4) { if (pf.be) out.writeUInt32BE(v >>> 0, o); else out.writeUInt32LE(v >>> 0, o); }
            else if (bypp === 2) { if (pf.be) out.writeUInt16BE(v, o); else out.writeUInt16LE(v, o); }
            else out.writeUInt8(v & 255, o);
            o += bypp;
        }
        sentVersion = d.screen.version + (d.code ? 1e9 : 0) + (d.power === 'On' ? 0 : 2e9);
        sent += out.length;
        if (d.dropAfter && sent >= d.dropAfter) { ws.send(out.subarray(0, Math.max(0, out.length - (sent - d.dropAfter)))); ws.terminate(); return; }
        ws.send(out);
    };
    const curVersion = () => d.screen.version + (d.code ? 1e9 : 0) + (d.power === 'On' ? 0 : 2e9);
    polling = setInterval(() => { if (pending && curVersion() !== sentVersion) { pending = false; sendFrame(); } }, 100);
    ws.on('message', data => {
        buf = Buffer.concat([buf, Buffer.from(data)]);
        for (;;) {
            if (stage === 'version') { if (buf.length < 12) return; buf = buf.subarray(12); ws.send(Buffer.from([1, 1])); stage = 'sec'; continue; }
            if (stage === 'sec') { if (buf.length < 1) return; buf = buf.subarray(1); ws.send(Buffer.from([0, 0, 0, 0])); stage = 'init'; continue; }
            if (stage === 'init') {
                if (buf.length < 1) return; buf = buf.subarray(1);
                const name = Buffer.from('amtsim mock'), si = Buffer.alloc(24 + name.length);
                si.writeUInt16BE(W, 0); si.writeUInt16BE(HGT, 2);
                Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]).copy(si, 4);
                si.writeUInt32BE(name.length, 20); name.copy(si, 24); ws.send(si); stage = 'run'; continue;
            }
            if (!buf.length) return;
            const t = buf[0];
            if (t === 0) { if (buf.length < 20) return; const f = buf.subarray(4, 20); pf = { bpp: f[0], be: f[2], rm: f.readUInt16BE(4), gm: f.readUInt16BE(6), bm: f.readUInt16BE(8), rs: f[10], gs: f[11], bs: f[12] }; buf = buf.subarray(20); }
            else if (t === 2) { if (buf.length < 4) return; const n = buf.readUInt16BE(2); if (buf.length < 4 + 4 * n) return; buf = buf.subarray(4 + 4 * n); }
            else if (t === 3) { if (buf.length < 10) return; const inc = buf[1]; buf = buf.subarray(10); if (!inc || curVersion() !== sentVersion) { pending = false; sendFrame(); } else pending = true; }
            else if (t === 4) {
                if (buf.length < 8) return; const down = buf[1], sym = buf.readUInt32BE(4); buf = buf.subarray(8);
                if (down) { if (sym >= 0x20 && sym < 0x7f) consoleInput(d, [sym]); else if (sym === 0xff0d) consoleInput(d, [13]); else if (sym === 0xff08) consoleInput(d, [8]); }
            }
            else if (t === 5) { if (buf.length < 6) return; buf = buf.subarray(6); }
            else if (t === 6) { if (buf.length < 8) return; const n = buf.readUInt32BE(4); if (buf.length < 8 + n) return; buf = buf.subarray(8 + n); }
            else { ws.close(1002, 'bad message'); return; }
        }
    });
    ws.on('close', () => { d.kvmActive--; clearInterval(polling); });
}

server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    const me = process.argv[1];
    const info = {
        url: `http://127.0.0.1:${port}/console/`, user: USER, password: PASSWORD, ca_file: null, mock: true,
        devices: devices.map(d => ({ system_id: d.id, control_mode: d.mode, amt: {},
            consent_code_cmd: `node ${path.join(path.dirname(me), 'mock-ctl.js')} ${port} code ${d.id}` })),
    };
    fs.writeFileSync(path.join(OUT, 'demo.json'), JSON.stringify(info, null, 2));
    console.log(`mock demo on ${info.url} (${USER} / ${PASSWORD})`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

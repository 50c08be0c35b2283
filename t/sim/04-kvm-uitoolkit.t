#!/usr/bin/env node
// KVM end to end with an independent client: the redirection + RFB code of the
// DMT ui-toolkit (npm @device-management-toolkit/ui-toolkit, unmodified bundle)
// runs under node behind a minimal WebSocket<->TCP relay written here with `ws`.
// The toolkit performs the redirection digest itself, then RFB; we decode its
// canvas output: a frame arrives, the consent code sprite appears while
// OptInState is DISPLAYED, and a key press shows in the next frame.
// Shims for the browser bits the toolkit touches are kept in this file.
'use strict';
const path = require('path');
const h = require('./amtsim-helper');
const { ok, is } = h;
global.self = global; // the UMD bundle looks for 'self'
// the toolkit logs to the console; keep stdout pure TAP
const tapLog = console.log;
console.log = (...a) => { const l = a.join(' '); if (/^(ok |not ok |#|1\.\.)/.test(l)) tapLog(l); };
console.error = console.info = console.debug = () => {};
let WS, UIT, wm;
try {
  WS = require(path.join(h.root, 'node_modules/ws'));
  UIT = require(path.join(h.root, 'node_modules/@device-management-toolkit/ui-toolkit/bundles/core.bundle.js'));
  wm = require(path.join(h.root, 'node_modules/@device-management-toolkit/wsman-messages'));
} catch (e) { h.skipAll('npm ws / ui-toolkit / wsman-messages not installed: ' + e.message); }

const ID = '4d4d4d4d-0000-4000-8000-000000000020', HOST = '127.0.1.20', PW = 'Kvm-Test#1';

// ---- browser shims: a 2D context that keeps what putImageData draws ----
function makeCanvasCtx() {
  const canvas = { _w: 0, _h: 0, rgba: new Uint8ClampedArray(0), frames: 0,
    get width() { return this._w; }, set width(v) { this._w = v; this.rgba = new Uint8ClampedArray(this._w * this._h * 4); },
    get height() { return this._h; }, set height(v) { this._h = v; this.rgba = new Uint8ClampedArray(this._w * this._h * 4); },
    getContext() { return ctx; }, style: {} };
  const ctx = {
    canvas, fillStyle: '',
    createImageData(w, hh) { return { width: w, height: hh, data: new Uint8ClampedArray(w * hh * 4) }; },
    putImageData(img, x, y) {
      canvas.frames++;
      for (let j = 0; j < img.height; j++) {
        if (y + j >= canvas._h) break;
        const n = Math.min(img.width, canvas._w - x);
        canvas.rgba.set(img.data.subarray(j * img.width * 4, (j * img.width + n) * 4), ((y + j) * canvas._w + x) * 4);
      }
    },
    fillRect(x, y, w, hh) { // solid ZRLE tiles arrive as fillStyle "rgb(r, g, b)" + fillRect
      const m = /rgb\(\s*(\d+),\s*(\d+),\s*(\d+)/.exec(ctx.fillStyle);
      const c = m ? [+m[1], +m[2], +m[3]] : /^#([0-9a-f]{6})$/i.test(ctx.fillStyle) ? [0, 2, 4].map((i) => parseInt(ctx.fillStyle.substr(1 + i, 2), 16)) : null;
      if (!c) return;
      canvas.frames++;
      for (let j = y; j < Math.min(y + hh, canvas._h); j++) for (let i = x; i < Math.min(x + w, canvas._w); i++) {
        const o = (j * canvas._w + i) * 4;
        canvas.rgba[o] = c[0]; canvas.rgba[o + 1] = c[1]; canvas.rgba[o + 2] = c[2]; canvas.rgba[o + 3] = 255;
      }
    },
    setTransform() {}, rotate() {}, drawImage() {},
  };
  return ctx;
}
global.window = undefined;

// ---- relay: WebSocket (binary frames) <-> TCP redirection port ----
// Like MPS / the DMT console (docs/redirection-protocol.md §8.3), the relay performs the
// AMT digest itself with the credentials it holds: ui-toolkit 3.3.12 computes
// its own response over "qop :" (a stray space), which a real AMT - and a
// faithful simulator - refuses; in DMT deployments the relay replaces it.
const elem = (s) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
function authMsg(type, data) {
  const hd = Buffer.from([0x13, 0, 0, 0, type, 0, 0, 0, 0]);
  hd.writeUInt32LE(data.length, 5);
  return Buffer.concat([hd, data]);
}
function startRelay(port, creds) {
  return new Promise((resolve) => {
    const wss = new WS.WebSocketServer({ host: HOST, port: 0, handleProtocols: (p) => [...p][0] });
    const seen = { token: null, conns: 0, replaced: 0 };
    wss.on('connection', (ws, req) => {
      seen.conns++;
      seen.token = req.headers['sec-websocket-protocol'];
      const sock = require('net').connect(port, HOST);
      let up = Buffer.alloc(0), down = Buffer.alloc(0), direct = false, chal = null, nc = 0;
      const cnonce = require('crypto').randomBytes(5).toString('hex');
      const toAmt = () => {
        while (!direct && up.length) {
          let n;
          if (up[0] === 0x10) n = 8; else if (up[0] === 0x12) n = 4;
          else if (up[0] === 0x13) {
            if (up.length < 9) return;
            n = 9 + up.readUInt32LE(5);
            if (up.length < n) return;
            if (up[4] === 4) {
              seen.replaced++;
              const uri = '/RedirectionService';
              let out;
              if (!chal) {
                out = authMsg(4, Buffer.concat([elem(creds.user), Buffer.from([0, 0]), elem(uri), Buffer.from([0, 0, 0, 0])]));
              } else {
                const ncs = (++nc).toString(16).padStart(8, '0');
                const ha1 = h.md5(`${creds.user}:${chal.realm}:${creds.pass}`), ha2 = h.md5(`POST:${uri}`);
                const resp = h.md5(`${ha1}:${chal.nonce}:${ncs}:${cnonce}:${chal.qop}:${ha2}`);
                out = authMsg(4, Buffer.concat([creds.user, chal.realm, chal.nonce, uri, cnonce, ncs, resp, chal.qop].map(elem)));
              }
              sock.write(out);
              up = up.subarray(n);
              continue;
            }
          } else n = up.length;
          if (up.length < n) return;
          sock.write(up.subarray(0, n));
          up = up.subarray(n);
        }
        if (direct && up.length) { sock.write(up); up = Buffer.alloc(0); }
      };
      const toBrowser = () => {
        while (!direct && down.length) {
          let n;
          if (down[0] === 0x11) { if (down.length < 13) return; n = 13 + down[12]; }
          else if (down[0] === 0x14) {
            if (down.length < 9) return;
            n = 9 + down.readUInt32LE(5);
            if (down.length < n) return;
            if (down[1] === 1 && down[4] === 4) {
              const e = []; let o = 9;
              while (o < n) { e.push(down.subarray(o + 1, o + 1 + down[o]).toString('latin1')); o += 1 + down[o]; }
              if (e.length >= 3) chal = { realm: e[0], nonce: e[1], qop: e[2] };
            } else if (down[1] === 0 && down[4] !== 0) direct = true;
          } else n = down.length;
          if (down.length < n) return;
          ws.send(down.subarray(0, n));
          down = down.subarray(n);
          if (direct) toAmt();
        }
        if (direct && down.length) { ws.send(down); down = Buffer.alloc(0); }
      };
      sock.on('data', (d) => { if (ws.readyState === 1) { down = Buffer.concat([down, d]); toBrowser(); } });
      sock.on('close', () => ws.close());
      sock.on('error', () => ws.close());
      ws.on('message', (d) => { up = Buffer.concat([up, Buffer.from(d)]); toAmt(); });
      ws.on('close', () => sock.destroy());
    });
    wss.on('listening', () => resolve({ wss, seen, port: wss.address().port }));
  });
}

function openKvm(relay, opts = {}) {
  const ctx = makeCanvasCtx();
  const redirector = new UIT.AMTRedirector({ mode: 'kvm', protocol: UIT.Protocol.KVM, fr: {}, host: ID, port: 16994,
    user: '', pass: '', tls: 0, tls1only: 0, authToken: 'test-token', server: `ws://${HOST}:${relay.port}` });
  const desktop = new UIT.AMTDesktop(ctx);
  if (opts.bpp) desktop.bpp = opts.bpp;
  if (opts.raw) desktop.useZRLE = false;
  const dp = new UIT.DataProcessor(redirector, desktop);
  desktop.onProcessData = dp.processData.bind(dp);
  desktop.onSend = redirector.send.bind(redirector);
  redirector.onProcessData = desktop.processData.bind(desktop);
  redirector.onStart = desktop.start.bind(desktop);
  redirector.onNewState = desktop.onStateChange.bind(desktop);
  redirector.onSendKvmData = desktop.onSendKvmData.bind(desktop);
  const states = [];
  redirector.onStateChanged = (r, s) => states.push(s);
  redirector.onError = () => states.push('error');
  redirector.start(WS.WebSocket);
  return { ctx, canvas: ctx.canvas, redirector, desktop, states };
}

async function waitFor(cond, ms = 8000) {
  const lim = Date.now() + ms;
  while (Date.now() < lim) { if (cond()) return true; await h.sleep(50); }
  return false;
}

function colours(c) {
  const set = new Map();
  for (let i = 0; i < c.rgba.length; i += 4) {
    const k = (c.rgba[i] << 16) | (c.rgba[i + 1] << 8) | c.rgba[i + 2];
    set.set(k, (set.get(k) || 0) + 1);
  }
  return set;
}
// pixels that are "reddish" (the consent box): r high, g and b low
function redCount(c) {
  let n = 0;
  for (let i = 0; i < c.rgba.length; i += 4) if (c.rgba[i] > 120 && c.rgba[i + 1] < 60 && c.rgba[i + 2] < 60) n++;
  return n;
}

(async () => {
  const sim = await h.startSim([`id=${ID},addr=${HOST},password=${PW}`]);
  const relay = await startRelay(16994, { user: 'admin', pass: PW });
  const badRelay = await startRelay(16994, { user: 'admin', pass: 'not-the-password' });
  const wsm = new h.Wsman({ host: HOST, port: 16992, user: 'admin', pass: PW });
  const ipsm = new wm.IPS.Messages();
  try {
    // ---- ZRLE, 8 bpp (the toolkit's defaults) ----
    let k = openKvm(relay);
    ok(await waitFor(() => k.canvas.frames > 0 && k.canvas.width > 0), 'ui-toolkit completed redirection digest + RFB handshake and drew a frame', JSON.stringify(k.states));
    is(relay.seen.token, 'test-token', 'toolkit offered its token as the WebSocket subprotocol');
    is(relay.seen.replaced, 2, 'relay replaced both digest messages (empty request, final response)');
    is(`${k.canvas.width}x${k.canvas.height}`, '720x400', 'framebuffer size from ServerInit');
    await h.sleep(300);
    const cols = colours(k.canvas);
    ok(cols.size >= 2, 'decoded frame has text on a background', cols.size);
    const bg = [...cols.entries()].sort((a, b) => b[1] - a[1])[0][0];
    ok((bg & 0xff) >= 0x40 && (bg >> 16) < 0x40, 'dominant colour is the dark-blue background', [...cols.entries()].map(([c, n]) => c.toString(16) + ':' + n).join(' '));
    is(sim.state(ID).kvm_active, '1', 'simulator sees one KVM session');

    // consent sprite: StartOptIn shows the code on the screen, CancelOptIn removes it
    is(redCount(k.canvas), 0, 'no consent sprite before StartOptIn');
    let r = await wsm.post(ipsm.OptInService.StartOptIn());
    is(h.prop(r.body, 'ReturnValue'), '0', 'StartOptIn over WS-Man');
    ok(await waitFor(() => redCount(k.canvas) > 500), 'consent-code sprite appears in the KVM picture');
    ok(/^\d{6}$/.test(sim.ctl('code', ID).out.trim()), 'same moment: code readable on the control channel');
    await wsm.post(ipsm.OptInService.CancelOptIn());
    ok(await waitFor(() => redCount(k.canvas) === 0), 'sprite gone after CancelOptIn');

    // a key press shows in the next frame
    await h.sleep(200);
    const before = Buffer.from(k.canvas.rgba);
    const scr0 = sim.ctl('screen', ID).out;
    k.redirector.send(String.fromCharCode(4, 1, 0, 0, 0, 0, 0, 0x51)); // KeyEvent down 'Q'
    k.redirector.send(String.fromCharCode(4, 0, 0, 0, 0, 0, 0, 0x51));
    ok(await waitFor(() => !before.equals(Buffer.from(k.canvas.rgba))), 'frame changed after the key press');
    const scr1 = sim.ctl('screen', ID).out;
    ok(/amtsim\$ Q\s*$/m.test(scr1) && scr0 !== scr1, 'host console received the key (echoed on screen)');
    // locate the changed pixels: they must lie in the text cell where Q was echoed
    const rows = scr1.split('\n');
    const row = rows.findIndex((l) => /amtsim\$ Q\s*$/.test(l)), col = rows[row].lastIndexOf('Q');
    let inCell = 0, outside = 0;
    for (let y = 0; y < k.canvas.height; y++) for (let x = 0; x < k.canvas.width; x++) {
      const i = (y * k.canvas.width + x) * 4;
      if (before[i] !== k.canvas.rgba[i] || before[i + 1] !== k.canvas.rgba[i + 1] || before[i + 2] !== k.canvas.rgba[i + 2]) {
        const cx = Math.floor(x / 9), cy = Math.floor(y / 16);
        if (cy === row && (cx === col || cx === col + 1)) inCell++; else outside++;
      }
    }
    ok(inCell > 5 && outside === 0, 'only the cell of the typed key (and the cursor) changed', `in ${inCell} out ${outside}`);
    k.redirector.stop();
    ok(await waitFor(() => sim.state(ID).kvm_active === '0'), 'KVM session released after the client stopped');

    // ---- Raw, 16 bpp ----
    await h.sleep(200);
    k = openKvm(relay, { raw: true, bpp: 2 });
    ok(await waitFor(() => k.canvas.frames > 0 && colours(k.canvas).size >= 2), 'Raw / 16 bpp session decodes a frame', JSON.stringify(k.states));
    k.redirector.stop();
    await waitFor(() => sim.state(ID).kvm_active === '0');

    // ---- wrong password: the toolkit never gets a picture ----
    k = openKvm(badRelay);
    await h.sleep(1500);
    is(k.canvas.width, 0, 'wrong password: no ServerInit, no picture');
    ok(Number(sim.state(ID).redir_auth_fail) >= 1, 'simulator counted the failed digest');
    k.redirector.stop();
  } catch (e) {
    ok(false, 'no exception', e.stack);
  }
  relay.wss.close();
  badRelay.wss.close();
  const ex = await sim.stop();
  ok(ex && ex.code === 0, 'amtsim exits cleanly', JSON.stringify(ex));
  h.done();
  setTimeout(() => process.exit(), 200);
})();

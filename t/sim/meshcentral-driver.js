#!/usr/bin/env node
// Drives MeshCentral's own Intel AMT code (npm package `meshcentral`, loaded
// from node_modules, never copied) against amtsim, for t/sim/10-meshcentral.t.
//
//   node meshcentral-driver.js wsman '{"host":..,"port":..,"user":..,"pass":..,"tls":0|1,"pin":"sha256 hex","ops":[...]}'
//   node meshcentral-driver.js sol   '{"host":..,"port":..,"user":..,"pass":..,"serverauth":true,"keys":"..","expect":"..","ctl":{..}}'
//   node meshcentral-driver.js kvm   '{"host":..,"port":..,"user":..,"pass":..,"serverauth":false,"key":"x"}'
//
// Prints one line "RESULT <JSON>" (what MeshCentral parsed and did) on stdout; the
// Perl test compares it with amtsim's state read through amtsimctl. Exit 0
// unless the driver itself broke (exit 2, message on stderr).
//
// What is MeshCentral's and what is shimmed (see t/amtsim/README.md, "Independent clients"):
// - WS-Man: amt/amt-wsman-comm.js (HTTP digest, TLS, certificate pinning),
//   amt/amt-wsman.js, amt/amt-xml.js, amt/amt.js, used as MeshCentral's
//   amtmanager.js uses them (CreateWsmanComm -> WsmanStackCreateService ->
//   AmtStackCreateService, BatchEnum with '*' names, Put of the object it got).
//   These run on their own in node; nothing is shimmed.
// - Redirection: MeshCentral opens SOL/KVM in the *browser* with
//   public/scripts/amt-redir-ws-0.1.0.js (AMT redirection protocol, digest,
//   0x20 SOL start, 0x40 KVM start) over a WebSocket to its server's
//   /webrelay.ashx, which pipes the bytes to port 16994/16995 through
//   interceptor.js (CreateRedirInterceptor: with serverauth=1 it replaces the
//   browser's digest by one made from the stored AMT password). The terminal
//   is public/scripts/amt-terminal-0.0.2.js (VT100 screen rendered as HTML into
//   a div), the desktop public/scripts/amt-desktop-0.0.2.js (RFB onto a
//   canvas, its own zlib port for ZRLE). All of those are loaded as they are.
//   Shimmed, because they are the browser or the server: `window.location`
//   (only used to build the relay URL), `document.getElementById` (one div for
//   the terminal, one canvas 2D context for the desktop: createImageData,
//   putImageData, fillRect into an RGBA array), and `WebSocket`, replaced by
//   RelayedSocket below, which plays MeshCentral's webrelay.ashx: a TCP (or
//   TLS, pinned) connection to the device with interceptor.js on both
//   directions, exactly as webserver.js does for p=2.
// - amt/amt-redir-mesh.js (MeshCentral's server-side redirection) is not
//   used: it reads the device from MeshCentral's database and routing tables,
//   and in 1.1.55 its SOL (0x20) and KVM (0x40) starts are commented out; only
//   IDE-R goes through it.
'use strict';
const fs = require('fs');
const net = require('net');
const tls = require('tls');
const path = require('path');
const vm = require('vm');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');
const mc = path.join(root, 'node_modules', 'meshcentral');
const ctlbin = process.env.AMTSIMCTL || path.join(process.env.BUILDDIR || root, 't/amtsim/amtsimctl');

function fail(msg) { process.stderr.write(`meshcentral-driver: ${msg}\n`); process.exit(2); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, ms) {
  const lim = Date.now() + ms;
  while (Date.now() < lim) { if (cond()) return true; await sleep(20); }
  return !!cond();
}
function ctl(c, ...args) { return execFileSync(ctlbin, [c.sock, ...args.map(String)]).toString(); }
const sha256 = (der) => crypto.createHash('sha256').update(der).digest('hex');

// ---------------------------------------------------------------- WS-Man
function amtStack(o) {
  const CreateWsmanComm = require(path.join(mc, 'amt/amt-wsman-comm.js'));
  const WsmanStackCreateService = require(path.join(mc, 'amt/amt-wsman.js'));
  const AmtStackCreateService = require(path.join(mc, 'amt/amt.js'));
  const comm = CreateWsmanComm(o.host, o.port, o.user, o.pass, o.tls ? 1 : 0);
  // MeshCentral's two TLS modes: 0 = accept any certificate (first contact),
  // or the device's pinned certificate hash (SHA-1/256/384 hex). The CA mode
  // (xtlsoptions.ca) needs node-forge as a global and MeshCentral itself does
  // not use it for direct connections, so the test pins.
  if (o.tls) comm.xtlsFingerprint = o.pin || 0;
  return AmtStackCreateService(WsmanStackCreateService(comm));
}

const call = (fn) => new Promise((resolve) => fn((stack, name, response, status) => resolve({ response, status })));

// One step of MeshCentral's own use of the stack; returns what it parsed.
async function wsmanOp(stack, op, o, state) {
  switch (op.op) {
    case 'batch': { // amtmanager.js: BatchEnum('', ['*AMT_GeneralSettings', ...])
      const r = await new Promise((resolve) => stack.BatchEnum('', op.names, (s, n, responses, status) => resolve({ responses, status })));
      const out = { status: r.status, classes: {} };
      for (const k of Object.keys(r.responses || {})) {
        out.classes[k] = { status: r.responses[k].status, body: r.responses[k].response };
        state[k] = r.responses[k].response;
      }
      return out;
    }
    case 'exec': { // e.g. AMT_RedirectionService_RequestStateChange(32771)
      const fn = stack[op.fn];
      if (typeof fn !== 'function') fail(`no such AmtStack method ${op.fn}`);
      const r = await call((cb) => fn.apply(stack, [...(op.args || []), cb]));
      return { status: r.status, ReturnValue: r.response && r.response.Body ? r.response.Body.ReturnValue : null,
        ReturnValueStr: r.response && r.response.Body ? r.response.Body.ReturnValueStr : null };
    }
    case 'put': { // amtmanager.js: Put the object of the last 'batch' back, with changes
      const obj = Object.assign({}, state[op.cls], op.set || {});
      const r = await call((cb) => stack.Put(op.cls, obj, cb, 0, 1));
      if (r.response && r.response.Body) state[op.cls] = r.response.Body;
      return { status: r.status, body: r.response ? r.response.Body : null,
        fault: r.response && r.response.Header ? r.response.Header.WsmanError || null : null };
    }
    case 'optin-code': { // the code a user reads off the screen: amtsimctl code
      const code = ctl(o.ctl, 'code', o.ctl.id).trim();
      const r = await call((cb) => stack.IPS_OptInService_SendOptInCode(op.wrong ? String((Number(code) + 1) % 1000000) : code, cb));
      return { status: r.status, ReturnValue: r.response && r.response.Body ? r.response.Body.ReturnValue : null };
    }
    case 'ctl': return { out: ctl(o.ctl, ...op.args) };
    default: fail(`unknown op ${op.op}`);
  }
  return null;
}

async function runWsman(o) {
  const stack = amtStack(o);
  const out = { steps: [] }, state = {};
  const comm = stack.wsman.comm;
  for (const op of o.ops) {
    // MeshCentral never calls back a request whose connection failed its
    // certificate check (CancelAllQueries only fails the queued ones), so
    // each step is bounded and a silent one is reported as such.
    let timer;
    const silent = new Promise((resolve) => { timer = setTimeout(() => resolve({ status: null, silent: true }), o.opTimeout || 15000); });
    out.steps.push(await Promise.race([wsmanOp(stack, op, o, state), silent]));
    clearTimeout(timer);
  }
  out.failAllError = comm.FailAllError;      // 998 = certificate check failed, 997 = realm changed
  out.amtVersion = comm.amtVersion;          // from the Server: header
  out.digestRealm = comm.digestRealm;        // from WWW-Authenticate
  out.xtlsCheck = comm.xtlsCheck;            // 0 no TLS, 2 pinned, 3 untrusted
  out.peerSha256 = comm.xtlsCertificate ? sha256(comm.xtlsCertificate.raw) : null;
  comm.destroy();
  return out;
}

// ---------------------------------------------------------------- browser side
// A div for the terminal; a canvas whose 2D context keeps RGBA pixels.
function makeCanvas() {
  const c = { width: 0, height: 0, rgba: new Uint8ClampedArray(0), painted: new Uint8Array(0), puts: 0, fills: 0 };
  const fit = () => {
    if (c.rgba.length !== c.width * c.height * 4) {
      c.rgba = new Uint8ClampedArray(c.width * c.height * 4);
      c.painted = new Uint8Array(c.width * c.height);
    }
  };
  const canvas = {};
  Object.defineProperty(canvas, 'width', { get: () => c.width, set: (v) => { c.width = v; fit(); } });
  Object.defineProperty(canvas, 'height', { get: () => c.height, set: (v) => { c.height = v; fit(); } });
  const paint = (x, y, w, h, px) => {
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const X = x + i, Y = y + j;
        if (X >= c.width || Y >= c.height) continue;
        const d = (Y * c.width + X) * 4, s = px(i, j);
        c.rgba[d] = s[0]; c.rgba[d + 1] = s[1]; c.rgba[d + 2] = s[2]; c.rgba[d + 3] = 255;
        c.painted[Y * c.width + X] = 1;
      }
    }
  };
  const ctx = {
    canvas, fillStyle: '#000000',
    createImageData: (w, h) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData(img, x, y) { c.puts++; paint(x, y, img.width, img.height, (i, j) => { const s = (j * img.width + i) * 4; return [img.data[s], img.data[s + 1], img.data[s + 2]]; }); },
    fillRect(x, y, w, h) {
      c.fills++;
      let m = /^rgb\((\d+),(\d+),(\d+)\)$/.exec(this.fillStyle), rgb;
      if (m) rgb = [+m[1], +m[2], +m[3]];
      else if ((m = /^#([0-9a-f]{6})$/i.exec(this.fillStyle))) rgb = [0, 2, 4].map((k) => parseInt(m[1].substr(k, 2), 16));
      else rgb = [0, 0, 0];
      paint(x, y, w, h, () => rgb);
    },
    drawImage() {},
  };
  return { c, element: { getContext: () => ctx, style: {} } };
}

const relayLog = []; // connection errors seen by the relay shim, reported with the result

// Plays MeshCentral's /webrelay.ashx?p=2: TCP/TLS to the device, the
// redirection interceptor on both directions when serverauth=1.
function relayedSocketClass(o) {
  const { CreateRedirInterceptor } = require(path.join(mc, 'interceptor.js'));
  return class RelayedSocket {
    constructor(url) {
      const q = new URL(url).searchParams;
      this.binaryType = 'blob';
      this.readyState = 0;
      this.interceptor = q.get('serverauth') === '1' ? CreateRedirInterceptor({ user: o.user, pass: o.pass }) : null;
      const port = Number(q.get('port')), host = q.get('host');
      const onOpen = () => {
        if (q.get('tls') === '1' && sha256(this.sock.getPeerCertificate().raw) !== o.pin) { relayLog.push('pin mismatch'); this.sock.destroy(); return; }
        this.readyState = 1;
        this.onopen && this.onopen();
      };
      this.sock = q.get('tls') === '1'
        ? tls.connect({ host, port, rejectUnauthorized: false }, onOpen) // pinned in onOpen, as MeshCentral pins AMT
        : net.connect(port, host, onOpen);
      this.sock.on('data', (d) => {
        if (this.interceptor) d = this.interceptor.processAmtData(d);
        if (d.length && this.onmessage) this.onmessage({ data: d.buffer.slice(d.byteOffset, d.byteOffset + d.length) });
      });
      this.sock.on('error', (e) => relayLog.push(String(e.message)));
      this.sock.on('close', () => { this.readyState = 3; this.onclose && this.onclose(); });
    }
    send(buf) {
      let b = Buffer.from(buf instanceof ArrayBuffer ? new Uint8Array(buf) : buf);
      if (this.interceptor) b = this.interceptor.processBrowserData(b);
      if (b.length && this.readyState === 1) this.sock.write(b);
    }
    close() { this.readyState = 3; this.sock.destroy(); }
  };
}
function loadBrowserScripts(o, elements) {
  globalThis.window = { location: { protocol: 'https:', host: 'meshcentral.invalid', pathname: '/' } };
  globalThis.document = { getElementById: (id) => elements[id], createElement: () => makeCanvas().element.getContext().canvas };
  const WS = relayedSocketClass(o);
  WS.OPEN = 1;
  globalThis.WebSocket = WS;
  // the page's <script> order (views/default.handlebars); amt-0.2.0.js only for hex_md5
  for (const f of ['common-0.0.1.js', 'amt-0.2.0.js', 'amt-desktop-0.0.2.js', 'amt-terminal-0.0.2.js', 'zlib.js',
    'zlib-inflate.js', 'zlib-adler32.js', 'zlib-crc32.js', 'amt-redir-ws-0.1.0.js']) {
    const file = path.join(mc, 'public/scripts', f);
    vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
  }
}

// The page starts sessions as desk.Start(nodeid, 16994, '*', '*', 0): user and
// password '*' with serverauth, the server knowing the real password. With
// serverauth=false the browser code does the digest itself with the password.
function startRedir(redir, o) {
  const states = [];
  redir.onStateChanged = (r, s) => states.push(s);
  if (o.serverauth) redir.Start(o.host, o.port, '*', '*', o.tls ? 1 : 0);
  else redir.Start(o.host, o.port, o.user, o.pass, o.tls ? 1 : 0);
  return states;
}

// settled: open (3), or back to 0 after having started (refused, wrong password)
const opened = (redir, states) => redir.State === 3 || (redir.State === 0 && states.length > 1);

function screenText(html) {
  return html.replace(/<br>/g, '\n').replace(/<[^>]*>/g, '').replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
    .split('\n').map((l) => l.replace(/\s+$/, ''));
}

async function runSol(o) {
  const div = { innerHTML: '', style: {}, parentNode: { style: {} }, clientHeight: 525, scrollHeight: 0 };
  loadBrowserScripts(o, { Term: div });
  const term = global.CreateAmtRemoteTerminal('Term', {});
  const redir = global.CreateAmtRedirect(term, null);
  const states = startRedir(redir, o);
  const out = { states, relay: relayLog };
  out.open = await until(() => opened(redir, states), o.timeout || 8000) && redir.State === 3;
  const text = () => screenText(div.innerHTML).join('\n');
  if (out.open) {
    out.banner = await until(() => /\S/.test(text()), 5000);
    if (o.keys) {
      term.TermSendKeys(o.keys); // what a keystroke in the page sends
      out.expectSeen = await until(() => text().includes(o.expect), 5000);
    }
    out.during = o.ctl ? ctl(o.ctl, 'state', o.ctl.id) : null;
  }
  out.screen = screenText(div.innerHTML);
  out.finalState = redir.State;
  redir.Stop();
  return out;
}

async function runKvm(o) {
  const cv = makeCanvas();
  loadBrowserScripts(o, { Desk: cv.element });
  const desk = global.CreateAmtRemoteDesktop('Desk');
  const redir = global.CreateAmtRedirect(desk, null);
  const states = startRedir(redir, o);
  const out = { states, relay: relayLog };
  out.open = await until(() => opened(redir, states), o.timeout || 8000) && redir.State === 3;
  const covered = () => { let n = 0; for (const p of cv.c.painted) n += p; return n; };
  if (out.open) {
    out.width = desk.width; out.height = desk.height;
    // a full frame has arrived once every pixel was painted
    out.fullFrame = await until(() => cv.c.width > 0 && covered() === cv.c.width * cv.c.height, 10000);
    const colours = new Set();
    for (let i = 0; i < cv.c.rgba.length; i += 4) colours.add((cv.c.rgba[i] << 16) | (cv.c.rgba[i + 1] << 8) | cv.c.rgba[i + 2]);
    out.colours = colours.size;
    out.puts = cv.c.puts; out.fills = cv.c.fills; // raw/palette tiles vs solid tiles drawn
    if (o.key) {
      const before = Buffer.from(cv.c.rgba);
      // desktop.sendkey([[keysym, down], ...]) is what the page's keyboard handler calls
      desk.sendkey([[o.key.charCodeAt(0), 1], [o.key.charCodeAt(0), 0]]);
      out.changedAfterKey = await until(() => !before.equals(Buffer.from(cv.c.rgba)), 8000);
      let diff = 0;
      for (let i = 0; i < before.length; i += 4) if (before[i] !== cv.c.rgba[i] || before[i + 1] !== cv.c.rgba[i + 1] || before[i + 2] !== cv.c.rgba[i + 2]) diff++;
      out.pixelsChanged = diff;
    }
    out.during = o.ctl ? ctl(o.ctl, 'state', o.ctl.id) : null;
  }
  out.finalState = redir.State;
  redir.Stop();
  return out;
}

// MeshCentral's code logs with console.log; stdout carries only the result line
console.log = console.info = (...a) => process.stderr.write(a.join(' ') + '\n');

(async () => {
  const [cmd, json] = process.argv.slice(2);
  if (!fs.existsSync(path.join(mc, 'package.json'))) fail('npm package meshcentral is not installed (npm ci)');
  let o;
  try { o = JSON.parse(json || '{}'); } catch (e) { fail(`bad JSON: ${e.message}`); }
  const run = { wsman: runWsman, sol: runSol, kvm: runKvm }[cmd];
  if (!run) fail(`usage: ${path.basename(__filename)} wsman|sol|kvm JSON`);
  const guard = setTimeout(() => fail('timed out'), (o.limit || 40) * 1000);
  const out = await run(o);
  clearTimeout(guard);
  process.stdout.write('RESULT ' + JSON.stringify(out) + '\n');
  setTimeout(() => process.exit(0), 50); // MeshCentral's keep-alive timers and sockets are not ours to wait for
})().catch((e) => fail(e && e.stack || e));

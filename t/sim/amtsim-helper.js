// Shared helpers for the node TAP tests in t/sim: start/stop amtsim, call
// amtsimctl, a tiny TAP producer, and a WS-Man HTTP digest client written from
// (first request unauthenticated, 401, retry with digest).
'use strict';
const { spawn, execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const https = require('https');
const net = require('net');

const root = path.resolve(__dirname, '..', '..');
const build = process.env.BUILDDIR || root;
const bin = process.env.AMTSIM || path.join(build, 't/amtsim/amtsim');
const ctlbin = process.env.AMTSIMCTL || path.join(build, 't/amtsim/amtsimctl');

// ---- TAP ----
let n = 0, failed = 0;
function ok(cond, name, diag) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && diag !== undefined) console.log('# ' + String(diag).split('\n').join('\n# '));
  return !!cond;
}
function is(got, want, name) { return ok(got === want, name, `got: ${JSON.stringify(got)}\nwant: ${JSON.stringify(want)}`); }
function done() { console.log(`1..${n}`); process.exitCode = failed ? 1 : 0; }
function skipAll(why) { console.log(`1..0 # SKIP ${why}`); process.exit(0); }

function testCA() {
  const dir = process.env.AMTSIM_CA_DIR || path.join(build, 'build/test-ca');
  execFileSync(path.join(root, 't/amtsim/make-test-ca'), [dir]);
  return dir;
}

// ---- simulator ----
async function startSim(devices, opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amtsim-'));
  const ready = path.join(dir, 'ready'), sock = path.join(dir, 'ctl.sock'), log = path.join(dir, 'amtsim.log');
  let args = ['--ready-file', ready, '--control', sock, '-v'];
  for (const d of devices) args.push('--device', d);
  let cmd = bin;
  const wrapper = (process.env.AMTSIM_WRAPPER || '').split(' ').filter(Boolean);
  if (wrapper.length) { args = [...wrapper.slice(1), bin, ...args]; cmd = wrapper[0]; }
  const out = fs.openSync(log, 'w');
  const proc = spawn(cmd, args, { stdio: ['ignore', out, out] });
  let exited = null;
  proc.on('exit', (code, sig) => { exited = { code, sig }; });
  const limit = Date.now() + (wrapper.length ? 60000 : 10000);
  while (!(fs.existsSync(ready) && fs.statSync(ready).size > 0)) {
    if (exited) throw new Error('amtsim exited early: ' + fs.readFileSync(log, 'utf8'));
    if (Date.now() > limit) throw new Error('amtsim not ready');
    await sleep(50);
  }
  const sim = {
    dir, sock, log, proc,
    ctl(...a) {
      try { return { code: 0, out: execFileSync(ctlbin, [sock, ...a.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] }).toString() }; }
      catch (e) { return { code: e.status, out: (e.stdout || '').toString(), err: (e.stderr || '').toString() }; }
    },
    state(id) {
      const s = {};
      for (const l of this.ctl('state', id).out.split('\n')) { const m = /^(\w+)=(.*)$/.exec(l); if (m) s[m[1]] = m[2]; }
      return s;
    },
    async stop() {
      if (exited) return exited;
      proc.kill('SIGTERM');
      const lim = Date.now() + 60000;
      while (!exited && Date.now() < lim) await sleep(50);
      if (!exited) { proc.kill('SIGKILL'); await sleep(100); }
      if (failed) console.log('# amtsim log:\n# ' + fs.readFileSync(log, 'utf8').split('\n').slice(-60).join('\n# '));
      fs.rmSync(dir, { recursive: true, force: true });
      return exited;
    },
  };
  process.on('exit', () => { if (!exited) proc.kill('SIGKILL'); });
  return sim;
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');

// ---- WS-Man client ----
function rawPost(opt, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const mod = opt.tls ? https : http;
    const req = mod.request({
      host: opt.host, port: opt.port, path: opt.path || '/wsman', method: opt.method || 'POST',
      ca: opt.ca, agent: false,
      headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.setTimeout(15000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

class Wsman {
  constructor(opt) { this.opt = opt; this.nc = 0; this.challenge = null; }
  authHeader() {
    const c = this.challenge, o = this.opt;
    const nc = (++this.nc).toString(16).padStart(8, '0');
    const cnonce = crypto.randomBytes(8).toString('hex');
    const ha1 = md5(`${o.user}:${c.realm}:${o.pass}`), ha2 = md5('POST:/wsman');
    const resp = md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`);
    // DMT's exact shape: everything quoted, no spaces
    return `Digest username="${o.user}",realm="${c.realm}",nonce="${c.nonce}",uri="/wsman",response="${resp}",qop="auth",nc="${nc}",cnonce="${cnonce}"`;
  }
  async post(body) {
    if (this.challenge) {
      const r = await rawPost(this.opt, body, { Authorization: this.authHeader() });
      if (r.status !== 401) return r;
    }
    const r1 = await rawPost(this.opt, body);
    if (r1.status !== 401) return r1;
    const h = r1.headers['www-authenticate'] || '';
    const realm = /realm="([^"]*)"/.exec(h), nonce = /nonce="([^"]*)"/.exec(h);
    if (!realm || !nonce) return r1;
    this.challenge = { realm: realm[1], nonce: nonce[1] };
    this.nc = 0;
    return rawPost(this.opt, body, { Authorization: this.authHeader() });
  }
}

// namespace-agnostic property access on a response body
function props(xml, name) {
  const re = new RegExp(`<(?:\\w+:)?${name}>([^<]*)</(?:\\w+:)?${name}>`, 'g');
  const out = [];
  let m;
  while ((m = re.exec(xml))) out.push(m[1]);
  return out;
}
const prop = (xml, name) => props(xml, name)[0];
function faultSub(xml) { const m = /<(?:\w+:)?Subcode>\s*<(?:\w+:)?Value>([^<]*)</.exec(xml); return m ? m[1].replace(/^\w+:/, '') : null; }

// ---- raw redirection: 0x10 status for a session kind ----
function redirStart(host, port, kind) {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    let buf = Buffer.alloc(0), done = false;
    const finish = (v) => { if (!done) { done = true; s.destroy(); resolve(v); } };
    s.on('connect', () => s.write(Buffer.concat([Buffer.from(kind === 'kvm' ? [0x10, 1, 0, 0] : [0x10, 0, 0, 0]), Buffer.from(kind === 'kvm' ? 'KVMR' : 'SOL ')])));
    s.on('data', (d) => { buf = Buffer.concat([buf, d]); if (buf.length >= 13) finish(buf[1]); });
    s.on('close', () => finish('closed'));
    s.on('error', () => finish('error'));
    setTimeout(() => finish('timeout'), 3000);
  });
}

// wait until the device has noticed that our sessions are gone
async function waitIdle(sim, id, ms = 5000) {
  const lim = Date.now() + ms;
  while (Date.now() < lim) {
    const st = sim.state(id);
    if (st.sol_active === '0' && st.kvm_active === '0') return true;
    await sleep(30);
  }
  return false;
}

module.exports = { waitIdle, ok, is, done, skipAll, startSim, sleep, md5, Wsman, rawPost, props, prop, faultSub, redirStart, testCA, root };

#!/usr/bin/env node
// Measurement side of t/bench/relay-bench (see t/bench/README.md, "Relay benchmark").
// Everything here is bounded in time. Prints one JSON object on stdout.
//   node relay-bench-client.js CONFIG.json
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const WS = require(path.resolve(__dirname, '../../node_modules/ws'));

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const log = (...a) => process.stderr.write(`[bench] ${a.join(' ')}\n`);
const sleep = ms => new Promise(r => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

// ---------- CPU accounting from /proc/<pid>/stat (utime + stime, clock ticks) ----------
const HZ = 100;
function procs() {
    const out = [];
    for (const p of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(p)) continue;
        try {
            const s = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
            const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
            const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
            out.push({ pid: +p, comm, ppid: +f[1], ticks: +f[11] + +f[12], uticks: +f[11] });
        } catch (e) { /* gone */ }
    }
    return out;
}
// CPU seconds of a process and all its descendants (httpd parent + children,
// websockify + forks), in all and in user space, from one walk of /proc
function treeCpuSplit(root) {
    const all = procs(), kids = new Map();
    for (const p of all) { if (!kids.has(p.ppid)) kids.set(p.ppid, []); kids.get(p.ppid).push(p); }
    let t = 0, u = 0;
    const stack = all.filter(p => p.pid === root);
    while (stack.length) { const p = stack.pop(); t += p.ticks; u += p.uticks; for (const k of kids.get(p.pid) || []) stack.push(k); }
    return { all: t / HZ, user: u / HZ };
}
const treeCpu = root => treeCpuSplit(root).all;

// ---------- Redfish tokens ----------
let session = null;
async function token(sys, mode) {
    if (!session) {
        const r = await fetch(`${cfg.base}/redfish/v1/SessionService/Sessions`, { method: 'POST',
            headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ UserName: cfg.user, Password: cfg.password }) });
        session = r.headers.get('x-auth-token');
        if (r.status !== 201 || !session) throw new Error(`login ${r.status}`);
    }
    const r = await fetch(`${cfg.base}/redfish/v1/Systems/${sys}/Actions/Oem/IntelComputerSystem.GenerateRedirectionToken`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Auth-Token': session },
        body: JSON.stringify({ Mode: mode.toUpperCase() }) });
    const j = await r.json().catch(() => ({}));
    if (!r.ok || !j.RedirectionToken) throw new Error(`token ${sys} ${r.status}`);
    return j.RedirectionToken;
}
const relayUrl = (sys, mode, extra = '') => `${cfg.ws}/relay/webrelay.ashx?host=${sys}&mode=${mode}${extra}`;

// ---------- transports: a byte pipe over TCP or WebSocket ----------
function openWs(url, protocol) {
    return new Promise((resolve, reject) => {
        const ws = new WS.WebSocket(url, protocol ? [protocol] : [], { perMessageDeflate: false, maxPayload: 1 << 26 });
        const t = setTimeout(() => { ws.terminate(); reject(new Error('ws open timeout')); }, 15000);
        ws.binaryType = 'nodebuffer';
        ws.on('open', () => { clearTimeout(t); resolve(ws); });
        ws.on('unexpected-response', (req, res) => { clearTimeout(t); reject(new Error(`HTTP ${res.statusCode}`)); });
        ws.on('error', e => { clearTimeout(t); reject(e); });
    });
}
function pipeOf(kind, target) {
    // returns { send(buf), onData(cb), close(), closed: Promise<code> }
    return new Promise((resolve, reject) => {
        if (kind === 'tcp') {
            const s = net.connect(target.port, target.host);
            s.setNoDelay(true);
            s.once('error', reject);
            s.once('connect', () => {
                let closeCb;
                const closed = new Promise(r => { closeCb = r; });
                s.on('close', () => closeCb('tcp-close'));
                resolve({ send: b => s.write(b), onData: cb => s.on('data', cb), close: () => s.destroy(), closed, raw: s });
            });
        } else {
            openWs(target.url, target.protocol).then(ws => {
                let closeCb;
                const closed = new Promise(r => { closeCb = r; });
                ws.on('close', code => closeCb(code));
                ws.on('error', () => {});
                if (ws._socket) ws._socket.setNoDelay(true);
                resolve({ send: b => ws.send(b, { binary: true }), onData: cb => ws.on('message', d => cb(d)),
                          close: () => { try { ws.close(1000); } catch (e) {} setTimeout(() => ws.terminate(), 500); }, closed, raw: ws });
            }, reject);
        }
    });
}

// ---------- an AMT SOL client (for the raw tunnels: direct TCP, websockify, wstunnel) ----------
// 0x10 SOL, plain auth (type 1, amtsim offers it), 0x20 with RxTimeout 0 / Heartbeat 0,
// then 0x2A data frames are unwrapped; send() wraps 0x28. docs/redirection-protocol.md §3-§5.
async function amtSol(p, user, pass, emptyDigest = false) {
    let buf = Buffer.alloc(0), waiter = null, payload = null, seq = 0;
    p.onData(d => {
        buf = buf.length ? Buffer.concat([buf, d]) : Buffer.from(d);
        if (payload) drain();
        else if (waiter) waiter();
    });
    const need = n => new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`handshake timeout (have ${buf.length}, need ${n})`)), 10000);
        const chk = () => { if (buf.length >= n) { clearTimeout(t); waiter = null; const m = buf.subarray(0, n); buf = buf.subarray(n); res(m); } };
        waiter = chk; chk();
    });
    p.send(Buffer.from('10000000534f4c20', 'hex'));
    let m = await need(13);
    if (m[0] !== 0x11 || m[1] !== 0) throw new Error(`0x11 status ${m[1]}`);
    if (m[12]) await need(m[12]);
    const authReply = async () => { const h = await need(9), l = h.readUInt32LE(5); if (l) await need(l); return h; };
    if (emptyDigest) {
        // p=2, as the DMT ui-toolkit does it: digest with empty credentials; the relay
        // substitutes the device's (it refuses type 1 on a plain-TCP AMT connection)
        const empty = Buffer.from('13000000040800000000000000000000' + '00', 'hex');
        p.send(empty);
        m = await authReply();
        if (m[0] !== 0x14) throw new Error(`digest challenge type ${m[0]}`);
        p.send(empty);
    } else {
        const u = Buffer.from(user), pw = Buffer.from(pass);
        const a = Buffer.concat([Buffer.from([0x13, 0, 0, 0, 1, 0, 0, 0, 0, u.length]), u, Buffer.from([pw.length]), pw]);
        a.writeUInt32LE(2 + u.length + pw.length, 5);
        p.send(a);
    }
    m = await authReply();
    if (m[0] !== 0x14 || m[1] !== 0) throw new Error(`auth status ${m[1]}`);
    const s = Buffer.alloc(24);
    s[0] = 0x20; s.writeUInt32LE(seq++, 4); s.writeUInt16LE(10000, 8); s.writeUInt16LE(100, 10);
    s.writeUInt16LE(0, 12); s.writeUInt16LE(0, 14); s.writeUInt16LE(100, 16); s.writeUInt16LE(0, 18);
    p.send(s);
    m = await need(23);
    if (m[0] !== 0x21 || m[1] !== 0) throw new Error(`0x21 status ${m[1]}`);
    let dataCb = () => {};
    function drain() {
        for (;;) {
            if (!buf.length) return;
            const t = buf[0];
            let n;
            if (t === 0x2A) { if (buf.length < 10) return; n = 10 + buf.readUInt16LE(8); }
            else if (t === 0x29) n = 10;
            else if (t === 0x2B || t === 0x24 || t === 0x25 || t === 0x23) n = 8;
            else { n = buf.length; }
            if (buf.length < n) return;
            if (t === 0x2A) dataCb(buf.subarray(10, n));
            buf = buf.subarray(n);
        }
    }
    payload = true;
    return {
        onData: cb => { dataCb = cb; drain(); },
        send: d => { const h = Buffer.alloc(10); h[0] = 0x28; h.writeUInt32LE(seq++, 4); h.writeUInt16LE(d.length, 8); p.send(Buffer.concat([h, d])); },
        close: () => { const e = Buffer.alloc(8); e[0] = 0x22; e.writeUInt32LE(seq++, 4); try { p.send(e); } catch (x) {} setTimeout(() => p.close(), 100); },
    };
}

// A "plain" relay stream is already raw terminal bytes.
function rawStream(p) { return { onData: cb => p.onData(cb), send: d => p.send(d), close: () => p.close() }; }

async function openPath(kind, dev) {
    if (kind === 'relay') {
        const p = await pipeOf('ws', { url: relayUrl(dev.id, 'sol'), protocol: await token(dev.id, 'sol') });
        return { s: rawStream(p), p };
    }
    if (kind === 'relay-p2') {
        const p = await pipeOf('ws', { url: relayUrl(dev.id, 'sol', '&p=2&port=16994&tls=0'), protocol: await token(dev.id, 'sol') });
        return { s: await amtSol(p, '', '', true), p };
    }
    const target = kind === 'direct' ? { host: dev.addr, port: 16994 }
        : { url: dev.ws_url || (kind === 'websockify' ? cfg.websockify_url : cfg.wstunnel_url) };
    const p = await pipeOf(kind === 'direct' ? 'tcp' : 'ws', target);
    return { s: await amtSol(p, 'admin', dev.password), p };
}

// ---------- throughput: read the bulk device's SOL output for D seconds ----------
async function throughput(kind) {
    const dev = cfg.bulk;
    const { s, p } = await openPath(kind, dev);
    let bytes = 0, t0 = 0, counting = false, badLines = 0, tail = '';
    s.onData(d => {
        if (!counting) return;
        bytes += d.length;
        // integrity spot check: the stream is lines "amtsim bulk NNNNNNNNNN ABC...01234\r\n"
        if (Math.random() < 0.01) { const str = tail + d.toString('latin1'); const ls = str.split('\r\n'); ls.shift(); ls.pop();
            for (const l of ls) if (!/^amtsim bulk \d{10} ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01234$/.test(l)) badLines++; }
    });
    await sleep(500); // warm-up
    const pid = kind === 'websockify' ? cfg.websockify_pid : cfg.httpd_pid;
    const p0 = treeCpuSplit(pid), b0 = cfg.bridge_pid ? treeCpu(cfg.bridge_pid) : 0, me0 = process.cpuUsage();
    const s0 = treeCpu(cfg.bulk_sim_pid);
    counting = true; t0 = now();
    await sleep(cfg.tput_seconds * 1000);
    counting = false;
    const dt = (now() - t0) / 1000;
    const p1 = treeCpuSplit(pid), cpu = p1.all - p0.all, ucpu = p1.user - p0.user;
    const bcpu = cfg.bridge_pid ? treeCpu(cfg.bridge_pid) - b0 : 0;
    const me = process.cpuUsage(me0), scpu = treeCpu(cfg.bulk_sim_pid) - s0;
    s.close();
    await Promise.race([p.closed, sleep(2000)]);
    await sleep(700); // amtsim releases the SOL session
    const mb = bytes / 1e6;
    return { path: kind, seconds: +dt.toFixed(2), bytes, mb_per_s: +(mb / dt).toFixed(1),
             proxy_cpu_s: +cpu.toFixed(2), proxy_cpu_ms_per_mb: mb ? +(cpu * 1000 / mb).toFixed(3) : null,
             // the kernel's share (socket copies, TCP) is what no proxy code can remove
             proxy_user_ms_per_mb: mb ? +(ucpu * 1000 / mb).toFixed(3) : null,
             proxy_kernel_ms_per_mb: mb ? +((cpu - ucpu) * 1000 / mb).toFixed(3) : null,
             bridge_cpu_s: kind === 'wstunnel' ? +bcpu.toFixed(2) : undefined,
             client_cpu_s: +((me.user + me.system) / 1e6).toFixed(2), source_cpu_s: +scpu.toFixed(2), bad_lines: badLines };
}

// ---------- message rate: many small messages in flight ----------
// Interactive traffic (typing, a paste, pointer motion) is many small messages, where
// a proxy's per-message cost rules. Keystrokes 'a' and DEL alternate, one WebSocket
// message each, with up to MSG_WINDOW keystrokes sent but not yet echoed; the simulated
// console echoes 'a' as "a" and DEL as "\b \b", and every echoed byte is checked.
const MSG_WINDOW = 32, ECHO = 'a\b \b';
async function msgrate(kind) {
    const dev = cfg.msg[kind];
    const { s, p } = await openPath(kind, dev);
    let sent = 0, echoed = 0, pos = 0, bad = 0, live = false, sending = false;
    const keyA = Buffer.from('a'), keyDel = Buffer.from('\x7f');
    const echoedKeys = () => 2 * Math.floor(echoed / 4) + (echoed % 4 ? 1 : 0);
    const topUp = () => {
        while (sending && sent - echoedKeys() < MSG_WINDOW) s.send(sent++ % 2 ? keyDel : keyA);
    };
    s.onData(d => {
        if (!live) return; // banner and prompt
        for (let i = 0; i < d.length; i++, pos++) if (d[i] !== ECHO.charCodeAt(pos % 4)) bad++;
        echoed += d.length;
        topUp();
    });
    await sleep(1200);
    live = sending = true;
    topUp();
    await sleep(500); // warm-up
    const pid = kind === 'websockify' ? cfg.websockify_msg_pid : cfg.httpd_pid;
    const c0 = treeCpu(pid), k0 = echoedKeys(), me0 = process.cpuUsage(), t0 = now();
    await sleep(cfg.msg_seconds * 1000);
    const dt = (now() - t0) / 1000, keys = echoedKeys() - k0;
    const cpu = treeCpu(pid) - c0, me = process.cpuUsage(me0);
    sending = false;
    const dl = now() + 3000; // everything sent must come back
    while (echoedKeys() < sent && now() < dl) await sleep(20);
    const lost = sent - echoedKeys();
    s.close();
    await Promise.race([p.closed, sleep(2000)]);
    await sleep(700);
    return { path: kind, seconds: +dt.toFixed(2), messages: keys, msgs_per_s: Math.round(keys / dt),
             proxy_cpu_s: +cpu.toFixed(2), proxy_cpu_us_per_msg: keys ? +(cpu * 1e6 / keys).toFixed(2) : null,
             client_cpu_s: +((me.user + me.system) / 1e6).toFixed(2), window: MSG_WINDOW, bad_bytes: bad, lost };
}

// ---------- latency: 1-byte messages echoed by the simulated console ----------
// All paths are open at once (each to its own device) and measured in interleaved
// blocks of 100 samples, so that load spikes on a shared machine hit every path alike.
async function latencyAll(kinds) {
    const st = {};
    for (const k of kinds) {
        const { s, p } = await openPath(k, cfg.lat[k]);
        const x = { s, p, got: 0, want: 0, res: null, rtts: [] };
        s.onData(d => { x.got += d.length; if (x.res && x.got >= x.want) { const r = x.res; x.res = null; r(); } });
        st[k] = x;
    }
    await sleep(1200); // banner / prompt
    for (const k of kinds) st[k].got = 0;
    let i = 0;
    const one = async (x, keep) => {
        const ch = i % 2 === 0 ? 'a' : '\x7f';           // "a" echoes 1 byte, DEL echoes "\b \b"
        x.want += i % 2 === 0 ? 1 : 3;
        const t0 = now();
        const done = new Promise((res, rej) => { x.res = res; setTimeout(() => rej(new Error(`echo timeout at ${i}`)), 3000); });
        x.s.send(Buffer.from(ch, 'latin1'));
        await done;
        if (keep) x.rtts.push(now() - t0);
    };
    for (const k of kinds) for (i = 0; i < 100; i++) await one(st[k], false);   // warm-up
    for (let b = 0; b < cfg.lat_samples / 100; b++)
        for (const k of kinds) for (i = 0; i < 100; i++) await one(st[k], true);
    const out = {};
    for (const k of kinds) {
        const x = st[k];
        x.s.close();
        x.rtts.sort((a, b) => a - b);
        const q = f => x.rtts[Math.min(x.rtts.length - 1, Math.floor(f * x.rtts.length))];
        out[k] = { path: k, samples: x.rtts.length, p50_ms: +q(0.5).toFixed(3), p90_ms: +q(0.9).toFixed(3),
                   p99_ms: +q(0.99).toFixed(3), max_ms: +x.rtts[x.rtts.length - 1].toFixed(3) };
    }
    await sleep(1500);
    return out;
}

// ---------- 200 concurrent SOL streams, one per device, held ----------
async function concurrent() {
    const devs = cfg.many;
    const st = { streams: devs.length, opened: 0, open_errors: [], closed_early: 0, echo_ok: 0, echo_fail: 0, hold_s: cfg.hold_seconds };
    const streams = [];
    const t0 = now();
    // tokens first (one Redfish session), then connect in batches of 20
    const toks = [];
    for (const d of devs) toks.push(await token(d.id, 'sol').catch(e => { st.open_errors.push(String(e.message)); return null; }));
    st.token_s = +((now() - t0) / 1000).toFixed(1);
    for (let i = 0; i < devs.length; i += 20) {
        await Promise.all(devs.slice(i, i + 20).map(async (d, j) => {
            const tk = toks[i + j];
            if (!tk) return;
            try {
                const p = await pipeOf('ws', { url: relayUrl(d.id, 'sol'), protocol: tk });
                const x = { d, p, text: '', closed: false };
                p.onData(b => { x.text += b.toString('latin1'); if (x.text.length > 4096) x.text = x.text.slice(-2048); });
                p.closed.then(code => { x.closed = code; });
                streams.push(x);
                st.opened++;
            } catch (e) { st.open_errors.push(`${d.id}: ${e.message}`); }
        }));
    }
    st.open_s = +((now() - t0) / 1000).toFixed(1);
    const c0 = treeCpu(cfg.httpd_pid);
    const hold0 = now();
    let round = 0;
    while (now() - hold0 < cfg.hold_seconds * 1000) {
        // every 10 s each stream runs "echo <device>-<round>" and must show the output within 5 s
        round++;
        const tag = `r${round}`;
        for (const x of streams) if (x.closed === false) x.p.send(Buffer.from(`echo ${x.d.addr}-${tag}\r`));
        const dl = now() + 5000;
        while (now() < dl && streams.some(x => x.closed === false && x.text.split(`${x.d.addr}-${tag}`).length < 3)) await sleep(100);
        for (const x of streams) {
            if (x.closed === false && x.text.split(`${x.d.addr}-${tag}`).length >= 3) st.echo_ok++;
            else st.echo_fail++;
        }
        const left = cfg.hold_seconds * 1000 - (now() - hold0);
        await sleep(Math.max(0, Math.min(10000 - (now() - (dl - 5000)), left)));
    }
    st.hold_measured_s = +((now() - hold0) / 1000).toFixed(1);
    st.rounds = round;
    st.closed_early = streams.filter(x => x.closed !== false).length;
    st.closed_codes = [...new Set(streams.filter(x => x.closed !== false).map(x => x.closed))];
    st.httpd_cpu_s_during_hold = +(treeCpu(cfg.httpd_pid) - c0).toFixed(2);
    st.httpd_rss_mb = +(procTreeRss(cfg.httpd_pid) / 1024).toFixed(1);
    for (const x of streams) x.p.close();
    await sleep(1500);
    st.errors = st.open_errors.length + st.closed_early + st.echo_fail + (devs.length - st.opened);
    st.open_errors = st.open_errors.slice(0, 5);
    return st;
}
function procTreeRss(root) {
    const all = procs();
    let kb = 0;
    for (const p of all) if (p.pid === root || p.ppid === root) {
        try { const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8')); if (m) kb += +m[1]; } catch (e) {}
    }
    return kb;
}

(async () => {
    const res = { started: new Date().toISOString(), config: { tput_seconds: cfg.tput_seconds, lat_samples: cfg.lat_samples,
        hold_seconds: cfg.hold_seconds, streams: cfg.many.length, cpus: require('os').cpus().length } };
    const guard = setTimeout(() => { res.error = 'global time limit'; console.log(JSON.stringify(res)); process.exit(2); }, cfg.limit_seconds * 1000);
    const step = async (name, fn) => {
        log(`${name} ...`);
        try { return await fn(); } catch (e) { log(`${name} failed: ${e.stack || e}`); return { error: String(e.message || e) }; }
    };
    res.throughput = {};
    for (const k of ['relay', 'wstunnel', 'websockify', 'relay-p2'])
        if (!cfg.only || cfg.only.includes(k)) res.throughput[k] = await step(`throughput ${k}`, () => throughput(k));
    res.msgrate = {};
    for (const k of ['relay', 'websockify', 'relay-p2', 'wstunnel'])
        if (!cfg.only || cfg.only.includes('msg')) res.msgrate[k] = await step(`message rate ${k}`, () => msgrate(k));
    if (!cfg.only || cfg.only.includes('lat')) res.latency = await step('latency (interleaved)', () => latencyAll(['direct', 'relay', 'wstunnel']));
    if (!cfg.only || cfg.only.includes('many')) res.concurrent = await step(`${cfg.many.length} concurrent SOL streams`, concurrent);
    clearTimeout(guard);
    console.log(JSON.stringify(res));
    setTimeout(() => process.exit(0), 100);
})();

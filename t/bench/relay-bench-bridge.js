#!/usr/bin/env node
// Backend of the mod_proxy_wstunnel leg of t/bench/relay-bench: a minimal
// WebSocket server (npm `ws`, binary frames, no deflate) that pipes each
// connection to a TCP target (amtsim's redirection port) - websockify's job, in
// node, so that the wstunnel leg is not limited by websockify's speed.
//   node relay-bench-bridge.js LISTEN_PORT TARGET_PORT DEFAULT_HOST [NAME=HOST ...]
// A request path ending in /NAME goes to HOST (mod_proxy_wstunnel keeps the path).
'use strict';
const net = require('net');
const path = require('path');
const WS = require(path.resolve(__dirname, '../../node_modules/ws'));
const [port, tport, host, ...routes] = process.argv.slice(2);
const byName = new Map(routes.map(r => r.split('=')));
const wss = new WS.WebSocketServer({ host: '127.0.0.1', port: +port, perMessageDeflate: false, maxPayload: 1 << 26 });
wss.on('connection', (ws, req) => {
    const name = req.url.replace(/^.*\//, '');
    const s = net.connect(+tport, byName.get(name) || host);
    s.setNoDelay(true);
    ws._socket.setNoDelay(true);
    s.on('data', d => {
        ws.send(d, { binary: true });
        if (ws.bufferedAmount > 1 << 20) { s.pause(); const t = setInterval(() => { if (ws.bufferedAmount < 1 << 18) { clearInterval(t); s.resume(); } }, 2); }
    });
    s.on('close', () => ws.close());
    s.on('error', () => ws.terminate());
    ws.on('message', d => s.write(d));
    ws.on('close', () => s.destroy());
    ws.on('error', () => s.destroy());
});
// bounded: never outlive the bench by much
setTimeout(() => process.exit(0), 30 * 60 * 1000).unref();

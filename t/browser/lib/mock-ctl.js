#!/usr/bin/env node
// amtsimctl look-alike for mock-demo.js: mock-ctl.js PORT VERB ID
'use strict';
const http = require('http');
const [port, verb, id, ...args] = process.argv.slice(2);
http.get({ host: '127.0.0.1', port, path: `/ctl/${verb}/${id}?text=${encodeURIComponent(args.join(' '))}` }, res => {
    let b = '';
    res.on('data', c => { b += c; });
    res.on('end', () => { process.stdout.write(b); process.exit(res.statusCode === 200 ? 0 : 1); });
}).on('error', e => { console.error(e.message); process.exit(2); });

#!/usr/bin/env node
// Drives stock noVNC or xterm.js in headless Chromium (playwright-core, Debian's
// /usr/bin/chromium) against the relay, and prints ONE JSON object with what it
// measured. The assertions are in t/relay/clients.t.
//   node browser.js '{"mode":"novnc"|"xterm","base":"http://localhost:8529",
//                     "ws":"ws://localhost:8529/relay/webrelay.ashx?...","token":"...","word":"..."}'
'use strict';
const path = require('path');
const { chromium } = require(path.resolve(__dirname, '../../node_modules/playwright-core'));

const cfg = JSON.parse(process.argv[2]);
const out = { mode: cfg.mode, errors: [] };
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function until(fn, ms, step = 150) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) return null;
        await sleep(step);
    }
}

async function novnc(page) {
    await page.evaluate(([u, t]) => window.startVnc(u, t), [cfg.ws, cfg.token]);
    out.connected = !!(await until(() => page.evaluate(() =>
        window.relayTest.events.some(e => e.ev === 'connect' || e.ev === 'disconnect')), 15000));
    out.events = await page.evaluate(() => window.relayTest.events);
    // wait for the first full framebuffer: several 16-px bands with more than one colour
    const stats = await until(async () => {
        const s = await page.evaluate(() => window.vncStats());
        return s && s.rows.filter(r => r.colours > 1).length >= 2 ? s : null;
    }, 15000);
    const s = stats || await page.evaluate(() => window.vncStats());
    out.width = s ? s.width : 0;
    out.height = s ? s.height : 0;
    out.text_rows = s ? s.rows.filter(r => r.colours > 1).length : 0;
    out.rows = s ? s.rows.length : 0;
    out.max_colours = s ? Math.max(...s.rows.map(r => r.colours)) : 0;
    if (!stats) return;
    await sleep(500); // let incremental updates settle before the "before" snapshot
    const before = await page.evaluate(() => window.vncSnap());
    // real keyboard events into the page: noVNC's own keyboard handler turns them into RFB KeyEvents
    await page.evaluate(() => window.relayTest.rfb.focus());
    await page.locator('#screen canvas').click({ position: { x: 5, y: 5 } }).catch(() => {});
    await page.keyboard.type(`echo ${cfg.word}`, { delay: 20 });
    await page.keyboard.press('Enter');
    const diff = await until(async () => {
        const d = await page.evaluate(b => window.vncDiff(b, window.vncSnap(), window.vncCanvas().width), before);
        return d.total > 0 ? d : null;
    }, 10000);
    await sleep(700);
    out.diff = await page.evaluate(b => window.vncDiff(b, window.vncSnap(), window.vncCanvas().width), before);
    out.diff_seen = !!diff;
    out.events = await page.evaluate(() => window.relayTest.events);
}

async function xterm(page) {
    await page.evaluate(([u, t]) => window.startSol(u, t), [cfg.ws, cfg.token]);
    const open = await until(() => page.evaluate(() => window.relayTest.events.find(e => e.ev !== undefined)), 10000);
    out.first_event = open;
    out.protocol_echoed = !!(open && open.protocol === cfg.token);
    if (!open || open.ev !== 'open') return;
    await page.locator('#term').click();
    await page.keyboard.type(`echo ${cfg.word}`, { delay: 15 });
    await page.keyboard.press('Enter');
    const lines = await until(async () => {
        const l = await page.evaluate(() => window.termLines());
        return l.some(x => x.trim() === cfg.word) ? l : null;
    }, 10000);
    out.lines = (lines || await page.evaluate(() => window.termLines())).filter(x => x.trim() !== '');
    out.output_line_found = !!lines;
    out.rx_bytes = await page.evaluate(() => window.relayTest.rx);
    out.events = await page.evaluate(() => window.relayTest.events);
}

(async () => {
    const timer = setTimeout(() => { out.errors.push('timeout'); console.log(JSON.stringify(out)); process.exit(2); }, 60000);
    const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
        const page = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
        page.on('pageerror', e => out.errors.push(String(e)));
        page.on('console', m => { if (m.type() === 'error') out.errors.push('console: ' + m.text()); });
        const resp = await page.goto(`${cfg.base}/relay-js/${cfg.mode}.html`);
        out.page_status = resp ? resp.status() : 0;
        out.page_ready = !!(await until(() => page.evaluate(() => window.relayTestReady === true), 10000));
        if (out.page_ready) await (cfg.mode === 'novnc' ? novnc(page) : xterm(page));
        if (cfg.shot) await page.screenshot({ path: cfg.shot }).catch(() => {});
    } catch (e) {
        out.errors.push(String(e && e.stack || e));
    } finally {
        clearTimeout(timer);
        await browser.close().catch(() => {});
    }
    console.log(JSON.stringify(out));
})();

// Shared helpers for the headless-Chromium console tests (t/browser/*.t):
// a tiny TAP producer, the demo facts, the browser, screenshots, the
// simulator's control channel and the KVM canvas pixel checks.
'use strict';
const fs = require('fs');
const path = require('path');
const { execSync } = require('child_process');
const { chromium } = require('playwright-core');

const SRC = path.resolve(__dirname, '../../..');
const ARTIFACTS = process.env.RFAMT_BROWSER_ARTIFACTS || path.join(SRC, 'build/test-artifacts/browser');

// ---------- TAP ----------
class Tap {
    constructor() { this.n = 0; this.failed = 0; }
    ok(cond, name, diag) {
        this.n++;
        if (!cond) this.failed++;
        console.log(`${cond ? 'ok' : 'not ok'} ${this.n} - ${name}`);
        if (!cond) console.error(`#   Failed test '${name}'`);
        if (!cond && diag !== undefined) this.diag(diag, true);
        return !!cond;
    }
    is(got, want, name) { return this.ok(got === want, name, `got: ${JSON.stringify(got)}\nwant: ${JSON.stringify(want)}`); }
    // Failure details go to stderr, so prove shows them without -v.
    diag(msg, failure = false) { for (const l of String(msg).split('\n')) (failure ? console.error : console.log)(`# ${l}`); }
    done() { console.log(`1..${this.n}`); process.exitCode = this.failed ? 1 : 0; }
    bail(msg) { console.log(`Bail out! ${msg}`); process.exit(255); }
}

// Runs an async test body with the browser, always closing it and printing the plan.
async function run(body) {
    const t = new Tap();
    let browser = null;
    const timer = setTimeout(() => { t.ok(false, 'test finished within its time limit'); t.done(); process.exit(1); },
        (+process.env.RFAMT_BROWSER_TIMEOUT || 150) * 1000);
    try {
        const demo = loadDemo();
        browser = await launch();
        const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 720 } });
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', e => errors.push(String(e && e.stack || e)));
        page.on('console', m => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
        const httpErrors = [];
        page.on('response', r => { if (r.status() >= 400 && /\/console\//.test(r.url())) httpErrors.push(`${r.status()} ${r.url()}`); });
        t.context = { page, httpErrors, errors };
        await body({ t, demo, browser, context, page, errors });
        const jsErrors = errors.filter(e => !/WebSocket connection to .* failed|Failed to load resource/.test(e));
        t.ok(jsErrors.length === 0, 'no uncaught JavaScript errors in the console', jsErrors.join('\n'));
    } catch (e) {
        t.ok(false, `test body ran without throwing: ${e && e.message ? e.message.split('\n')[0] : e}`, e && e.stack);
        if (t.context) {
            if (t.context.httpErrors.length) t.diag(`console files that failed to load:\n${t.context.httpErrors.slice(0, 10).join('\n')}`, true);
            const boot = await t.context.page.textContent('#boot-error').catch(() => null);
            if (boot) t.diag(`page says: ${boot}`, true);
            await shot(t.context.page, `zz-failure-${path.basename(process.argv[1], '.t')}`).catch(() => {});
        }
    } finally {
        clearTimeout(timer);
        if (browser) await browser.close().catch(() => {});
        t.done();
    }
}

// ---------- demo ----------
function loadDemo() {
    const f = process.env.RFAMT_DEMO_JSON || path.join(SRC, 'build/demo/demo.json');
    const d = JSON.parse(fs.readFileSync(f, 'utf8'));
    d.acm = d.devices.find(x => x.control_mode === 'ACM');
    d.ccm = d.devices.find(x => x.control_mode === 'CCM');
    return d;
}

// Talk to the simulator's control channel through the command demo.json gives
// for consent codes ("<ctl> <socket> code <id>"), swapping the verb.
function ctl(dev, verb, ...args) {
    const q = a => `'${String(a).replace(/'/g, `'\\''`)}'`;
    const cmd = dev.consent_code_cmd.replace(/(^|[\s/])code(\s)/, `$1${verb}$2`) + args.map(a => ' ' + q(a)).join('');
    const out = execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10000 });
    return out.replace(/^ok\n/, '');
}
function consentCode(dev) {
    const m = ctl(dev, 'code').match(/\b(\d{6})\b/);
    if (!m) throw new Error('no consent code from the simulator');
    return m[1];
}
function screenText(dev) {
    return ctl(dev, 'screen').split('\n').slice(0, 25);
}

// ---------- browser ----------
async function launch() {
    return chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
            '--disable-dev-shm-usage', '--use-gl=swiftshader', '--enable-unsafe-swiftshader'],
    });
}

function shot(page, name, opts = {}) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const f = path.join(ARTIFACTS, `${name}.png`);
    return page.screenshot({ path: f, ...opts }).then(() => f);
}

async function login(page, demo, t) {
    await page.goto(demo.url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#login-user', { timeout: 15000 });
    await page.fill('#login-user', demo.user);
    await page.fill('#login-password', demo.password);
    await page.click('#login-submit');
    await page.waitForSelector('#systems-table tbody tr[data-system]', { timeout: 20000 });
    if (t) t.ok(true, `logged in as ${demo.user}`);
}

async function until(fn, { timeout = 15000, interval = 250 } = {}) {
    const end = Date.now() + timeout;
    let last;
    for (;;) {
        try { last = await fn(); } catch (e) { last = undefined; }
        if (last) return last;
        if (Date.now() > end) return last;
        await new Promise(r => setTimeout(r, interval));
    }
}

// ---------- KVM canvas ----------
// Geometry of the simulator's text screen (t/amtsim/amtsim.h): 80x25 cells of
// 9x16 pixels; a glyph is 5 columns wide (x 2..6) and 14 rows high (y 1..14);
// the cursor bar is y 14..15, so ink is read from y 1..13.
const GEOM = { cols: 80, rows: 25, cw: 9, ch: 16, x0: 2, x1: 6, y0: 1, y1: 13 };

// Returns { w, h, bg, distinct, map: [rowString...] } with '#' for a cell with
// ink and '.' for an empty one, read from the noVNC canvas with getImageData.
async function canvasInk(page) {
    return page.evaluate(G => {
        const c = document.querySelector('#kvm-screen canvas');
        if (!c || !c.width) return null;
        const ctx = c.getContext('2d', { willReadFrequently: true });
        const w = c.width, h = c.height;
        const d = ctx.getImageData(0, 0, w, h).data;
        const counts = new Map();
        for (let i = 0; i < d.length; i += 4 * 7) {
            const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
            counts.set(k, (counts.get(k) || 0) + 1);
        }
        let bg = 0, best = -1;
        for (const [k, n] of counts) if (n > best) { best = n; bg = k; }
        const br = bg >> 16, bgc = (bg >> 8) & 255, bb = bg & 255;
        const map = [];
        for (let r = 0; r < G.rows; r++) {
            let s = '';
            for (let col = 0; col < G.cols; col++) {
                let ink = 0;
                for (let y = r * G.ch + G.y0; y <= r * G.ch + G.y1 && y < h; y++) {
                    for (let x = col * G.cw + G.x0; x <= col * G.cw + G.x1 && x < w; x++) {
                        const i = (y * w + x) * 4;
                        if (Math.abs(d[i] - br) + Math.abs(d[i + 1] - bgc) + Math.abs(d[i + 2] - bb) > 60) ink++;
                    }
                }
                s += ink > 0 ? '#' : '.';
            }
            map.push(s);
        }
        return { w, h, bg: bg.toString(16).padStart(6, '0'), distinct: counts.size, map };
    }, GEOM);
}

// Compares the ink map with the text the simulator says is on its screen.
// Returns { cells, inkCells, mismatches: [{r,c,want,got}] }.
function compareInk(ink, lines, skipRows = []) {
    const out = { cells: 0, inkCells: 0, textCells: 0, mismatches: [] };
    for (let r = 0; r < GEOM.rows; r++) {
        if (skipRows.includes(r)) continue;
        const line = (lines[r] || '').padEnd(GEOM.cols, ' ');
        for (let c = 0; c < GEOM.cols; c++) {
            const want = line[c] !== ' ';
            const got = ink.map[r][c] === '#';
            out.cells++;
            if (want) out.textCells++;
            if (got) out.inkCells++;
            if (want !== got) out.mismatches.push({ r, c, want: line[c], got });
        }
    }
    return out;
}

module.exports = {
    SRC, ARTIFACTS, Tap, run, loadDemo, ctl, consentCode, screenText, launch, shot, login, until,
    GEOM, canvasInk, compareInk,
};

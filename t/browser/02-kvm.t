#!/usr/bin/env node
// KVM through the relay with stock noVNC: the simulator's text screen is in
// the canvas (cell-by-cell pixel check against the simulator's own screen
// dump), typed text appears, special keys/scale/fullscreen are offered, and a
// second viewer is refused with a clear message while the first is live.
'use strict';
const { run, shot, login, until, ctl, screenText, canvasInk, compareInk } = require('./lib/common.js');

async function inkMatches(page, dev, skipRows = []) {
    let last = null;
    const ok = await until(async () => {
        const ink = await canvasInk(page);
        if (!ink) return false;
        const lines = screenText(dev);
        last = { ink, lines, cmp: compareInk(ink, lines, skipRows) };
        return last.cmp.mismatches.length === 0 && last.cmp.textCells > 0;
    }, { timeout: 20000, interval: 500 });
    return { ok, ...last };
}

function explain(res) {
    if (!res || !res.ink) return 'no canvas';
    const m = res.cmp.mismatches.slice(0, 10).map(x => `row ${x.r} col ${x.c}: text '${x.want}' ink ${x.got}`);
    return [`canvas ${res.ink.w}x${res.ink.h} bg #${res.ink.bg}, ${res.cmp.mismatches.length} mismatching cells`, ...m,
        'screen:', ...res.lines.map(l => `|${l}`), 'ink:', ...res.ink.map.map(l => `|${l}`)].join('\n');
}

run(async ({ t, demo, page, context }) => {
    const dev = demo.acm;
    await login(page, demo, t);
    await page.click(`#systems-table tr[data-system="${dev.system_id}"] a.btn`);
    await page.waitForSelector('#toggle-kvm', { timeout: 15000 });
    t.ok(await page.isVisible('button[data-reset]'), 'system page offers power actions');
    await shot(page, '03-system-overview');

    await page.click('#tab-kvm');
    const state = await until(async () => {
        const s = await page.getAttribute('#kvm-state', 'data-state');
        return s === 'connected' || s === 'failed' ? s : null;
    }, { timeout: 30000 });
    if (!t.is(state, 'connected', 'KVM viewer connects to the ACM device')) {
        t.diag(await page.textContent('#kvm-msg').catch(() => ''));
    }
    // Known text on the host screen (the simulator prints it as the host would).
    ctl(dev, 'type', 'Browser test:', `screen-${Date.now() % 100000}`);
    const first = await inkMatches(page, dev);
    t.ok(first.ok, 'the canvas shows the simulator screen text, cell by cell', explain(first));
    t.ok(first.ink && first.ink.w === 720 && first.ink.h === 400, 'canvas has the 720x400 framebuffer', first.ink && `${first.ink.w}x${first.ink.h}`);
    t.ok(first.cmp && first.cmp.textCells >= 20, `screen has text to compare (${first.cmp && first.cmp.textCells} cells)`);
    const fit = await page.evaluate(() => {
        const r = document.querySelector('#kvm-screen canvas').getBoundingClientRect();
        return { noHScroll: document.scrollingElement.scrollWidth <= innerWidth, inView: r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth, w: r.width, h: r.height };
    });
    t.ok(fit.noHScroll && fit.inView, `at 1280x720 the whole remote screen is visible (${Math.round(fit.w)}x${Math.round(fit.h)})`, JSON.stringify(fit));
    await shot(page, '04-kvm');

    // Type into the remote screen through noVNC's keyboard handling.
    const marker = `kvm${Math.floor(Math.random() * 90000) + 10000}`;
    const before = screenText(dev);
    const beforeInk = await canvasInk(page);
    await page.click('#kvm-screen canvas', { position: { x: 5, y: 5 } });
    await page.keyboard.type(`echo ${marker}`, { delay: 30 });
    await page.keyboard.press('Enter');
    const lines = await until(() => { const l = screenText(dev); return l.some(x => x.trim() === marker) ? l : null; }, { timeout: 15000 });
    t.ok(lines, 'typed command reached the host and it answered', (lines || screenText(dev)).join('\n'));
    const after = await inkMatches(page, dev);
    t.ok(after.ok, 'the canvas shows the typed text and its output', explain(after));
    if (lines && beforeInk && after.ink) {
        const row = lines.findIndex(x => x.trim() === marker);
        const col = lines[row].indexOf(marker);
        const was = beforeInk.map[row].slice(col, col + marker.length);
        const now = after.ink.map[row].slice(col, col + marker.length);
        const scrolled = before.join('\n') !== lines.slice(0, before.length).join('\n') && row < before.length - 1;
        t.ok(now === '#'.repeat(marker.length) && (scrolled || was !== now),
            `the output row changed in the canvas (before ${was}, after ${now})`);
    }
    await shot(page, '05-kvm-typed');

    t.ok(await page.isVisible('#kvm-cad'), 'Ctrl+Alt+Del button is offered');
    const keys = await page.$$eval('#kvm-keys option', o => o.map(x => x.textContent));
    t.ok(keys.some(k => /F12/.test(k)) && keys.some(k => /Alt\+Tab/.test(k)), 'special keys menu offers F12, Alt+Tab and more');
    t.ok(await page.isVisible('#kvm-scale') && await page.isVisible('#kvm-fullscreen'), 'scale and fullscreen controls are offered');
    await page.focus('#kvm-screen canvas');
    await page.keyboard.press('Shift+Escape');
    t.ok(await page.evaluate(() => document.activeElement && document.activeElement.id === 'kvm-disconnect'),
        'Shift+Esc leaves the remote screen for the toolbar (keyboard users are not trapped)');
    await page.click('#kvm-cad');
    t.is(await page.getAttribute('#kvm-state', 'data-state'), 'connected', 'still connected after sending Ctrl+Alt+Del');

    // A second viewer while this one is live is refused with a clear reason.
    const page2 = await context.newPage();
    await login(page2, demo);
    await page2.goto(`${demo.url}#/systems/${encodeURIComponent(dev.system_id)}/kvm`);
    const st2 = await until(async () => {
        const s = await page2.getAttribute('#kvm-state', 'data-state');
        return s === 'connected' || s === 'failed' ? s : null;
    }, { timeout: 30000 });
    const msg2 = (await page2.textContent('#kvm-msg').catch(() => '')) || '';
    t.ok(st2 === 'failed' && /already live on this device/i.test(msg2),
        'a second KVM viewer is refused: "another session is live"', `${st2}: ${msg2}`);
    await shot(page2, '06-kvm-busy');
    await page2.close();
    t.is(await page.getAttribute('#kvm-state', 'data-state'), 'connected', 'the first viewer is not taken over');
});

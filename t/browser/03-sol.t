#!/usr/bin/env node
// SOL through the relay in xterm.js: type a command, read its output.
'use strict';
const { run, shot, login, until } = require('./lib/common.js');

run(async ({ t, demo, page }) => {
    const dev = demo.acm;
    await login(page, demo, t);
    await page.goto(`${demo.url}#/systems/${encodeURIComponent(dev.system_id)}/sol`);
    const state = await until(async () => {
        const s = await page.getAttribute('#sol-state', 'data-state');
        return s === 'connected' || s === 'failed' ? s : null;
    }, { timeout: 30000 });
    if (!t.is(state, 'connected', 'serial console connects to the ACM device')) t.diag(await page.textContent('#sol-msg').catch(() => ''));
    t.ok(await page.isVisible('#sol-screen .xterm'), 'xterm.js terminal is shown');

    const termText = () => page.$$eval('#sol-screen .xterm-rows > div', rows => rows.map(r => r.textContent.replace(/\u00a0/g, ' ').trimEnd()));
    const marker = `sol${Math.floor(Math.random() * 90000) + 10000}`;
    await page.click('#sol-screen');
    await page.keyboard.press('Enter');
    await page.keyboard.type(`echo ${marker}`, { delay: 25 });
    await page.keyboard.press('Enter');
    const rows = await until(async () => { const r = await termText(); return r.some(l => l.trim() === marker) ? r : null; }, { timeout: 15000 });
    t.ok(rows, `the command's output "${marker}" is read back from the terminal`, rows ? '' : (await termText()).join('\n'));
    if (rows) {
        const i = rows.findIndex(l => l.trim() === marker);
        t.ok(i > 0 && rows[i - 1].includes(`echo ${marker}`), 'the echoed command line precedes its output');
    }
    await page.keyboard.type('uname', { delay: 25 });
    await page.keyboard.press('Enter');
    const un = await until(async () => { const r = await termText(); return r.some(l => /amtsim-host/.test(l)); }, { timeout: 15000 });
    t.ok(un, 'a second command (uname) answers too');
    await shot(page, '07-sol');

    await page.click('#sol-disconnect');
    const closed = await until(async () => (await page.getAttribute('#sol-state', 'data-state')) === 'closed', { timeout: 10000 });
    t.ok(closed, 'Disconnect closes the serial console');
});

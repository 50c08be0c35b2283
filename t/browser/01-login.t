#!/usr/bin/env node
// Console login: a wrong password is refused with a visible message, a good
// one shows the systems list with power, KVM, SOL and consent state.
'use strict';
const { run, shot, login, until } = require('./lib/common.js');

run(async ({ t, demo, page }) => {
    await page.goto(demo.url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#login-user', { timeout: 15000 });
    t.ok(await page.isVisible('form.login-form'), 'login form is shown');
    t.ok(await page.evaluate(() => document.activeElement && document.activeElement.id === 'login-user'),
        'focus starts on the user name field');

    // Keyboard only: type, Tab to the password, Enter submits.
    await page.keyboard.type(demo.user);
    await page.keyboard.press('Tab');
    t.ok(await page.evaluate(() => document.activeElement.id === 'login-password'), 'Tab moves from user name to password');
    await page.keyboard.type(demo.password + '-wrong');
    await page.keyboard.press('Enter');
    const msg = await until(async () => {
        const el = await page.$('#login-msg:not([hidden])');
        return el && (await el.textContent()).trim();
    });
    t.ok(msg && /not correct|invalid|password/i.test(msg), 'a wrong password is refused with a visible message', msg);
    t.ok(!(await page.evaluate(() => sessionStorage.getItem('rfamt.session'))), 'no session stored after a refused login');
    await shot(page, '01-login-refused');

    await login(page, demo, t);
    await shot(page, '02-systems');
    const rows = await page.$$eval('#systems-table tbody tr[data-system]', trs => trs.map(tr => ({
        id: tr.dataset.system,
        cols: Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map(td => [td.dataset.col, td.textContent.trim()])),
    })));
    t.is(rows.length, demo.devices.length, `systems list shows all ${demo.devices.length} devices`);
    for (const dev of demo.devices) {
        const row = rows.find(r => r.id === dev.system_id);
        t.ok(row, `row for ${dev.control_mode} device ${dev.system_id}`);
        if (!row) continue;
        t.is(row.cols.mode, dev.control_mode, `${dev.control_mode} row shows its control mode`);
        t.ok(/^(On|Off|PoweringOn|PoweringOff|Paused)$/.test(row.cols.power || ''), `${dev.control_mode} row shows power state (${row.cols.power})`);
        t.ok(/^(Enabled|Disabled|PendingConsent|Active|Error)$/.test(row.cols.kvm || ''), `${dev.control_mode} row shows KVM state (${row.cols.kvm})`);
        t.ok(/^(Enabled|Disabled|PendingConsent|Active|Error)$/.test(row.cols.sol || ''), `${dev.control_mode} row shows SOL state (${row.cols.sol})`);
        t.ok(/^(NotRequired|Required|Requested|Granted|Denied|Timeout)$/.test(row.cols.consent || ''), `${dev.control_mode} row shows consent state (${row.cols.consent})`);
    }
    const acm = rows.find(r => r.id === demo.acm.system_id);
    t.is(acm && acm.cols.consent, 'NotRequired', 'ACM device needs no consent');

    const noHScroll = () => page.evaluate(() => document.scrollingElement.scrollWidth <= window.innerWidth);
    t.ok(await noHScroll(), 'no horizontal scrolling at 1280x720');
    await page.setViewportSize({ width: 2560, height: 1440 });
    t.ok(await noHScroll(), 'no horizontal scrolling at 2560x1440');
    await shot(page, '02b-systems-large-screen');
    await page.setViewportSize({ width: 1280, height: 720 });

    const tok = await page.evaluate(() => JSON.parse(sessionStorage.getItem('rfamt.session') || '{}').token);
    t.ok(tok && !(await page.evaluate(() => localStorage.length)), 'the session token is in sessionStorage only');
    const before = await page.textContent('#systems-updated');
    const after = await until(async () => { const s = await page.textContent('#systems-updated'); return s !== before && s; }, { timeout: 12000 });
    t.ok(after, 'the systems list refreshes itself', `${before} -> ${after}`);
});

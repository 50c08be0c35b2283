#!/usr/bin/env node
// Log out ends the Redfish session; an expired session sends the user back
// to the login page with a clear message.
'use strict';
const { run, shot, login, until } = require('./lib/common.js');

run(async ({ t, demo, page }) => {
    await login(page, demo, t);
    const sess = await page.evaluate(() => JSON.parse(sessionStorage.getItem('rfamt.session')));
    t.ok(sess && sess.token && sess.location, 'session token and location kept in sessionStorage');

    // Session expired (deleted behind the console's back): next refresh says so.
    await page.evaluate(async s => { await fetch(s.location, { method: 'DELETE', headers: { 'X-Auth-Token': s.token, 'X-Requested-With': 'XMLHttpRequest' } }); }, sess);
    const expired = await until(async () => {
        const el = await page.$('#login-msg:not([hidden])');
        return el && (await el.textContent());
    }, { timeout: 15000 });
    t.ok(expired && /expired/i.test(expired), 'an expired session returns to login with a clear message', expired);
    t.ok(!(await page.evaluate(() => sessionStorage.getItem('rfamt.session'))), 'the dead token is dropped');
    await shot(page, '11-session-expired');

    await login(page, demo);
    const s2 = await page.evaluate(() => JSON.parse(sessionStorage.getItem('rfamt.session')));
    await page.click('#logout');
    await page.waitForSelector('#login-user', { timeout: 10000 });
    const msg = await page.textContent('#login-msg');
    t.ok(/logged out/i.test(msg || ''), 'logout shows the login page with a confirmation', msg);
    t.ok(!(await page.evaluate(() => sessionStorage.getItem('rfamt.session'))), 'no token left in the browser after logout');
    const status = await page.evaluate(async s => (await fetch('/redfish/v1/Systems', { headers: { 'X-Auth-Token': s.token, 'X-Requested-With': 'XMLHttpRequest' } })).status, s2);
    t.is(status, 401, 'the old session token no longer works on the service');
    await shot(page, '12-logged-out');
});

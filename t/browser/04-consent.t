#!/usr/bin/env node
// CCM user consent: opening the KVM asks for consent; request a code, a wrong
// code is refused with a visible message, the code read from the simulator is
// accepted, the state is shown live, and the KVM then opens.
'use strict';
const { run, shot, login, until, ctl, consentCode, screenText, canvasInk, compareInk } = require('./lib/common.js');

run(async ({ t, demo, page }) => {
    const dev = demo.ccm;
    await login(page, demo, t);
    const row = await page.textContent(`#systems-table tr[data-system="${dev.system_id}"] td[data-col=consent]`);
    t.ok(/Required|Denied|Timeout|Requested/.test(row || ''), `CCM device starts without consent (${row})`);

    await page.goto(`${demo.url}#/systems/${encodeURIComponent(dev.system_id)}/kvm`);
    await page.waitForSelector('#consent-dialog[open]', { timeout: 20000 });
    t.ok(true, 'opening the KVM of the CCM device asks for user consent');
    const dstate = () => page.getAttribute('#consent-dialog', 'data-state');
    t.ok(await page.isVisible('#consent-request'), 'the dialog offers to request a consent code');
    t.ok(await page.evaluate(() => document.activeElement && document.activeElement.id === 'consent-request'), 'focus moves into the dialog');
    await shot(page, '08-consent-dialog');

    await page.click('#consent-request');
    const requested = await until(async () => (await dstate()) === 'Requested' && await page.isVisible('#consent-code'), { timeout: 15000 });
    t.ok(requested, 'state shows Requested and the code field appears');
    t.ok(/code is now shown/i.test(await page.textContent('#consent-live')), 'the live status line explains the next step');
    let code = await until(() => { try { return consentCode(dev); } catch { return null; } }, { timeout: 10000 });
    t.ok(/^\d{6}$/.test(code || ''), 'the simulator shows a 6-digit code');

    const wrong = String((Number(code) + 111111) % 1000000).padStart(6, '0');
    await page.fill('#consent-code', wrong);
    await page.click('#consent-submit');
    const refused = await until(async () => {
        const el = await page.$('#consent-msg:not([hidden])');
        return el && (await el.textContent());
    }, { timeout: 15000 });
    t.ok(refused && /refused|not match|wrong|invalid|incorrect/i.test(refused), 'a wrong code is refused with a visible message', refused);
    t.ok(await page.isVisible('#consent-dialog[open]'), 'the dialog stays open after a wrong code');
    await shot(page, '09-consent-wrong-code');

    // The device may or may not keep the prompt after a wrong code; ask again if it did not.
    if ((await dstate()) !== 'Requested') {
        t.diag(`state after a wrong code: ${await dstate()}; requesting a new code`);
        await page.click('#consent-request');
        await until(async () => (await dstate()) === 'Requested', { timeout: 15000 });
    }
    code = await until(() => { try { return consentCode(dev); } catch { return null; } }, { timeout: 10000 });
    await page.fill('#consent-code', code || '');
    await page.click('#consent-submit');
    const closed = await until(async () => !(await page.$('#consent-dialog')), { timeout: 15000 });
    t.ok(closed, 'the right code closes the dialog (consent granted)');
    const badge = await until(async () => {
        const b = await page.textContent('.head-badges');
        return /Granted/.test(b) && b;
    }, { timeout: 10000 });
    t.ok(badge, 'the page shows consent Granted', await page.textContent('.head-badges'));

    const state = await until(async () => {
        const s = await page.getAttribute('#kvm-state', 'data-state');
        return s === 'connected' || s === 'failed' ? s : null;
    }, { timeout: 30000 });
    if (!t.is(state, 'connected', 'the KVM opens after consent')) t.diag(await page.textContent('#kvm-msg').catch(() => ''));
    ctl(dev, 'type', 'Consent granted, browser test', `ccm-${Date.now() % 100000}`);
    let cmp = null;
    const shown = await until(async () => {
        const ink = await canvasInk(page);
        if (!ink) return false;
        cmp = compareInk(ink, screenText(dev));
        return cmp.mismatches.length === 0 && cmp.textCells > 0;
    }, { timeout: 20000, interval: 500 });
    t.ok(shown, 'the CCM device screen text is in the canvas', cmp && `${cmp.mismatches.length} mismatching cells`);
    await shot(page, '10-consent-granted-kvm');
});

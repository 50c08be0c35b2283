#!/usr/bin/env node
// The console's own recovery and error paths:
//  - a KVM stream that drops is reopened with a fresh single-use token, with
//    no error shown to the user;
//  - power actions are confirmed first (Escape cancels, nothing is sent);
//  - KVM can be disabled and re-enabled; a disabled KVM is explained;
//  - an unreachable device is shown as such in the list and on its page.
'use strict';
const { run, shot, login, until, ctl, screenText, canvasInk, compareInk } = require('./lib/common.js');

const kvmState = page => page.getAttribute('#kvm-state', 'data-state').catch(() => null);

run(async ({ t, demo, page }) => {
    const acm = demo.acm, ccm = demo.ccm;
    const base = id => `${demo.url}#/systems/${encodeURIComponent(id)}`;
    await login(page, demo, t);

    // ---- silent reconnect with a fresh token ----
    let tokens = 0, sockets = 0;
    page.on('request', r => { if (r.method() === 'POST' && /GenerateRedirectionToken/.test(r.url())) tokens++; });
    page.on('websocket', ws => { if (/webrelay/.test(ws.url())) sockets++; });
    ctl(acm, 'fault', 'drop-after=150000');
    try {
        await page.goto(`${base(acm.system_id)}/kvm`);
        const dropped = await until(() => tokens >= 2 && sockets >= 2, { timeout: 30000, interval: 100 });
        t.ok(dropped, `the dropped KVM stream was reopened (${tokens} tokens, ${sockets} sockets)`);
    } finally {
        ctl(acm, 'fault', 'drop-after=0');
    }
    const back = await until(async () => (await kvmState(page)) === 'connected', { timeout: 30000 });
    t.ok(back, 'KVM is connected again after the drop');
    await page.waitForTimeout(2500);
    t.is(await kvmState(page), 'connected', 'and stays connected');
    t.ok(tokens >= sockets, `every connection used a fresh token (${tokens} tokens for ${sockets} sockets)`);
    t.ok(!(await page.isVisible('#kvm-msg')), 'no error was shown to the user during the reconnect',
        await page.textContent('#kvm-msg').catch(() => ''));
    ctl(acm, 'type', 'after reconnect', `r${Date.now() % 10000}`);
    let cmp = null;
    const shown = await until(async () => {
        const ink = await canvasInk(page);
        cmp = ink && compareInk(ink, screenText(acm));
        return cmp && cmp.mismatches.length === 0 && cmp.textCells > 0;
    }, { timeout: 20000, interval: 500 });
    t.ok(shown, 'the reconnected canvas shows the screen', cmp && `${cmp.mismatches.length} mismatching cells`);

    // ---- power actions are confirmed first ----
    await page.goto(base(acm.system_id));
    await page.waitForSelector('button[data-reset]', { timeout: 20000 });
    const types = await page.$$eval('button[data-reset]', b => b.map(x => x.dataset.reset));
    const off = ['ForceOff', 'GracefulShutdown'].find(x => types.includes(x));
    const on = ['On', 'ForceOn', 'PowerCycle'].find(x => types.includes(x));
    const power = () => page.textContent('.head-badges .badge').catch(() => '');
    t.ok(off && on, `power actions offered: ${types.join(', ')}`);
    if (off && on) {
        await page.click(`button[data-reset="${off}"]`);
        await page.waitForSelector('dialog[open] [data-role=confirm]', { timeout: 5000 });
        t.ok(true, `${off} asks for confirmation`);
        await shot(page, '13-power-confirm');
        await page.keyboard.press('Escape');
        const gone = await until(async () => !(await page.$('dialog[open]')), { timeout: 5000 });
        t.ok(gone, 'Escape closes the confirmation');
        await page.waitForTimeout(1500);
        t.is((await power()).trim(), 'On', 'and nothing was sent: power is still On');

        await page.click(`button[data-reset="${off}"]`);
        await page.click('dialog[open] [data-role=confirm]');
        const isOff = await until(async () => /^Off$/.test((await power()).trim()), { timeout: 30000 });
        t.ok(isOff, `${off} confirmed turns the machine off`, await power());
        await page.click(`button[data-reset="${on}"]`);
        await page.click('dialog[open] [data-role=confirm]');
        const isOn = await until(async () => /^On$/.test((await power()).trim()), { timeout: 30000 });
        t.ok(isOn, `${on} confirmed turns it back on`, await power());
    }

    // ---- disable / enable KVM ----
    const kvmBadge = () => page.$eval('#toggle-kvm', el => el.closest('.kvrow').querySelector('.badge').textContent).catch(() => '');
    await page.click('label[for=toggle-kvm]');
    const disabled = await until(async () => (await kvmBadge()) === 'Disabled' && !(await page.isChecked('#toggle-kvm')), { timeout: 30000 });
    t.ok(disabled, 'the KVM switch disables KVM', await kvmBadge());
    await page.click('#tab-kvm');
    const why = await until(async () => {
        const el = await page.$('#kvm-msg:not([hidden])');
        return el && (await el.textContent());
    }, { timeout: 15000 });
    t.ok(why && /disabled/i.test(why), 'opening a disabled KVM explains it is disabled', why);
    await shot(page, '14-kvm-disabled');
    await page.click('#tab-overview');
    await page.waitForSelector('#toggle-kvm', { timeout: 10000 });
    await page.focus('#toggle-kvm');
    await page.keyboard.press('Space');
    const enabled = await until(async () => (await kvmBadge()) !== 'Disabled' && await page.isChecked('#toggle-kvm'), { timeout: 30000 });
    t.ok(enabled, 'the switch (by keyboard) enables KVM again', await kvmBadge());

    // ---- unreachable device ----
    ctl(ccm, 'fault', 'down=1');
    try {
        await page.goto(`${demo.url}#/systems`);
        const row = `#systems-table tr[data-system="${ccm.system_id}"]`;
        const unreachable = await until(async () => /Unreachable/.test(await page.textContent(row).catch(() => '')), { timeout: 60000, interval: 500 });
        t.ok(unreachable, 'the systems list marks the unreachable device', await page.textContent(row).catch(() => ''));
        await shot(page, '15-unreachable-list');
        await page.goto(base(ccm.system_id));
        const msg = await until(async () => {
            const el = await page.$('#system-msg:not([hidden])');
            return el && (await el.textContent());
        }, { timeout: 60000, interval: 500 });
        t.ok(msg && /unreachable/i.test(msg), 'its page says the device is unreachable', msg);
        await shot(page, '16-unreachable-system');
    } finally {
        ctl(ccm, 'fault', 'down=0');
    }
    const recovered = await until(async () => !(await page.isVisible('#system-msg')), { timeout: 60000, interval: 500 });
    t.ok(recovered, 'the message goes away when the device is back');
});

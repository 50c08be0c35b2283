#!/usr/bin/env node
// User consent end to end over WS-Man (requests from npm wsman-messages), the
// code read through the control channel (amtsimctl), on a CCM device:
// OptInState 0 -> 1/2 -> 3 -> 4 -> 3, wrong codes (2066), lock-out after
// repeated wrong codes (StartOptIn 3), CancelOptIn, display timeout, code only
// displayable while the host is powered on, sessions refused until consent.
'use strict';
const path = require('path');
const h = require('./amtsim-helper');
const { ok, is, prop } = h;
let wm;
try { wm = require(path.join(h.root, 'node_modules/@device-management-toolkit/wsman-messages')); }
catch (e) { h.skipAll('npm @device-management-toolkit/wsman-messages not installed'); }
const ips = new wm.IPS.Messages(), cim = new wm.CIM.Messages();
const ID = '5c5c5c5c-0000-4000-8000-000000000021', HOST = '127.0.1.21', PW = 'C0nsent!x';

(async () => {
  const sim = await h.startSim([`id=${ID},addr=${HOST},password=${PW},mode=ccm,display-timeout=2,max-failures=3,lockout=2,consent-mode=refuse`]);
  // consent-mode=refuse: sessions are refused at 0x10 until consent (real AMT shows an
  // in-band form instead; 11-consent-inband.t tests that default)
  const c = new h.Wsman({ host: HOST, port: 16992, user: 'admin', pass: PW });
  const rv = async (xml) => prop((await c.post(xml)).body, 'ReturnValue');
  const optState = async () => prop((await c.post(ips.OptInService.Get())).body, 'OptInState');
  const code = () => sim.ctl('code', ID);
  const redir = async (kind) => { const v = await h.redirStart(HOST, 16994, kind); await h.waitIdle(sim, ID); return v; };
  try {
    is(await optState(), '0', 'OptInState starts at 0 (NOT STARTED)');
    is(prop((await c.post(ips.OptInService.Get())).body, 'OptInRequired'), '4294967295', 'CCM: consent required for all');
    is(code().code, 1, 'amtsimctl code fails (exit 1) when no code is on screen');
    is(await redir( 'kvm'), 3, 'KVM refused before consent');
    is(await rv(ips.OptInService.SendOptInCode(123456)), '2', 'SendOptInCode before StartOptIn: invalid state (2)');
    is(await rv(ips.OptInService.CancelOptIn()), '2', 'CancelOptIn with nothing to cancel: 2');

    // host off: the code is generated but cannot be displayed yet (REQUESTED)
    sim.ctl('power', ID, 'off');
    is(await rv(ips.OptInService.StartOptIn()), '0', 'StartOptIn with the host off: 0');
    is(await optState(), '1', 'OptInState 1 (REQUESTED) while the screen is off');
    is(code().code, 1, 'no code on screen while the host is off');
    is(await rv(ips.OptInService.StartOptIn()), '2', 'second StartOptIn: invalid state (2)');
    await c.post(cim.PowerManagementService.RequestPowerStateChange(2));
    is(await optState(), '2', 'powered on: OptInState 2 (DISPLAYED)');
    let cd = code();
    ok(cd.code === 0 && /^\d{6}$/.test(cd.out.trim()), 'code on screen, read through the control channel', JSON.stringify(cd));
    const right = Number(cd.out.trim()), wrong = (right + 1) % 1000000;

    is(await rv(ips.OptInService.SendOptInCode(wrong)), '2066', 'wrong code: 2066');
    is(await optState(), '2', 'still DISPLAYED after one wrong code');
    is(await rv(ips.OptInService.SendOptInCode(right)), '0', 'right code: 0');
    is(await optState(), '3', 'OptInState 3 (RECEIVED)');
    is(code().code, 1, 'code removed from the screen');
    is(await rv(ips.OptInService.SendOptInCode(right)), '2', 'code again after RECEIVED: invalid state');

    // sessions now allowed; OptInState 4 while one is open, back to 3 after
    const net = require('net');
    const s = net.connect(16994, HOST);
    const st = await new Promise((res) => { s.on('connect', () => s.write(Buffer.from([0x10, 1, 0, 0, 0x4b, 0x56, 0x4d, 0x52]))); s.once('data', (d) => res(d[1])); setTimeout(() => res('timeout'), 3000); });
    is(st, 0, 'consent granted: KVM session accepted');
    is(await optState(), '4', 'OptInState 4 (IN SESSION) while the session is open');
    s.destroy();
    await h.sleep(300);
    is(await optState(), '3', 'back to 3 when the session closes');
    is(await rv(ips.OptInService.CancelOptIn()), '0', 'CancelOptIn from RECEIVED');
    is(await optState(), '0', 'consent revoked: 0');

    // display timeout (2 s here)
    is(await rv(ips.OptInService.StartOptIn()), '0', 'StartOptIn again');
    is(await optState(), '2', 'displayed');
    await h.sleep(2600);
    is(await optState(), '0', 'OptInDisplayTimeout expired: back to 0');
    is(code().code, 1, 'code gone after the display timeout');

    // lock-out: 3 wrong codes -> NOT STARTED, StartOptIn blocked (3) for 2 s
    await rv(ips.OptInService.StartOptIn());
    const r2 = Number(code().out.trim());
    for (let i = 1; i <= 3; i++) is(await rv(ips.OptInService.SendOptInCode((r2 + i) % 1000000)), '2066', `wrong code #${i}: 2066`);
    is(await optState(), '0', 'after 3 wrong codes: back to 0');
    is(await rv(ips.OptInService.StartOptIn()), '3', 'StartOptIn blocked (3) during the lock-out');
    await h.sleep(2200);
    is(await rv(ips.OptInService.StartOptIn()), '0', 'lock-out over: StartOptIn 0');
    is(await rv(ips.OptInService.CancelOptIn()), '0', 'CancelOptIn while DISPLAYED: 0');
    is(await optState(), '0', 'cancelled: 0');
    is(await rv(ips.OptInService.SendOptInCode('12a456')), '36', 'non-numeric code: INVALID_PARAMETER (36)');
  } catch (e) {
    ok(false, 'no exception', e.stack);
  }
  const ex = await sim.stop();
  ok(ex && ex.code === 0, 'amtsim exits cleanly', JSON.stringify(ex));
  h.done();
})();

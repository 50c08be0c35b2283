#!/usr/bin/env node
// WS-Man side: every request that npm @device-management-toolkit/wsman-messages
// generates for the classes amtsim implements is accepted and answered with the
// right values; state changes made over WS-Man show in the control channel and
// govern the redirection port; wrong passwords get 401 (connection closed);
// malformed requests get SOAP faults with HTTP 400. Also over TLS.
'use strict';
const h = require('./amtsim-helper');
const { ok, is, prop, props, faultSub } = h;
let wm;
try { wm = require(require('path').join(h.root, 'node_modules/@device-management-toolkit/wsman-messages')); }
catch (e) { h.skipAll('npm @device-management-toolkit/wsman-messages not installed'); }
const amt = new wm.AMT.Messages(), cim = new wm.CIM.Messages(), ips = new wm.IPS.Messages();

const ID = '55e3ae13-bfd2-61bb-17a0-88aedd7037ea'; // = PlatformGUID 13AEE355D2BFBB6117A088AEDD7037EA
const ID_TLS = '2b2b2b2b-0000-4000-8000-000000000018';
const HOST = '127.0.1.18', PW = 'Wsm@n-Test1';

(async () => {
  const ca = h.testCA();
  const sim = await h.startSim([
    `id=${ID},addr=${HOST},password=${PW},fw=16.1.27,model=NUC-SIM-1`,
    `id=${ID_TLS},addr=127.0.1.19,password=${PW},tls=on,cert=${ca}/server.pem,key=${ca}/server-key.pem,mode=ccm`,
  ]);
  const redir = async (kind) => { const v = await h.redirStart(HOST, 16994, kind); await h.waitIdle(sim, ID); return v; };
  try {
    const c = new h.Wsman({ host: HOST, port: 16992, user: 'admin', pass: PW });
    const call = async (xml) => { const r = await c.post(xml); return r; };
    const pullAll = async (cls) => {
      const e = await call(cls.Enumerate());
      const ctx = prop(e.body, 'EnumerationContext');
      return { e, p: await call(cls.Pull(ctx)) };
    };

    // ---- authentication ----
    const unauth = await h.rawPost({ host: HOST, port: 16992 }, amt.GeneralSettings.Get());
    is(unauth.status, 401, 'no credentials: 401');
    const chal = unauth.headers['www-authenticate'] || '';
    ok(/^Digest realm="Digest:[0-9A-F]{32}", nonce="[A-Za-z0-9+\/]{32}",stale="false",qop="auth"$/.test(chal), 'challenge has AMT\'s exact shape', chal);
    is(unauth.headers.connection, 'close', '401 closes the connection');
    const bad = new h.Wsman({ host: HOST, port: 16992, user: 'admin', pass: 'wrong' });
    const rb = await bad.post(amt.GeneralSettings.Get());
    is(rb.status, 401, 'wrong password: 401');
    ok(/Log on failed/.test(rb.body), '401 body is AMT\'s log-on-failed page');

    // ---- identity ----
    let r = await call(amt.GeneralSettings.Get());
    is(r.status, 200, 'AMT_GeneralSettings Get: 200');
    is(r.headers['transfer-encoding'], 'chunked', 'reply is chunked');
    is(r.headers.server, 'Intel(R) Active Management Technology 16.1.27', 'Server header carries the firmware version');
    is(prop(r.body, 'DigestRealm'), /realm="([^"]*)"/.exec(chal)[1], 'DigestRealm equals the digest challenge realm');
    ok(/<b:RelatesTo>\d+<\/b:RelatesTo>/.test(r.body) && /GetResponse<\/b:Action>/.test(r.body), 'RelatesTo/Action echo the request');
    r = await call(cim.ComputerSystemPackage.Get());
    is(prop(r.body, 'PlatformGUID'), '13AEE355D2BFBB6117A088AEDD7037EA', 'CIM_ComputerSystemPackage PlatformGUID in SMBIOS byte order');
    r = await call(amt.SetupAndConfigurationService.GetUuid());
    is(prop(r.body, 'UUID'), 'E67jVdK/u2EXoIiu3XA36g==', 'GetUuid returns the raw GUID bytes in base64 (spec vector)');
    is(prop(r.body, 'ReturnValue'), '0', 'GetUuid ReturnValue 0');
    r = await call(amt.SetupAndConfigurationService.Get());
    is(prop(r.body, 'ProvisioningMode'), '1', 'ACM device: ProvisioningMode 1');
    let { p } = await pullAll(amt.SetupAndConfigurationService);
    is(prop(p.body, 'ProvisioningState'), '2', 'SetupAndConfiguration Enumerate/Pull');
    ({ p } = await pullAll(cim.SoftwareIdentity));
    const ids = props(p.body, 'InstanceID'), vers = props(p.body, 'VersionString');
    is(vers[ids.indexOf('AMT')], '16.1.27', 'CIM_SoftwareIdentity AMT VersionString = configured firmware');
    ok(/EndOfSequence/.test(p.body), 'Pull ends with EndOfSequence');
    r = await call(cim.Chassis.Get());
    is(prop(r.body, 'Model'), 'NUC-SIM-1', 'CIM_Chassis Model');

    // ---- redirection service ----
    r = await call(amt.RedirectionService.Get());
    is(prop(r.body, 'EnabledState'), '32771', 'AMT_RedirectionService EnabledState 32771 (SOL+IDER)');
    is(prop(r.body, 'ListenerEnabled'), 'true', 'ListenerEnabled true');
    ({ p } = await pullAll(amt.RedirectionService));
    is(prop(p.body, 'Name'), 'Intel(r) AMT Redirection Service', 'RedirectionService Enumerate/Pull');
    r = await call(amt.RedirectionService.RequestStateChange(32769));
    is(prop(r.body, 'ReturnValue'), '0', 'RequestStateChange(32769: SOL off) ReturnValue 0');
    is(sim.state(ID).sol, 'off', 'control channel: SOL now off');
    is(await redir( 'sol'), 3, 'SOL session refused while SOL is disabled');
    r = await call(amt.RedirectionService.RequestStateChange(5));
    is(prop(r.body, 'ReturnValue'), '5', 'RequestStateChange(5): Invalid Parameter');
    r = await call(amt.RedirectionService.RequestStateChange(32771));
    is(sim.state(ID).sol, 'on', 'SOL back on');
    const rsPut = (listener) => amt.RedirectionService.Put({ CreationClassName: 'AMT_RedirectionService', ElementName: 'Intel(r) AMT Redirection Service', EnabledState: 32771, ListenerEnabled: listener, Name: 'Intel(r) AMT Redirection Service', SystemCreationClassName: 'CIM_ComputerSystem', SystemName: 'Intel(r) AMT' });
    r = await call(rsPut(false));
    is(r.status, 200, 'Put AMT_RedirectionService accepted');
    is(prop(r.body, 'ListenerEnabled'), 'false', 'PutResponse returns the updated instance');
    is(sim.state(ID).listener, 'off', 'control channel: listener off');
    const lo = await redir( 'kvm');
    ok(lo === 'closed' || lo === 'error', 'listener off: redirection port does not talk (closed/reset, no 0x11)', lo);
    await call(rsPut(true));

    // ---- KVM SAP + settings ----
    r = await call(cim.KVMRedirectionSAP.Get());
    is(prop(r.body, 'EnabledState'), '6', 'CIM_KVMRedirectionSAP enabled (6)');
    is(prop(r.body, 'KVMProtocol'), '4', 'KVMProtocol 4 (VNC-RFB)');
    r = await call(cim.KVMRedirectionSAP.RequestStateChange(3));
    is(prop(r.body, 'ReturnValue'), '0', 'KVM RequestStateChange(3) ok');
    r = await call(cim.KVMRedirectionSAP.Get());
    is(prop(r.body, 'EnabledState'), '3', 'KVM now disabled (3)');
    is(prop(r.body, 'RequestedState'), '3', 'RequestedState records the request');
    is(await redir( 'kvm'), 3, 'KVM session refused while KVM is disabled');
    await call(cim.KVMRedirectionSAP.RequestStateChange(2));
    is(await redir( 'kvm'), 0, 'KVM session accepted again after enabling');
    ({ p } = await pullAll(cim.KVMRedirectionSAP));
    is(prop(p.body, 'Name'), 'KVM Redirection Service Access Point', 'KVMRedirectionSAP Enumerate/Pull');
    r = await call(ips.KVMRedirectionSettingData.Get());
    is(prop(r.body, 'InstanceID'), 'Intel(r) KVM Redirection Settings', 'IPS_KVMRedirectionSettingData Get');
    is(prop(r.body, 'RFBPassword'), '', 'RFBPassword reads back empty');
    r = await call(ips.KVMRedirectionSettingData.Put({ ElementName: 'Intel(r) KVM Redirection Settings', InstanceID: 'Intel(r) KVM Redirection Settings', EnabledByMEBx: true, BackToBackFbMode: false, Is5900PortEnabled: false, OptInPolicy: false, RFBPassword: '', SessionTimeout: 7, DefaultScreen: 1, InitialDecimationModeForLowRes: 1, GreyscalePixelFormatSupported: true, ZlibControlSupported: true, DoubleBufferMode: true, DoubleBufferState: true }));
    is(r.status, 200, 'KVM settings Put (DMT field names, some not in the MOF) accepted');
    is(prop(r.body, 'SessionTimeout'), '7', 'SessionTimeout updated');
    is(prop(r.body, 'DefaultScreen'), '1', 'DefaultScreen updated');
    ({ p } = await pullAll(ips.KVMRedirectionSettingData));
    is(prop(p.body, 'SessionTimeout'), '7', 'KVM settings Enumerate/Pull shows the change');

    // ---- opt-in (ACM, consent none) + policy Put ----
    r = await call(ips.OptInService.Get());
    is(prop(r.body, 'OptInRequired'), '0', 'ACM default OptInRequired 0');
    is(prop(r.body, 'CanModifyOptInPolicy'), '1', 'ACM: policy modifiable');
    r = await call(ips.OptInService.Put({ IPS_OptInService: { CreationClassName: 'IPS_OptInService', ElementName: 'Intel(r) AMT OptIn Service', Name: 'Intel(r) AMT OptIn Service', OptInCodeTimeout: 120, OptInDisplayTimeout: 300, OptInRequired: 1, OptInState: 0, SystemName: 'Intel(r) AMT', SystemCreationClassName: 'CIM_ComputerSystem' } }));
    is(prop(r.body, 'OptInRequired'), '1', 'Put OptInRequired=1 (KVM) in ACM');
    sim.ctl('fault', ID, 'consent-mode=refuse'); // the refusal at 0x10, not AMT's in-band form
    is(await redir( 'kvm'), 3, 'consent now required: KVM refused');
    is(await redir( 'sol'), 0, 'consent=kvm does not gate SOL');
    ({ p } = await pullAll(ips.OptInService));
    is(prop(p.body, 'OptInRequired'), '1', 'OptInService Enumerate/Pull');
    r = await call(ips.OptInService.StartOptIn());
    is(prop(r.body, 'ReturnValue'), '0', 'StartOptIn 0');
    const code = sim.ctl('code', ID);
    ok(code.code === 0 && /^\d{6}\n$/.test(code.out), 'control channel shows a 6-digit code', JSON.stringify(code));
    r = await call(ips.OptInService.SendOptInCode(Number(code.out)));
    is(prop(r.body, 'ReturnValue'), '0', 'SendOptInCode(right code) 0');
    is(await redir( 'kvm'), 0, 'consent granted: KVM accepted');
    r = await call(ips.OptInService.CancelOptIn());
    is(prop(r.body, 'ReturnValue'), '0', 'CancelOptIn from RECEIVED revokes consent');
    is(await redir( 'kvm'), 3, 'after cancel: KVM refused again');

    // ---- power ----
    ({ p } = await pullAll(cim.ServiceAvailableToElement));
    is(prop(p.body, 'PowerState'), '2', 'CIM_ServiceAvailableToElement Pull: PowerState 2 (on)');
    ok(/CIM_AssociatedPowerManagementService/.test(p.body), 'Pull items are CIM_AssociatedPowerManagementService');
    ok(props(p.body, 'AvailableRequestedPowerStates').includes('8'), 'power-off (8) available while on');
    // a redirection session in progress: power-off refused (power-during-redir=reject)
    const holdSession = async () => {
      const c = require('net').connect(16994, HOST);
      await new Promise((res) => { c.on('connect', () => c.write(Buffer.from('\x10\0\0\0SOL ', 'latin1'))); c.once('data', res); });
      return c;
    };
    sim.ctl('fault', ID, 'power-during-redir=reject');
    let hold = await holdSession();
    r = await call(cim.PowerManagementService.RequestPowerStateChange(8));
    is(prop(r.body, 'ReturnValue'), '6', 'reject: power-off while a SOL session is open: 6 (In Use)');
    hold.destroy();
    await h.waitIdle(sim, ID);
    is(sim.state(ID).power, 'on', 'reject: still on after the session');
    // the default (defer): accepted, carried out when the session ends
    sim.ctl('fault', ID, 'power-during-redir=defer');
    hold = await holdSession();
    r = await call(cim.PowerManagementService.RequestPowerStateChange(8));
    is(prop(r.body, 'ReturnValue'), '0', 'defer: power-off during a session answered 0');
    is(`${sim.state(ID).power} ${sim.state(ID).power_pending}`, 'on 8', 'defer: host still on, off pending');
    hold.destroy();
    await h.waitIdle(sim, ID);
    is(sim.state(ID).power, 'off', 'defer: off once the session ended');
    sim.ctl('power', ID, 'on');
    r = await call(cim.PowerManagementService.RequestPowerStateChange(8));
    is(prop(r.body, 'ReturnValue'), '0', 'RequestPowerStateChange(8) 0');
    is(sim.state(ID).power, 'off', 'control channel: power off');
    r = await call(ips.PowerManagementService.Get());
    is(prop(r.body, 'OSPowerSavingState'), '0', 'IPS_PowerManagementService follows power state');
    r = await call(cim.PowerManagementService.RequestPowerStateChange(10));
    is(prop(r.body, 'ReturnValue'), '2', 'reset while off: not an available state (2)');
    sim.ctl('power', ID, 'on');
    ({ p } = await pullAll(cim.ServiceAvailableToElement));
    is(prop(p.body, 'PowerState'), '2', 'control-channel power on visible over WS-Man');

    // ---- malformed requests ----
    const get = amt.GeneralSettings.Get();
    const faultCase = async (name, xml, sub) => {
      const fr = await call(xml);
      ok(fr.status === 400 && faultSub(fr.body) === sub && /Fault/.test(fr.body), `${name}: HTTP 400 fault ${sub}`, `${fr.status} ${fr.body.slice(0, 300)}`);
    };
    await faultCase('unknown ResourceURI', get.replace(/AMT_GeneralSettings/g, 'AMT_NoSuchClass'), 'DestinationUnreachable');
    await faultCase('unsupported action', get.replace('transfer/Get', 'transfer/Delete'), 'ActionNotSupported');
    await faultCase('unknown method', ips.OptInService.StartOptIn().replace(/StartOptIn/g, 'StartOptOut'), 'ActionNotSupported');
    await faultCase('missing MessageID', get.replace(/<a:MessageID>[^<]*<\/a:MessageID>/, ''), 'MessageInformationHeaderRequired');
    await faultCase('wrong body namespace', ips.OptInService.StartOptIn().replace('xmlns:h="http://intel.com/wbem/wscim/1/ips-schema/1/IPS_OptInService"', 'xmlns:h="http://example.com/x"'), 'SchemaValidationError');
    await faultCase('SOAP 1.1 envelope', get.replace('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/'), 'SchemaValidationError');
    await faultCase('not XML', 'hello', 'SchemaValidationError');
    await faultCase('unknown selector', get.replace('</w:OperationTimeout>', '</w:OperationTimeout><w:SelectorSet><w:Selector Name="Bogus">x</w:Selector></w:SelectorSet>'), 'InvalidSelectors');
    await faultCase('bogus enumeration context', amt.RedirectionService.Pull('DEADBEEF-0000-0000-0000-000000000000'), 'InvalidEnumerationContext');
    await faultCase('bad Put value', rsPut(true).replace('<h:ListenerEnabled>true', '<h:ListenerEnabled>maybe'), 'InvalidRepresentation');
    const sel = await call(amt.GeneralSettings.Get().replace('</w:OperationTimeout>', '</w:OperationTimeout><w:SelectorSet><w:Selector Name="InstanceID">Intel(r) AMT: General Settings</w:Selector></w:SelectorSet>'));
    is(sel.status, 200, 'correct selector accepted');
    const st = sim.state(ID);
    ok(Number(st.wsman_calls) > 40, 'control channel counts WS-Man calls', st.wsman_calls);

    // ---- TLS device in CCM ----
    const t = new h.Wsman({ host: '127.0.1.19', port: 16993, user: 'admin', pass: PW, tls: true, ca: require('fs').readFileSync(`${ca}/ca.pem`) });
    r = await t.post(amt.SetupAndConfigurationService.Get());
    is(prop(r.body, 'ProvisioningMode'), '4', 'TLS (verified against the test CA): CCM device reports ProvisioningMode 4');
    r = await t.post(ips.OptInService.Get());
    is(prop(r.body, 'OptInRequired'), '4294967295', 'CCM: OptInRequired ALL');
    is(prop(r.body, 'CanModifyOptInPolicy'), '0', 'CCM: policy not modifiable');
    r = await t.post(ips.OptInService.Put({ IPS_OptInService: { CreationClassName: 'IPS_OptInService', ElementName: 'Intel(r) AMT OptIn Service', Name: 'Intel(r) AMT OptIn Service', OptInCodeTimeout: 120, OptInDisplayTimeout: 300, OptInRequired: 0, OptInState: 0, SystemName: 'Intel(r) AMT', SystemCreationClassName: 'CIM_ComputerSystem' } }));
    is(r.status, 400, 'CCM: Put OptInRequired=0 refused');

    const ex = await sim.stop();
    ok(ex && ex.code === 0, 'amtsim exits cleanly', JSON.stringify(ex));
  } catch (e) {
    ok(false, 'no exception', e.stack);
    await sim.stop();
  }
  h.done();
})();

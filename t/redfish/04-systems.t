# Systems and Managers: the collection with paging, ComputerSystem content for
# ACM/CCM/TLS devices, ConsoleURI behind a proxy, the unreachable device (503 +
# Retry-After, others unaffected), PATCH rules, If-Match, and Reset mapping.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $rf = RedfishClient->new;
my $op = $rf->login('operator');
my ($ACM, $CCM, $TLS, $DOWN) = @RedfishClient::SYSTEMS;

# --- collection + paging ------------------------------------------------------------------
my ($res, $d) = $rf->get('/redfish/v1/Systems', $op);
is($res->code, 200, 'Systems');
# (other suites declare more devices; ours are the first four in config order)
my $total = $d->{'Members@odata.count'};
ok($total >= 4, "Members\@odata.count $total");
my %seen = map { $_->{'@odata.id'} => 1 } @{ $d->{Members} };
my $next = $d->{'Members@odata.nextLink'};
while ($next) {
    (undef, my $page) = $rf->get($next, $op);
    $seen{ $_->{'@odata.id'} } = 1 for @{ $page->{Members} };
    $next = $page->{'Members@odata.nextLink'};
}
is(scalar keys %seen, $total, 'all pages together hold every member once');
ok(!(grep { !$seen{"/redfish/v1/Systems/$_"} } @RedfishClient::SYSTEMS), 'the harness devices are members');
($res, $d) = $rf->get('/redfish/v1/Systems?$top=3', $op);
is_deeply([map { $_->{'@odata.id'} } @{ $d->{Members} }],
          [map {"/redfish/v1/Systems/$_"} $ACM, $CCM, $TLS], '$top=3 gives the first 3 members');
is($d->{'Members@odata.count'}, $total, 'count is the total');
is($d->{'Members@odata.nextLink'}, '/redfish/v1/Systems?$skip=3', 'nextLink');
($res, $d) = $rf->get('/redfish/v1/Systems?$skip=3&$top=1', $op);
is_deeply([map { $_->{'@odata.id'} } @{ $d->{Members} }], ["/redfish/v1/Systems/$DOWN"], '$skip=3&$top=1');
($res, $d) = $rf->get("/redfish/v1/Systems?\$skip=$total", $op);
is_deeply($d->{Members}, [], 'past the end: empty page');
ok(!exists $d->{'Members@odata.nextLink'}, 'last page has no nextLink');
($res, $d) = $rf->get('/redfish/v1/Systems?$skip=-1', $op);
is($res->code, 400, 'bad $skip -> 400');
is(RedfishClient::error_id($d), 'QueryParameterValueFormatError', 'QueryParameterValueFormatError');
($res, $d) = $rf->get('/redfish/v1/Systems?$filter=Id', $op);
is($res->code, 501, 'unsupported $filter -> 501');

# --- one system ------------------------------------------------------------------------
($res, $d) = $rf->get("/redfish/v1/Systems/$ACM", $op);
is($res->code, 200, 'GET ACM system');
like($res->header('ETag') // '', qr{^W/"}, 'ETag');
like($d->{'@odata.type'}, qr/^#ComputerSystem\.v1_(2[6-9]|[3-9]\d)_\d+\.ComputerSystem$/, 'ComputerSystem v1_26_0 or newer');
is($d->{Id}, $ACM, 'Id');
is($d->{UUID}, $ACM, 'UUID');
ok($d->{Name} && $d->{Model}, 'Name and Model');
like($d->{PowerState}, qr/^(On|Off)$/, 'PowerState');
is($d->{Status}{State}, 'Enabled', 'Status');
is_deeply($d->{GraphicalConsole}{ConnectTypesSupported}, ['KVMIP'], 'KVMIP');
is($d->{GraphicalConsole}{MaxConcurrentSessions}, 1, 'GraphicalConsole.MaxConcurrentSessions');
is($d->{SerialConsole}{MaxConcurrentSessions}, 1, 'SerialConsole.MaxConcurrentSessions');
my $base = $rf->base;
(my $ws = $base) =~ s/^http/ws/;
is($d->{SerialConsole}{WebSocket}{ConsoleURI}, "$ws/relay/webrelay.ashx?host=$ACM&mode=sol", 'ConsoleURI is absolute');
is($d->{Oem}{Intel}{ControlMode}, 'ACM', 'Oem.Intel.ControlMode ACM');
is($d->{Oem}{Intel}{UserConsentStatus}, 'NotRequired', 'ACM: consent NotRequired');
is($d->{Oem}{Intel}{KVMConsoleURI}, "$ws/relay/webrelay.ashx?host=$ACM&mode=kvm", 'KVM stream URI');
is_deeply([sort @{ $d->{Actions}{'#ComputerSystem.Reset'}{'ResetType@Redfish.AllowableValues'} }],
          [sort qw(On ForceOn ForceOff GracefulShutdown ForceRestart GracefulRestart PowerCycle Nmi)],
          'ResetType allowable values');
is_deeply([sort keys %{ $d->{Actions}{Oem} }],
          [sort map {"#IntelComputerSystem.$_"} qw(RequestKVMConsent SubmitKVMConsentCode CancelKVMConsent
                                                  RequestSOLConsent SubmitSOLConsentCode CancelSOLConsent
                                                  GenerateRedirectionToken EndRedirectionSessions)], 'OEM actions');
($res, $d) = $rf->get("/redfish/v1/Systems/" . uc($ACM), $op);
is($res->code, 200, 'SystemId in upper case is the same system');

# X-Forwarded-*: ignored from any client, believed from a RedfishTrustedProxy
my %fwd = ('X-Forwarded-Proto' => 'https', 'X-Forwarded-Host' => 'bmc.example.com:8443');
($res, $d) = $rf->get("/redfish/v1/Systems/$ACM", $op, headers => \%fwd);
is($d->{SerialConsole}{WebSocket}{ConsoleURI}, "$ws/relay/webrelay.ashx?host=$ACM&mode=sol",
   'X-Forwarded-* from a client that is not a trusted proxy: ignored');
{
    my $proxied = RedfishClient->new;
    Apache::TestRequest::module('redfish_proxied');
    $proxied->{base} = 'http://' . Apache::TestRequest::hostport();
    Apache::TestRequest::module('default');
    # a session is valid only on the virtual host that issued it (docs/security-model.md)
    my $pop = $proxied->login('operator');
    ($res, $d) = $proxied->get("/redfish/v1/Systems/$ACM", $op);
    is($res->code, 401, "another virtual host's session is refused here");
    ($res, $d) = $proxied->get("/redfish/v1/Systems/$ACM", $pop, headers => \%fwd);
    is($d->{SerialConsole}{WebSocket}{ConsoleURI}, "wss://bmc.example.com:8443/relay/webrelay.ashx?host=$ACM&mode=sol",
       'ConsoleURI right behind a trusted TLS proxy (RedfishTrustedProxy)');
    ($res, $d) = $proxied->get("/redfish/v1/Systems/$ACM", $pop, headers => { 'X-Forwarded-Host' => 'evil"/x' });
    like($d->{SerialConsole}{WebSocket}{ConsoleURI}, qr{^ws://[^"]+/relay/webrelay\.ashx}, 'garbage X-Forwarded-Host ignored even from it');
    unlike($d->{SerialConsole}{WebSocket}{ConsoleURI}, qr{evil}, '... and not echoed');
    $proxied->logout_all;
}

($res, $d) = $rf->get("/redfish/v1/Systems/$CCM", $op);
is($d->{Oem}{Intel}{ControlMode}, 'CCM', 'CCM device');
like($d->{Oem}{Intel}{UserConsentStatus}, qr/^(Required|Requested|Granted)$/, 'CCM: consent required');
($res, $d) = $rf->get("/redfish/v1/Systems/$TLS", $op);
is($res->code, 200, 'TLS device (verified against the test CA) answers');

($res, $d) = $rf->get('/redfish/v1/Systems/8c3f1e52-0000-4000-8000-00000000ffff', $op);
is($res->code, 404, 'unknown system -> 404');
is(RedfishClient::error_id($d), 'ResourceNotFound', 'ResourceNotFound');

# --- the unreachable device --------------------------------------------------------------
{
    my $pid = fork // die;
    if (!$pid) {    # a client stuck on the dead device must not hold up the others
        my $c = RedfishClient->new;
        $c->get("/redfish/v1/Systems/$DOWN", $op, no_validate => 1) for 1 .. 3;
        exit 0;
    }
    my $t0 = time;
    ($res) = $rf->get("/redfish/v1/Systems/$ACM", $op, no_validate => 1);
    my $dt = time - $t0;
    ok($res->code == 200 && $dt < 1.5, sprintf('other devices unaffected (%.2fs)', $dt));
    waitpid $pid, 0;
    $t0 = time;
    ($res, $d) = $rf->get("/redfish/v1/Systems/$DOWN", $op);
    $dt = time - $t0;
    is($res->code, 503, 'unreachable device -> 503');
    like($res->header('Retry-After') // '', qr/^\d+$/, 'Retry-After');
    is(RedfishClient::error_id($d), 'ServiceTemporarilyUnavailable', 'ServiceTemporarilyUnavailable');
    ok($dt < 2.5, sprintf('within RedfishAMTTimeout (%.2fs)', $dt));
}

# --- a device that stops answering (connections accepted, never served) ---------------
{
    $rf->simctl('fault', $TLS, 'down=on');
    sleep 2.2;    # let the cached state (RedfishStateCacheTTL 2000) go stale
    my $t0 = time;
    my @pids;
    for (1 .. 5) {    # five pollers at once: one talks to the device, the others wait for it
        my $pid = fork // die;
        if (!$pid) {
            my ($r) = RedfishClient->new->get("/redfish/v1/Systems/$TLS", $op, no_validate => 1);
            exit($r->code == 503 && ($r->header('Retry-After') // '') =~ /^\d+$/ ? 0 : 1);
        }
        push @pids, $pid;
    }
    Time::HiRes::sleep(0.3);
    my $t1 = time;
    ($res) = $rf->get("/redfish/v1/Systems/$ACM", $op, no_validate => 1);
    my $other = time - $t1;
    my $bad = 0;
    for (@pids) { waitpid $_, 0; $bad++ if $? }
    my $dt = time - $t0;
    is($bad, 0, 'hung device: every poller gets 503 + Retry-After');
    ok($dt < 3.5, sprintf('... within RedfishAMTTimeout 2 s plus margin (%.2fs for all five)', $dt));
    ok($res->code == 200 && $other < 1.0, sprintf('... while another device answers at once (%.2fs)', $other));
    $rf->simctl('fault', $TLS, 'down=off');
    sleep 2.2;    # the failure is remembered for one TTL
    ($res) = $rf->get("/redfish/v1/Systems/$TLS", $op, no_validate => 1);
    is($res->code, 200, 'the device answers again once it is back');
}

# --- Managers -----------------------------------------------------------------------------
($res, $d) = $rf->get('/redfish/v1/Managers', $op);
(undef, my $sys) = $rf->get('/redfish/v1/Systems', $op);
is($d->{'Members@odata.count'}, $sys->{'Members@odata.count'}, 'one Manager per device');
($res, $d) = $rf->get("/redfish/v1/Managers/$ACM", $op);
is($d->{ManagerType}, 'ManagementController', 'ManagerType');
like($d->{FirmwareVersion} // '', qr/^\d+\.\d+/, 'FirmwareVersion');
is_deeply($d->{Links}{ManagerForServers}, [{ '@odata.id' => "/redfish/v1/Systems/$ACM" }], 'ManagerForServers');
is_deeply($d->{GraphicalConsole}{ConnectTypesSupported}, ['KVMIP'], 'console under the Manager too');

# --- PATCH: bad input changes nothing ------------------------------------------------------
my $sim0 = $rf->sim_state($ACM);
my @bad = (
    [{ Bogus => 1 }, ['PropertyUnknown']],
    [{ Name => 'x' }, ['PropertyNotWritable']],
    [{ PowerState => 'Off' }, ['PropertyNotWritable']],
    [{ GraphicalConsole => { ServiceEnabled => 'yes' } }, ['PropertyValueTypeError']],
    [{ GraphicalConsole => { MaxConcurrentSessions => 4 } }, ['PropertyNotWritable']],
    [{ GraphicalConsole => { Nope => 1 } }, ['PropertyUnknown']],
    [{ SerialConsole => { WebSocket => { ConsoleURI => 'ws://x' } } }, ['PropertyNotWritable']],
    [{ SerialConsole => { WebSocket => { ServiceEnabled => 1 } } }, ['PropertyValueTypeError']],
    [{ SerialConsole => 'on' }, ['PropertyValueTypeError']],
    # a good change next to a bad one: nothing at all happens
    [{ GraphicalConsole => { ServiceEnabled => JSON::PP::false }, Oops => 1 }, ['PropertyUnknown']],
);
for my $b (@bad) {
    ($res, $d) = $rf->patch("/redfish/v1/Systems/$ACM", $op, $b->[0]);
    is($res->code, 400, 'bad PATCH -> 400: ' . JSON::PP->new->canonical->encode($b->[0]));
    is_deeply([RedfishClient::message_ids($d)], $b->[1], "  $b->[1][0]");
}
($res, $d) = $rf->patch("/redfish/v1/Systems/$ACM", $op, {});
is(RedfishClient::error_id($d), 'EmptyJSON', 'empty PATCH -> EmptyJSON');
($res, $d) = $rf->request(PATCH => "/redfish/v1/Systems/$ACM", token => $op, body => '{"a":');
is(RedfishClient::error_id($d), 'MalformedJSON', 'MalformedJSON');
($res, $d) = $rf->patch("/redfish/v1/Systems/$ACM", $op, { GraphicalConsole => { ServiceEnabled => JSON::PP::false } },
                        headers => { 'If-Match' => 'W/"0123456789abcdef"' });
is($res->code, 412, 'stale If-Match -> 412');
is(RedfishClient::error_id($d), 'PreconditionFailed', 'PreconditionFailed');
my $sim1 = $rf->sim_state($ACM);
is_deeply([@$sim1{qw(kvm sol ider listener optin_required power_state)}],
          [@$sim0{qw(kvm sol ider listener optin_required power_state)}], 'the device was not touched');

# --- PATCH with the current ETag: touches only the named feature ----------------------------
($res, $d) = $rf->get("/redfish/v1/Systems/$ACM", $op);
my $etag = $res->header('ETag');
my $want = $d->{GraphicalConsole}{ServiceEnabled} ? JSON::PP::false : JSON::PP::true;
($res, $d) = $rf->patch("/redfish/v1/Systems/$ACM", $op, { GraphicalConsole => { ServiceEnabled => $want } },
                        headers => { 'If-Match' => $etag });
is($res->code, 200, 'PATCH with the current ETag');
is(!!$d->{GraphicalConsole}{ServiceEnabled}, !!$want, 'KVM switched');
my $sim2 = $rf->sim_state($ACM);
is($sim2->{kvm}, $want ? 'on' : 'off', 'simulator KVM switched');
is_deeply([@$sim2{qw(sol ider optin_required)}], [@$sim1{qw(sol ider optin_required)}], 'SOL, IDER and consent policy untouched');
$rf->patch("/redfish/v1/Systems/$ACM", $op, { GraphicalConsole => { ServiceEnabled => JSON::PP::true } });

# --- Reset -----------------------------------------------------------------------------
my $reset = $rf->action_path($ACM, 'Reset');
($res, $d) = $rf->post($reset, $op, {});
is(RedfishClient::error_id($d), 'ActionParameterMissing', 'Reset without ResetType');
($res, $d) = $rf->post($reset, $op, { ResetType => 'Explode' });
is(RedfishClient::error_id($d), 'ActionParameterValueNotInList', 'unknown ResetType');
($res, $d) = $rf->post($reset, $op, { ResetType => 3 });
is(RedfishClient::error_id($d), 'ActionParameterValueTypeError', 'ResetType of the wrong type');
($res, $d) = $rf->post($reset, $op, { ResetType => 'ForceOff', Delay => 3 });
is(RedfishClient::error_id($d), 'ActionParameterUnknown', 'unknown parameter');
is($rf->sim_state($ACM)->{power_state}, $sim0->{power_state}, 'bad Reset requests changed nothing');
($res, $d) = $rf->post($reset, $op, { ResetType => 'ForceOff' });
is($res->code, 200, 'ForceOff');
is($rf->sim_state($ACM)->{power_state}, 8, 'ForceOff -> CIM 8 (off-soft)');
($res, $d) = $rf->get("/redfish/v1/Systems/$ACM", $op);
is($d->{PowerState}, 'Off', 'PowerState Off');
($res, $d) = $rf->post($reset, $op, { ResetType => 'On' });
is($res->code, 200, 'On');
is($rf->sim_state($ACM)->{power_state}, 2, 'On -> CIM 2');
($res, $d) = $rf->post($reset, $op, { ResetType => 'ForceRestart' });
is($res->code, 200, 'ForceRestart (CIM 10)');

$rf->logout_all;
$rf->validate_all;
done_testing();

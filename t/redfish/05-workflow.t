# The operator workflow for KVM and for SOL, in ACM and in CCM:
# login, discover, enable, request consent, read the code from the simulator,
# submit, token, cancel, disable -- plus the consent and token error paths.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use MIME::Base64 qw(decode_base64);
use JSON::PP;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $rf = RedfishClient->new;
my ($ACM, $CCM) = ($RedfishClient::ACM, $RedfishClient::CCM);

sub claims {
    my ($tok) = @_;
    my (undef, $p) = split /\./, $tok;
    $p =~ tr{-_}{+/};
    $p .= '=' x ((4 - length($p) % 4) % 4);
    return decode_json(decode_base64($p));
}

sub status {
    my ($id, $tok) = @_;
    my (undef, $d) = $rf->get("/redfish/v1/Systems/$id", $tok);
    return $d->{Oem}{Intel};
}

for my $case ([$ACM, 'ACM'], [$CCM, 'CCM']) {
    my ($id, $cm) = @$case;
    for my $mode (qw(KVM SOL)) {
        my $t = "$cm/$mode";
        my ($op, $sess) = $rf->login('operator');
        my $sid = ($sess =~ m{/([0-9a-f]{32})$})[0];
        my ($res, $d) = $rf->get('/redfish/v1/Systems', $op);
        ok((grep { $_->{'@odata.id'} eq "/redfish/v1/Systems/$id" } @{ $d->{Members} }), "$t: discover");
        my $patch = $mode eq 'KVM' ? sub { { GraphicalConsole => { ServiceEnabled => $_[0] } } }
                                   : sub { { SerialConsole => { WebSocket => { ServiceEnabled => $_[0] } } } };
        my $enabled = $mode eq 'KVM' ? sub { $_[0]{GraphicalConsole}{ServiceEnabled} }
                                     : sub { $_[0]{SerialConsole}{WebSocket}{ServiceEnabled} };
        # start from disabled so that "enable" is a real change
        ($res, $d) = $rf->patch("/redfish/v1/Systems/$id", $op, $patch->(JSON::PP::false));
        is($res->code, 200, "$t: disable first");
        is($d->{Oem}{Intel}{"${mode}Status"}, 'Disabled', "$t: ${mode}Status Disabled");
        ($res, $d) = $rf->post($rf->action_path($id, 'GenerateRedirectionToken'), $op, { Mode => $mode });
        is($res->code, 409, "$t: no token while the service is disabled");
        is(RedfishClient::error_id($d), 'ServiceDisabled', "$t: ServiceDisabled");
        ($res, $d) = $rf->patch("/redfish/v1/Systems/$id", $op, $patch->(JSON::PP::true));
        is($res->code, 200, "$t: enable");
        ok($enabled->($d), "$t: ServiceEnabled true");
        my $sim = $rf->sim_state($id);
        is($sim->{lc $mode}, 'on', "$t: simulator has $mode on");

        if ($cm eq 'ACM') {
            ($res, $d) = $rf->post($rf->action_path($id, "Request${mode}Consent"), $op);
            is($res->code, 400, "$t: consent request refused (not required in ACM)");
            is(RedfishClient::error_id($d), 'ActionNotSupported', "$t: ActionNotSupported");
            like($d->{error}{message}, qr/not required.*ACM/, "$t: message says why");
            ($res, $d) = $rf->post($rf->action_path($id, "Submit${mode}ConsentCode"), $op, { ConsentCode => '123456' });
            is($res->code, 400, "$t: submitting a code in ACM is refused too");
            ($res, $d) = $rf->post($rf->action_path($id, "Cancel${mode}Consent"), $op);
            is($res->code, 400, "$t: cancel in ACM refused");
        } else {
            ($res, $d) = $rf->post($rf->action_path($id, 'GenerateRedirectionToken'), $op, { Mode => $mode });
            is($res->code, 403, "$t: token refused before consent");
            is(RedfishClient::error_id($d), 'AccessDenied', "$t: AccessDenied");
            is(status($id, $op)->{"${mode}Status"}, 'PendingConsent', "$t: PendingConsent");
            # request, then cancel
            ($res, $d) = $rf->post($rf->action_path($id, "Request${mode}Consent"), $op);
            is($res->code, 200, "$t: request consent");
            is(status($id, $op)->{UserConsentStatus}, 'Requested', "$t: Requested");
            ($res, $d) = $rf->post($rf->action_path($id, "Request${mode}Consent"), $op);
            is($res->code, 409, "$t: second request while one is pending -> 409");
            is(RedfishClient::error_id($d), 'ResourceInUse', "$t: ResourceInUse (AMT: invalid state)");
            ($res, $d) = $rf->post($rf->action_path($id, "Cancel${mode}Consent"), $op);
            is($res->code, 200, "$t: cancel");
            is(status($id, $op)->{UserConsentStatus}, 'Required', "$t: back to Required");
            ($res, $d) = $rf->post($rf->action_path($id, "Cancel${mode}Consent"), $op);
            is($res->code, 409, "$t: nothing to cancel -> 409");
            ($res, $d) = $rf->post($rf->action_path($id, "Submit${mode}ConsentCode"), $op, { ConsentCode => '123456' });
            is($res->code, 409, "$t: code with no prompt on screen -> 409");
            # request again, read the code off the simulated screen, submit
            ($res) = $rf->post($rf->action_path($id, "Request${mode}Consent"), $op);
            is($res->code, 200, "$t: request consent again");
            my $code = $rf->simctl('code', $id);
            like($code, qr/^\d{6}$/, "$t: code on the screen");
            for my $bad ('12345', '1234567', 'abcdef', ' 12345', '12 456') {
                ($res, $d) = $rf->post($rf->action_path($id, "Submit${mode}ConsentCode"), $op, { ConsentCode => $bad });
                is(RedfishClient::error_id($d), 'ActionParameterValueFormatError', "$t: '$bad' is not 6 digits");
            }
            ($res, $d) = $rf->post($rf->action_path($id, "Submit${mode}ConsentCode"), $op, { ConsentCode => 0 + "$code" });
            is(RedfishClient::error_id($d), 'ActionParameterValueTypeError', "$t: a number is not accepted");
            ($res, $d) = $rf->post($rf->action_path($id, "Submit${mode}ConsentCode"), $op, {});
            is(RedfishClient::error_id($d), 'ActionParameterMissing', "$t: ConsentCode missing");
            my $wrong = sprintf '%06d', ($code + 1) % 1000000;
            ($res, $d) = $rf->post($rf->action_path($id, "Submit${mode}ConsentCode"), $op, { ConsentCode => $wrong });
            is($res->code, 400, "$t: wrong code -> 400");
            is(RedfishClient::error_id($d), 'ActionParameterValueError', "$t: ActionParameterValueError");
            ($res, $d) = $rf->post($rf->action_path($id, "Submit${mode}ConsentCode"), $op, { ConsentCode => "$code" });
            is($res->code, 200, "$t: right code accepted");
            is(status($id, $op)->{UserConsentStatus}, 'Granted', "$t: Granted");
        }

        # token
        ($res, $d) = $rf->post($rf->action_path($id, 'GenerateRedirectionToken'), $op, { Mode => 'Telnet' });
        is(RedfishClient::error_id($d), 'ActionParameterValueNotInList', "$t: unknown Mode");
        ($res, $d) = $rf->post($rf->action_path($id, 'GenerateRedirectionToken'), $op, { Mode => 1 });
        is(RedfishClient::error_id($d), 'ActionParameterValueTypeError', "$t: Mode of the wrong type");
        ($res, $d) = $rf->post($rf->action_path($id, 'GenerateRedirectionToken'), $op, { Mode => $mode, Foo => 1 });
        is(RedfishClient::error_id($d), 'ActionParameterUnknown', "$t: unknown parameter");
        ($res, $d) = $rf->post($rf->action_path($id, 'GenerateRedirectionToken'), $op, { Mode => $mode });
        is($res->code, 200, "$t: token issued");
        like($d->{RedirectionToken} // '', qr/^[\w-]+\.[\w-]+\.[\w-]{43}$/, "$t: compact JWS");
        like($d->{ExpirationTime} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/, "$t: ExpirationTime");
        like($res->header('Cache-Control') // '', qr/no-store/, "$t: token response not stored");
        my $c = claims($d->{RedirectionToken});
        is($c->{sys}, $id, "$t: bound to the system");
        is($c->{mode}, lc $mode, "$t: bound to the mode");
        is($c->{sid}, $sid, "$t: bound to the issuing session");
        ok($c->{exp} - $c->{iat} <= 30, "$t: short-lived (RedfishTokenLifetime 30)");
        like($c->{jti}, qr/^[0-9a-f]{32}$/, "$t: unique id");
        if ($mode eq 'KVM') {
            ($res, $d) = $rf->post($rf->action_path($id, 'GenerateRedirectionToken'), $op, {});
            is(claims($d->{RedirectionToken})->{mode}, 'kvm', "$t: Mode defaults to KVM");
        }

        if ($cm eq 'CCM') {
            ($res, $d) = $rf->post($rf->action_path($id, "Cancel${mode}Consent"), $op);
            is($res->code, 200, "$t: cancel the granted consent");
            ($res, $d) = $rf->post($rf->action_path($id, 'GenerateRedirectionToken'), $op, { Mode => $mode });
            is($res->code, 403, "$t: no token after the consent was cancelled");
        }
        # disable
        ($res, $d) = $rf->patch("/redfish/v1/Systems/$id", $op, $patch->(JSON::PP::false));
        is($res->code, 200, "$t: disable");
        ok(!$enabled->($d), "$t: ServiceEnabled false");
        is($rf->sim_state($id)->{lc $mode}, 'off', "$t: simulator has $mode off");
        $rf->patch("/redfish/v1/Systems/$id", $op, $patch->(JSON::PP::true));    # leave it on
        $rf->logout_all;
    }
}

$rf->validate_all;
done_testing();

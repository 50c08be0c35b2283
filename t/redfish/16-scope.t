# Sessions and redirection tokens are valid only on the virtual host, and under the
# auth configuration, that issued them (docs/security-model.md, "Scope of a session
# and a token"). The "lab" virtual host (t/conf/redfish.conf.in) makes every valid
# user an Administrator; the main server maps groups to roles.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib", "$FindBin::Bin/../relay";
use RedfishClient;
use RelayTest qw(ws_handshake relay_url vhost_hostport wait_stream_gone);

my $lab_hostport = vhost_hostport('redfish_lab');
plan skip_all => 'no redfish_lab virtual host' unless $lab_hostport;

my $main = RedfishClient->new;
my $lab = RedfishClient->new;
$lab->{base} = "http://$lab_hostport";
(my $main_hostport = $main->base) =~ s{^http://}{};
my $ACM = $RedfishClient::ACM;

my $op_main = $main->login('operator');
my $op_lab = $lab->login('operator');

my ($res, $d) = $main->get('/redfish/v1/Systems', $op_main, no_validate => 1);
is($res->code, 200, 'a session works where it was made');
($res) = $lab->get('/redfish/v1/Systems', $op_main, no_validate => 1);
is($res->code, 401, 'the same X-Auth-Token on another virtual host: 401');
($res) = $main->get('/redfish/v1/Systems', $op_lab, no_validate => 1);
is($res->code, 401, 'a lab session on the main server: 401');

# the lab's auth config makes operator an Administrator there, and only there
($res) = $lab->get('/redfish/v1/SessionService/Sessions', $op_lab, no_validate => 1);
($res, $d) = $lab->patch('/redfish/v1/SessionService', $op_lab, { SessionTimeout => 1800 }, no_validate => 1);
is($res->code, 200, 'on the lab host operator has Administrator rights');
($res) = $main->patch('/redfish/v1/SessionService', $op_main, { SessionTimeout => 1800 }, no_validate => 1);
is($res->code, 403, 'on the main server the same user is an Operator');

# redirection tokens carry their issuer: the relay of another vhost refuses them
$main->patch("/redfish/v1/Systems/$ACM", $op_main, { SerialConsole => { WebSocket => { ServiceEnabled => JSON::PP::true } } },
             no_validate => 1);
sub token {
    my ($rf, $tok) = @_;
    my ($r, $body) = $rf->post($rf->action_path($ACM, 'GenerateRedirectionToken'), $tok, { Mode => 'SOL' }, no_validate => 1);
    return $r->code == 200 ? $body->{RedirectionToken} : do { diag($r->code . ' ' . $r->content); 'x' };
}
sub upgrade {
    my ($hostport, $token) = @_;
    wait_stream_gone($ACM, 'sol');
    my $r = ws_handshake(url => relay_url(host => $ACM, mode => 'sol'), proto => $token, hostport => $hostport);
    close $r->{sock} if $r->{sock};
    chomp(my $body = $r->{body} // '');
    return ($r->{status}, $body);
}
my $lab_token = token($lab, $op_lab);
my ($code, $why) = upgrade($main_hostport, $lab_token);
is($code, 403, 'a token of the lab host at the main server\'s relay: 403');
is($why, 'token was issued by another virtual host', '  ... wrong issuer');
my $main_token = token($main, $op_main);
($code, $why) = upgrade($lab_hostport, $main_token);
is($code, 403, 'a token of the main server at the lab\'s relay: 403');
($code, $why) = upgrade($lab_hostport, $lab_token);
is($code, 101, 'the lab token opens a stream on its own host (the refusal did not burn it)') or diag $why;
($code, $why) = upgrade($main_hostport, $main_token);
is($code, 101, 'and the main token on the main server') or diag $why;
wait_stream_gone($ACM, 'sol');

$main->logout_all;
$lab->logout_all;
done_testing();

# Idle sessions expire after SessionService.SessionTimeout (minimum 30 s, so this
# test waits ~32 s; it runs under the event MPM only to keep the suite short).
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my ($mpm) = ($ENV{RFAMT_STATEDIR} // '') =~ m{/(event|worker|prefork)$};
plan skip_all => 'idle-timeout test runs under the event MPM only' if ($mpm // 'event') ne 'event';

my $rf = RedfishClient->new;
my $admin = $rf->login('admin');
my (undef, $d) = $rf->get('/redfish/v1/SessionService', $admin);
my $old = $d->{SessionTimeout};
my ($res) = $rf->patch('/redfish/v1/SessionService', $admin, { SessionTimeout => 30 });
is($res->code, 200, 'SessionTimeout 30');
my $idle = $rf->login('reader');
my $busy = $rf->login('operator');
for (1 .. 8) {    # keep $busy and $admin active, leave $idle alone
    sleep 4;
    $rf->get('/redfish/v1/Systems', $busy, no_validate => 1);
    $rf->get('/redfish/v1/SessionService', $admin, no_validate => 1);
}
($res, $d) = $rf->get('/redfish/v1/Systems', $idle);
is($res->code, 401, 'a session idle for 32 s is gone');
is(RedfishClient::error_id($d), 'NoValidSession', 'NoValidSession');
($res) = $rf->get('/redfish/v1/Systems', $busy);
is($res->code, 200, 'an active session lives on');
($res) = $rf->patch('/redfish/v1/SessionService', $admin, { SessionTimeout => $old });
is($res->code, 200, "SessionTimeout restored to $old");
$rf->logout_all;
$rf->validate_all;
done_testing();

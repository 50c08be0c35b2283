# SessionService, login/logout, who may delete which session, the session cap,
# HTTP Basic over plain HTTP, login throttling, and "only a hash is stored".
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $rf = RedfishClient->new;
my $S = '/redfish/v1/SessionService/Sessions';

# --- login --------------------------------------------------------------------------
my ($res, $d) = $rf->post($S, undef, { UserName => 'operator', Password => 'operator-pw' });
is($res->code, 201, 'login -> 201');
my $tok = $res->header('X-Auth-Token');
my $loc = $res->header('Location');
like($tok // '', qr/^[A-Za-z0-9_-]{43}$/, 'X-Auth-Token issued');
like($loc // '', qr{^$S/[0-9a-f]{32}$}, 'Location names the session');
is($d->{'@odata.id'}, $loc, 'body is the new session');
is($d->{UserName}, 'operator', 'UserName');
like($res->header('Cache-Control') // '', qr/no-store/, 'login response is not stored');
unlike($res->content, qr/operator-pw/, 'password not echoed');
push @{ $rf->{sessions} }, [$tok, $loc];

($res, $d) = $rf->get($loc, $tok);
is($res->code, 200, 'GET own session');
($res, $d) = $rf->get('/redfish/v1/Systems', $tok);
is($res->code, 200, 'token authenticates');

# bad logins
($res, $d) = $rf->post($S, undef, { UserName => 'operator', Password => 'wrong' });
is($res->code, 401, 'wrong password -> 401');
is(RedfishClient::error_id($d), 'NoValidSession', 'NoValidSession');
unlike($res->content, qr/wrong/, 'password not echoed in the error');
($res, $d) = $rf->post($S, undef, { UserName => 'nobody-here', Password => 'x' });
is($res->code, 401, 'unknown user -> 401');
($res, $d) = $rf->post($S, undef, { UserName => 'operator' });
is($res->code, 400, 'missing Password -> 400');
is_deeply([RedfishClient::message_ids($d)], ['PropertyMissing'], 'PropertyMissing');
($res, $d) = $rf->post($S, undef, { UserName => 7, Password => 'x', Extra => 1 });
is($res->code, 400, 'bad types -> 400');
is_deeply([sort(RedfishClient::message_ids($d))], [sort qw(PropertyUnknown PropertyValueTypeError)],
          'PropertyUnknown + PropertyValueTypeError');
($res, $d) = $rf->request(POST => $S, body => '{"UserName": ', no_validate => 0);
is(RedfishClient::error_id($d), 'MalformedJSON', 'malformed JSON -> MalformedJSON');
($res, $d) = $rf->request(POST => $S, body => 'x' x (70 * 1024));
is($res->code, 413, 'oversized body refused');
($res, $d) = $rf->get('/redfish/v1/Systems', 'not-a-token');
is($res->code, 401, 'bad token -> 401');
is(RedfishClient::error_id($d), 'NoValidSession', 'NoValidSession for a bad token');
($res, $d) = $rf->get('/redfish/v1/Systems');
is($res->code, 401, 'no credentials -> 401');

# --- HTTP Basic is refused over plain HTTP (RedfishAllowBasicOverHTTP is off) -------
($res, $d) = $rf->get('/redfish/v1/Systems', undef, basic => ['operator', 'operator-pw']);
is($res->code, 403, 'Basic over plain HTTP refused');
is(RedfishClient::error_id($d), 'AccessDenied', 'AccessDenied');

# --- SessionService ---------------------------------------------------------------------
my $admin = $rf->login('admin');
($res, $d) = $rf->get('/redfish/v1/SessionService', $tok);
is($res->code, 200, 'GET SessionService');
my $timeout0 = $d->{SessionTimeout};
ok($timeout0 >= 30, "SessionTimeout $timeout0");
($res, $d) = $rf->patch('/redfish/v1/SessionService', $tok, { SessionTimeout => 600 });
is($res->code, 403, 'operator cannot PATCH SessionService');
($res, $d) = $rf->patch('/redfish/v1/SessionService', $admin, { SessionTimeout => 10 });
is($res->code, 400, 'SessionTimeout below 30 refused');
is_deeply([RedfishClient::message_ids($d)], ['PropertyValueOutOfRange'], 'PropertyValueOutOfRange');
($res, $d) = $rf->patch('/redfish/v1/SessionService', $admin, { SessionTimeout => 'x', ServiceEnabled => JSON::PP::false, Bogus => 1 });
is_deeply([sort(RedfishClient::message_ids($d))], [sort qw(PropertyValueTypeError PropertyNotWritable PropertyUnknown)],
          'type error + read-only + unknown, all reported');
(undef, $d) = $rf->get('/redfish/v1/SessionService', $admin);
is($d->{SessionTimeout}, $timeout0, 'nothing changed');
($res, $d) = $rf->patch('/redfish/v1/SessionService', $admin, { SessionTimeout => 900 });
is($res->code, 200, 'PATCH SessionTimeout');
is($d->{SessionTimeout}, 900, 'new SessionTimeout');
($res, $d) = $rf->patch('/redfish/v1/SessionService', $admin, { SessionTimeout => 901 },
                        headers => { 'If-Match' => 'W/"0000"' });
is($res->code, 412, 'stale If-Match -> 412');
$rf->patch('/redfish/v1/SessionService', $admin, { SessionTimeout => $timeout0 });

# --- who sees and deletes which session ------------------------------------------------
my ($reader, $reader_loc) = $rf->login('reader');
($res, $d) = $rf->get($S, $reader);
ok(!(grep { $_->{'@odata.id'} eq $loc } @{ $d->{Members} }), "reader does not list operator's session");
($res, $d) = $rf->get($S, $admin);
ok((grep { $_->{'@odata.id'} eq $loc } @{ $d->{Members} }), "admin lists operator's session");
($res, $d) = $rf->delete($loc, $reader);
is($res->code, 404, "reader cannot delete operator's session");
($res) = $rf->get('/redfish/v1/Systems', $tok);
is($res->code, 200, 'operator session still alive');
($res, $d) = $rf->delete($reader_loc, $reader);
is($res->code, 200, 'reader deletes own session');
($res) = $rf->get('/redfish/v1/Systems', $reader);
is($res->code, 401, 'deleted session no longer authenticates');
my ($op2, $op2_loc) = $rf->login('operator');
($res, $d) = $rf->delete($op2_loc, $admin);
is($res->code, 200, 'admin (ConfigureManager) deletes another user\'s session');
($res) = $rf->get('/redfish/v1/Systems', $op2);
is($res->code, 401, 'that session is gone');

# --- the cap: RedfishMaxSessions 12 (2 kept for Administrators, 8 per user) ---------------
my @extra;
my $limit_hit;
for my $i (1 .. 16) {
    my $u = $i % 2 ? 'reader' : 'operator';
    my ($r, $j) = $rf->post($S, undef, { UserName => $u, Password => "$u-pw" });
    if ($r->code == 201) {
        push @extra, [$r->header('X-Auth-Token'), $r->header('Location')];
    } else {
        $limit_hit = [$r, $j];
        last;
    }
}
ok($limit_hit, 'session cap reached') and do {
    is($limit_hit->[0]->code, 503, 'cap -> 503');
    is(RedfishClient::error_id($limit_hit->[1]), 'SessionLimitExceeded', 'SessionLimitExceeded');
};
$rf->delete($_->[1], $_->[0], no_validate => 1) for @extra;
($res) = $rf->post($S, undef, { UserName => 'reader', Password => 'reader-pw' });
is($res->code, 201, 'room again after logouts');
push @{ $rf->{sessions} }, [$res->header('X-Auth-Token'), $res->header('Location')];

# --- a graceful restart keeps sessions; the table is carried over through a file that is
# --- deleted as soon as the new generation has loaded it (docs/security-model.md) -------
{
    my $t_dir = Apache::Test::vars('t_dir');
    my $persist = "$t_dir/logs/slotmem-shm-redfish-sessions.shm.persist";
    open my $pf, '<', "$t_dir/logs/httpd.pid" or die "httpd.pid: $!";
    chomp(my $pid = <$pf>);
    # a restart is done when the parent logs "resuming normal operations" once more
    my $resumed = sub {
        open my $el, '<', "$t_dir/logs/error_log" or return 0;
        scalar grep { /resuming normal operations/ } <$el>;
    };
    my $before = $resumed->();
    ok(kill('USR1', $pid), 'graceful restart signalled');
    my $code = 0;
    for (1 .. 100) {
        Time::HiRes::sleep(0.2);
        next unless $resumed->() > $before;
        my ($r) = $rf->get('/redfish/v1/', undef, no_validate => 1);
        $code = $r->code;
        last if $code == 200;
    }
    is($code, 200, 'service back after the graceful restart');
    ($res) = $rf->get('/redfish/v1/Systems', $tok);
    is($res->code, 200, 'session survives the graceful restart');
    ok(!-e $persist, 'no copy of the session table left on disk once it was loaded');
}

# --- repeated failed logins are refused at once, not slowed (t/redfish/16-quotas.t has more)
{
    my (@t, @code);
    for (1 .. 6) {
        my $t0 = time;
        my ($r) = $rf->post($S, undef, { UserName => 'throttled-user', Password => "guess$_" }, no_validate => 1);
        push @t, time - $t0;
        push @code, $r->code;
        like($r->header('Retry-After') // '', qr/^[1-9]\d*$/, '6th failed login: Retry-After') if $_ == 6;
    }
    is("@code", '401 401 401 401 401 429', 'five failures checked, the 6th refused with 429');
    ok($t[5] < 1.0, sprintf('the refusal is immediate (%.2fs), not a sleep', $t[5]));
}

$rf->logout_all;
($res) = $rf->get('/redfish/v1/Systems', $tok);
is($res->code, 401, 'logged out');
$rf->validate_all;
done_testing();

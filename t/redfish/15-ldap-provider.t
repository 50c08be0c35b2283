# RedfishAuthProvider ldap + RedfishRole "ldap-group ...": login and roles from a
# real directory (Debian's slapd, started by t/run-apache-tests on 127.0.0.7:3389;
# t/conf/redfish-ldap.conf.in), on a port of its own where the htpasswd users of the
# main port do not exist. Also: filter injection in the user name, and the
# directory going away and coming back.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Apache::TestRequest ();
use Test::More;
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $ldap = RedfishClient->new;
Apache::TestRequest::module('redfish_ldap');
$ldap->{base} = 'http://' . Apache::TestRequest::hostport();
Apache::TestRequest::module('default');
my $SESSIONS = '/redfish/v1/SessionService/Sessions';
my $errlog = Apache::Test::vars('t_logs') . '/error_log';

sub login_as { my ($u, $p) = @_; return $ldap->post($SESSIONS, undef, { UserName => $u, Password => $p }) }
sub keep { my $res = shift; push @{ $ldap->{sessions} }, [$res->header('X-Auth-Token'), $res->header('Location')] if $res->code == 201 }
sub log_since { my $at = shift; open my $fh, '<', $errlog or return ''; seek $fh, $at, 0; local $/; return <$fh> // '' }

# ---- authn ldap: search for uid, then bind as the user with the password ----
my ($res, $d) = login_as('ldapadmin', 'ldapadmin-pw');
is($res->code, 201, 'ldapadmin logs in (password checked by binding to the directory)');
keep($res);
my $admin = $res->header('X-Auth-Token');
($res) = login_as('ldapadmin', 'ldapadmin-pwX');
is($res->code, 401, 'wrong LDAP password -> 401');
($res) = login_as('nosuchuser', 'x');
is($res->code, 401, 'user unknown to the directory -> 401');
my $at = -s $errlog;
($res) = login_as('admin', 'admin-pw');
is($res->code, 401, 'an htpasswd user of the main port is unknown here');
like(log_since($at), qr/Redfish login failed for user 'admin'/, '... refused by the password check');

# ---- filter injection: the name goes into (uid=NAME); wildcards must not match ----
for my $evil ('*', 'ldap*', 'ldapadmin)(uid=*', "ldapadmin\0") {
    ($res) = login_as($evil, 'ldapadmin-pw');
    (my $shown = $evil) =~ s/\0/\\0/g;
    ok($res->code == 401 || $res->code == 400, "user name '$shown' does not log in (got " . $res->code . ')');
}

# ---- ldap-group roles: admins -> Administrator, readers -> ReadOnly, none -> refused ----
my $reader = $ldap->login('ldapreader', 'ldapreader-pw');
ok($reader, 'ldapreader logs in');
$at = -s $errlog;
($res) = login_as('ldapnobody', 'ldapnobody-pw');
is($res->code, 401, 'a directory user in no mapped group gets no session');
like(log_since($at), qr/user 'ldapnobody' has no Redfish role/, '... because it has no role (the password was right)');
($res, $d) = $ldap->get('/redfish/v1/SessionService', $admin);
my $timeout = $d->{SessionTimeout};
($res, $d) = $ldap->patch('/redfish/v1/SessionService', $reader, { SessionTimeout => $timeout });
is($res->code, 403, 'ldapreader (ReadOnly) cannot PATCH SessionService');
($res, $d) = $ldap->patch('/redfish/v1/SessionService', $admin, { SessionTimeout => $timeout });
is($res->code, 200, 'ldapadmin (Administrator) may');

# ---- the directory goes away: logins fail cleanly, sessions already open go on ----
my $state = $ENV{RFAMT_STATEDIR};
my $pidfile = "$state/ldap/slapd.pid";
my $pid = do { open my $fh, '<', $pidfile or die "$pidfile: $!"; local $/; <$fh> } // '';
chomp $pid;
ok($pid =~ /^\d+$/ && kill('TERM', $pid), 'slapd stopped');
for (1 .. 50) { last unless kill 0, $pid; sleep 0.1 }
# (mod_ldap caches a successful search+bind for LDAPCacheTTL, so a user who just
# logged in still could: ldaplate, a member of admins, logs in for the first time)
my $t0 = time;
($res, $d) = login_as('ldaplate', 'ldaplate-pw');
my $took = time - $t0;
is($res->code, 503, 'login while the directory is down -> 503 (not a bad password, not a bug)');
like($res->header('Retry-After') // '', qr/^[1-9]\d*$/, '... with Retry-After');
is(RedfishClient::error_id($d), 'ServiceTemporarilyUnavailable', '... ServiceTemporarilyUnavailable');
unlike($res->content // '', qr/ldap:\/\/|127\.0\.0\.7/, '... without naming the directory to the client');
ok($took < 15, sprintf('... promptly (%.1f s)', $took));
($res) = $ldap->get('/redfish/v1/Systems', $reader);
is($res->code, 200, 'an open session keeps working (tokens do not need the directory)');
system('/usr/sbin/slapd', '-f', "$state/ldap/slapd.conf", '-h', 'ldap://127.0.0.7:3389/');
my $up;
for (1 .. 50) { $up = IO::Socket::INET->new(PeerAddr => '127.0.0.7', PeerPort => 3389, Timeout => 1) and last; sleep 0.1 }
ok($up, 'slapd back');
my $ok = 0;
for (1 .. 10) { ($res) = login_as('ldaplate', 'ldaplate-pw'); if ($res->code == 201) { $ok = 1; keep($res); last } sleep 0.5 }
ok($ok, 'and LDAP logins work again (ldaplate, as Administrator)');

$ldap->logout_all;
$ldap->validate_all;
done_testing();

# RedfishAuthProvider dbm + RedfishRole "dbm-group ...": login and roles from
# one DBM file (t/conf/redfish-dbm.conf.in, built by t/run-apache-tests), on a
# port of its own where the htpasswd users of the main port do not exist.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Apache::TestRequest ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $rf = RedfishClient->new;
Apache::TestRequest::module('redfish_dbm');
$rf->{base} = 'http://' . Apache::TestRequest::hostport();
Apache::TestRequest::module('default');
my $SESSIONS = '/redfish/v1/SessionService/Sessions';

sub try_login {
    my ($user, $pw) = @_;
    return $rf->post($SESSIONS, undef, { UserName => $user, Password => $pw });
}

# dbm authn: the right password logs in, a wrong one or an htpasswd-only user does not.
my ($res, $d) = try_login('dbmadmin', 'dbmadmin-pw');
is($res->code, 201, 'dbmadmin logs in (authn dbm)');
my $admin = $res->header('X-Auth-Token');
ok(defined $admin && length $admin, 'X-Auth-Token returned');
push @{ $rf->{sessions} }, [$admin, $res->header('Location')] if $res->code == 201;

($res, $d) = try_login('dbmadmin', 'wrong-pw');
is($res->code, 401, 'wrong dbm password -> 401');
# admin would be refused here anyway for lack of a dbm-group role: the log says
# which check refused it, and it must be the password check (the file provider
# is not consulted on this port).
my $log = Apache::Test::vars('t_logs') . '/error_log';
my $log0 = -s $log;
($res, $d) = try_login('admin', 'admin-pw');
is($res->code, 401, 'htpasswd-only user cannot log in where the provider is dbm');
my $new = do { open my $fh, '<', $log or die "$log: $!"; seek $fh, $log0, 0; local $/; <$fh> } // '';
like($new, qr/Redfish login failed for user 'admin'/, 'refused by authn (unknown to dbm)');
unlike($new, qr/user 'admin' has no Redfish role/, 'not authenticated by the file provider');
($res, $d) = try_login('ghost', 'x');
is($res->code, 401, 'unknown user -> 401');

my $reader = $rf->login('dbmreader', 'dbmreader-pw');
ok($reader, 'dbmreader logs in');

# dbm-group roles: admins -> Administrator, readers -> ReadOnly.
($res, $d) = $rf->get('/redfish/v1/SessionService', $admin);
is($res->code, 200, 'GET SessionService');
my $timeout = $d->{SessionTimeout};
ok($timeout, "current SessionTimeout ($timeout)");
($res, $d) = $rf->patch('/redfish/v1/SessionService', $reader, { SessionTimeout => $timeout });
is($res->code, 403, 'dbmreader (ReadOnly) cannot PATCH SessionService');
is(RedfishClient::error_id($d), 'InsufficientPrivilege', 'InsufficientPrivilege');
($res, $d) = $rf->patch('/redfish/v1/SessionService', $admin, { SessionTimeout => $timeout });
is($res->code, 200, 'dbmadmin (Administrator) may PATCH SessionService');
($res, $d) = $rf->get('/redfish/v1/SessionService', $admin);
is($d->{SessionTimeout}, $timeout, 'SessionTimeout unchanged');

# A session is valid only where its auth configuration issued it (review M7): the dbm
# host's token is no token on the main port, whose users come from another source.
my $main = RedfishClient->new;
($res) = $main->get('/redfish/v1/Systems', $reader);
is($res->code, 401, 'dbm session token refused on the main port (another auth configuration)');

$rf->logout_all;
$rf->validate_all;
done_testing();

# Access that can be revoked (docs/security-model.md): a live SOL stream ends (close
# 1008, AMT session ended, one log line) within seconds of its issuing Redfish session
# ending: logout, an administrator deleting it, its user leaving the group or the
# password file (edited live), its absolute lifetime; an administrator can end a
# system's streams; and a full stop/start ends every session (nothing is resurrected
# from disk). On a private httpd of the MPM under test, with its own user files and
# RedfishUserRecheckInterval 2.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin", "$FindBin::Bin/../lib";
use Apache::Test;
use Apache::TestUtil;
use Time::HiRes qw(time sleep);
use File::Copy qw(copy);
use RelayTest;
use RedfishClient;
use Test::More ();
sub diag { Test::More::diag(@_) }

my $probe = get_token(SYS1, 'sol');
plan tests => 56, need { 'Redfish GenerateRedirectionToken available' => defined $probe };

my $state = $ENV{RFAMT_STATEDIR};
my $tconf = Apache::Test::config()->{vars}{t_conf};
# live-editable copies of the suite's user and group files
my $auth = "$state/revoke-auth";
mkdir $auth;
chmod 0755, $auth;
copy("$tconf/redfish.htpasswd", "$auth/users") or die "copy: $!";
copy("$tconf/redfish.groups", "$auth/groups") or die "copy: $!";
chmod 0644, "$auth/users", "$auth/groups";
my %orig = map { $_ => do { local (@ARGV, $/) = "$auth/$_"; <> } } qw(users groups);
sub rewrite {   # FILE, sub that edits $_
    my ($f, $edit) = @_;
    local $_ = $orig{$f};
    $edit->();
    open my $fh, '>', "$auth/$f.new" or die $!;
    print $fh $_;
    close $fh;
    chmod 0644, "$auth/$f.new";
    rename "$auth/$f.new", "$auth/$f" or die $!;
}
sub restore { rewrite($_, sub { }) for qw(users groups) }

wait_stream_gone(SYS1, 'sol');
my $ph = private_httpd(name => 'revoke', conf => "AmtRelayIdleTimeout 60\n"
    . "LogLevel warn amt_relay:info redfish_amt:info\n"
    . "RedfishUserRecheckInterval 2\n"
    . "<Location /redfish>\n AuthUserFile $auth/users\n AuthGroupFile $auth/groups\n</Location>\n"
    . "<AmtDevice @{[SYS1]}>\n AmtHost 127.0.0.2\n AmtTLS off\n AmtUser admin\n AmtPasswordFile $state/acm-1.pw\n</AmtDevice>\n");
ok t_cmp(defined $ph ? 1 : 0, 1, 'private httpd started') or diag($@);
exit 0 unless $ph;
my $apache = "/usr/sbin/apache2 -d $ph->{dir} -f $ph->{dir}/httpd.conf";
my $log_file = "$ph->{dir}/error_log";

my $rf = RedfishClient->new;
$rf->{base} = $ph->{base};
my $action = "/redfish/v1/Systems/@{[SYS1]}/Actions/Oem/IntelComputerSystem";
sub word { join '', 'w', map { ('a' .. 'z')[int rand 26] } 1 .. 8 }
sub sol_active { sim_value(SYS1, 'sol_active') }

# A SOL stream opened with a token of session TOK; undef unless it carries text.
sub open_stream {
    my ($tok) = @_;
    wait_stream_gone(SYS1, 'sol');
    my ($res, $d) = $rf->post("$action.GenerateRedirectionToken", $tok, { Mode => 'SOL' }, no_validate => 1);
    unless ($res->code == 200) { diag('token: ' . $res->code . ' ' . $res->content); return undef }
    my $r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $d->{RedirectionToken},
                         hostport => $ph->{hostport});
    return sol_echo($r, word()) ? $r : do { diag("stream: $r->{status}"); undef };
}

# After something revoked the stream's session: the close it gets, how fast, the AMT
# session and the log line. 4 tests.
sub expect_revoked {
    my ($r, $t0, $reason, $what) = @_;
    my $at = -s $log_file;
    my ($code, $why) = ws_close_expect($r, 8);
    my $took = time - $t0;
    ok t_cmp($code // 0, 1008, "$what: the stream is closed with 1008");
    ok t_cmp($why // '', qr/\Q$reason\E/, "$what: with the reason");
    # target 3 s (a check every second); a loaded machine gets a margin
    ok t_cmp($took < 5 ? 1 : 0, 1, sprintf('%s: within seconds (%.1f s)', $what, $took));
    close $r->{sock} if $r->{sock};
    my $gone;
    for (1 .. 50) { if (sol_active() == 0) { $gone = 1; last } sleep 0.1 }
    ok t_cmp($gone ? 1 : 0, 1, "$what: the AMT session is ended");
}

sub log_has {
    my ($re) = @_;
    my $log = log_since($log_file, 0);
    return scalar(() = $log =~ /$re/g);
}

# ---- logout: DELETE of one's own session ----
my ($op, $op_loc) = $rf->login('operator');
my $r = open_stream($op);
ok t_cmp(defined $r ? 1 : 0, 1, 'operator has a live SOL stream');
my $t0 = time;
my ($res) = $rf->delete($op_loc, $op, no_validate => 1);
ok t_cmp($res->code, 200, 'the operator logs out');
expect_revoked($r, $t0, 'the Redfish session ended', 'logout');
ok t_cmp(log_has(qr/relay stream ended: user=operator .*mode=sol .*close=1008 reason="the Redfish session ended"/), 1,
         'one log line says why the stream ended');

# ---- an administrator deletes someone else's session ----
my $admin = $rf->login('admin');
($op, $op_loc) = $rf->login('operator');
$r = open_stream($op);
ok t_cmp(defined $r ? 1 : 0, 1, 'operator streams again (new session)');
$t0 = time;
($res) = $rf->delete($op_loc, $admin, no_validate => 1);
ok t_cmp($res->code, 200, 'the administrator deletes the operator\'s session');
expect_revoked($r, $t0, 'the Redfish session ended', 'session deleted by an administrator');

# ---- an administrator ends the streams of a system ----
($op, $op_loc) = $rf->login('operator');
$r = open_stream($op);
my ($d);
($res, $d) = $rf->post("$action.EndRedirectionSessions", $op, { Mode => 'SOL' }, no_validate => 1);
ok t_cmp($res->code, 403, 'an operator may not end streams');
ok t_cmp(sol_echo($r, word()), 1, '  ... and the stream goes on');
($res, $d) = $rf->post("$action.EndRedirectionSessions", $admin, { Mode => 'IDER' }, no_validate => 1);
ok t_cmp($res->code, 400, 'EndRedirectionSessions: an unknown Mode is refused');
ok t_cmp(join(',', RedfishClient::message_ids($d)), qr/ActionParameterValueNotInList/, '  ... ActionParameterValueNotInList');
($res, $d) = $rf->post("$action.EndRedirectionSessions", $admin, { Mode => 'KVM' }, no_validate => 1);
ok t_cmp($res->code, 200, 'ending the KVM streams succeeds');
ok t_cmp(sol_echo($r, word()), 1, '  ... and leaves the SOL stream alone');
$t0 = time;
($res, $d) = $rf->post("$action.EndRedirectionSessions", $admin, {}, no_validate => 1);
ok t_cmp($res->code, 200, 'the administrator ends the system\'s streams (both modes)');
expect_revoked($r, $t0, 'ended by an administrator', 'EndRedirectionSessions');
($res) = $rf->get('/redfish/v1/Systems', $op, no_validate => 1);
ok t_cmp($res->code, 200, '  ... the operator\'s session itself lives on');

# ---- the user leaves every group (the file is edited while the stream runs) ----
$r = open_stream($op);
$t0 = time;
rewrite('groups', sub { s/^(operators:.*?)\boperator\b/$1/m });
expect_revoked($r, $t0 + 2, 'the session\'s user lost access', 'role removed');   # recheck interval: 2 s
($res) = $rf->get('/redfish/v1/Systems', $op, no_validate => 1);
ok t_cmp($res->code, 401, '  ... and the session is gone (401)');
($res) = $rf->post('/redfish/v1/SessionService/Sessions', undef, { UserName => 'operator', Password => 'operator-pw' }, no_validate => 1);
ok t_cmp($res->code, 401, '  ... a new login is refused');
restore();

# ---- the user leaves the password file (still in the group) ----
($op, $op_loc) = $rf->login('operator');
$r = open_stream($op);
$t0 = time;
rewrite('users', sub { s/^operator:.*\n//m });
expect_revoked($r, $t0 + 2, 'the session\'s user lost access', 'user deleted');
($res) = $rf->get('/redfish/v1/Systems', $op, no_validate => 1);
ok t_cmp($res->code, 401, '  ... and the session is gone (401)');
restore();

# ---- on every request too, at most every RedfishUserRecheckInterval ----
($op, $op_loc) = $rf->login('operator');
rewrite('groups', sub { s/^(operators:.*?)\boperator\b/$1/m });
sleep 2.2;
($res) = $rf->get('/redfish/v1/Systems', $op, no_validate => 1);
ok t_cmp($res->code, 401, 'a REST request after the recheck interval: 401 once the role is gone');
ok t_cmp(log_has(qr/Redfish session \w+\.\.\. of 'operator' ended: the user is gone or has no Redfish role/), 3,
         'each revocation was logged (stream x2, request x1)');
restore();

# ---- L1: a full stop/start resurrects no session ----
($op, $op_loc) = $rf->login('operator');
($res) = $rf->get('/redfish/v1/Systems', $op, no_validate => 1);
ok t_cmp($res->code, 200, 'a fresh session works');
wait_stream_gone(SYS1, 'sol');
($res, $d) = $rf->post("$action.GenerateRedirectionToken", $op, { Mode => 'SOL' }, no_validate => 1);
my $spent = $d->{RedirectionToken} // 'x';
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $spent, hostport => $ph->{hostport});
ok t_cmp($r->{status}, 101, 'a token is spent on a stream');
close $r->{sock} if $r->{sock};
system("$apache -k graceful >/dev/null 2>&1");
sleep 2;
($res) = $rf->get('/redfish/v1/Systems', $op, no_validate => 1);
ok t_cmp($res->code, 200, 'after a graceful restart the session still works');
wait_stream_gone(SYS1, 'sol');
$r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $spent, hostport => $ph->{hostport});
ok t_cmp($r->{status}, 403, '  ... and the spent token is still spent (no replay across the restart)');
ok t_cmp(scalar(my @f = glob("$ph->{dir}/*sessions*")), 0, '  ... and the reloaded session file is no longer on disk');
$ph->{stop}->();
my $out = `$apache -k start 2>&1`;
my $up;
for (1 .. 50) { ($res) = $rf->get('/redfish/v1', undef, no_validate => 1); if ($res->code == 200) { $up = 1; last } sleep 0.1 }
ok t_cmp($up ? 1 : 0, 1, 'the server is back after a full stop/start') or diag($out);
($res) = $rf->get('/redfish/v1/Systems', $op, no_validate => 1);
ok t_cmp($res->code, 401, 'the old X-Auth-Token gets 401 after a full stop/start');
my @left = glob("$ph->{dir}/*sessions*");
ok t_cmp(scalar(@left), 0, 'no session file is left on disk while running') or diag("@left");

# ---- absolute lifetime (last: it ends every session here) ----
$admin = $rf->login('admin');
($op, $op_loc) = $rf->login('operator');
($res, $d) = $rf->patch('/redfish/v1/SessionService', $op, { AbsoluteSessionTimeout => 30 }, no_validate => 1);
ok t_cmp($res->code, 403, 'an operator may not change AbsoluteSessionTimeout');
($res, $d) = $rf->patch('/redfish/v1/SessionService', $admin, { AbsoluteSessionTimeout => 10 }, no_validate => 1);
ok t_cmp($res->code, 400, 'AbsoluteSessionTimeout below 30 s is refused');
ok t_cmp(join(',', RedfishClient::message_ids($d)), qr/PropertyValueOutOfRange/, '  ... PropertyValueOutOfRange');
($res, $d) = $rf->get('/redfish/v1/SessionService', $admin, no_validate => 1);
ok t_cmp($d->{AbsoluteSessionTimeout}, 28800, 'the default AbsoluteSessionTimeout is 8 h');
my $login_at = time;
($op, $op_loc) = $rf->login('operator');
($res, $d) = $rf->patch('/redfish/v1/SessionService', $admin, { AbsoluteSessionTimeout => 30 }, no_validate => 1);
ok t_cmp($d->{AbsoluteSessionTimeout}, 30, 'an administrator sets it to 30 s');
$r = open_stream($op);
ok t_cmp(defined $r ? 1 : 0, 1, 'the operator streams with a session that has 30 s to live');
# keep the session busy: activity does not extend an absolute lifetime
for (1 .. 5) { sleep 4; $rf->get('/redfish/v1/Systems', $op, no_validate => 1) }
my ($code, $why) = ws_close_expect($r, 40 - (time - $login_at));
my $ended = time - $login_at;
ok t_cmp($code // 0, 1008, sprintf('the stream ends when its session reaches 30 s (%.1f s after login)', $ended));
ok t_cmp(($ended > 29 && $ended < 36) ? 1 : 0, 1, '  ... at its absolute deadline, give or take the check');
($res) = $rf->get('/redfish/v1/Systems', $op, no_validate => 1);
ok t_cmp($res->code, 401, '  ... and the busy session is gone');
$ph->{stop}->();

# `Mutex file:` under a threaded MPM: Linux may answer a blocking fcntl lock with
# a spurious EDEADLK (its deadlock detection is per process, not per thread).
# Both shared tables retry it (amt_mutex_retry.h): mod_redfish_amt's store and
# mod_amt_relay's stream table. A private httpd runs with an LD_PRELOAD shim
# (t/tools/fcntl-edeadlk.c) that fails every other fcntl write lock with
# EDEADLK: logins, GETs and relay streams must all still work.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use Time::HiRes qw(sleep time);
use LWP::UserAgent;
use JSON::PP;
use FindBin;
use lib "$FindBin::Bin/../lib", "$FindBin::Bin/../relay";
use RelayTest qw(get_token_at ws_handshake ws_send ws_close_expect relay_url sol_echo
                 private_httpd SYS1);

my $state = $ENV{RFAMT_STATEDIR} or plan skip_all => 'RFAMT_STATEDIR not set';
my $shim = "$state/fcntl-edeadlk.so";
my $src = Apache::Test::vars('t_dir') . '/tools/fcntl-edeadlk.c';
system("cc -shared -fPIC -o $shim $src -ldl >/dev/null 2>&1") == 0
    or plan skip_all => 'cannot build the LD_PRELOAD shim (no C compiler?)';

my $devs = "<AmtDevice " . SYS1 . ">\n AmtHost 127.0.0.2\n AmtTLS off\n AmtUser admin\n"
         . " AmtPasswordFile $state/acm-1.pw\n</AmtDevice>\n";
my $ph;
{
    local $ENV{LD_PRELOAD} = $shim;
    local $ENV{AMT_FAKE_EDEADLK} = 1;
    $ph = private_httpd(name => 'edeadlk',
                        conf => "$devs<Location /amt-relay-status>\n SetHandler server-status\n"
                              . "</Location>\nExtendedStatus On\n");
}
ok($ph, 'private httpd (Mutex file:, fcntl EDEADLK injected) started') or diag($@);
plan skip_all => "no private httpd: $@" unless $ph;

my $ua = LWP::UserAgent->new(timeout => 15);
sub stream_gone {
    my $deadline = time + 10;
    while (time < $deadline) {
        my $res = $ua->get("$ph->{base}/amt-relay-status?auto");
        return 1 if $res->is_success && $res->content !~ /system=\Q${\SYS1}\E mode=sol\b/i;
        sleep 0.1;
    }
    return 0;
}

# the Redfish side (store lock): login, reads
my $res = $ua->post("$ph->{base}/redfish/v1/SessionService/Sessions",
                    'Content-Type' => 'application/json',
                    Content => encode_json({ UserName => 'reader', Password => 'reader-pw' }));
is($res->code, 201, 'login works');
my $tok = $res->header('X-Auth-Token') // '';
my $ok = 0;
for (1 .. 10) {
    $res = $ua->get("$ph->{base}/redfish/v1/Systems/" . SYS1, 'X-Auth-Token' => $tok);
    $ok++ if $res->code == 200;
}
is($ok, 10, 'every GET of the system answered 200');

# the relay side (stream table lock): check, acquire, release, status, live count
for my $n (1 .. 6) {
    my $t = get_token_at($ph->{base}, SYS1, 'sol');
    ok(defined $t, "stream $n: token") or diag($@);
    my $r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t // 'x',
                         hostport => $ph->{hostport});
    is($r->{status}, 101, "stream $n: upgrade accepted") or diag($r->{body} // '');
    if ($r->{status} == 101) {
        ok(sol_echo($r, "edeadlk$n"), "stream $n: SOL echo");
        ws_send($r, 8, pack('n', 1000));
        ws_close_expect($r, 3);
        close $r->{sock};
    } else {
        ok(0, "stream $n: SOL echo");
    }
    ok(stream_gone(), "stream $n: released");
}

$ph->{stop}->();
my $log = do { local (@ARGV, $/) = "$ph->{dir}/error_log"; <> } // '';
unlike($log, qr/lock failed|table unavailable/, 'no lock failure in the error log');
done_testing();

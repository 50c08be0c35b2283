# The per-device state cache: many pollers in many processes cost the device one
# refresh per TTL (RedfishStateCacheTTL 2000 ms in t/conf/redfish.conf.in), and
# one WS-Man request at a time (a refresh in progress is waited for, not repeated).
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $rf = RedfishClient->new;
my $op = $rf->login('operator');
my $id = $RedfishClient::ACM;
my $path = "/redfish/v1/Systems/$id";
sub calls { $rf->sim_state($id)->{wsman_calls} }

# cost of one refresh, measured
sleep 2.2;
my $c0 = calls();
my ($res) = $rf->get($path, $op);
is($res->code, 200, 'GET after the TTL');
my $one = calls() - $c0;
ok($one > 0, "one refresh costs $one WS-Man calls");
($res) = $rf->get($path, $op);
is(calls() - $c0, $one, 'a second GET within the TTL costs nothing');

# 16 processes polling for 1.5 s, all inside one TTL window -> exactly one refresh
sleep 2.2;
$c0 = calls();
my $t_start = time;
my $t_end = $t_start + 1.5;
my @pids;
for my $n (1 .. 16) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $c = RedfishClient->new;
        my ($ok, $bad) = (0, 0);
        while (time < $t_end) {
            my ($r) = $c->get($path, $op, no_validate => 1);
            $r->code == 200 ? $ok++ : $bad++;
        }
        exit($bad ? 1 : 0);
    }
    push @pids, $pid;
}
my $failed = 0;
for (@pids) { waitpid $_, 0; $failed++ if $? }
my $served = time - $t_start;    # queued requests may be answered after $t_end
is($failed, 0, 'every poll answered 200');
my $delta = calls() - $c0;
my $allowed = 1 + int($served / 2.0);
ok($delta <= $allowed * $one,
   sprintf("16 pollers: %d WS-Man calls in %.2f s = %d refresh(es), TTL allows %d",
           $delta, $served, $delta / $one, $allowed));

# across several TTLs: at most one refresh per TTL (+1 for the window edge).
sleep 2.2;
$c0 = calls();
$t_start = time;
$t_end = $t_start + 4.5;
@pids = ();
for my $n (1 .. 8) {
    my $pid = fork // die;
    if (!$pid) {
        my $c = RedfishClient->new;
        my $bad = 0;
        while (time < $t_end) {
            my ($r) = $c->get($path, $op, no_validate => 1);
            $bad++ if $r->code != 200;
        }
        exit($bad ? 1 : 0);
    }
    push @pids, $pid;
}
$failed = 0;
for (@pids) { waitpid $_, 0; $failed++ if $? }
is($failed, 0, 'every poll answered 200');
$served = time - $t_start;
$delta = calls() - $c0;
$allowed = 1 + int($served / 2.0);
ok($delta <= $allowed * $one,
   sprintf("8 pollers: %d WS-Man calls in %.2f s = %d refresh(es), TTL allows %d",
           $delta, $served, $delta / $one, $allowed));

$rf->logout_all;
$rf->validate_all;
done_testing();

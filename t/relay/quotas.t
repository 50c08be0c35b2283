# Review H2: one Operator session looping generate-token -> upgrade -> close (4
# processes, at most 1000 token requests, at most 25 s) is refused at issuance once
# over its quota (429 + Retry-After) and leaves the token service to everyone else:
# an Administrator still gets tokens and its SOL stream works.
# Defaults in force: RedfishTokensPerMinute 30 60, RedfishTokensUnspent 8 16.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin";
use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest ();
use RelayTest;
use JSON::PP;
use LWP::UserAgent;
use HTTP::Request;
use Time::HiRes qw(time);
use Test::More ();
sub diag { Test::More::diag(@_) }

my $probe = get_token(SYS1, 'sol');
plan tests => 9, need { 'Redfish GenerateRedirectionToken available' => defined $probe };

my $cfg = Apache::Test::config();
my $base = "http://$cfg->{vars}{servername}:$cfg->{vars}{port}";
my $flood_session = RelayTest::session_token('flooder', 'flooder-pw')
    or die "flooder login: $@";
my $gen = "/redfish/v1/Systems/" . SYS1 . "/Actions/Oem/IntelComputerSystem.GenerateRedirectionToken";

my $deadline = time + 25;
my @kids;
for my $w (1 .. 4) {
    pipe my $rd, my $wr or die;
    my $pid = fork // die;
    if (!$pid) {
        close $rd;
        my $ua = LWP::UserAgent->new(timeout => 10, keep_alive => 1);
        my %n = (retry_ok => 0);
        for (1 .. 250) {
            last if time > $deadline;
            my $res = $ua->request(HTTP::Request->new(POST => "$base$gen",
                ['Content-Type' => 'application/json', 'X-Auth-Token' => $flood_session],
                encode_json({ Mode => 'SOL' })));
            $n{'issue_' . $res->code}++;
            if ($res->code == 429) {
                $n{retry_ok}++ if ($res->header('Retry-After') // '') =~ /^[1-9]\d*$/;
                next;
            }
            next unless $res->code == 200;
            my $t = eval { decode_json($res->content)->{RedirectionToken} } or next;
            my $r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $t);
            $n{'upgrade_' . $r->{status}}++;
            close $r->{sock} if $r->{sock};
        }
        print $wr join(' ', map { "$_=$n{$_}" } sort keys %n), "\n";
        exit 0;
    }
    close $wr;
    push @kids, [$pid, $rd];
}
my %total;
for (@kids) {
    my ($pid, $rd) = @$_;
    my $line = <$rd> // '';
    waitpid $pid, 0;
    for (split ' ', $line) { my ($k, $v) = split /=/; $total{$k} += $v }
}
my $summary = join ', ', map { "$_=$total{$_}" } sort keys %total;
diag("flood: $summary");
my $issued = $total{issue_200} // 0;
ok t_cmp($issued <= 31 ? 1 : 0, 1, "the flooding session got at most its per-minute quota of tokens ($issued)");
ok t_cmp(($total{issue_429} // 0) > 0 ? 1 : 0, 1, 'then 429 at issuance');
ok t_cmp($total{retry_ok} // 0, $total{issue_429} // 0, 'every 429 with Retry-After');
ok t_cmp(($total{issue_503} // 0) + ($total{issue_500} // 0), 0, 'no 503/500 from the token service');

# everyone else is unaffected
my $kvm = get_token(SYS1, 'kvm');
ok t_cmp(defined $kvm ? 1 : 0, 1, 'an Administrator still gets a KVM token') or diag($@);
ok t_cmp(wait_stream_gone(SYS1, 'sol', 10) ? 1 : 0, 1, "the flood's last SOL stream is gone");
my $sol = get_token(SYS1, 'sol');
ok t_cmp(defined $sol ? 1 : 0, 1, 'and a SOL token') or diag($@);
my $r = ws_handshake(url => relay_url(host => SYS1, mode => 'sol'), proto => $sol // 'x');
ok t_cmp($r->{status}, 101, "the Administrator's SOL stream opens");
my $word = join '', 'q', map { ('a' .. 'z')[int rand 26] } 1 .. 8;
ok t_cmp(sol_echo($r, $word), 1, 'and carries text');
if ($r->{sock}) { ws_send($r, 8, pack('n', 1000)); ws_close_expect($r, 3); close $r->{sock} }
wait_stream_gone(SYS1, 'sol');

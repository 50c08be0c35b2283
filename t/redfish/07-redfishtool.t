# DMTF's redfishtool (Debian package) logs in, lists the systems and reads one.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use RedfishClient;

my $tool = '/usr/bin/redfishtool';
plan skip_all => 'redfishtool not installed' unless -x $tool;
my $rf = RedfishClient->new;
(my $hostport = $rf->base) =~ s{^http://}{};
my @common = ($tool, '-r', $hostport, '-u', 'operator', '-p', 'operator-pw', '-A', 'Session', '-S', 'Never');

sub run { my $cmd = join ' ', map { "'$_'" } @_; my $out = `$cmd 2>&1`; return ($? >> 8, $out) }

my $admin = $rf->login('admin');
sub operator_sessions {
    my (undef, $d) = $rf->get('/redfish/v1/SessionService/Sessions', $admin);
    return sort grep {
        my (undef, $s) = $rf->get($_, $admin);
        $s && $s->{UserName} eq 'operator';
    } map { $_->{'@odata.id'} } @{ $d->{Members} };
}
my @before = operator_sessions();

my ($rc, $out) = run(@common, 'root');
is($rc, 0, 'redfishtool root') or diag $out;
like($out, qr/"RedfishVersion"/, 'service root read');

($rc, $out) = run(@common, 'Systems', 'list');
like($out, qr/\Q$RedfishClient::ACM\E/, 'Systems list shows the ACM device') or diag $out;
like($out, qr/\Q$RedfishClient::CCM\E/, 'Systems list shows the CCM device');

($rc, $out) = run(@common, 'Systems', '-I', $RedfishClient::ACM, 'get');
is($rc, 0, 'redfishtool Systems -I <id> get') or diag $out;
like($out, qr/"PowerState"/, 'system read');
like($out, qr/"GraphicalConsole"/, 'with GraphicalConsole');

# redfishtool deletes its session on exit: none of its sessions are left behind
is_deeply([operator_sessions()], \@before, 'redfishtool logged out');
$rf->logout_all;
done_testing();

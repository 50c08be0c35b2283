# The console's browser-hardening headers do not depend on mod_headers (security
# review L3): conf/console.conf, served by an httpd that does NOT load
# mod_headers, still sends CSP with frame-ancestors 'none', X-Frame-Options,
# nosniff, Referrer-Policy and Cache-Control (RedfishConsoleHeaders on), on
# pages, vendor scripts and refusals alike; and only under /console/.
use strict;
use warnings FATAL => 'all';
use Apache::Test ();
use LWP::UserAgent;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib", "$FindBin::Bin/../relay";
use RelayTest ();

my $src = $ENV{RFAMT_SRCDIR} or plan skip_all => 'RFAMT_SRCDIR not set';
my $ph = RelayTest::private_httpd(name => 'console-headers', without => ['headers'],
                                  conf => "Define RFAMT_SRCDIR $src\nInclude $src/conf/console.conf\n");
ok($ph, 'private httpd with conf/console.conf and without mod_headers started') or diag($@);
plan skip_all => "no private httpd: $@" unless $ph;
my $conf = do { local (@ARGV, $/) = "$ph->{dir}/inherit.conf"; <> };
unlike($conf, qr/mod_headers/, 'mod_headers is not loaded');

my $ua = LWP::UserAgent->new(timeout => 15, max_redirect => 0);
sub hardened {
    my ($path, $status, $what) = @_;
    my $res = $ua->get("$ph->{base}$path");
    is($res->code, $status, "$what: $status");
    like($res->header('Content-Security-Policy') // '', qr/frame-ancestors 'none'/,
         "$what: CSP with frame-ancestors 'none'");
    like($res->header('Content-Security-Policy') // '', qr/script-src 'self'/, "$what: script-src 'self'");
    is($res->header('X-Frame-Options'), 'DENY', "$what: X-Frame-Options DENY");
    is($res->header('X-Content-Type-Options'), 'nosniff', "$what: nosniff");
    is($res->header('Referrer-Policy'), 'no-referrer', "$what: Referrer-Policy");
}
hardened('/console/', 200, 'console page');
hardened('/console/vendor/novnc/core/rfb.js', 200, 'vendor script');
hardened('/console/vendor/novnc/package.json', 403, 'denied vendor file');
hardened('/console/no-such-page.html', 404, 'missing page');
my $res = $ua->get("$ph->{base}/redfish/v1");
is($res->code, 200, 'the Redfish service root');
ok(!defined $res->header('X-Frame-Options'), '... is not given the console policy');
$ph->{stop}->();
done_testing();

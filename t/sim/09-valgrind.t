#!/usr/bin/perl
# Re-runs the protocol-heavy tests with amtsim under valgrind (memcheck, full
# leak check). Each of those tests asserts amtsim's exit status, and valgrind's
# --error-exitcode=99 turns any memory error or leak into a failure there.
# Skipped when valgrind is missing, when AMTSIM_WRAPPER is already set (the
# suite is then entirely wrapped), or with AMTSIM_NO_VALGRIND=1.
use strict;
use warnings;
use FindBin;
use Test::More;

plan skip_all => 'AMTSIM_WRAPPER already set' if $ENV{AMTSIM_WRAPPER};
plan skip_all => 'AMTSIM_NO_VALGRIND=1' if $ENV{AMTSIM_NO_VALGRIND};
chomp(my $vg = `command -v valgrind 2>/dev/null`);
plan skip_all => 'valgrind not installed (apt-get install valgrind)' unless $vg;

local $ENV{AMTSIM_WRAPPER} = "$vg -q --error-exitcode=99 --leak-check=full "
    . '--show-leak-kinds=definite,possible --errors-for-leak-kinds=definite,possible';
for my $t (qw(02-redir-protocol.t 03-wsman.t 05-consent.t 06-kvm-rfb.t 08-malformed.t 11-consent-inband.t)) {
    my $path = "$FindBin::Bin/$t";
    my @cmd = $t =~ /^0[35]/ ? ('node', $path) : ($^X, $path);
    my $out = `@cmd 2>&1`;
    my $status = $? >> 8;
    my @fail = grep { /^not ok/ } split /\n/, $out;
    ok($status == 0 && !@fail, "$t passes with amtsim under valgrind") or diag(join "\n", @fail, grep { /==\d+==/ } split /\n/, $out);
}
done_testing;

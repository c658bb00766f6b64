package MhagoBenchShim;

# Preloaded into MHA 0.58 (PERL5OPT=-MMhagoBenchShim, PERL5LIB=<this dir>)
# only by mhago's benchmark, so that the Debian package runs against
# MariaDB 10.11 under Perl 5.36 at all. It replaces exactly three
# functions, each with code of its own:
#
#  - MHA::NodeUtil::parse_mysql_version and parse_mysql_major_version:
#    0.58 formats every number of a version string with a fixed sprintf
#    pattern under fatal warnings, so any string with more numbers than
#    the pattern ("10.11.19-MariaDB-0+deb12u1-log") dies with "Redundant
#    argument in sprintf". These use the first three (two) numbers only.
#  - MHA::SlaveUtil::check_if_super_read_only: 0.58 selects
#    @@global.super_read_only, which MariaDB does not have, and dies. This
#    one reads it with SHOW GLOBAL VARIABLES and treats a missing variable
#    as off.
#
# Nothing else of MHA is changed.

use strict;
use warnings;
use DBI;

require MHA::NodeUtil;
require MHA::SlaveUtil;

sub version_numbers {
  my ( $str, $count ) = @_;
  my @n = ( defined $str ? $str : '' ) =~ m/(\d+)/g;
  return map { defined $n[$_] ? $n[$_] : 0 } 0 .. $count - 1;
}

{
  no warnings 'redefine';

  *MHA::NodeUtil::parse_mysql_version = sub ($) {
    return sprintf( '%03d%03d%03d', version_numbers( $_[0], 3 ) );
  };

  *MHA::NodeUtil::parse_mysql_major_version = sub ($) {
    return sprintf( '%03d%03d', version_numbers( $_[0], 2 ) );
  };

  *MHA::SlaveUtil::check_if_super_read_only = sub {
    my ( $host, $ip, $port, $user, $pass ) = @_;
    my $addr = $ip =~ m{:} ? "[$ip]" : $ip;
    my $dbh = DBI->connect( "DBI:mysql:;host=$addr;port=$port", $user,
      MHA::NodeUtil::unescape_for_shell($pass), { PrintError => 0, RaiseError => 1 } );
    die "cannot connect to $host:$port to read super_read_only\n" unless $dbh;
    my ( undef, $value ) = $dbh->selectrow_array("SHOW GLOBAL VARIABLES LIKE 'super_read_only'");
    return ( 1, $dbh ) if defined $value && uc($value) eq 'ON';
    return ( 0, 0 );
  };
}

1;

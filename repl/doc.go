// Package repl holds value types for replication positions: binlog
// coordinates, MariaDB GTID positions, MySQL GTID sets and server versions.
//
// The types are used when electing a new master, when computing which part
// of a binlog or relay log a replica lacks, and when building CHANGE MASTER
// statements. Everything here is pure: no I/O, no logging. Parsers are
// tolerant of the whitespace and newlines servers print, and they return
// *ParseError naming the part of the input that is wrong. String methods
// return a canonical form, so that parsing the output of String yields an
// equal value.
package repl

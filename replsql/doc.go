// Package replsql owns the text of every replication statement mhago
// sends to a server, and of every statement a check tells an operator to
// run: START/STOP/RESET of the replica, CHANGE MASTER TO, SHOW ... STATUS,
// SET GLOBAL gtid_slave_pos, read_only and super_read_only, and MHA's
// failover lock. No other package writes these statements (a test parses
// the module's sources and fails on one).
//
// Each builder takes the server's repl.Version, which picks the syntax:
//
//	server              START/STOP/RESET/SHOW   CHANGE ... TO                 own binlog position
//	MariaDB (all 10.x)  SLAVE                   CHANGE MASTER TO MASTER_...   SHOW MASTER STATUS
//	MySQL < 8.0.22      SLAVE                   CHANGE MASTER TO MASTER_...   SHOW MASTER STATUS
//	MySQL 8.0.22        REPLICA                 CHANGE MASTER TO MASTER_...   SHOW MASTER STATUS
//	MySQL 8.0.23-8.1    REPLICA                 CHANGE REPLICATION SOURCE TO  SHOW MASTER STATUS
//	MySQL 8.2-8.3       REPLICA                 CHANGE REPLICATION SOURCE TO  SHOW BINARY LOG STATUS
//	MySQL 8.4+          REPLICA (SLAVE removed) CHANGE REPLICATION SOURCE TO  SHOW BINARY LOG STATUS
//
// Sources (MySQL Reference Manual): "START SLAVE Statement", "STOP SLAVE
// Statement", "RESET SLAVE Statement" and "SHOW SLAVE STATUS Statement"
// (8.0): "From MySQL 8.0.22, START SLAVE is deprecated and the alias START
// REPLICA should be used instead" (the same for STOP, RESET and SHOW ...
// STATUS). "Setting the Source Configuration on the Replica" (8.0): "CHANGE
// REPLICATION SOURCE TO statement (from MySQL 8.0.23) or CHANGE MASTER TO
// statement (before MySQL 8.0.23)", and WL#14189, which gave every MASTER_
// option a SOURCE_ alias, GET_MASTER_PUBLIC_KEY included. "SHOW BINARY LOG
// STATUS Statement" (8.1-8.3): "This statement is added in MySQL 8.2.0 as a
// replacement for SHOW MASTER STATUS". MySQL 8.4.0 release notes, "SQL
// statements removed": START SLAVE, STOP SLAVE, SHOW SLAVE STATUS, RESET
// SLAVE, CHANGE MASTER TO and SHOW MASTER STATUS, and the MASTER_ options
// of CHANGE REPLICATION SOURCE TO. MariaDB accepts SLAVE/MASTER in every
// release (it added REPLICA as an alias in 10.5.1, "START SLAVE" in the
// MariaDB knowledge base), so MariaDB always gets the classic words.
//
// A Statement carries its text and a twin with secrets shown as 'xxx':
// String, logs, reports and errors use the twin; only SQL returns what is
// sent. Everything here is pure: no I/O, no logging.
package replsql

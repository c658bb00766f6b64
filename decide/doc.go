// Package decide holds the pure deciding functions of a dead-master
// failover: which replicas are the latest, which one becomes the new master
// (MHA 0.58 rules), which relay-log diffs a target needs, whether the
// evidence proves the master dead, and which replication mode to use. The
// text of the replication statements is package replsql's.
//
// Nothing here does I/O or logs. Callers gather observations into plain
// structs (Candidate, Evidence, ModeInput), call a function, and act on the
// result; every decision carries human-readable reasons for the failover
// report.
package decide

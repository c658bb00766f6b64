// Package instance reads the replication state of one MySQL or MariaDB
// server. It only observes: every statement here is read-only, so it is safe
// in checks and in dry-run planning. Deciding what the state means lives in
// other packages (checks, phases).
package instance

import (
	"strconv"
	"strings"
)

// Status is one server's replication-relevant state at one moment.
type Status struct {
	Version         string
	MariaDB         bool
	ServerID        uint32
	LogBin          bool
	LogSlaveUpdates bool
	ReadOnly        bool
	// SuperReadOnly is nil where the variable does not exist (MariaDB).
	SuperReadOnly *bool
	RelayLogPurge bool
	// GTID state: MariaDB's three positions, or MySQL's executed set.
	GTIDBinlogPos   string `json:",omitempty"`
	GTIDSlavePos    string `json:",omitempty"`
	GTIDCurrentPos  string `json:",omitempty"`
	GTIDStrictMode  bool   `json:",omitempty"`
	GTIDMode        string `json:",omitempty"`
	ExecutedGTIDSet string `json:",omitempty"`
	// GTIDDomainID is MariaDB's gtid_domain_id (0 on MySQL).
	GTIDDomainID uint32 `json:",omitempty"`
	// AutoIncrementIncrement and AutoIncrementOffset are the global
	// defaults; the masters of a dual-master pair need distinct offsets.
	AutoIncrementIncrement int `json:",omitempty"`
	AutoIncrementOffset    int `json:",omitempty"`
	// Binlog is SHOW MASTER STATUS; nil when log_bin is off.
	Binlog *BinlogStatus `json:",omitempty"`
	// Replica is SHOW SLAVE STATUS; nil when the server replicates from nobody.
	Replica *ReplicaStatus `json:",omitempty"`
}

// IsReplica reports whether the server is configured to replicate.
func (s *Status) IsReplica() bool { return s != nil && s.Replica != nil }

// BinlogStatus is the server's own binlog write position.
type BinlogStatus struct {
	File string
	Pos  uint64
	// DoDB and IgnoreDB are the binlog filters (Binlog_Do_DB,
	// Binlog_Ignore_DB), comma-separated as the server prints them.
	DoDB     string `json:",omitempty"`
	IgnoreDB string `json:",omitempty"`
}

// ReplFilters are a replica's Replicate_* filters, as the server prints
// them. The zero value means no filtering.
type ReplFilters struct {
	DoDB            string `json:",omitempty"`
	IgnoreDB        string `json:",omitempty"`
	DoTable         string `json:",omitempty"`
	IgnoreTable     string `json:",omitempty"`
	WildDoTable     string `json:",omitempty"`
	WildIgnoreTable string `json:",omitempty"`
}

// ReplicaStatus is SHOW SLAVE STATUS (or SHOW REPLICA STATUS), normalised to
// the classic column names whichever dialect the server speaks.
type ReplicaStatus struct {
	MasterHost          string
	MasterPort          int
	MasterUser          string
	MasterLogFile       string
	ReadMasterLogPos    uint64
	RelayLogFile        string
	RelayLogPos         uint64
	RelayMasterLogFile  string
	ExecMasterLogPos    uint64
	IORunning           string // Yes, No or Connecting
	SQLRunning          string // Yes or No
	SQLRunningState     string // what the SQL thread does, e.g. "Slave has read all relay log; ..."
	LastIOErrno         int
	LastIOError         string
	LastSQLErrno        int
	LastSQLError        string
	SecondsBehindMaster *int64 // nil when the server reports NULL
	UsingGTID           string // MariaDB: No, Slave_Pos, Current_Pos
	GTIDIOPos           string // MariaDB
	AutoPosition        bool   // MySQL
	RetrievedGTIDSet    string // MySQL
	ExecutedGTIDSet     string // MySQL
	Filters             ReplFilters
}

// IORunningYes reports whether the IO thread is connected and running.
func (r *ReplicaStatus) IORunningYes() bool { return r.IORunning == "Yes" }

// SQLRunningYes reports whether the SQL thread is running.
func (r *ReplicaStatus) SQLRunningYes() bool { return r.SQLRunning == "Yes" }

// SQLWaitsForRelayLog: the SQL thread runs and has executed all it can of
// the relay log (MariaDB, MySQL 5.7 say "Slave has read all relay log",
// MySQL 8 "Replica has read all relay log"), also when the log ends in
// the middle of a transaction it cannot finish.
func (r *ReplicaStatus) SQLWaitsForRelayLog() bool {
	return r.SQLRunningYes() && strings.Contains(r.SQLRunningState, "has read all relay log")
}

// ExecutedAllRead: the SQL thread executed everything the IO thread read.
func (r *ReplicaStatus) ExecutedAllRead() bool {
	return r.RelayMasterLogFile == r.MasterLogFile && r.ExecMasterLogPos == r.ReadMasterLogPos
}

// replicaColumnAliases maps MySQL 8.0.22+ SHOW REPLICA STATUS names to the
// classic ones, so one parser serves every server version.
var replicaColumnAliases = map[string]string{
	"Source_Host":               "Master_Host",
	"Source_Port":               "Master_Port",
	"Source_User":               "Master_User",
	"Source_Log_File":           "Master_Log_File",
	"Read_Source_Log_Pos":       "Read_Master_Log_Pos",
	"Relay_Source_Log_File":     "Relay_Master_Log_File",
	"Exec_Source_Log_Pos":       "Exec_Master_Log_Pos",
	"Replica_IO_Running":        "Slave_IO_Running",
	"Replica_SQL_Running":       "Slave_SQL_Running",
	"Replica_SQL_Running_State": "Slave_SQL_Running_State",
	"Seconds_Behind_Source":     "Seconds_Behind_Master",
}

// normaliseColumns rewrites dialect-specific column names to classic ones.
func normaliseColumns(row map[string]string) map[string]string {
	out := make(map[string]string, len(row))
	for k, v := range row {
		if classic, ok := replicaColumnAliases[k]; ok {
			k = classic
		}
		out[k] = v
	}
	return out
}

// ParseReplicaStatus turns one SHOW SLAVE/REPLICA STATUS row (column name to
// text value, NULL as absent) into a ReplicaStatus.
func ParseReplicaStatus(row map[string]string) *ReplicaStatus {
	r := normaliseColumns(row)
	rs := &ReplicaStatus{
		MasterHost:         r["Master_Host"],
		MasterPort:         atoi(r["Master_Port"]),
		MasterUser:         r["Master_User"],
		MasterLogFile:      r["Master_Log_File"],
		ReadMasterLogPos:   atou(r["Read_Master_Log_Pos"]),
		RelayLogFile:       r["Relay_Log_File"],
		RelayLogPos:        atou(r["Relay_Log_Pos"]),
		RelayMasterLogFile: r["Relay_Master_Log_File"],
		ExecMasterLogPos:   atou(r["Exec_Master_Log_Pos"]),
		IORunning:          r["Slave_IO_Running"],
		SQLRunning:         r["Slave_SQL_Running"],
		SQLRunningState:    r["Slave_SQL_Running_State"],
		LastIOErrno:        atoi(r["Last_IO_Errno"]),
		LastIOError:        r["Last_IO_Error"],
		LastSQLErrno:       atoi(r["Last_SQL_Errno"]),
		LastSQLError:       r["Last_SQL_Error"],
		UsingGTID:          r["Using_Gtid"],
		GTIDIOPos:          r["Gtid_IO_Pos"],
		AutoPosition:       r["Auto_Position"] == "1",
		RetrievedGTIDSet:   oneLine(r["Retrieved_Gtid_Set"]),
		ExecutedGTIDSet:    oneLine(r["Executed_Gtid_Set"]),
		Filters: ReplFilters{DoDB: r["Replicate_Do_DB"], IgnoreDB: r["Replicate_Ignore_DB"],
			DoTable: r["Replicate_Do_Table"], IgnoreTable: r["Replicate_Ignore_Table"],
			WildDoTable: r["Replicate_Wild_Do_Table"], WildIgnoreTable: r["Replicate_Wild_Ignore_Table"]},
	}
	if v, ok := r["Seconds_Behind_Master"]; ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			rs.SecondsBehindMaster = &n
		}
	}
	return rs
}

// oneLine removes the newlines MySQL puts into long GTID sets.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), "")
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

func atou(s string) uint64 {
	n, _ := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	return n
}

// boolVar interprets a server variable's text (ON/OFF/1/0).
func boolVar(s string) bool {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

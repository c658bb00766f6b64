package phases

import (
	"context"
	"fmt"

	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/nodeagent/proto"
)

// Changes on hosts, as the journal names them.
const (
	actApply     journal.Action = "apply"             // replay diffs into a server
	actOwnApply  journal.Action = "own_sql_thread"    // a server's SQL thread executes its own relay log
	actRepoint   journal.Action = "repoint"           // CHANGE MASTER to the new master, START SLAVE
	actHookStart journal.Action = "ip_failover_start" // master_ip_failover_script --command=start
	undoStartIO  journal.Action = "start_io_thread"   // revert a STOP SLAVE IO_THREAD
	undoStartSQL journal.Action = "start_sql_thread"  // revert a STOP SLAVE SQL_THREAD
	// undoWritable reverts a read_only=1 on a host that was writable: a
	// switchover's old master, a rejoining host.
	undoWritable journal.Action = "set_writable"
)

// Names of the decisions a resumed run restores.
const (
	decTopology  = "topology"
	decFrozen    = "frozen"
	decElection  = "election"
	decDiffs     = "diffs"
	decNewMaster = "new_master_position"
	decAgentDirs = "agent_dirs"
)

// topologyDecision is what phase 1 found.
type topologyDecision struct {
	Dead     string      `json:"dead_master"`
	Replicas []string    `json:"replicas"`
	Skipped  []string    `json:"skipped,omitempty"`
	Mode     decide.Mode `json:"mode"`
	SSH      bool        `json:"dead_master_ssh"`
}

// frozenCoords is one replica's frozen view of the dead master.
type frozenCoords struct {
	MasterLogFile      string `json:"master_log_file"`
	ReadMasterLogPos   uint64 `json:"read_master_log_pos"`
	RelayMasterLogFile string `json:"relay_master_log_file"`
	ExecMasterLogPos   uint64 `json:"exec_master_log_pos"`
	RelayLogFile       string `json:"relay_log_file"`
	RelayLogPos        uint64 `json:"relay_log_pos"`
	MasterUser         string `json:"master_user"`
	GTID               string `json:"gtid,omitempty"` // gtid_current_pos / executed_gtid_set
}

// electionDecision is the new master and the replica whose relay logs
// serve the others.
type electionDecision struct {
	NewMaster string `json:"new_master"`
	Base      string `json:"base"`
}

// diffRecord is one diff a host applies: a copy on that host, checked by
// its SHA-256 before a resumed run uses it. Result is what the agent said
// when it made the diff (size, checksum, GTID range, or the position
// range it ends at where there are no GTIDs).
type diffRecord struct {
	Kind   string               `json:"kind"`
	From   string               `json:"from"`
	Path   string               `json:"path"`
	Result *proto.ExtractResult `json:"result"`
}

// newMasterPosition is where the other replicas start on the new master:
// recorded before it accepts writes, since after that its SHOW MASTER
// STATUS has moved on.
type newMasterPosition struct {
	File string `json:"file"`
	Pos  uint64 `json:"pos"`
	GTID string `json:"gtid,omitempty"`
}

// agentDir is where a run's agent and diff files lie on a host.
type agentDir struct {
	Host string `json:"host"`
	Dir  string `json:"dir"`
}

// decide journals a decision (nothing in a dry run).
func (st *State) decide(ctx context.Context, phase, name string, v any) error {
	if err := st.run.Decide(ctx, phase, name, v); err != nil {
		return fmt.Errorf("record %s: %w", name, err)
	}
	return nil
}

func diffRecords(h *Host) []diffRecord {
	out := make([]diffRecord, 0, len(h.diffs))
	for _, d := range h.diffs {
		out = append(out, diffRecord{Kind: d.kind, From: d.fromName(), Path: d.path, Result: d.result})
	}
	return out
}

func (d diffFile) fromName() string {
	if d.from == nil {
		return d.fromRecord
	}
	return d.from.Name()
}

func freeze(h *Host) frozenCoords {
	f := h.Frozen
	return frozenCoords{MasterLogFile: f.MasterLogFile, ReadMasterLogPos: f.ReadMasterLogPos,
		RelayMasterLogFile: f.RelayMasterLogFile, ExecMasterLogPos: f.ExecMasterLogPos,
		RelayLogFile: f.RelayLogFile, RelayLogPos: f.RelayLogPos, MasterUser: f.MasterUser, GTID: gtidOf(h)}
}

func (f frozenCoords) replicaStatus() *instance.ReplicaStatus {
	return &instance.ReplicaStatus{MasterLogFile: f.MasterLogFile, ReadMasterLogPos: f.ReadMasterLogPos,
		RelayMasterLogFile: f.RelayMasterLogFile, ExecMasterLogPos: f.ExecMasterLogPos,
		RelayLogFile: f.RelayLogFile, RelayLogPos: f.RelayLogPos, MasterUser: f.MasterUser}
}

// diffFile is the recorded diff as the host that applies it holds it.
func (r diffRecord) diffFile() diffFile {
	res := *r.Result
	res.Output = r.Path
	return diffFile{kind: r.Kind, path: r.Path, source: r.Path, result: &res, fromRecord: r.From}
}

// host is the run's host of a config block, or nil.
func (st *State) host(block string) *Host {
	for _, h := range st.Hosts {
		if h.Name() == block {
			return h
		}
	}
	return nil
}

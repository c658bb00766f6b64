package checks

import (
	"fmt"

	"github.com/mhago/mhago/instance"
)

// Report is the operator-facing view of one check: stable field names, no
// secrets, suitable for --json.
type Report struct {
	App        string       `json:"app"`
	Config     string       `json:"config"`
	Healthy    bool         `json:"healthy"`
	Status     string       `json:"status"`
	ExitCode   int          `json:"exit_code"`
	Master     string       `json:"master,omitempty"`
	DurationMS int64        `json:"duration_ms"`
	Hosts      []HostReport `json:"hosts"`
	Redis      *RedisReport `json:"redis,omitempty"`
	Hooks      []HookReport `json:"hooks,omitempty"`
	Findings   []Finding    `json:"findings"`
}

// HostReport summarises one server.
type HostReport struct {
	Name            string         `json:"name"`
	Hostname        string         `json:"hostname"`
	Address         string         `json:"address"`
	Role            string         `json:"role"` // master, replica, unknown
	MySQL           string         `json:"mysql"`
	SSH             string         `json:"ssh"`
	Version         string         `json:"version,omitempty"`
	ServerID        uint32         `json:"server_id,omitempty"`
	ReadOnly        bool           `json:"read_only"`
	LogBin          bool           `json:"log_bin"`
	LogSlaveUpdates bool           `json:"log_slave_updates"`
	Binlog          string         `json:"binlog,omitempty"`
	GTIDBinlogPos   string         `json:"gtid_binlog_pos,omitempty"`
	ExecutedGTIDSet string         `json:"executed_gtid_set,omitempty"`
	Replica         *ReplicaReport `json:"replica,omitempty"`
}

// ReplicaReport summarises a host's replication threads.
type ReplicaReport struct {
	Master              string `json:"master"`
	IORunning           string `json:"io_running"`
	SQLRunning          string `json:"sql_running"`
	SecondsBehindMaster *int64 `json:"seconds_behind_master"`
	Read                string `json:"read"`
	Exec                string `json:"exec"`
	UsingGTID           string `json:"using_gtid,omitempty"`
	LastIOError         string `json:"last_io_error,omitempty"`
	LastSQLError        string `json:"last_sql_error,omitempty"`
}

// RedisReport is Redis reachability.
type RedisReport struct {
	Address string `json:"address"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
}

// HookReport is one hook's check.
type HookReport struct {
	Key            string `json:"key"`
	Path           string `json:"path"`
	OK             bool   `json:"ok"`
	StatusExitCode *int   `json:"status_exit_code,omitempty"`
	Error          string `json:"error,omitempty"`
}

// BuildReport assembles the view; exitCode comes from the CLI's mapping.
func BuildReport(in Input, res Result) Report {
	rep := Report{Healthy: res.Healthy(), Status: "ok", Master: res.Master, Findings: res.Findings}
	if w := res.Worst(); w != "" {
		rep.Status = string(w)
	}
	for _, h := range in.Hosts {
		rep.Hosts = append(rep.Hosts, hostReport(h, res.Master))
	}
	if in.Redis != nil {
		rep.Redis = &RedisReport{Address: in.Redis.Addr, OK: in.Redis.Err == nil, Error: errText(in.Redis.Err)}
	}
	for _, hk := range in.Hooks {
		hr := HookReport{Key: hk.Key, Path: hk.Path, OK: hk.Err == nil && hk.ExitCode == 0, Error: errText(hk.Err)}
		if hk.Called {
			code := hk.ExitCode
			hr.StatusExitCode = &code
		}
		rep.Hooks = append(rep.Hooks, hr)
	}
	return rep
}

func hostReport(h HostObs, master string) HostReport {
	hr := HostReport{Name: h.Name, Hostname: h.Hostname, Address: fmt.Sprintf("%s:%d", h.IP, h.Port), Role: "unknown", MySQL: "ok", SSH: "skipped"}
	if h.SQLErr != nil {
		hr.MySQL = h.SQLErr.Error()
	}
	if h.SSH != nil {
		hr.SSH = "ok"
		if h.SSH.Err != nil {
			hr.SSH = h.SSH.Err.Error()
		}
	}
	switch {
	case h.Name == master:
		hr.Role = "master"
	case h.Status.IsReplica():
		hr.Role = "replica"
	}
	if st := h.Status; st != nil {
		fillStatus(&hr, st)
	}
	return hr
}

func fillStatus(hr *HostReport, st *instance.Status) {
	hr.Version, hr.ServerID, hr.ReadOnly, hr.LogBin, hr.LogSlaveUpdates = st.Version, st.ServerID, st.ReadOnly, st.LogBin, st.LogSlaveUpdates
	hr.GTIDBinlogPos, hr.ExecutedGTIDSet = st.GTIDBinlogPos, st.ExecutedGTIDSet
	if st.Binlog != nil {
		hr.Binlog = fmt.Sprintf("%s:%d", st.Binlog.File, st.Binlog.Pos)
	}
	if r := st.Replica; r != nil {
		hr.Replica = &ReplicaReport{Master: fmt.Sprintf("%s:%d", r.MasterHost, r.MasterPort), IORunning: r.IORunning,
			SQLRunning: r.SQLRunning, SecondsBehindMaster: r.SecondsBehindMaster,
			Read: fmt.Sprintf("%s:%d", r.MasterLogFile, r.ReadMasterLogPos), Exec: fmt.Sprintf("%s:%d", r.RelayMasterLogFile, r.ExecMasterLogPos),
			UsingGTID: r.UsingGTID, LastIOError: r.LastIOError, LastSQLError: r.LastSQLError}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

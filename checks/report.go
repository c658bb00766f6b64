package checks

import (
	"fmt"

	"github.com/mhago/mhago/instance"
)

// Report is the operator-facing view of one check: stable field names, no
// secrets, suitable for --json.
type Report struct {
	App    string `json:"app"`
	Config string `json:"config"`
	// Cluster is the cluster id: what the lock, journal and guard files
	// are named after; managers of one cluster must show the same.
	Cluster    string `json:"cluster"`
	ClusterSet bool   `json:"cluster_id_set"` // false: derived from the servers`
	Healthy    bool   `json:"healthy"`
	Status     string `json:"status"`
	ExitCode   int    `json:"exit_code"`
	Master     string `json:"master,omitempty"`
	// DualMaster names the active and the passive master of a dual-master
	// pair; Master is then the active one.
	DualMaster *DualMaster  `json:"dual_master,omitempty"`
	DurationMS int64        `json:"duration_ms"`
	Hosts      []HostReport `json:"hosts"`
	Redis      *RedisReport `json:"redis,omitempty"`
	Hooks      []HookReport `json:"hooks,omitempty"`
	// ReplLogins are the replication user's logins from replica hosts to
	// candidate masters.
	ReplLogins []ReplLoginReport `json:"repl_logins,omitempty"`
	Manager    *ManagerReport    `json:"manager,omitempty"`
	Findings   []Finding         `json:"findings"`
}

// WorkdirReport is remote_workdir on one host and the agent run there.
type WorkdirReport struct {
	Path     string `json:"path"`
	Exists   bool   `json:"exists"`
	Writable bool   `json:"writable"`
	Error    string `json:"error,omitempty"`
	// Agent is "ok", "skipped" (not pushed) or why it could not run.
	Agent     string  `json:"agent"`
	NoExec    bool    `json:"noexec,omitempty"`
	FreeBytes *uint64 `json:"free_bytes,omitempty"`
	// Decoder and Client are the apply tools the agent found.
	Decoder    string `json:"decoder,omitempty"`
	Client     string `json:"client,omitempty"`
	ToolsError string `json:"tools_error,omitempty"`
	Leftover   string `json:"leftover,omitempty"`
}

// ReplLoginReport is one login of the replication user.
type ReplLoginReport struct {
	From string `json:"from"`
	To   string `json:"to"`
	User string `json:"user"`
	// Result is ok, refused, skipped, unsupported (the agent does not serve
	// the login test) or error (the call failed).
	Result    string `json:"result"`
	ErrorCode int    `json:"error_code,omitempty"`
	Message   string `json:"message,omitempty"`
}

// ManagerReport is the manager host's side: manager_workdir and manager_log.
type ManagerReport struct {
	Workdir string `json:"workdir"`
	// WorkdirState is "ok", "missing" (the failover creates it) or the error.
	WorkdirState string `json:"workdir_state"`
	Log          string `json:"log,omitempty"`
	LogState     string `json:"log_state,omitempty"`
}

// HostReport summarises one server.
type HostReport struct {
	Name            string         `json:"name"`
	Hostname        string         `json:"hostname"`
	Address         string         `json:"address"`
	Role            string         `json:"role"` // master, passive_master, replica, unknown
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
	RemoteWorkdir   *WorkdirReport `json:"remote_workdir,omitempty"`
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
	// PasswordStyle is how the failover hands passwords to hooks: "env"
	// or "args" (hook_password_args=1).
	PasswordStyle string `json:"password_style,omitempty"`
	// PasswordOption is the MHA password option the script parses.
	PasswordOption string `json:"password_option,omitempty"`
}

// BuildReport assembles the view; exitCode comes from the CLI's mapping.
func BuildReport(in Input, res Result) Report {
	rep := Report{Healthy: res.Healthy(), Status: "ok", Master: res.Master, DualMaster: res.Dual, Findings: res.Findings}
	if w := res.Worst(); w != "" {
		rep.Status = string(w)
	}
	for _, h := range in.Hosts {
		rep.Hosts = append(rep.Hosts, hostReport(h, res))
	}
	if in.Redis != nil {
		rep.Redis = &RedisReport{Address: in.Redis.Addr, OK: in.Redis.Err == nil, Error: errText(in.Redis.Err)}
	}
	for _, hk := range in.Hooks {
		hr := HookReport{Key: hk.Key, Path: hk.Path, OK: hk.Err == nil && hk.ExitCode == 0 && !hookMissesPassword(hk), Error: errText(hk.Err),
			PasswordStyle: string(hk.Style), PasswordOption: hk.PasswordOption}
		if hk.Called {
			code := hk.ExitCode
			hr.StatusExitCode = &code
		}
		rep.Hooks = append(rep.Hooks, hr)
	}
	for _, l := range in.ReplLogins {
		rep.ReplLogins = append(rep.ReplLogins, replLoginReport(l))
	}
	if m := in.Manager; m != nil {
		mr := &ManagerReport{Workdir: m.Workdir, WorkdirState: "ok", Log: m.Log}
		switch {
		case m.WorkdirErr != "":
			mr.WorkdirState = m.WorkdirErr
		case m.WorkdirMissing:
			mr.WorkdirState = "missing"
		}
		if m.Log != "" {
			mr.LogState = "ok"
			if m.LogErr != "" {
				mr.LogState = m.LogErr
			}
		}
		rep.Manager = mr
	}
	return rep
}

func replLoginReport(l ReplLoginObs) ReplLoginReport {
	r := ReplLoginReport{From: l.From, To: l.To, User: l.User, ErrorCode: l.ErrorCode, Message: l.Message}
	switch {
	case l.Skip != "":
		r.Result, r.Message = "skipped", l.Skip
	case l.Unsupported:
		r.Result = "unsupported"
	case l.Err != "":
		r.Result, r.Message = "error", l.Err
	case l.OK:
		r.Result = "ok"
	default:
		r.Result = "refused"
	}
	return r
}

func workdirReport(d WorkdirObs) *WorkdirReport {
	wr := &WorkdirReport{Path: d.Path, Exists: !d.Missing, Writable: !d.Missing && d.Err == "", Error: d.Err, Agent: "skipped", Leftover: d.Leftover}
	if a := d.Agent; a != nil {
		wr.Agent, wr.NoExec = "ok", a.NoExec
		if a.Err != "" {
			wr.Agent = a.Err
		} else {
			free := a.FreeBytes
			wr.FreeBytes, wr.Decoder, wr.Client, wr.ToolsError = &free, a.Decoder, a.Client, a.ToolsError
		}
	}
	return wr
}

func hostReport(h HostObs, res Result) HostReport {
	hr := HostReport{Name: h.Name, Hostname: h.Hostname, Address: fmt.Sprintf("%s:%d", h.IP, h.Port), Role: RoleUnknown, MySQL: "ok", SSH: "skipped"}
	if h.SQLErr != nil {
		hr.MySQL = h.SQLErr.Error()
	}
	if h.SSH != nil {
		hr.SSH = "ok"
		if h.SSH.Err != nil {
			hr.SSH = h.SSH.Err.Error()
		} else {
			hr.RemoteWorkdir = workdirReport(h.SSH.Workdir)
		}
	}
	switch {
	case h.Name == res.Master:
		hr.Role = RoleMaster
	case res.Dual != nil && h.Name == res.Dual.Passive:
		hr.Role = RolePassiveMaster
	case h.Status.IsReplica():
		hr.Role = RoleReplica
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

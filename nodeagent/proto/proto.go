// Package proto is the wire contract between mhago and its node agent: one
// JSON request on the agent's stdin, one JSON response on its stdout. It has
// no dependencies so both binaries share it without weight.
package proto

import "fmt"

// Version is the protocol version. mhago and the agent refuse each other
// when it differs, because a diff computed under other rules could lose data.
const Version = 1

// Commands the agent understands.
const (
	CmdVersion = "version"
	CmdStatus  = "status"
	CmdSave    = "save"
	CmdFind    = "find"
	CmdDiff    = "diff"
	CmdApply   = "apply"
	CmdLogin   = "login"
	CmdHash    = "hash"
	CmdVIP     = "vip"
	CmdProbe   = "probe"
	// CmdSession keeps the agent running for a whole run: it reads one
	// Envelope per request from stdin and answers each with an Envelope
	// on stdout, so a host pays for starting a process (and the SSH
	// user's login shell) once. Apply is never served this way: it runs
	// as its own process, which its pid file names.
	CmdSession = "session"
)

// Envelope carries one request, its answer, or the cancellation of a
// request, through a session; ID pairs them.
type Envelope struct {
	ID       uint64    `json:"id"`
	Cmd      string    `json:"cmd,omitempty"`
	Cancel   bool      `json:"cancel,omitempty"`
	Request  *Request  `json:"request,omitempty"`
	Response *Response `json:"response,omitempty"`
}

// Request is the envelope of every call.
type Request struct {
	Protocol int    `json:"protocol"`
	Manager  string `json:"manager_version"`
	// Exactly one of these is set, matching the command.
	Status *StatusRequest `json:"status,omitempty"`
	Save   *SaveRequest   `json:"save,omitempty"`
	Find   *FindRequest   `json:"find,omitempty"`
	Apply  *ApplyRequest  `json:"apply,omitempty"`
	Login  *LoginRequest  `json:"login,omitempty"`
	Hash   *HashRequest   `json:"hash,omitempty"`
	VIP    *VIPRequest    `json:"vip,omitempty"`
	Probe  *ProbeRequest  `json:"probe,omitempty"`
}

// Response is the envelope of every answer.
type Response struct {
	Protocol int    `json:"protocol"`
	Agent    string `json:"agent_version"`
	OK       bool   `json:"ok"`
	Error    *Error `json:"error,omitempty"`
	// Exactly one of these is set on success, matching the command.
	Version *VersionResult `json:"version,omitempty"`
	Status  *StatusResult  `json:"status,omitempty"`
	Extract *ExtractResult `json:"extract,omitempty"`
	Find    *FindResult    `json:"find,omitempty"`
	Apply   *ApplyResult   `json:"apply,omitempty"`
	Login   *LoginResult   `json:"login,omitempty"`
	Hash    *HashResult    `json:"hash,omitempty"`
	VIP     *VIPResult     `json:"vip,omitempty"`
	Probe   *ProbeResult   `json:"probe,omitempty"`
}

// ProbeRequest asks the agent's host whether it reaches a MySQL server:
// a TCP connect to Addr and a wait for its greeting, each within
// TimeoutMS. A replica's host that cannot reach its master proves the
// replica's IO thread, which may still say Yes, holds a dead connection.
type ProbeRequest struct {
	Addr      string `json:"addr"`
	TimeoutMS int    `json:"timeout_ms"`
}

// ProbeResult is what the host found: unreachable, silent or greeted
// (package netprobe), and why when unreachable.
type ProbeResult struct {
	Reach  string `json:"reach"`
	Detail string `json:"detail,omitempty"`
}

// HashRequest asks for the SHA-256 of a file on the host (a diff copied
// there, checked before it is applied).
type HashRequest struct {
	Path string `json:"path"`
}

// HashResult is the file's size and SHA-256 (hex).
type HashResult struct {
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// VIPOp is what a vip call does with the address.
type VIPOp string

// The vip operations. Add and del are idempotent: adding an address the
// interface has, or removing one it lacks, changes nothing and succeeds.
const (
	VIPAdd   VIPOp = "add"   // add it, then send gratuitous ARPs (also when it was there)
	VIPDel   VIPOp = "del"   // remove it
	VIPCheck VIPOp = "check" // say whether the interface has it
)

// VIPRequest adds, removes or looks for a virtual IP on one interface of
// the host.
type VIPRequest struct {
	Op        VIPOp  `json:"op"`
	Address   string `json:"address"` // IPv4 with prefix, e.g. 10.0.1.100/32
	Interface string `json:"interface"`
	// ARPCount is how many gratuitous ARPs add sends (0: DefaultARPCount),
	// ARPIntervalMS the pause between two (0: DefaultARPIntervalMS).
	ARPCount      int `json:"arp_count,omitempty"`
	ARPIntervalMS int `json:"arp_interval_ms,omitempty"`
}

// Defaults of a vip add: a few announcements, in case the first is lost.
const (
	DefaultARPCount      = 3
	DefaultARPIntervalMS = 100
)

// VIPResult is the interface's state after the call.
type VIPResult struct {
	Present bool   `json:"present"` // the interface has the address
	Changed bool   `json:"changed"` // this call added or removed it
	MAC     string `json:"mac"`     // the interface's hardware address
	ARPSent int    `json:"arp_sent,omitempty"`
}

// Error codes let mhago react to a cause without parsing text.
const (
	CodeBadRequest      = "bad_request"
	CodeVersionMismatch = "version_mismatch"
	CodeNotFound        = "position_not_found" // relay logs purged, or not an event boundary
	CodeCorrupt         = "corrupt"
	CodeIO              = "io"
	CodeApplyFailed     = "apply_failed"
	CodeApplyRunning    = "apply_running" // another apply holds the host's apply lock
	CodeInternal        = "internal"
)

// Error is a failed call's cause.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// VersionResult identifies the agent binary.
type VersionResult struct {
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// StatusRequest asks about binlog directories and the work directory.
type StatusRequest struct {
	BinlogDirs []string `json:"binlog_dirs"`
	Prefix     string   `json:"prefix,omitempty"` // binlog base name, e.g. mysql-bin; "" = every binlog-looking file
	Workdir    string   `json:"workdir"`
	// ClientBindir, when Tools is set, is where the apply tools are looked
	// for ("" = PATH), MHA's client_bindir.
	ClientBindir string `json:"client_bindir,omitempty"`
	Tools        bool   `json:"tools,omitempty"`
	// LockDir and Port, when set, ask whether an apply into the server on
	// Port holds the host's apply lock in LockDir (remote_workdir), and
	// report the server settings an apply that died left changed.
	LockDir string `json:"lock_dir,omitempty"`
	Port    int    `json:"port,omitempty"`
	// Host, User and Password, when set with LockDir and Port, let status
	// put those settings back, as the next apply would.
	Host     string `json:"host,omitempty"`
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"` // travels on stdin, never argv
}

// StatusResult describes what the agent found.
type StatusResult struct {
	Dirs          []DirStatus `json:"dirs"`
	WorkdirFree   uint64      `json:"workdir_free_bytes"`
	WorkdirExists bool        `json:"workdir_exists"`
	// Decoder and Client are the apply tools found (mariadb-binlog or
	// mysqlbinlog, mariadb or mysql); ToolsError says what is missing.
	Decoder    string `json:"decoder,omitempty"`
	Client     string `json:"client,omitempty"`
	ToolsError string `json:"tools_error,omitempty"`
	// Running is an apply that holds the lock now, nil if none.
	Running *RunningApply `json:"running_apply,omitempty"`
	// SettingsLeft are server settings an apply that is gone changed and
	// did not put back; with credentials in the request status restores
	// them, and each change says whether it was.
	SettingsLeft *ApplySettings `json:"settings_left,omitempty"`
}

// RunningApply is what an apply's pid file says about it: the manager that
// started it may have died, so whoever finds the lock held can wait for it
// or stop it instead of racing it.
type RunningApply struct {
	RunID   string   `json:"run_id"`
	PIDs    []int    `json:"pids"`    // agent, decoder, client
	Started string   `json:"started"` // RFC 3339
	Files   []string `json:"files"`
	// ConnectionID is the client's session on the server, once known. A
	// COMMIT the server had received may still run after the client died,
	// so whoever takes the lock next waits until that session is idle or
	// gone before reading what the server has executed.
	ConnectionID uint64 `json:"connection_id,omitempty"`
}

// DirStatus is one binlog directory.
type DirStatus struct {
	Path  string     `json:"path"`
	Error string     `json:"error,omitempty"`
	Files []FileInfo `json:"files,omitempty"`
}

// FileInfo is one binlog file.
type FileInfo struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// SaveRequest saves a (dead) master's binlogs from StartFile:StartPos to the
// end of the newest binlog with the same prefix, like MHA's save_binary_logs.
type SaveRequest struct {
	BinlogDirs []string `json:"binlog_dirs"`
	StartFile  string   `json:"start_file"`
	StartPos   int64    `json:"start_pos"`
	Output     string   `json:"output"`
}

// FindRequest locates a master position in a replica's relay logs, like
// MHA's apply_diff_relay_logs --command=find. With Output set (CmdDiff) the
// events after it are also written there.
type FindRequest struct {
	RelayDir    string `json:"relay_dir"`
	RelayPrefix string `json:"relay_prefix"` // e.g. relay-bin
	MasterFile  string `json:"master_file"`
	MasterPos   uint32 `json:"master_pos"`
	ServerID    uint32 `json:"server_id"` // the relay logs' owner, whose own events are skipped
	Output      string `json:"output,omitempty"`
	// FromFile/FromPos, when set, extract from this relay position instead
	// of searching (the target's own exec-to-read diff).
	FromFile string `json:"from_file,omitempty"`
	FromPos  int64  `json:"from_pos,omitempty"`
}

// FindResult is where the position was found.
type FindResult struct {
	RelayFile   string `json:"relay_file"`
	RelayOffset int64  `json:"relay_offset"`
	AllApplied  bool   `json:"all_applied"` // nothing follows the position
	// RemainingBytes is the size of the relay logs from the position to
	// the end of the newest one: how much the target still lacks, which
	// the election weighs against check_repl_delay.
	RemainingBytes int64          `json:"remaining_bytes"`
	Extract        *ExtractResult `json:"extract,omitempty"`
}

// ExtractResult describes a written diff file.
type ExtractResult struct {
	Output       string `json:"output"`
	Bytes        int64  `json:"bytes"`
	SHA256       string `json:"sha256"`
	Events       int    `json:"events"`
	Transactions int    `json:"transactions"`
	FirstGTID    string `json:"first_gtid,omitempty"`
	LastGTID     string `json:"last_gtid,omitempty"`
	StopFile     string `json:"stop_file,omitempty"`
	StopOffset   int64  `json:"stop_offset,omitempty"`
	// Truncated describes an incomplete last event in the input (a crash).
	Truncated string `json:"truncated,omitempty"`
	// OpenTail counts the events at the end of the diff that belong to a
	// transaction the input does not end: the next diff continues it.
	OpenTail int `json:"open_tail,omitempty"`
	// Note says why a save found nothing where a file was expected.
	Note string `json:"note,omitempty"`
}

// ApplyRequest replays diff files, in order, into the local server in one
// client session, so a transaction split across files is applied whole and
// the events reach the server's own binlog.
type ApplyRequest struct {
	Files    []string `json:"files"`
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	User     string   `json:"user"`
	Password string   `json:"password"` // travels on stdin, never argv
	// ClientBindir is where mariadb/mysql and mariadb-binlog/mysqlbinlog live
	// ("" = PATH), MHA's client_bindir.
	ClientBindir  string `json:"client_bindir,omitempty"`
	DisableLogBin bool   `json:"disable_log_bin,omitempty"`
	Workdir       string `json:"workdir"`
	// RunID names the run in the pid file of the host's apply lock.
	RunID string `json:"run_id,omitempty"`
	// LockDir holds the host's apply lock and pid file, one per server
	// port (remote_workdir, shared by every run). "" means the parent of
	// Workdir: the agent's run directory lies in remote_workdir.
	LockDir string `json:"lock_dir,omitempty"`
	// WaitRunningMS bounds the wait for an apply that already holds the
	// lock (a manager died mid-apply); then StopRunning kills it, else the
	// call fails with CodeApplyRunning.
	WaitRunningMS int64 `json:"wait_running_ms,omitempty"`
	StopRunning   bool  `json:"stop_running,omitempty"`
	// SkipExecuted leaves out every transaction the server has already
	// executed, judged under the lock from its own GTID state, so a diff
	// applied in part (or whole) by an earlier run is never applied twice.
	SkipExecuted bool `json:"skip_executed,omitempty"`
}

// ApplyProgress is an interim line an apply writes on stdout before its
// response (as {"progress": {...}}): how far the replay got.
type ApplyProgress struct {
	Bytes             int64 `json:"bytes"`
	TotalBytes        int64 `json:"total_bytes"`
	Transactions      int   `json:"transactions"`
	TotalTransactions int   `json:"total_transactions"`
}

// ProgressLine is the envelope of an ApplyProgress line.
type ProgressLine struct {
	Progress *ApplyProgress `json:"progress"`
}

// ApplyResult describes what was replayed.
type ApplyResult struct {
	Bytes        int64  `json:"bytes"`
	Events       int    `json:"events"`
	Transactions int    `json:"transactions"`
	FirstGTID    string `json:"first_gtid,omitempty"`
	LastGTID     string `json:"last_gtid,omitempty"`
	// Trimmed counts trailing events of a transaction that never ended (the
	// master died before its commit): they were not applied.
	Trimmed   int    `json:"trimmed"`
	Truncated string `json:"truncated,omitempty"`
	Decoder   string `json:"decoder"`
	// Tracked says the server records the GTIDs of what a client applies
	// (MariaDB with log_bin on, MySQL with gtid_mode=ON), so that what was
	// applied can be told from the server's state; Executed is that state
	// as read before applying.
	Tracked  bool   `json:"tracked"`
	Executed string `json:"executed,omitempty"`
	// Skipped counts transactions left out because the server had them.
	Skipped          int    `json:"skipped"`
	SkippedFirstGTID string `json:"skipped_first_gtid,omitempty"`
	SkippedLastGTID  string `json:"skipped_last_gtid,omitempty"`
	// Waited is an earlier apply found holding the lock, which this one
	// waited for (or stopped, when Stopped).
	Waited  *RunningApply `json:"waited,omitempty"`
	Stopped bool          `json:"stopped,omitempty"`
	// Settings are the server's global variables this apply changed for
	// its duration (max_allowed_packet raised so that a transaction's
	// BINLOG statement of any size is accepted; super_read_only switched
	// off, read_only left on) and whether each was put back.
	Settings []SettingChange `json:"settings,omitempty"`
	// SettingsLeft are the changes of an earlier apply that died before
	// putting them back, found under the lock and restored first.
	SettingsLeft *ApplySettings `json:"settings_left,omitempty"`
	// SettingsWarning says a setting could not be raised; the apply went
	// on, and a statement larger than the server allows will fail.
	SettingsWarning string `json:"settings_warning,omitempty"`
}

// Global variables an apply may change on the server.
const (
	VarMaxAllowedPacket = "max_allowed_packet"
	VarSuperReadOnly    = "super_read_only"
)

// SettingChange is one global variable an apply changed: from Was to Set,
// and whether it was put back (Restored). Note says why it was not, or
// that it needed no restoring.
type SettingChange struct {
	Variable string `json:"variable"`
	Was      string `json:"was"`
	Set      string `json:"set"`
	Restored bool   `json:"restored"`
	Note     string `json:"note,omitempty"`
}

// ApplySettings is what an apply recorded, before changing anything, in
// <LockDir>/mhago-apply-<port>.settings: the original values survive the
// agent's death, and whoever takes the lock next puts them back.
type ApplySettings struct {
	RunID   string          `json:"run_id"`
	Started string          `json:"started"` // RFC 3339
	Changes []SettingChange `json:"changes"`
}

// LoginRequest tries a MySQL login from this host, as a replica's IO thread
// would make it: the replication user against a candidate master.
type LoginRequest struct {
	Host         string `json:"host"`
	Port         int    `json:"port"`
	User         string `json:"user"`
	Password     string `json:"password"` // travels on stdin, never argv
	ClientBindir string `json:"client_bindir,omitempty"`
	Workdir      string `json:"workdir"`
}

// LoginResult is the outcome; a refused login is a result, not an error.
type LoginResult struct {
	OK        bool   `json:"ok"`
	ErrorCode int    `json:"error_code,omitempty"` // MySQL error number, e.g. 1045
	Message   string `json:"message,omitempty"`    // the client's ERROR line
}

// String is the change as a report line names it, e.g.
// "max_allowed_packet 16777216 -> 1073741824 (put back)".
func (c SettingChange) String() string {
	s := fmt.Sprintf("%s %s -> %s", c.Variable, c.Was, c.Set)
	switch {
	case c.Restored && c.Note == "":
		return s + " (put back)"
	case c.Restored:
		return s + " (" + c.Note + ")"
	case c.Note != "":
		return s + " (not put back: " + c.Note + ")"
	}
	return s + " (not put back yet)"
}

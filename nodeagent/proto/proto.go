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
)

// Request is the envelope of every call.
type Request struct {
	Protocol int    `json:"protocol"`
	Manager  string `json:"manager_version"`
	// Exactly one of these is set, matching the command.
	Status *StatusRequest `json:"status,omitempty"`
	Save   *SaveRequest   `json:"save,omitempty"`
	Find   *FindRequest   `json:"find,omitempty"`
	Apply  *ApplyRequest  `json:"apply,omitempty"`
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
}

// Error codes let mhago react to a cause without parsing text.
const (
	CodeBadRequest      = "bad_request"
	CodeVersionMismatch = "version_mismatch"
	CodeNotFound        = "position_not_found" // relay logs purged, or not an event boundary
	CodeCorrupt         = "corrupt"
	CodeIO              = "io"
	CodeApplyFailed     = "apply_failed"
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
}

// StatusResult describes what the agent found.
type StatusResult struct {
	Dirs          []DirStatus `json:"dirs"`
	WorkdirFree   uint64      `json:"workdir_free_bytes"`
	WorkdirExists bool        `json:"workdir_exists"`
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
}

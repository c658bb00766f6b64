// Package checks is mhago's health check (MHA's check_ssh and check_repl in
// one). Gather observes every host in parallel; Evaluate is a pure function
// from those observations to findings, so every rule is table-tested without
// servers.
package checks

import (
	"errors"
	"time"

	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/instance"
)

// Category groups failures by what the operator must do; the CLI maps each
// to its own exit code. They are ordered by precedence: when several fail,
// the first one in this list decides the exit code.
type Category string

// Failure categories, in precedence order.
const (
	CatMasterUnreachable Category = "master_unreachable"
	CatReplication       Category = "replication_broken"
	CatLogin             Category = "mysql_login"
	CatSSH               Category = "ssh"
	CatEnvironment       Category = "environment"
)

// Precedence lists the categories from most to least severe.
var Precedence = []Category{CatMasterUnreachable, CatReplication, CatLogin, CatSSH, CatEnvironment}

// Sentinels wrapped by Result.Err, one per category.
var (
	ErrMasterUnreachable = errors.New("master unreachable")
	ErrReplication       = errors.New("replication broken")
	ErrLogin             = errors.New("mysql login refused")
	ErrSSH               = errors.New("ssh failure")
	ErrEnvironment       = errors.New("host not ready for failover")
)

var categoryErr = map[Category]error{
	CatMasterUnreachable: ErrMasterUnreachable, CatReplication: ErrReplication,
	CatLogin: ErrLogin, CatSSH: ErrSSH, CatEnvironment: ErrEnvironment,
}

// Severity of a finding. Only FAIL makes the check unhealthy.
type Severity string

// Severities.
const (
	SevFail Severity = "FAIL"
	SevWarn Severity = "WARN"
)

// Finding is one thing the operator should know, with the fix.
type Finding struct {
	Severity Severity `json:"severity"`
	Category Category `json:"category,omitempty"`
	Host     string   `json:"host,omitempty"`
	Check    string   `json:"check"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
}

// HostObs is everything observed about one configured server.
type HostObs struct {
	Name       string // config block, e.g. server1
	Hostname   string
	IP         string
	Port       int
	NoMaster   bool
	Candidate  bool
	IgnoreFail bool
	// User is the admin user mhago logs in as; PasswordFrom says where its
	// password is set ("password_file (app.cnf:3, [server default])"), so
	// a refused login names the line to correct.
	User         string
	PasswordFrom string
	// ReplUser is repl_user ("" = the replica's Master_User).
	// ReplPasswordSet is false when neither repl_password nor
	// repl_password_file applies: a failover then keeps every replica's
	// current password, as MHA does. ReplPasswordFrom locates the setting.
	ReplUser         string
	ReplPasswordSet  bool
	ReplPasswordFrom string
	ClientBindir     string
	// SSHUser, SSHHost, SSHPort and SSHKeys are how the manager logs in
	// over SSH, for the fix of a refused login.
	SSHUser string
	SSHHost string
	SSHPort int
	SSHKeys []string
	// SSH is nil when the SSH check was skipped (skip_init_ssh_check).
	SSH    *SSHObs
	SQLErr error
	Status *instance.Status
	// ReplGrant is nil when it was not checked (host down or not a candidate).
	ReplGrant *GrantObs
	// ActiveMaster is the master its active-master record names ("" when
	// it holds none).
	ActiveMaster string
}

// SSHObs is what was seen over SSH on one host.
type SSHObs struct {
	Err        error
	BinlogDirs []DirObs
	Workdir    WorkdirObs
}

// WorkdirObs is remote_workdir on one host, where a failover pushes its
// agent and writes binlog and relay-log diffs.
type WorkdirObs struct {
	Path string
	// Missing: the directory does not exist (check never creates it).
	Missing bool
	// Err is why the directory cannot be used: not a directory, or the
	// write probe (a temporary file, removed again) failed.
	Err string
	// Agent is nil when no agent was pushed (directory missing or not
	// writable, or no agent binary).
	Agent *AgentObs
	// Leftover names what the check could not remove again (its probe
	// file or its agent directory), for the operator to delete.
	Leftover string
}

// AgentObs is the node agent pushed into remote_workdir for the check and
// its status answer.
type AgentObs struct {
	// Err is why the agent could not be pushed, run or asked; NoExec and
	// NoSpace name the two causes an operator fixes on the host's mounts.
	Err     string
	NoExec  bool
	NoSpace bool
	// Fix is set when the agent binary does not fit the host (its
	// architecture or C library) and says how to get one that does.
	Fix string
	// FreeBytes is the free space in remote_workdir (valid when Err == "").
	FreeBytes uint64
	// Decoder and Client are the apply tools the agent found
	// (mariadb-binlog or mysqlbinlog, mariadb or mysql), ToolsError what
	// it missed; all empty when the agent does not report tools.
	Decoder, Client, ToolsError string
}

// Ready reports whether the agent runs on the host.
func (a *AgentObs) Ready() bool { return a != nil && a.Err == "" }

// ReplLoginObs is one login of the replication user, from a replica's host
// to a server that could become master, made the way that replica's IO
// thread would make it after a failover.
type ReplLoginObs struct {
	From string // config block of the replica whose host logs in
	To   string // config block of the candidate master
	User string
	// Skip says why the login was not tried (repl_password not set, no
	// user known); the other fields are then empty.
	Skip string
	// Unsupported: the agent answered bad_request (it does not serve
	// proto.CmdLogin).
	Unsupported bool
	// Err is a failed call (SSH, agent), which says nothing about the
	// password.
	Err string
	// OK, ErrorCode and Message are the agent's result.
	OK        bool
	ErrorCode int
	Message   string
}

// ManagerObs is the manager host's side of a failover: the directory for
// the journal, reports and guard files, and the log. The caller observes
// it before opening manager_log, so a missing log is seen as missing.
type ManagerObs struct {
	Workdir string
	// WorkdirMissing: it does not exist but can be created (the failover
	// creates it); WorkdirErr: it cannot be used or created.
	WorkdirMissing bool
	WorkdirErr     string
	Log            string // "" = logs go to stderr
	LogErr         string
	// Unfinished says where an earlier failover run stopped without
	// finishing ("" = none): a failover waits for --resume or --abandon.
	Unfinished string
	// Config is the config file, for the commands the finding prints.
	Config string
	// ErrorFiles are leftover <cluster>.failover.error files (and MHA's
	// <app>.failover.error): a failover refuses to start while one exists.
	ErrorFiles []ErrorFileObs
}

// ErrorFileObs is a failover error file left in manager_workdir.
type ErrorFileObs struct {
	Path  string
	Since time.Time
	First string // its first line: which run failed, and how
}

// DirObs is one directory checked over SSH.
type DirObs struct {
	Path  string   `json:"path"`
	Err   string   `json:"error,omitempty"`
	Files []string `json:"-"`
}

// GrantObs is the replication user's account as seen on one server.
type GrantObs struct {
	User  string
	OK    bool
	Hosts []string
	Err   error
}

// RedisObs is the Redis reachability result; nil when Redis is not configured.
type RedisObs struct {
	Addr string
	Err  error
}

// HookObs is one configured hook script and its --command=status call.
type HookObs struct {
	Key      string // config key
	Path     string
	Err      error // not found or not executable
	Called   bool
	ExitCode int
	Output   string // scrubbed of every configured secret
	// Style is how the failover will hand it passwords.
	Style hooks.PasswordStyle
	// PasswordOption is the MHA password option the script parses
	// (new_master_password, orig_master_password), "" if none.
	PasswordOption string
}

// Input is the whole observation of a cluster.
type Input struct {
	Hosts []HostObs
	// Redis is nil when redis_address is not set.
	Redis *RedisObs
	// TopologyMaster is the master the Redis topology names ("" when none
	// or unread).
	TopologyMaster string
	Hooks          []HookObs
	// ReplLogins are the replication user's logins tried from replica
	// hosts to candidate masters (nil when none could be planned).
	ReplLogins []ReplLoginObs
	// Manager is nil when the caller did not observe the manager host.
	Manager *ManagerObs
	// AgentErr is why no node agent binary is available ("" = found).
	AgentErr string
	ReplUser string
	MaxLag   time.Duration
	// CheckReplFilter requires identical binlog and replication filters
	// (check_repl_filter).
	CheckReplFilter bool
}

// Result is the evaluated health of a cluster.
type Result struct {
	Master string `json:"master,omitempty"` // config block name
	// Dual is set when the master is the active one of a dual-master pair.
	Dual     *DualMaster `json:"dual_master,omitempty"`
	Findings []Finding   `json:"findings"`
	Failed   []Category  `json:"failed_categories,omitempty"`
}

// Healthy reports whether no check failed.
func (r Result) Healthy() bool { return len(r.Failed) == 0 }

// Worst is the failed category with the highest precedence, or "".
func (r Result) Worst() Category {
	for _, c := range Precedence {
		for _, f := range r.Failed {
			if f == c {
				return c
			}
		}
	}
	return ""
}

// Err is nil when healthy, else an error wrapping the sentinel of the worst
// category, with the first failing finding as its text.
func (r Result) Err() error {
	w := r.Worst()
	if w == "" {
		return nil
	}
	for _, f := range r.Findings {
		if f.Severity == SevFail && f.Category == w {
			return &CheckError{Category: w, Finding: f}
		}
	}
	return &CheckError{Category: w}
}

// CheckError is an unhealthy check result as an error.
type CheckError struct {
	Category Category
	Finding  Finding
}

func (e *CheckError) Error() string {
	f := e.Finding
	msg := string(e.Category)
	if f.Host != "" {
		msg += ": " + f.Host
	}
	if f.Message != "" {
		msg += ": " + f.Message
	}
	return msg
}

// Unwrap lets errors.Is match the category's sentinel.
func (e *CheckError) Unwrap() error { return categoryErr[e.Category] }

// Package phases is mhago's dead-master failover: a flat script of named
// phases (see failoverSteps), each a small function over a shared State,
// run by package runner, which owns the lock, the journal, timeouts, panic
// recovery, the undo stack and the point of no return. The same phases
// finish an earlier run that did not (resumeSteps) or close it
// (abandonSteps). Phases decide through package decide (pure) and act
// through thin helpers that run SQL, SSH and Redis. Nothing here prints:
// results go into the report.
package phases

import (
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/runner"
)

// Options are the operator's choices for one run.
type Options struct {
	DryRun    bool
	NewMaster string // config block or hostname[:port] to promote (--new-master)
	// DeadMaster are the names (block, hostname or IP, with or without
	// :port) the operator gave the dead master; each must name the server
	// the replicas replicate from (MHA's --dead_master_host/ip/port).
	DeadMaster         []string
	IgnoreLastFailover bool
	LastFailover       time.Duration // refuse when the last failover is younger (default 8h)
	NoLock             bool          // run without the Redis lock (Redis down)
	HookPasswordArgs   bool          // MHA compatibility: passwords in hook argv
	SkipSaveBinlog     bool
	// IgnoreBinlogServerError fails over even when binlog servers are
	// configured and none could provide the dead master's binlog.
	IgnoreBinlogServerError bool
	// RemoveDeadMasterConf deletes the dead master's [serverN] block from
	// the config file after a fully successful failover (MHA's
	// --remove_dead_master_conf).
	RemoveDeadMasterConf bool
	AcceptNewHostKeys    bool
	ConfirmWait          time.Duration // how long replicas may take to notice the master is gone
	// Resume finishes an earlier run that did not (or that failed after
	// its point of no return); Abandon closes it without finishing it.
	Resume, Abandon bool
	// ApplyWait bounds the wait for an apply an earlier run left running on
	// a host before it is stopped (default 2 minutes).
	ApplyWait time.Duration
	RunID     string
	Command   string // how mhago was started, for the lock holder
	// Switch are the choices of a planned switchover.
	Switch SwitchOptions
	Host   string // rejoin: config block or hostname[:port] of the host (--host)
}

// Deps are the run's collaborators.
type Deps struct {
	Config *config.Config
	Log    *slog.Logger
	Agent  agentctl.Binary
	Now    func() time.Time
	// Warn tells the operator something at once (stderr): a journal that
	// can no longer be written, a lost lock.
	Warn func(string)
	// Progress shows how far a long catch-up got (about every second);
	// nil shows nothing.
	Progress func(Progress)
}

// Host is one configured server during the run.
type Host struct {
	Server config.Server
	DB     *sql.DB
	Status *instance.Status
	SQLErr error
	SSH    *remote.Client
	SSHErr error
	Agent  *agentctl.Agent
	// RelayDir and RelayPrefix locate the replica's relay logs.
	RelayDir, RelayPrefix string
	// Frozen is SHOW SLAVE STATUS after the IO thread was stopped and the
	// SQL thread settled: the coordinates every decision uses.
	Frozen *instance.ReplicaStatus
	// lackRelayLogs: no latest replica holds its missing events.
	lackRelayLogs bool
	// readGap is how many relay-log bytes the base replica holds beyond
	// this replica's read position; ownBacklog how many bytes of its own
	// relay log its SQL thread has not executed (when backlogKnown).
	readGap, ownBacklog int64
	backlogKnown        bool
	// diffs are the files to apply here, in order.
	diffs []diffFile
	// failoverLock is MHA's failover lock on this replica, held for the
	// run so that purge_relay_logs cannot purge what the diffs read.
	failoverLock *instance.FailoverLock
	// applierBefore is the parallel applier setting widenApplier
	// replaced, until it is put back.
	applierBefore *journal.Undo
	// cannot says why this replica cannot be recovered (a diff file lost
	// since an earlier run made it), or "".
	cannot string
}

// Name is the config block.
func (h *Host) Name() string { return h.Server.Block }

// diffFile is a diff to apply on a host: where it was made, and where the
// copy on the host that applies it lies (path, once distributed).
type diffFile struct {
	kind   string // exec, read, master_binlog
	from   *Host  // where it was extracted; nil when restored from a journal
	source string // its path on from
	path   string // its path on the host that applies it
	result *proto.ExtractResult
	// fromRecord names the source host of a diff restored from a journal.
	fromRecord string
}

// State is everything a run knows; phases read and fill it in order.
type State struct {
	deps    Deps
	opts    Options
	log     *slog.Logger
	cfg     *config.Config
	cluster string
	op      Operation

	run      *runner.Runner[*State]
	pool     *remote.Pool
	redis    *coord.Client
	mirror   *coord.JournalMirror
	hostLock *journal.HostLock
	// prev is the earlier run this one resumes or abandons; superseded
	// are older unfinished journals it replaces.
	prev       *journal.Replay
	superseded []*journal.Replay

	Hosts []*Host
	Dead  *Host
	// Orig is the live master a switchover replaces; markerEnd is its
	// binlog position right after the marker row.
	Orig       *Host
	markerEnd  *instance.BinlogStatus
	markerGTID string
	dual       bool    // the old master replicates from the new one (dual-master pair)
	Replicas   []*Host // alive replicas of the dead master, config order
	Skipped    []*Host // dead or broken replicas with ignore_fail
	// Unmanaged are third-tier replicas (multi_tier_slave=1), left as they
	// are: they follow their relay master.
	Unmanaged []*Host
	// Binlogs are the [binlogN] servers (SSH only, no MySQL).
	Binlogs []*Host

	SSHReachable bool // the dead master's host answers over SSH
	Mode         decide.Mode

	Latest, Oldest []*Host
	Base           *Host // the latest replica whose relay logs serve the others
	NewMaster      *Host
	Saved          *diffFile // the dead master's saved binlog, nil if none

	// NewMasterPos is where the other replicas start replicating.
	NewMasterFile string
	NewMasterPos  uint64
	NewMasterGTID string

	Report      *report.Report
	ReportPaths [2]string // JSON and text report files

	rejoin *rejoinState // set by a rejoin only
}

// errors callers map to exit codes.
var (
	ErrMasterAlive = errors.New("master is alive")
	ErrGuard       = errors.New("failover guard")
	ErrPartial     = errors.New("failover completed, but some replicas were not recovered")
	ErrTopology    = errors.New("unexpected topology")
	// ErrUnfinished: an earlier run did not finish; the operator chooses
	// --resume or --abandon.
	ErrUnfinished = errors.New("an earlier run did not finish")
	// ErrManagerWorkdir: the run could not keep its journal, report or
	// guard files, so it did not start.
	ErrManagerWorkdir = errors.New("manager_workdir not writable")
)

// The runner's outcomes, under the names callers already use.
var (
	ErrAborted         = runner.ErrAborted
	ErrAbortIncomplete = runner.ErrAbortIncomplete
	ErrAfterPONR       = runner.ErrAfterPONR
)

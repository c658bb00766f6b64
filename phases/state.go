// Package phases is mhago's dead-master failover: a flat script of named
// phases (see Failover), each a small function over a shared State. Phases
// decide through package decide (pure) and act through thin helpers that run
// SQL, SSH and Redis. Nothing here prints: results go into the report.
package phases

import (
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/report"
)

// Options are the operator's choices for one run.
type Options struct {
	DryRun             bool
	NewMaster          string // config block or hostname[:port] to promote (--new-master)
	IgnoreLastFailover bool
	LastFailover       time.Duration // refuse when the last failover is younger (default 8h)
	NoLock             bool          // run without the Redis lock (Redis down)
	HookPasswordArgs   bool          // MHA compatibility: passwords in hook argv
	SkipSaveBinlog     bool
	// RemoveDeadMasterConf deletes the dead master's [serverN] block from
	// the config file after a fully successful failover (MHA's
	// --remove_dead_master_conf).
	RemoveDeadMasterConf bool
	AcceptNewHostKeys    bool
	ConfirmWait          time.Duration // how long replicas may take to notice the master is gone
	RunID                string
	Command              string // how mhago was started, for the lock holder
}

// Deps are the run's collaborators.
type Deps struct {
	Config *config.Config
	Log    *slog.Logger
	Agent  agentctl.Binary
	Now    func() time.Time
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
	// ioStopped records that phase 2 stopped this replica's IO thread, so
	// an abort before the point of no return can restart it.
	ioStopped  bool
	sqlStopped bool
	// lackRelayLogs: no latest replica holds its missing events.
	lackRelayLogs bool
	// readGap is how many relay-log bytes the base replica holds beyond
	// this replica's read position; ownBacklog how many bytes of its own
	// relay log its SQL thread has not executed (when backlogKnown).
	readGap, ownBacklog int64
	backlogKnown        bool
	// diffs are the files (on this host, in order) to apply here.
	diffs []diffFile
}

// Name is the config block.
func (h *Host) Name() string { return h.Server.Block }

// diffFile is a diff to apply on a host, and where it came from.
type diffFile struct {
	kind   string // exec, read, master_binlog
	host   *Host  // where the file is
	path   string
	result *proto.ExtractResult
}

// State is everything a run knows; phases read and fill it in order.
type State struct {
	deps Deps
	opts Options
	log  *slog.Logger
	cfg  *config.Config

	pool  *remote.Pool
	redis *redis.Client
	lock  *coord.Lock

	Hosts    []*Host
	Dead     *Host
	Replicas []*Host // alive replicas of the dead master, config order
	Skipped  []*Host // dead or broken replicas with ignore_fail

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

	Report       *report.Report
	ReportPaths  [2]string // JSON and text report files
	pastNoReturn bool
}

// errors callers map to exit codes.
var (
	ErrMasterAlive = errors.New("master is alive")
	ErrGuard       = errors.New("failover guard")
	ErrAborted     = errors.New("failover aborted before the point of no return; cluster left as it was")
	ErrAfterPONR   = errors.New("failover failed after the point of no return; manual recovery needed")
	ErrPartial     = errors.New("failover completed, but some replicas were not recovered")
	ErrTopology    = errors.New("unexpected topology")
)

// Package report records what a failover did, step by step, and writes it as
// JSON and as text. The text starts with MHA 0.58's "Failover Report" (same
// subject and body lines, so mail filters and report_script keep working)
// and continues with mhago's details. A report is written for every run,
// also a refused, failed or interrupted one.
package report

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/internal/redact"
)

// Modes.
const (
	ModeFailover = "failover"
	ModeDryRun   = "dry-run"
	ModeResume   = "resume"  // finishing an earlier run (--resume)
	ModeAbandon  = "abandon" // closing an earlier run (--abandon)
	// ModeSwitchover and ModeRejoin name the planned operations; the
	// operation of any run is in Report.Operation.
	ModeSwitchover = "switchover"
	ModeRejoin     = "rejoin"
)

// Outcomes of a run.
const (
	OutcomeSuccess     = "success"     // every host recovered
	OutcomePartial     = "partial"     // new master active, some replica not recovered
	OutcomeRefused     = "refused"     // a guard said no; nothing was touched
	OutcomeAborted     = "aborted"     // failed before the point of no return; cluster unchanged
	OutcomeFailed      = "failed"      // failed after the point of no return
	OutcomeInterrupted = "interrupted" // signal or cancelled context
	OutcomePlanned     = "planned"     // dry run finished
	// OutcomeAbortIncomplete: failed before the point of no return, and
	// some of what the run had stopped could not be restarted.
	OutcomeAbortIncomplete = "aborted_incomplete"
	OutcomeAbandoned       = "abandoned" // an earlier run closed with --abandon
)

// Phase statuses. A phase still "running" when the report is finished was
// cut short, and is marked "interrupted".
const (
	PhaseRunning     = "running"
	PhaseOK          = "ok"
	PhaseFailed      = "failed"
	PhaseSkipped     = "skipped"
	PhaseInterrupted = "interrupted"
)

// Host roles and statuses.
const (
	RoleNewMaster  = "new_master"
	RoleReplica    = "replica"
	RoleDeadMaster = "dead_master"

	HostRecovered = "recovered"
	HostFailed    = "failed"
	HostSkipped   = "skipped"
	HostPlanned   = "planned"
)

// Diff kinds: the three sources MHA applies, in order.
const (
	DiffExec         = "exec"          // relay log from Exec to Read position (own relay log)
	DiffRead         = "read"          // from the latest slave's relay log
	DiffMasterBinlog = "master_binlog" // saved from the dead master
)

// now is the clock; tests replace it.
var now = time.Now

// Report is one failover run. Use it through a pointer. Its methods may be
// called from the goroutines that recover replicas in parallel; the
// *HostResult and *Phase they return belong to the goroutine working on
// that host or phase.
type Report struct {
	App                   string    `json:"app"`
	Cluster               string    `json:"cluster,omitempty"` // the cluster id (lock, journal, guard files)
	Config                string    `json:"config"`
	RunID                 string    `json:"run_id"`
	Fence                 int64     `json:"fence"`
	Mode                  string    `json:"mode"`
	Operation             string    `json:"operation,omitempty"` // failover, switchover, rejoin
	Interactive           bool      `json:"interactive"`
	ManagerHost           string    `json:"manager_host,omitempty"`
	LogPath               string    `json:"log_path,omitempty"`
	Started               time.Time `json:"started"`
	Finished              time.Time `json:"finished"`
	Outcome               string    `json:"outcome"`
	Error                 string    `json:"error,omitempty"`
	PointOfNoReturnPassed bool      `json:"point_of_no_return_passed"`
	// MasterNotDead: the run refused because the master was not confirmed
	// dead (it answers, a replica still reads from it, or it hangs unfenced).
	MasterNotDead bool    `json:"master_not_dead,omitempty"`
	DeadMaster    HostRef `json:"dead_master"`
	// Switch is set by a planned switchover.
	Switch    *Switchover   `json:"switchover,omitempty"`
	NewMaster *HostRef      `json:"new_master,omitempty"`
	Election  *Election     `json:"election,omitempty"`
	Phases    []*Phase      `json:"phases"`
	Hosts     []*HostResult `json:"hosts"`
	Unsaved   []string      `json:"unrecoverable,omitempty"` // see Unrecoverable
	// Lost bounds what this run could not recover: the dead master's
	// binlog after these coordinates reached no replica and was not saved.
	Lost  *Lost          `json:"lost,omitempty"`
	Hooks []hooks.Result `json:"hooks,omitempty"`
	Lock  *LockInfo      `json:"lock,omitempty"`
	Notes []string       `json:"notes,omitempty"`
	// Remaining is what a run that otherwise finished left undone (a step
	// whose failure did not stop it), each with the way to finish it.
	Remaining []Remaining `json:"remaining,omitempty"`
	// Rejoin is set by a rejoin run.
	Rejoin *Rejoin `json:"rejoin,omitempty"`
	// ManualSteps are, after a failover that stopped past its point of no
	// return, the steps left to finish it by hand, in order, with the
	// statements and coordinates to use.
	ManualSteps []string `json:"manual_steps,omitempty"`
	// Files are where this report is written (set by Write).
	Files *Files `json:"report_files,omitempty"`

	mu       sync.Mutex
	scrubber *redact.Scrubber
}

// Lost says which of the dead master's transactions are gone: every one
// whose commit lies in Host's binlog after File:Pos. Anyone who later gets
// at that binlog (the repaired host, a backup) can list them exactly.
type Lost struct {
	Host string `json:"host"`
	File string `json:"file"`
	Pos  uint64 `json:"pos"`
	Why  string `json:"why"`
}

// Files are the report's files: this run's, and the app's latest copy.
type Files struct {
	JSON     string `json:"json"`
	Text     string `json:"text"`
	LastJSON string `json:"last_json"`
	LastText string `json:"last_text"`
}

// Remaining is one thing a run left undone, and how to do it.
type Remaining struct {
	Phase  string `json:"phase"`  // the step that failed
	Action string `json:"action"` // what is left and the command that does it
}

// HostRef names a server the way MHA prints it.
type HostRef struct {
	Name string `json:"name"`
	IP   string `json:"ip"`
	Port int    `json:"port"`
}

// HostInfo is MHA's "hostname(ip:port)".
func (h HostRef) HostInfo() string {
	return h.Name + "(" + h.IP + ":" + strconv.Itoa(h.Port) + ")"
}

// Election records why the new master was chosen and the others were not.
type Election struct {
	Chosen  string            `json:"chosen"`
	Step    string            `json:"step,omitempty"`    // the selection rule that decided
	Latest  string            `json:"latest,omitempty"`  // the latest slave, base of the relay-log diffs
	Reasons map[string]string `json:"reasons,omitempty"` // host -> why not chosen (or why chosen)
}

// Phase is one step of the run.
type Phase struct {
	Name     string        `json:"name"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Status   string        `json:"status"`
	Error    string        `json:"error,omitempty"`
	Notes    []string      `json:"notes,omitempty"`
}

// HostResult is what happened to one server.
type HostResult struct {
	Name                string   `json:"name"`
	Address             string   `json:"address,omitempty"` // ip:port
	Role                string   `json:"role,omitempty"`
	Status              string   `json:"status,omitempty"`
	Error               string   `json:"error,omitempty"`
	Before              Position `json:"before"`
	After               Position `json:"after"`
	Diffs               []Diff   `json:"diffs,omitempty"`
	AppliedBytes        int64    `json:"applied_bytes"`
	AppliedEvents       int      `json:"applied_events"`
	AppliedTransactions int      `json:"applied_transactions"`
	// Paths says how the host got what it lacked, and why that way.
	Paths []PathTaken `json:"apply_paths,omitempty"`
}

// ApplyPath is one way a host is brought up to date.
type ApplyPath string

const (
	// PathOwnSQLThread: the server's own SQL thread executed the relay log
	// it had already received (the fastest applier: no copy, no client).
	PathOwnSQLThread ApplyPath = "own_sql_thread"
	// PathDiffReplay: diff files replayed through the server's client by
	// the agent, in one session.
	PathDiffReplay ApplyPath = "diff_replay"
)

// PathTaken is one path a host took, with what went through it.
type PathTaken struct {
	Path  ApplyPath `json:"path"`
	Bytes int64     `json:"bytes"`
	Why   string    `json:"why"`
}

// HostInfo is MHA's "hostname(ip:port)", or the bare name without address.
func (h *HostResult) HostInfo() string {
	if h.Address == "" {
		return h.Name
	}
	return h.Name + "(" + h.Address + ")"
}

// Position is a replication position: binlog coordinates and/or a GTID set.
type Position struct {
	File string `json:"file,omitempty"`
	Pos  uint64 `json:"pos,omitempty"`
	GTID string `json:"gtid,omitempty"`
}

// String is "file:pos", plus " gtid=..." when known, or "-" when empty.
func (p Position) String() string {
	s := ""
	if p.File != "" {
		s = p.File + ":" + strconv.FormatUint(p.Pos, 10)
	}
	if p.GTID != "" {
		if s != "" {
			s += " "
		}
		s += "gtid=" + p.GTID
	}
	if s == "" {
		return "-"
	}
	return s
}

// Diff is one chunk of events applied to a host.
type Diff struct {
	Kind         string `json:"kind"`
	From         string `json:"from"`
	Bytes        int64  `json:"bytes"`
	Events       int    `json:"events"`
	Transactions int    `json:"transactions"`
	FirstGTID    string `json:"first_gtid,omitempty"`
	LastGTID     string `json:"last_gtid,omitempty"`
}

// LockInfo is the distributed lock the run held.
type LockInfo struct {
	Key    string `json:"key"`
	Fence  int64  `json:"fence"`
	Holder string `json:"holder"`
}

// New starts a report; Outcome stays empty until Finish.
func New(app, config, runID, mode string, started time.Time) *Report {
	host, _ := os.Hostname() // only for the "Check logs at host:path" line
	return &Report{App: app, Config: config, RunID: runID, Mode: mode, Started: started, ManagerHost: host, scrubber: redact.New()}
}

// hostRef splits addr ("ip:port", as config.Server.Addr gives it).
func hostRef(name, addr string) HostRef {
	ip, port, err := net.SplitHostPort(addr)
	if err != nil {
		return HostRef{Name: name, IP: addr}
	}
	p, _ := strconv.Atoi(port)
	return HostRef{Name: name, IP: ip, Port: p}
}

// SetDeadMaster records the master being replaced; addr is "ip:port".
func (r *Report) SetDeadMaster(name, addr string) {
	r.mu.Lock()
	r.DeadMaster = hostRef(name, addr)
	r.mu.Unlock()
}

// SetNewMaster records the elected master; addr is "ip:port".
func (r *Report) SetNewMaster(name, addr string) {
	ref := hostRef(name, addr)
	r.mu.Lock()
	r.NewMaster = &ref
	r.mu.Unlock()
}

// SetElection records the election; reasons is copied. Set
// r.Election.Latest afterwards to name the latest slave in the MHA body.
func (r *Report) SetElection(chosen, step string, reasons map[string]string) {
	e := &Election{Chosen: chosen, Step: step, Reasons: make(map[string]string, len(reasons))}
	for k, v := range reasons {
		e.Reasons[k] = v
	}
	r.mu.Lock()
	r.Election = e
	r.mu.Unlock()
}

// SetLock records the distributed lock; its fence is the run's fence.
func (r *Report) SetLock(key string, fence int64, holder string) {
	r.mu.Lock()
	r.Lock = &LockInfo{Key: key, Fence: fence, Holder: holder}
	r.Fence = fence
	r.mu.Unlock()
}

// StartPhase appends a running phase and returns it; call End on it.
func (r *Report) StartPhase(name string) *Phase {
	p := &Phase{Name: name, Started: now(), Status: PhaseRunning}
	r.mu.Lock()
	r.Phases = append(r.Phases, p)
	r.mu.Unlock()
	return p
}

// SkipPhase records a phase that was not run, and why.
func (r *Report) SkipPhase(name, reason string) {
	r.StartPhase(name).Skip(reason)
}

// End closes the phase: ok when err is nil, else failed with err's text.
func (p *Phase) End(err error) {
	p.Duration = now().Sub(p.Started)
	p.Status = PhaseOK
	if err != nil {
		p.Status, p.Error = PhaseFailed, err.Error()
	}
}

// Skip closes the phase as skipped, with the reason as a note.
func (p *Phase) Skip(reason string) {
	p.Duration = now().Sub(p.Started)
	p.Status = PhaseSkipped
	if reason != "" {
		p.Notes = append(p.Notes, reason)
	}
}

// Note adds a note to the phase.
func (p *Phase) Note(s string) {
	p.Notes = append(p.Notes, s)
}

// AddHook records a hook call with its arguments and output redacted.
func (r *Report) AddHook(res hooks.Result) {
	res.Args = r.scrubber.Args(res.Args)
	res.Output = r.Scrub(res.Output)
	res.Err = r.Scrub(res.Err)
	r.mu.Lock()
	r.Hooks = append(r.Hooks, res)
	r.mu.Unlock()
}

// HostResult returns the result for the named host, creating it at the
// end of the list the first time. A non-empty addr ("ip:port") or role is
// recorded, except that a new master stays one.
func (r *Report) HostResult(name, addr, role string) *HostResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	var h *HostResult
	for _, x := range r.Hosts {
		if x.Name == name {
			h = x
			break
		}
	}
	if h == nil {
		h = &HostResult{Name: name}
		r.Hosts = append(r.Hosts, h)
	}
	if addr != "" {
		h.Address = addr
	}
	if role != "" && h.Role != RoleNewMaster {
		h.Role = role
	}
	return h
}

// Recovered marks the host recovered.
func (h *HostResult) Recovered() { h.Status, h.Error = HostRecovered, "" }

// Fail marks the host failed with err's text.
func (h *HostResult) Fail(err error) {
	h.Status = HostFailed
	if err != nil {
		h.Error = err.Error()
	}
}

// Skip marks the host skipped (not touched), and why.
func (h *HostResult) Skip(reason string) { h.Status, h.Error = HostSkipped, reason }

// Plan marks the host as planned (dry run).
func (h *HostResult) Plan() { h.Status = HostPlanned }

// AddDiff records one diff generated for the host.
func (h *HostResult) AddDiff(d Diff) { h.Diffs = append(h.Diffs, d) }

// Took records a path the host took.
func (h *HostResult) Took(p ApplyPath, bytes int64, why string) {
	h.Paths = append(h.Paths, PathTaken{Path: p, Bytes: bytes, Why: why})
}

// Applied adds what one apply session replayed on the host.
func (h *HostResult) Applied(bytes int64, events, transactions int) {
	h.AppliedBytes += bytes
	h.AppliedEvents += events
	h.AppliedTransactions += transactions
}

// Note adds a run-level note.
func (r *Report) Note(s string) {
	r.mu.Lock()
	r.Notes = append(r.Notes, s)
	r.mu.Unlock()
}

// Unrecoverable records something that could not be saved, e.g. "dead
// master's binlog after mysql-bin.000003:1234: SSH unreachable"; it goes to
// the Unsaved list.
func (r *Report) Unrecoverable(s string) {
	r.mu.Lock()
	r.Unsaved = append(r.Unsaved, s)
	r.mu.Unlock()
}

// LostAfter records that the dead master's binlog after file:pos is lost
// (and says so in the Unsaved list too).
func (r *Report) LostAfter(host, file string, pos uint64, why string) {
	r.mu.Lock()
	r.Lost = &Lost{Host: host, File: file, Pos: pos, Why: why}
	r.Unsaved = append(r.Unsaved, fmt.Sprintf("dead master's binlog after %s:%d: %s; transactions it wrote but no replica received are lost", file, pos, why))
	r.mu.Unlock()
}

// AddSecret registers values (passwords) that must never appear in the
// report as written or printed: they are masked wherever they occur (see
// redact for secrets shorter than redact.MinLen).
func (r *Report) AddSecret(values ...string) {
	r.mu.Lock()
	if r.scrubber == nil { // a report decoded from JSON
		r.scrubber = redact.New()
	}
	sc := r.scrubber
	r.mu.Unlock()
	sc.Add(values...)
}

// Scrub masks the registered secrets and password= values in s: hooks
// use it on their output before it is cut.
func (r *Report) Scrub(s string) string { return r.scrubber.String(s) }

// ScrubArgs masks --*password= arguments and secrets in an argument list.
func (r *Report) ScrubArgs(args []string) []string { return r.scrubber.Args(args) }

// Leave records what a step whose failure did not stop the run left
// undone; OperatorActions lists it first.
func (r *Report) Leave(phase, action string) {
	r.mu.Lock()
	r.Remaining = append(r.Remaining, Remaining{Phase: phase, Action: action})
	r.mu.Unlock()
}

// Finish sets the finish time, the outcome and the error, and marks phases
// still running as interrupted (a run cut short by a signal or a panic).
func (r *Report) Finish(at time.Time, outcome string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Finished, r.Outcome = at, outcome
	if err != nil {
		r.Error = err.Error()
	}
	for _, p := range r.Phases {
		if p.Status == PhaseRunning {
			p.Status, p.Duration = PhaseInterrupted, r.Finished.Sub(p.Started)
		}
	}
}

// newMasterResult is the host result of the new master, or nil.
func (r *Report) newMasterResult() *HostResult {
	for _, h := range r.Hosts {
		if h.Role == RoleNewMaster || (r.NewMaster != nil && h.Name == r.NewMaster.Name) {
			return h
		}
	}
	return nil
}

// activated tells whether a new master took over, which is when MHA adds
// " to <new>" to the subject and the new_* arguments to report_script.
func (r *Report) activated() bool {
	if r.NewMaster == nil || r.Mode == ModeDryRun {
		return false
	}
	if r.Outcome == OutcomeSuccess || r.Outcome == OutcomePartial {
		return true
	}
	h := r.newMasterResult()
	return h != nil && h.Status == HostRecovered
}

// RecoveredReplicaHosts lists the replicas that recovered, in report order: the
// --new_slave_hosts of report_script.
func (r *Report) RecoveredReplicaHosts() []string {
	var out []string
	for _, h := range r.Hosts {
		if h.Role == RoleReplica && h.Status == HostRecovered {
			out = append(out, h.Name)
		}
	}
	return out
}

// ReportScriptArgs are report_script's arguments for this report, built
// with hooks.ReportArgs (MHA passes hostnames, not hostinfo).
func (r *Report) ReportScriptArgs() []string {
	newHost := ""
	if r.activated() {
		newHost = r.NewMaster.Name
	}
	return hooks.ReportArgs(r.DeadMaster.Name, newHost, r.RecoveredReplicaHosts(), r.Config, Subject(r), Body(r))
}

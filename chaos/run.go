package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mhago/mhago/testenv/cluster"
)

// Env is where scenarios run: the mhago binary (built with -tags
// mhagofault, the agent beside it), the directory for clusters and what
// is kept of failed scenarios, and the testenv addresses.
type Env struct {
	Mhago    string
	Dir      string // clusters are made in Dir/cluster; failures kept in Dir/seed-<seed>
	Base     int    // testenv base address
	Net      int    // testenv third octet (0: $MHAGO_TESTENV_NET)
	KeepAll  bool   // keep the artifacts of passing scenarios too
	Progress func(string)
}

// Result is the outcome of one scenario.
type Result struct {
	Scenario  Scenario
	Passed    bool
	Problems  []string // every broken promise, or why the scenario could not run
	Runs      []Run
	Acked     int      // acknowledged transactions
	Lost      int      // transactions lost (acknowledged or in flight), as the report's bound said
	LostAcked int      // of which acknowledged
	Missed    []string // drawn faults that did not strike
	Elapsed   time.Duration
	Artifacts string // reports, logs and mhago's output, kept for a failure
}

// Run is one invocation of mhago within a scenario.
type Run struct {
	Args       []string
	Fault      string
	Exit       int
	Outcome    string
	ReportFile string
	PONR       bool // the report says the point of no return was passed
	Elapsed    time.Duration
}

// scenarioRun holds one scenario's cluster and what happened to it.
type scenarioRun struct {
	env     Env
	sc      Scenario
	c       *cluster.Cluster
	r       *rand.Rand
	load    *Workload
	res     *Result
	notes   []string
	struck  []Fault  // faults done at their pause
	outputs []string // mhago's stdout and stderr per run, for the artifacts
}

// RunScenario plays sc on a fresh cluster and checks every promise. It
// always tears the cluster down; what a failure needs for a diagnosis is
// copied to Artifacts first.
func RunScenario(ctx context.Context, env Env, sc Scenario) Result {
	t0 := time.Now()
	res := Result{Scenario: sc}
	s := newScenarioRun(env, sc, &res)
	err := s.play(ctx)
	if err != nil {
		res.Problems = append(res.Problems, err.Error())
	}
	res.Passed = len(res.Problems) == 0
	if s.c != nil {
		if !res.Passed || env.KeepAll {
			res.Artifacts = s.keepArtifacts()
		}
		if err := s.c.Down(); err != nil {
			res.Problems = append(res.Problems, "teardown: "+err.Error())
			res.Passed = false
		}
	}
	res.Elapsed = time.Since(t0)
	return res
}

// newScenarioRun gives the scenario its own random source for timings
// (kill delays), drawn from the seed like everything else.
func newScenarioRun(env Env, sc Scenario, res *Result) *scenarioRun {
	return &scenarioRun{env: env, sc: sc, r: rand.New(rand.NewPCG(uint64(sc.Seed), 0x6b696c6c)), res: res}
}

func (s *scenarioRun) progress(format string, args ...any) {
	if s.env.Progress != nil {
		s.env.Progress(fmt.Sprintf("seed %d: ", s.sc.Seed) + fmt.Sprintf(format, args...))
	}
}

// play is the scenario as a flat script.
func (s *scenarioRun) play(ctx context.Context) error {
	if err := s.up(ctx); err != nil {
		return err
	}
	if err := s.loadAndKill(ctx); err != nil {
		return err
	}
	if err := s.failOver(ctx); err != nil {
		return err
	}
	s.res.Problems = append(s.res.Problems, s.verify(ctx)...)
	return nil
}

func (s *scenarioRun) up(ctx context.Context) error {
	dir := filepath.Join(s.env.Dir, "cluster")
	os.RemoveAll(dir)
	c, err := cluster.Up(ctx, cluster.Options{
		Dir: dir, Hosts: s.sc.Hosts(), Base: s.env.Base, Net: s.env.Net, GTID: s.sc.GTID,
		BinlogFormat: s.sc.Format, MaxBinlogSize: s.sc.BinlogSize, MaxRelayLogSize: s.sc.RelayLogSize,
	})
	if err != nil {
		return fmt.Errorf("testenv up: %w", err)
	}
	s.c = c
	if err := s.installHook(); err != nil {
		return err
	}
	for _, q := range strings.Split(schemaSQL, ";\n") {
		if err := c.Exec(ctx, 1, q); err != nil {
			return fmt.Errorf("create the workload schema: %w", err)
		}
	}
	return c.SyncReplicas(ctx)
}

// hookScript is the master_ip_failover_script of every scenario: it
// answers as MHA's sample does, except that it fails or hangs on the
// command hook.mode names ("stop:fail", "start:hang"); each call is
// logged to hook.calls, which tells whether a hook fault struck.
const hookScript = `#!/bin/sh
cmd=
for a in "$@"; do case "$a" in --command=*) cmd="${a#--command=}";; esac; done
echo "$cmd" >> '%[1]s/hook.calls'
# MHA says stopssh when the dead master's host answers over SSH.
[ "$cmd" = stopssh ] && cmd=stop
case "$(cat '%[1]s/hook.mode' 2>/dev/null)" in
"$cmd:fail") exit 1 ;;
"$cmd:hang") exec sleep 120 ;;
esac
exit 0
`

// phaseTimeout bounds a hung hook; it is far above any phase's own time
// in these scenarios.
const phaseTimeout = "10s"

func (s *scenarioRun) installHook() error {
	dir := s.c.Dir()
	hook := filepath.Join(dir, "ip_failover.sh")
	if err := os.WriteFile(hook, []byte(fmt.Sprintf(hookScript, dir)), 0o700); err != nil {
		return fmt.Errorf("write hook: %w", err)
	}
	conf, err := os.ReadFile(s.c.ConfigPath())
	if err != nil {
		return err
	}
	extra := "[server default]\nmaster_ip_failover_script=" + hook + "\nphase_timeout=" + phaseTimeout + "\n"
	out := strings.Replace(string(conf), "[server default]\n", extra, 1)
	return os.WriteFile(s.c.ConfigPath(), []byte(out), 0o600)
}

func (s *scenarioRun) setHookMode(mode string) error {
	return os.WriteFile(filepath.Join(s.c.Dir(), "hook.mode"), []byte(mode), 0o600)
}

// loadAndKill runs the mixed load with the drawn disturbances and large
// transactions, then SIGKILLs the master as drawn.
func (s *scenarioRun) loadAndKill(ctx context.Context) error {
	cfg, err := mysql.ParseDSN(s.c.DSN(1))
	if err != nil {
		return err
	}
	w, err := startWorkload(ctx, cfg, s.sc)
	if err != nil {
		return err
	}
	s.load = w
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.disturb(ctx, start) }()
	s.bigBeforeKill(ctx, start)
	sleepUntil(ctx, start.Add(s.sc.LoadFor))
	signal := s.killSignal(ctx)
	if err := s.c.KillMySQL(1); err != nil {
		return fmt.Errorf("kill the master: %w", err)
	}
	wg.Wait()
	w.Wait(30 * time.Second)
	s.res.Acked = w.Acked()
	s.progress("master killed (%s, %s) after %d acknowledged transactions", s.sc.Kill, signal, s.res.Acked)
	if s.res.Acked == 0 {
		return errors.New("no transaction was acknowledged before the kill: the load never ran")
	}
	return nil
}

// bigBeforeKill spreads the large transactions not saved for the kill
// over the first part of the load; each runs on client 0 in its turn.
func (s *scenarioRun) bigBeforeKill(ctx context.Context, start time.Time) {
	n := s.sc.BigTx
	if s.sc.Kill != KillPlain {
		n--
	}
	for i := range n {
		sleepUntil(ctx, start.Add(s.sc.LoadFor*time.Duration(i+1)/time.Duration(n+2)))
		s.load.Big(ctx, s.sc.BigMB)
	}
}

// killSignal waits for the moment the kill mode asks for, then a drawn
// few milliseconds more.
func (s *scenarioRun) killSignal(ctx context.Context) string {
	var want string
	var delay time.Duration
	switch s.sc.Kill {
	case KillMidBig:
		want, delay = "rows", time.Duration(s.r.IntN(40))*time.Millisecond
	case KillBigCommit:
		want, delay = "commit", time.Duration(s.r.IntN(4))*time.Millisecond
	default:
		return "small transactions in flight"
	}
	sig := s.load.Big(ctx, s.sc.BigMB)
	if sig == nil {
		return "no large transaction (client 0 had stopped)"
	}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case got := <-sig:
			if got == want {
				time.Sleep(delay)
				return fmt.Sprintf("%s+%s of a %d MB transaction", want, delay, s.sc.BigMB)
			}
		case <-timeout:
			return "large transaction never reached " + want
		}
	}
}

// disturb applies the drawn disturbances at their times. An error (a
// thread already stopped) is noted, not fatal: the cluster is whatever it
// is when the master dies.
func (s *scenarioRun) disturb(ctx context.Context, start time.Time) {
	for _, d := range s.sc.Disturb {
		sleepUntil(ctx, start.Add(d.At))
		var err error
		switch d.Kind {
		case StopIO:
			err = s.c.StopIOThread(ctx, d.Host)
		case StopSQL:
			err = s.c.StopSQLThread(ctx, d.Host)
		case StartSlave:
			err = s.c.StartSlave(ctx, d.Host)
		case FlushBinlog:
			err = s.c.FlushBinaryLogs(ctx, 1)
		case FlushRelay:
			err = s.c.Exec(ctx, d.Host, "FLUSH RELAY LOGS")
		}
		if err != nil {
			s.notes = append(s.notes, fmt.Sprintf("%s: %v", d, err))
		}
	}
	if s.sc.StopAllIO > 0 {
		sleepUntil(ctx, start.Add(s.sc.StopAllIO))
		for i := 2; i <= s.c.N(); i++ {
			if err := s.c.StopIOThread(ctx, i); err != nil {
				s.notes = append(s.notes, fmt.Sprintf("stop IO thread of host %d: %v", i, err))
			}
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(t)):
	}
}

package chaos

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mhago/mhago/report"
)

// wantOutcome is the outcome each documented exit code reports.
var wantOutcome = map[int][]string{
	0:  {report.OutcomeSuccess},
	9:  {report.OutcomeRefused},
	10: {report.OutcomePartial},
	11: {report.OutcomeRefused},
	12: {report.OutcomeAborted},
	13: {report.OutcomeFailed},
	14: {report.OutcomeAbortIncomplete},
}

// checkRun checks what can be checked right after one run: its report
// (printed and written) agrees with its exit code, and a run that
// refused or aborted left the cluster as it was.
func (s *scenarioRun) checkRun(ctx context.Context, run Run, rep *report.Report) []string {
	var p []string
	name := fmt.Sprintf("run %d (%s)", len(s.res.Runs), strings.Join(run.Args, " "))
	if run.Exit == -1 {
		if !strings.Contains(run.Fault, "kill@") {
			p = append(p, name+": mhago died by a signal nobody sent")
		}
		return p
	}
	if rep == nil {
		return append(p, fmt.Sprintf("%s: exit %d without a report", name, run.Exit))
	}
	if want, ok := wantOutcome[run.Exit]; ok && !slices.Contains(want, rep.Outcome) && !(run.Exit == 0 && rep.Outcome == report.OutcomeAbandoned) {
		p = append(p, fmt.Sprintf("%s: exit %d but outcome %q", name, run.Exit, rep.Outcome))
	}
	s.res.Runs[len(s.res.Runs)-1].PONR = rep.PointOfNoReturnPassed
	if err := s.checkWrittenReport(rep); err != nil {
		p = append(p, name+": "+err.Error())
	}
	if rep.Outcome == report.OutcomeFailed && !rep.PointOfNoReturnPassed {
		p = append(p, name+": outcome failed but the report says the point of no return was not passed")
	}
	switch rep.Outcome {
	case report.OutcomeRefused, report.OutcomeAborted, report.OutcomeAbortIncomplete:
		if !s.changedBefore() {
			p = append(p, s.unchanged(ctx, name)...)
		}
	}
	return p
}

// changedBefore tells whether an earlier run may have changed the
// cluster: one passed its point of no return, or died without a report.
func (s *scenarioRun) changedBefore() bool {
	for _, r := range s.res.Runs[:len(s.res.Runs)-1] {
		if r.Exit == -1 || r.PONR {
			return true
		}
	}
	return false
}

// checkWrittenReport finds the report file of rep's run in manager_workdir
// and compares its outcome.
func (s *scenarioRun) checkWrittenReport(rep *report.Report) error {
	matches, _ := filepath.Glob(filepath.Join(s.c.ManagerDir(), "*."+rep.RunID+".json"))
	if len(matches) != 1 {
		return fmt.Errorf("no report file for run %s in %s", rep.RunID, s.c.ManagerDir())
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		return err
	}
	var written report.Report
	if err := json.Unmarshal(b, &written); err != nil {
		return fmt.Errorf("report file %s: %w", matches[0], err)
	}
	if written.Outcome != rep.Outcome {
		return fmt.Errorf("report file says %q, mhago printed %q", written.Outcome, rep.Outcome)
	}
	s.res.Runs[len(s.res.Runs)-1].ReportFile = matches[0]
	return nil
}

// unchanged checks that no replica was promoted or repointed: every
// running replica is read-only and still names the dead master.
func (s *scenarioRun) unchanged(ctx context.Context, name string) []string {
	var p []string
	for i := 2; i <= s.c.N(); i++ {
		if !s.c.MySQLRunning(i) {
			continue
		}
		ro, err := s.readOnly(ctx, i)
		if err != nil {
			p = append(p, fmt.Sprintf("%s: host %d: %v", name, i, err))
			continue
		}
		st, err := s.c.SlaveStatus(ctx, i)
		if err != nil {
			p = append(p, fmt.Sprintf("%s: host %d: %v", name, i, err))
			continue
		}
		if !ro || st["Master_Host"] != s.c.IP(1) {
			p = append(p, fmt.Sprintf("%s: the run did not leave the cluster as it was: host %d read_only=%v master=%q", name, i, ro, st["Master_Host"]))
		}
	}
	return p
}

func (s *scenarioRun) readOnly(ctx context.Context, i int) (bool, error) {
	db, err := s.c.DB(i)
	if err != nil {
		return false, err
	}
	var ro bool
	err = db.QueryRowContext(ctx, "SELECT @@global.read_only").Scan(&ro)
	return ro, err
}

// verify checks the promises once the operator's loop has ended.
func (s *scenarioRun) verify(ctx context.Context) []string {
	last, rep := s.finalReport()
	if rep == nil || (rep.Outcome != report.OutcomeSuccess && rep.Outcome != report.OutcomePartial) || rep.NewMaster == nil {
		return []string{fmt.Sprintf("the cluster was not recovered: last run %s ended with exit %d, outcome %q", strings.Join(last.Args, " "), last.Exit, last.Outcome)}
	}
	nm := s.hostByName(rep.NewMaster.Name)
	if nm == 0 {
		return []string{"new master " + rep.NewMaster.Name + " is not a testenv host"}
	}
	p := s.restartRecovered(ctx, rep)
	p = append(p, s.checkTopology(ctx, rep, nm)...)
	survivors := s.survivors(rep, nm)
	ctx2, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := s.c.SyncReplicas(ctx2, survivors...); err != nil {
		return append(p, "survivors did not catch up with the new master: "+err.Error())
	}
	if err := s.c.CompareChecksums(ctx, survivors...); err != nil {
		p = append(p, err.Error())
	}
	p = append(p, s.compareSchemas(ctx, survivors)...)
	return append(p, s.checkTransactions(ctx, nm)...)
}

// restartRecovered starts again each replica chaos stopped after the run
// had recovered it (a crash after the failover, not during it), as the
// operator would: repointed already, it must simply replicate from the new
// master and catch up.
func (s *scenarioRun) restartRecovered(ctx context.Context, rep *report.Report) []string {
	var p []string
	for _, f := range s.struck {
		if f.Kind != StopReplica || !hostRecovered(rep, f.Host) || s.c.MySQLRunning(f.Host) {
			continue
		}
		if err := s.c.StartMySQL(f.Host); err != nil {
			p = append(p, fmt.Sprintf("restart server%d, stopped after its recovery: %v", f.Host, err))
			continue
		}
		s.notes = append(s.notes, fmt.Sprintf("server%d, stopped after its recovery, started again", f.Host))
		if err := s.c.WaitSlaveRunning(ctx, f.Host); err != nil {
			s.notes = append(s.notes, err.Error())
		}
	}
	return p
}

// finalReport is the last run and the last report printed.
func (s *scenarioRun) finalReport() (Run, *report.Report) {
	last := s.res.Runs[len(s.res.Runs)-1]
	return last, readReport(last.ReportFile)
}

func (s *scenarioRun) hostByName(name string) int {
	var i int
	if _, err := fmt.Sscanf(name, "server%d", &i); err != nil || i < 1 || i > s.c.N() {
		return 0
	}
	return i
}

// checkTopology: the dead master stays dead, the new master is the one
// writable server, and each replica is where the report says it is.
func (s *scenarioRun) checkTopology(ctx context.Context, rep *report.Report, nm int) []string {
	var p []string
	if s.c.MySQLRunning(1) {
		p = append(p, "the dead master is running again")
	}
	for i := 2; i <= s.c.N(); i++ {
		if !s.c.MySQLRunning(i) {
			if hostRecovered(rep, i) {
				p = append(p, fmt.Sprintf("report says server%d recovered, but its mariadbd is down", i))
			}
			continue
		}
		ro, err := s.readOnly(ctx, i)
		if err != nil {
			p = append(p, fmt.Sprintf("host %d: %v", i, err))
			continue
		}
		if i == nm {
			if ro {
				p = append(p, fmt.Sprintf("new master server%d is read-only", i))
			}
			continue
		}
		if !ro {
			p = append(p, fmt.Sprintf("server%d is writable besides the new master", i))
		}
		st, err := s.c.SlaveStatus(ctx, i)
		if err != nil {
			p = append(p, fmt.Sprintf("host %d: %v", i, err))
			continue
		}
		replicating := st["Master_Host"] == s.c.IP(nm) && st["Slave_IO_Running"] == "Yes" && st["Slave_SQL_Running"] == "Yes"
		if replicating != hostRecovered(rep, i) {
			p = append(p, fmt.Sprintf("report says server%d %s, but it replicates from %q (IO %s, SQL %s, error %q)",
				i, hostStatus(rep, i), st["Master_Host"], st["Slave_IO_Running"], st["Slave_SQL_Running"], st["Last_Error"]))
		}
	}
	if st, _ := s.c.SlaveStatus(ctx, nm); len(st) != 0 {
		p = append(p, fmt.Sprintf("new master server%d still has replication settings", nm))
	}
	return p
}

func hostResult(rep *report.Report, i int) *report.HostResult {
	for _, h := range rep.Hosts {
		if h.Name == fmt.Sprintf("server%d", i) {
			return h
		}
	}
	return nil
}

func hostRecovered(rep *report.Report, i int) bool {
	h := hostResult(rep, i)
	return h != nil && h.Status == report.HostRecovered
}

func hostStatus(rep *report.Report, i int) string {
	if h := hostResult(rep, i); h != nil {
		return h.Status
	}
	return "(absent)"
}

// survivors are the new master and the replicas the report says it
// recovered.
func (s *scenarioRun) survivors(rep *report.Report, nm int) []int {
	out := []int{nm}
	for i := 2; i <= s.c.N(); i++ {
		if i != nm && hostRecovered(rep, i) && s.c.MySQLRunning(i) {
			out = append(out, i)
		}
	}
	return out
}

// compareSchemas compares SHOW CREATE TABLE of every workload table.
func (s *scenarioRun) compareSchemas(ctx context.Context, hosts []int) []string {
	ref, err := s.schema(ctx, hosts[0])
	if err != nil {
		return []string{err.Error()}
	}
	var p []string
	for _, h := range hosts[1:] {
		got, err := s.schema(ctx, h)
		if err != nil {
			p = append(p, err.Error())
			continue
		}
		if got != ref {
			p = append(p, fmt.Sprintf("schema of host %d differs from host %d", h, hosts[0]))
		}
	}
	return p
}

func (s *scenarioRun) schema(ctx context.Context, i int) (string, error) {
	db, err := s.c.DB(i)
	if err != nil {
		return "", err
	}
	names, err := column[string](ctx, db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'chaos' ORDER BY table_name")
	if err != nil {
		return "", fmt.Errorf("host %d: list tables: %w", i, err)
	}
	var b strings.Builder
	for _, t := range names {
		var name, create string
		if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE chaos."+t).Scan(&name, &create); err != nil {
			return "", fmt.Errorf("host %d: SHOW CREATE TABLE %s: %w", i, t, err)
		}
		b.WriteString(create + "\n")
	}
	return b.String(), nil
}

func column[T any](ctx context.Context, db *sql.DB, q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

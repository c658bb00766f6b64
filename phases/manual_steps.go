package phases

import (
	"fmt"
	"strings"

	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/report"
)

// manualInput is what a failover that stopped past its point of no return
// left undone, as plain data: the recovery steps that did not end ok, and
// for each replica still to recover the statements the run would have
// run on it.
type manualInput struct {
	Config    string
	NewMaster string // hostname(ip:port)
	// PositionKnown: the new master finished its apply and the position
	// the replicas start from is recorded; before that, nothing that
	// follows can be done by hand.
	PositionKnown bool
	Undone        []string // recovery step names, in run order
	Replicas      []manualReplica
	// WritableSQL and CleanupSQL open the new master to writes and drop
	// its replication settings for the dead master, in its syntax.
	WritableSQL, CleanupSQL []string
	// Explained are steps whose failure the report already explains with
	// the command that finishes it (Report.Remaining).
	Explained map[string]bool
}

// manualReplica is a replica the run did not recover.
type manualReplica struct {
	Name string // hostname(ip:port)
	// DiffDir holds the diff files the run kept for it; "" when it had
	// nothing to apply.
	DiffDir    string
	Statements []string // stop, reset, CHANGE MASTER ... with coordinates, start
}

// manualSteps lists, in order, what is left to do by hand to finish the
// failover, with the statements and coordinates to use; nil when nothing
// is. mhago failover --resume does the same.
func manualSteps(in manualInput) []string {
	if len(in.Undone) == 0 {
		return nil
	}
	resume := fmt.Sprintf("`mhago failover --conf %s --resume`", in.Config)
	steps := []string{fmt.Sprintf("%s does all of the following; to finish by hand instead, in this order:", resume)}
	for _, name := range in.Undone {
		if in.Explained[name] {
			steps = append(steps, fmt.Sprintf("%s: as explained above.", name))
			continue
		}
		switch name {
		case "3.5 new master apply", "3.5 new master position":
			if in.PositionKnown {
				continue
			}
			// Everything after depends on where the new master ends.
			return append(steps, fmt.Sprintf("%s: %s has not finished applying what it lacked, so the position the replicas start from "+
				"is not known yet: only %s can finish it (it checks each kept diff file by SHA-256 and what the server already applied).",
				name, in.NewMaster, resume))
		case phaseActivation:
			steps = append(steps, fmt.Sprintf("%s: run master_ip_failover_script --command=start for the new master %s (the application endpoint may still point at the dead master).",
				name, in.NewMaster))
		case "3.5 new master writable":
			steps = append(steps, fmt.Sprintf("%s: on %s run %s", name, in.NewMaster, sqlList(in.WritableSQL)))
		case phaseVIP:
			steps = append(steps, fmt.Sprintf("%s: move the VIP (vip_address in the config) to %s.", name, in.NewMaster))
		case "3.5 proxies open":
			steps = append(steps, fmt.Sprintf("%s: point the proxies' write backend at %s and open it.", name, in.NewMaster))
		case "4 replica recovery":
			steps = append(steps, replicaSteps(name, in.Replicas)...)
		case "5 new master cleanup":
			steps = append(steps, fmt.Sprintf("%s: on %s run %s", name, in.NewMaster, sqlList(in.CleanupSQL)))
		}
	}
	if len(steps) == 1 {
		return nil
	}
	return steps
}

func replicaSteps(name string, replicas []manualReplica) []string {
	var steps []string
	for _, r := range replicas {
		first := ""
		if r.DiffDir != "" {
			first = fmt.Sprintf("apply the diff files kept in %s in their order, then ", r.DiffDir)
		}
		steps = append(steps, fmt.Sprintf("%s: on %s %srun %s (MASTER_PASSWORD: repl_password from the config, where xxx stands)",
			name, r.Name, first, sqlList(r.Statements)))
	}
	return steps
}

func sqlList(stmts []string) string {
	return strings.Join(stmts, "; ") + ";"
}

// recoveryStepNames are the failover's steps after its point of no return.
func recoveryStepNames() []string {
	var names []string
	for _, s := range recoverySteps() {
		names = append(names, s.Name)
	}
	return names
}

// manualInput gathers what manualSteps needs from the run's state and report.
func (st *State) manualInput() manualInput {
	in := manualInput{Config: st.cfg.Path, Explained: map[string]bool{}}
	nm := st.NewMaster
	if nm == nil {
		return in
	}
	in.NewMaster = hostInfo(nm)
	in.PositionKnown = st.NewMasterFile != "" || st.NewMasterGTID != ""
	done := map[string]bool{}
	for _, p := range st.Report.Phases {
		done[p.Name] = p.Status == report.PhaseOK
	}
	recovered := map[string]bool{}
	for _, h := range st.Report.Hosts {
		recovered[h.Name] = h.Status == report.HostRecovered || h.Status == report.HostSkipped
	}
	for _, rm := range st.Report.Remaining {
		in.Explained[rm.Phase] = true
	}
	for _, name := range recoveryStepNames() {
		if !done[name] {
			in.Undone = append(in.Undone, name)
		}
	}
	in.WritableSQL = statementTexts(replsql.Writable(hostVersion(nm)))
	in.CleanupSQL = statementTexts(cleanupStatements(nm))
	pos := newMasterPosition{File: st.NewMasterFile, Pos: st.NewMasterPos, GTID: st.NewMasterGTID}
	for _, h := range st.Replicas {
		if h == nm || recovered[h.Name()] {
			continue
		}
		r := manualReplica{Name: hostInfo(h)}
		if stmts, err := st.repointStatements(h, pos); err == nil {
			r.Statements = statementTexts(stmts)
		} else {
			r.Statements = []string{"(no statement: " + err.Error() + ")"}
		}
		if h.Agent != nil {
			r.DiffDir = h.Agent.Dir()
		}
		in.Replicas = append(in.Replicas, r)
	}
	return in
}

// statementTexts are the statements as shown: passwords as xxx.
func statementTexts(stmts []replsql.Statement) []string {
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = s.String()
	}
	return out
}

// hostInfo is MHA's "name(ip:port)", as the report names hosts.
func hostInfo(h *Host) string { return h.Name() + "(" + h.Server.Addr() + ")" }

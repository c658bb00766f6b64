package report

import (
	"fmt"
	"strings"
)

// RejoinBanner opens the text report of a rejoin.
const RejoinBanner = "----- Rejoin Report -----"

// Rejoin is what a rejoin found and did.
type Rejoin struct {
	Host   string `json:"host"`
	Master string `json:"master,omitempty"` // the current master it joins
	Mode   string `json:"mode,omitempty"`   // replication mode
	// HistoryEnd is where the cluster's copy of the host's history ends,
	// and CoordinatesFrom where that was read (the active-master record,
	// a failover journal).
	HistoryEnd      string `json:"history_end,omitempty"`
	HistoryEndGTID  string `json:"history_end_gtid,omitempty"`
	CoordinatesFrom string `json:"coordinates_from,omitempty"`
	// Extra lists what the host holds that the cluster never received
	// (binlog file:pos ranges or GTIDs); a rejoin with any is refused.
	Extra             []string `json:"extra,omitempty"`
	ExtraTransactions uint64   `json:"extra_transactions,omitempty"`
	// SavedBinlog says where the failover's saved copy of the host's
	// binlog is, or that none is kept.
	SavedBinlog string `json:"saved_binlog,omitempty"`
	ReadOnly    bool   `json:"read_only_set,omitempty"`
	Start       string `json:"start,omitempty"` // where it started replicating
	Joined      bool   `json:"joined"`
}

// IsRejoin tells a rejoin's report.
func (r *Report) IsRejoin() bool { return r.Operation == ModeRejoin }

func rejoinText(r *Report) string {
	var b strings.Builder
	b.WriteString(RejoinBanner + "\n\n")
	j := r.Rejoin
	if j == nil {
		j = &Rejoin{}
	}
	fmt.Fprintf(&b, "%s: rejoin %s to master %s: %s\n\n", r.App, orText(j.Host, "-"), orText(j.Master, "-"), r.Outcome)
	r.writeSummary(&b)
	b.WriteString("\nRejoin:\n")
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "  %-14s %s\n", k+":", v)
		}
	}
	line("host", j.Host)
	line("master", j.Master)
	line("mode", j.Mode)
	line("history ends", strings.TrimSpace(j.HistoryEnd+" "+gtidText(j.HistoryEndGTID)+" "+parenthesized(j.CoordinatesFrom)))
	if len(j.Extra) > 0 {
		fmt.Fprintf(&b, "  %-14s %d transactions the cluster never received:\n", "extra:", j.ExtraTransactions)
		for _, x := range j.Extra {
			fmt.Fprintf(&b, "    %s\n", x)
		}
	}
	line("saved binlog", j.SavedBinlog)
	line("started at", j.Start)
	fmt.Fprintf(&b, "  %-14s %v\n", "joined:", j.Joined)
	r.writePhases(&b)
	r.writeList(&b, "Notes", r.Notes)
	r.writeList(&b, "OPERATOR ACTION REQUIRED", r.rejoinActions())
	return r.scrub(b.String())
}

func parenthesized(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// rejoinActions says what is left to do after a rejoin that did not join.
func (r *Report) rejoinActions() []string {
	j := r.Rejoin
	switch {
	case r.Outcome == OutcomeSuccess || r.Outcome == OutcomePlanned:
		return nil
	case j != nil && len(j.Extra) > 0:
		return []string{fmt.Sprintf("%s holds transactions the cluster never received (listed above); it was not changed. Decide what to keep: apply those transactions on %s if they must survive, then rebuild %s from a backup of %s (or remove them from it) and run the rejoin again.",
			j.Host, orText(j.Master, "the master"), j.Host, orText(j.Master, "the master"))}
	case r.PointOfNoReturnPassed:
		return []string{"The host was pointed at the master but did not catch up (see the error): repair its replication, then run `mhago rejoin` again; it checks what is already done."}
	}
	return []string{fmt.Sprintf("Rejoin not done (%s); nothing that stays was changed. Fix the cause and run it again.", orText(r.Error, "see above"))}
}

func gtidText(g string) string {
	if g == "" {
		return ""
	}
	return "GTID " + g
}

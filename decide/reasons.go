package decide

import (
	"fmt"
	"strings"
)

// reasons explains, for every replica but the chosen one, why it lost.
func (st *state) reasons(e Election) map[string]string {
	out := make(map[string]string, len(st.all))
	for _, c := range st.all {
		if c.Name != e.Chosen {
			out[c.Name] = st.whyNot(c, e)
		}
	}
	return out
}

// whyNot explains one replica: its own defect first, then the rule that
// preferred another replica.
func (st *state) whyNot(c Candidate, e Election) string {
	if why := st.defect(c); why != "" {
		return why
	}
	switch {
	case e.Chosen == "" && e.Rule == 1:
		return "not considered: --new-master named " + st.rules.NewMaster
	case e.Rule == 1:
		return "lower priority: --new-master chose " + e.Chosen
	}
	return st.lostTo(c, e)
}

// defect is why c can never be chosen, "" if it could be.
func (st *state) defect(c Candidate) string {
	if !c.Alive {
		return "not alive"
	}
	return strings.Join(st.bad[c.Name], ", ")
}

// lostTo explains why a good replica lost to the replica chosen by rule
// e.Rule (2-6): the filter it failed, or else config order.
func (st *state) lostTo(c Candidate, e Election) string {
	candidatesOnly := e.Rule == 3 || e.Rule == 4
	latestOnly := e.Rule == 2 || e.Rule == 3 || e.Rule == 5
	switch {
	case candidatesOnly && !c.CandidateMaster:
		return fmt.Sprintf("lower priority: %s chosen as candidate_master", e.Chosen)
	case latestOnly && !st.isLatest(c.Name):
		return fmt.Sprintf("not among the latest replicas: %s chosen", e.Chosen)
	}
	return fmt.Sprintf("lower priority: %s comes first in config order", e.Chosen)
}

// describeAll lists every replica with its defect, for the step-7 error,
// which is reached only when every replica has one.
func (st *state) describeAll() string {
	parts := make([]string, 0, len(st.all))
	for _, c := range st.all {
		parts = append(parts, c.Name+": "+st.defect(c))
	}
	return strings.Join(parts, "; ")
}

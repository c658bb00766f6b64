package decide

// Source is one server that answered and the configured server it
// replicates from ("" when none, or one not in the config).
type Source struct {
	Name     string
	Master   string
	Writable bool // read_only is OFF
}

// PointedMaster returns the configured server the replicas replicate
// from: the one most servers point at, the first in srcs' order to reach
// that count on a tie; "" when none points anywhere.
//
// One exception covers a dual-master pair whose passive master is down:
// the active master replicates from the passive one, and its replicas
// from it, so the dead passive can win a tie of votes. As in MHA
// (master-master: the writable server is the master), a writable server
// that replicates from the silent winner and has replicas of its own is
// the master. A read-only one is a relay replica of a dead master. With
// no replicas of its own (a pair alone), nothing tells it from a writable
// replica, and the votes decide as MHA's do.
func PointedMaster(srcs []Source) string {
	votes := map[string]int{}
	best := ""
	for _, s := range srcs {
		if s.Master == "" {
			continue
		}
		votes[s.Master]++
		if best == "" || votes[s.Master] > votes[best] {
			best = s.Master
		}
	}
	if best == "" || answered(srcs, best) {
		return best
	}
	for _, s := range srcs {
		if s.Master == best && s.Writable && votes[s.Name] > 0 {
			return s.Name
		}
	}
	return best
}

func answered(srcs []Source, name string) bool {
	for _, s := range srcs {
		if s.Name == name {
			return true
		}
	}
	return false
}

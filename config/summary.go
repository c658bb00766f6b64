package config

// CandidateOrder is the order in which the configuration alone prefers
// servers as a new master, as MHA's selection does when every replica is
// equally up to date: the candidate_master servers in block order, then the
// others; no_master servers are left out. At failover time the current
// master is skipped, and with latest_priority a latest replica may come
// first (see decide.Elect).
func (c *Config) CandidateOrder() []string {
	var first, rest []string
	for _, s := range c.Servers {
		switch {
		case s.NoMaster:
		case s.CandidateMaster:
			first = append(first, s.Block)
		default:
			rest = append(rest, s.Block)
		}
	}
	return append(first, rest...)
}

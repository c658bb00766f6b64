package config

import "fmt"

// validate runs the checks that involve more than one key or server; the
// single-value checks happen while reading.
func (l *loader) validate() {
	c := l.cfg
	if len(c.Servers) < 2 {
		l.ps.add(Problem{File: l.name, Msg: fmt.Sprintf("%d server block(s) defined, at least 2 are needed (a master and a slave)", len(c.Servers)),
			Fix: "add a [serverN] block with hostname=... for every MySQL server of the cluster"})
	}
	l.checkDuplicateAddrs()
	l.checkPromotable()
	l.checkProxies()
	l.checkVIP()
}

// checkDuplicateAddrs rejects two servers with the same ip:port, as MHA does.
func (l *loader) checkDuplicateAddrs() {
	seen := map[string]Server{}
	for _, s := range l.cfg.Servers {
		if s.IP == "" {
			continue // already reported
		}
		if first, dup := seen[s.Addr()]; dup {
			l.ps.at(l.blockLoc(s, "ip"), "ip", fmt.Sprintf("same ip:port %s as [%s] (hostname %s)", s.Addr(), first.Block, first.Hostname),
				"each server needs its own ip:port; remove the duplicate block or fix hostname/ip/port")
			continue
		}
		seen[s.Addr()] = s
	}
}

// checkPromotable rejects contradictory flags and a cluster where nobody
// could become the new master.
func (l *loader) checkPromotable() {
	promotable := 0
	for _, s := range l.cfg.Servers {
		if s.NoMaster && s.CandidateMaster {
			l.ps.at(l.blockLoc(s, "no_master"), "no_master", "no_master=1 and candidate_master=1 on the same server",
				"keep only one: no_master (never promote) or candidate_master (prefer it)")
		}
		if !s.NoMaster {
			promotable++
		}
	}
	if len(l.cfg.Servers) > 0 && promotable == 0 {
		l.ps.add(Problem{File: l.name, Key: "no_master", Msg: "every server has no_master=1, so no server can be promoted",
			Fix: "remove no_master from at least one server that may become master"})
	}
}

// blockLoc is where key was set for s, else the block header.
func (l *loader) blockLoc(s Server, key string) location {
	if loc, ok := l.cfg.Where(s.Block, key); ok {
		return location{file: loc.File, line: loc.Line, section: loc.Section}
	}
	return location{file: l.name, line: s.Line, section: s.Block}
}

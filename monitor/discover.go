package monitor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/decide"
)

// ErrNoMaster: no server could be named the master.
var ErrNoMaster = errors.New("no master found")

// pickMaster names the master among the servers read: the only one that
// answered and replicates from nobody, else the one the replicas point at
// (decide.PointedMaster, as the failover finds it), which may be down:
// a monitor started after its master died must still see it die.
func pickMaster(obs []serverObs) (config.Server, error) {
	var roots []config.Server
	var srcs []decide.Source
	for _, o := range obs {
		if o.Status == nil {
			continue
		}
		src := decide.Source{Name: o.Server.Block, Writable: !o.Status.ReadOnly}
		if rs := o.Status.Replica; rs != nil {
			if m, ok := byAddr(obs, rs.MasterHost, rs.MasterPort); ok {
				src.Master = m.Block
			}
		} else {
			roots = append(roots, o.Server)
		}
		srcs = append(srcs, src)
	}
	if len(roots) == 1 {
		return roots[0], nil
	}
	if name := decide.PointedMaster(srcs); name != "" {
		for _, o := range obs {
			if o.Server.Block == name {
				return o.Server, nil
			}
		}
	}
	var why []string
	for _, o := range obs {
		if o.Err != nil {
			why = append(why, fmt.Sprintf("%s: %v", o.Server.Block, o.Err))
		}
	}
	return config.Server{}, fmt.Errorf("%w: %d servers replicate from nobody and no replica points at a configured server%s "+
		"(fix: start the master's mysqld, or repair replication so that the replicas point at it)", ErrNoMaster, len(roots), suffix(why))
}

func suffix(why []string) string {
	if len(why) == 0 {
		return ""
	}
	return "; " + strings.Join(why, "; ")
}

func byAddr(obs []serverObs, host string, port int) (config.Server, bool) {
	for _, o := range obs {
		s := o.Server
		if (s.Hostname == host || s.IP == host) && s.Port == port {
			return s, true
		}
	}
	return config.Server{}, false
}

// replicaSight counts the replicas of master that answered, and those of
// them whose IO thread is not running: they lost it too.
func replicaSight(obs []serverObs, master config.Server) (replicas, lost int) {
	for _, o := range obs {
		if o.Status == nil || o.Status.Replica == nil || o.Server.Block == master.Block {
			continue
		}
		rs := o.Status.Replica
		if m, ok := byAddr(obs, rs.MasterHost, rs.MasterPort); !ok || m.Block != master.Block {
			continue
		}
		replicas++
		if !rs.IORunningYes() {
			lost++
		}
	}
	return replicas, lost
}

package phases

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/mhago/mhago/config"
)

// serverNamed tells whether name designates s the way an operator names a
// server on the command line (mhago's --new-master and --dead-master, MHA's
// --new_master_host/port and --dead_master_host/ip/port): its config
// block, hostname or IP, alone or with :port.
func serverNamed(s config.Server, name string) bool {
	if name == s.Block || name == s.Hostname || name == s.IP {
		return true
	}
	host, port, err := net.SplitHostPort(name)
	if err != nil {
		return false
	}
	return (host == s.Hostname || host == s.IP) && port == strconv.Itoa(s.Port)
}

// checkNamedDeadMaster refuses a failover whose operator named a dead
// master (--dead-master, MHA's --dead_master_host/ip/port) other than the
// server the replicas replicate from, as MHA refuses it: failing over
// another server than the one meant would promote over a live master.
func checkNamedDeadMaster(dead config.Server, names []string) error {
	var wrong []string
	for _, n := range names {
		if !serverNamed(dead, n) {
			wrong = append(wrong, n)
		}
	}
	if len(wrong) == 0 {
		return nil
	}
	return fmt.Errorf("%w: the replicas replicate from %s (%s, %s), which is not %s as named by --dead-master (MHA's --dead_master_host/ip/port)"+
		" (fix: name the server the replicas replicate from, or repoint them first; nothing was changed)",
		ErrTopology, dead.Block, dead.Hostname, dead.Addr(), strings.Join(wrong, " and "))
}

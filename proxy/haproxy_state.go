package proxy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// OpState is a server's operational state in HAProxy (srv_op_state).
type OpState int

// Operational states, as HAProxy's management guide numbers them.
const (
	OpStopped  OpState = 0 // down
	OpStarting OpState = 1 // up, warming up (slowstart)
	OpRunning  OpState = 2 // up
	OpStopping OpState = 3 // up but soft-stopping
)

func (o OpState) String() string {
	switch o {
	case OpStopped:
		return "stopped"
	case OpStarting:
		return "starting"
	case OpRunning:
		return "running"
	case OpStopping:
		return "stopping"
	}
	return "op state " + strconv.Itoa(int(o))
}

// Up reports whether the server takes traffic when its admin state lets it.
func (o OpState) Up() bool { return o == OpStarting || o == OpRunning }

// AdminState is a server's administrative state (srv_admin_state), a mask.
type AdminState uint

// Admin state bits (HAProxy's SRV_ADMF_*).
const (
	AdminForcedMaint   AdminState = 0x01 // set server ... state maint
	AdminInheritMaint  AdminState = 0x02 // from a tracked server
	AdminConfigMaint   AdminState = 0x04 // "disabled" in haproxy.cfg; stays set after "state ready"
	AdminForcedDrain   AdminState = 0x08 // set server ... state drain
	AdminInheritDrain  AdminState = 0x10
	AdminResolvedMaint AdminState = 0x20 // address resolution failed
	AdminHostnameSet   AdminState = 0x40 // FQDN set through the API; no effect on traffic

	adminMaint = AdminForcedMaint | AdminInheritMaint | AdminResolvedMaint
	adminDrain = AdminForcedDrain | AdminInheritDrain
)

// Maint reports whether HAProxy sends the server no traffic at all. The
// configuration bit alone does not count: HAProxy keeps it after a server
// "disabled" in haproxy.cfg was set ready.
func (a AdminState) Maint() bool { return a&adminMaint != 0 }

// Drain reports whether the server only takes persistent connections.
func (a AdminState) Drain() bool { return a&adminDrain != 0 }

func (a AdminState) String() string {
	switch {
	case a.Maint():
		return "maint"
	case a.Drain():
		return "drain"
	}
	return "ready"
}

// ServerState is one row of "show servers state <backend>".
type ServerState struct {
	Backend string
	Server  string
	Addr    string
	Op      OpState
	Admin   AdminState
}

// Ready reports whether the server takes new connections.
func (s ServerState) Ready() bool { return !s.Admin.Maint() && !s.Admin.Drain() && s.Op.Up() }

func (s ServerState) String() string {
	return fmt.Sprintf("%s/%s %s (%s, admin 0x%x)", s.Backend, s.Server, s.Admin, s.Op, uint(s.Admin))
}

// stateColumns are the columns of "show servers state" that mhago reads.
var stateColumns = []string{"be_name", "srv_name", "srv_addr", "srv_op_state", "srv_admin_state"}

// ParseServersState parses HAProxy's "show servers state" answer: a format
// version line ("1"), a "# " header naming the columns, and one row per
// server. Columns are found by name, so added columns do not matter. Any
// other answer (such as "Can't find backend.") is an error quoting it.
func ParseServersState(out string) ([]ServerState, error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if strings.TrimSpace(lines[0]) != "1" {
		return nil, fmt.Errorf("unexpected answer %q (want state format 1)", clip(out))
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "# ") {
		return nil, fmt.Errorf("answer without a column header: %q", clip(out))
	}
	header := strings.Fields(lines[1][2:])
	idx := make([]int, len(stateColumns))
	for i, col := range stateColumns {
		if idx[i] = slices.Index(header, col); idx[i] < 0 {
			return nil, fmt.Errorf("column %s missing in %q", col, clip(lines[1]))
		}
	}
	var rows []ServerState
	for n, line := range lines[2:] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		row, err := parseStateRow(strings.Fields(line), len(header), idx)
		if err != nil {
			return nil, fmt.Errorf("row %d %q: %w", n+1, clip(line), err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func parseStateRow(f []string, width int, idx []int) (ServerState, error) {
	if len(f) != width {
		return ServerState{}, fmt.Errorf("%d fields, header has %d", len(f), width)
	}
	op, err1 := strconv.ParseUint(f[idx[3]], 10, 8)
	admin, err2 := strconv.ParseUint(f[idx[4]], 10, 16)
	if err1 != nil || err2 != nil {
		return ServerState{}, fmt.Errorf("states %q/%q are not numbers", f[idx[3]], f[idx[4]])
	}
	return ServerState{Backend: f[idx[0]], Server: f[idx[1]], Addr: f[idx[2]], Op: OpState(op), Admin: AdminState(admin)}, nil
}

// clip keeps a quoted answer short.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// backendView is one backend's state, with the names of mhago's servers.
type backendView struct {
	backend string
	names   func(block string) string // [serverN] block -> HAProxy server name
	rows    []ServerState
}

func (v backendView) find(t Target) (ServerState, bool) {
	name := v.names(t.Block)
	i := slices.IndexFunc(v.rows, func(s ServerState) bool { return s.Backend == v.backend && s.Server == name })
	if i < 0 {
		return ServerState{}, false
	}
	return v.rows[i], true
}

// need fails when t has no server in the backend: traffic cannot be moved
// to or away from a server the proxy does not know.
func (v backendView) need(t Target) error {
	if _, ok := v.find(t); !ok {
		return fmt.Errorf("backend %s has no server %s for %s (fix: add it to the backend in haproxy.cfg, "+
			"or map the block with haproxy_servers=%s=<server name>)", v.backend, v.names(t.Block), t, t.Block)
	}
	return nil
}

// Runtime API commands. Names are checked by package config (no spaces,
// no ';'), so they cannot inject a second command.
func setState(backend, server, state string) string {
	return "set server " + backend + "/" + server + " state " + state
}

func shutdownSessions(backend, server string) string {
	return "shutdown sessions server " + backend + "/" + server
}

// stopCommands put the current master in maint. Not drain: a drained
// server still accepts new persistent connections (stick tables), and a
// write reaching the old master after the switchover's marker would be
// lost. Its open sessions are left alone until Open, so transactions in
// flight can finish (or be refused by read_only) on the old master.
func stopCommands(v backendView, c Change) ([]string, error) {
	if err := v.need(c.Orig); err != nil {
		return nil, err
	}
	return []string{setState(v.backend, v.names(c.Orig.Block), "maint")}, nil
}

// openCommands take every other server out and end its sessions before the
// new master is set ready, so two servers never take writes at once.
// Servers mhago knows but the backend lacks (a reporting replica left out
// of a writer backend) are skipped; the old and the new master must be there.
func openCommands(v backendView, c Change) ([]string, error) {
	if err := v.need(c.New); err != nil {
		return nil, err
	}
	if c.Orig.Block != c.New.Block {
		if err := v.need(c.Orig); err != nil {
			return nil, err
		}
	}
	var cmds []string
	for _, t := range c.out() {
		if _, ok := v.find(t); ok {
			name := v.names(t.Block)
			cmds = append(cmds, setState(v.backend, name, "maint"), shutdownSessions(v.backend, name))
		}
	}
	return append(cmds, setState(v.backend, v.names(c.New.Block), "ready")), nil
}

// checkStopped verifies that the old master gets no new traffic.
func checkStopped(v backendView, c Change) error {
	s, ok := v.find(c.Orig)
	switch {
	case !ok:
		return v.need(c.Orig)
	case !s.Admin.Maint():
		return fmt.Errorf("%s is still %s, want maint", s, s.Admin)
	}
	return nil
}

// checkOpen verifies that the new master alone takes traffic.
func checkOpen(v backendView, c Change) error {
	s, ok := v.find(c.New)
	switch {
	case !ok:
		return v.need(c.New)
	case !s.Ready():
		return fmt.Errorf("new master's %s does not take traffic yet, want ready and up", s)
	}
	for _, t := range c.out() {
		if s, ok := v.find(t); ok && !s.Admin.Maint() {
			return fmt.Errorf("%s for %s is still %s, want maint", s, t, s.Admin)
		}
	}
	return nil
}

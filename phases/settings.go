package phases

import "github.com/mhago/mhago/config"

// scripts are the hooks as MHA reads them from h's block (the dead master
// for fencing and the report, the new master for master_ip_failover_script
// --command=start, the original master for the online change); [server
// default]'s when h is nil.
func (st *State) scripts(h *Host) config.Scripts {
	if h == nil {
		return st.cfg.Default.Settings.Scripts
	}
	return st.cfg.ForServer(h.Name()).Scripts
}

package phases

import (
	"strings"
	"testing"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/decide"
)

// TestPlanUsesEachServersHooks: as in MHA, the fencing hooks and the report
// come from the dead master's block, master_ip_failover_script
// --command=start from the new master's, whatever [server default] says.
func TestPlanUsesEachServersHooks(t *testing.T) {
	st := planState(decide.ModeMariaGTID, planHost("server2", "10.0.0.2", "10.11.6-MariaDB"))
	st.Dead.Server.Settings.Scripts = config.Scripts{MasterIPFailover: "/hooks/dead_ip", Shutdown: "/hooks/dead_power", Report: "/hooks/dead_report"}
	st.NewMaster.Server.Settings.Scripts = config.Scripts{MasterIPFailover: "/hooks/new_ip", Shutdown: "/hooks/new_power", Report: "/hooks/new_report"}
	st.cfg.Default.Settings.Scripts = config.Scripts{MasterIPFailover: "/hooks/default_ip", Report: "/hooks/default_report"}
	st.cfg.Servers = []config.Server{st.Dead.Server, st.NewMaster.Server}
	planShutdown(st)
	planNewMaster(st)
	planReplicas(st)
	notes := strings.Join(st.Report.Notes, "\n")
	for _, want := range []string{"/hooks/dead_ip --orig_master_host=10.0.0.1 --orig_master_ip=10.0.0.1 --orig_master_port=3306 --command=stop",
		"/hooks/dead_power --command=stop", "/hooks/new_ip --command=start", "/hooks/dead_report"} {
		if !strings.Contains(notes, want) {
			t.Errorf("plan lacks %q:\n%s", want, notes)
		}
	}
	for _, unwanted := range []string{"default_", "/hooks/new_power", "/hooks/new_report", "/hooks/dead_ip --command=start"} {
		if strings.Contains(notes, unwanted) {
			t.Errorf("plan uses %q:\n%s", unwanted, notes)
		}
	}
	if got := st.scripts(nil).MasterIPFailover; got != "/hooks/default_ip" {
		t.Errorf("no host: %q", got)
	}
}

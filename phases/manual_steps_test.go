package phases

import (
	"slices"
	"strings"
	"testing"
)

func TestManualSteps(t *testing.T) {
	const resume = "`mhago failover --conf /etc/mha/app1.cnf --resume` does all of the following; to finish by hand instead, in this order:"
	db3 := manualReplica{Name: "db3(10.0.0.3:3306)", DiffDir: "/var/tmp/mhago/r1",
		Statements: []string{"STOP SLAVE", "RESET SLAVE", "CHANGE MASTER TO MASTER_HOST='10.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='xxx', MASTER_LOG_FILE='mysql-bin.000007', MASTER_LOG_POS=1543", "START SLAVE"}}
	db4 := manualReplica{Name: "db4(10.0.0.4:3306)", Statements: []string{"STOP SLAVE", "RESET SLAVE", "SET GLOBAL gtid_slave_pos = '0-2-88'",
		"CHANGE MASTER TO MASTER_HOST='10.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_USE_GTID=slave_pos", "START SLAVE"}}
	base := manualInput{Config: "/etc/mha/app1.cnf", NewMaster: "db2(10.0.0.2:3306)", PositionKnown: true,
		WritableSQL: []string{"SET GLOBAL read_only = OFF"}, CleanupSQL: []string{"STOP SLAVE", "RESET SLAVE ALL"}}
	tests := []struct {
		name      string
		undone    []string
		known     bool
		explained map[string]bool
		replicas  []manualReplica
		want      []string
	}{
		{name: "nothing left", known: true},
		{name: "new master apply unfinished: only --resume", undone: []string{"3.5 new master apply", "3.5 new master position", "4 replica recovery"},
			want: []string{resume, "3.5 new master apply: db2(10.0.0.2:3306) has not finished applying what it lacked, so the position the replicas start from is not known yet: " +
				"only `mhago failover --conf /etc/mha/app1.cnf --resume` can finish it (it checks each kept diff file by SHA-256 and what the server already applied)."}},
		{name: "stopped at writable", known: true, undone: []string{"3.5 new master writable", "3.5 active-master record", "4 replica recovery", "5 new master cleanup", "publish topology"},
			replicas: []manualReplica{db3, db4},
			want: []string{resume,
				"3.5 new master writable: on db2(10.0.0.2:3306) run SET GLOBAL read_only = OFF;",
				"4 replica recovery: on db3(10.0.0.3:3306) apply the diff files kept in /var/tmp/mhago/r1 in their order, then run STOP SLAVE; RESET SLAVE; " +
					"CHANGE MASTER TO MASTER_HOST='10.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='xxx', MASTER_LOG_FILE='mysql-bin.000007', MASTER_LOG_POS=1543; START SLAVE; " +
					"(MASTER_PASSWORD: repl_password from the config, where xxx stands)",
				"4 replica recovery: on db4(10.0.0.4:3306) run STOP SLAVE; RESET SLAVE; SET GLOBAL gtid_slave_pos = '0-2-88'; " +
					"CHANGE MASTER TO MASTER_HOST='10.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_USE_GTID=slave_pos; START SLAVE; (MASTER_PASSWORD: repl_password from the config, where xxx stands)",
				"5 new master cleanup: on db2(10.0.0.2:3306) run STOP SLAVE; RESET SLAVE ALL;"}},
		{name: "hook failure already explained", known: true, undone: []string{phaseActivation, phaseVIP},
			explained: map[string]bool{phaseActivation: true},
			want: []string{resume, phaseActivation + ": as explained above.",
				phaseVIP + ": move the VIP (vip_address in the config) to db2(10.0.0.2:3306)."}},
		{name: "only optional steps", known: true, undone: []string{"3.5 active-master record", "publish topology"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			in.Undone, in.PositionKnown, in.Explained, in.Replicas = tc.undone, tc.known, tc.explained, tc.replicas
			got := manualSteps(in)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	// Every step after the point of no return that needs a hand is known
	// to manualSteps by its name: a renamed step would drop out silently.
	handled := map[string]bool{"3.5 new master apply": true, "3.5 new master position": true, phaseActivation: true, "3.5 new master writable": true,
		phaseVIP: true, "3.5 proxies open": true, "4 replica recovery": true, "5 new master cleanup": true,
		"3.5 active-master record": true, "publish topology": true}
	for _, name := range recoveryStepNames() {
		if !handled[name] {
			t.Errorf("recovery step %q has no manual step", name)
		}
	}
}

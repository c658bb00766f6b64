package report

import (
	"errors"
	"strings"
	"testing"
)

func TestRejoinText(t *testing.T) {
	tests := []struct {
		name    string
		outcome string
		err     error
		rejoin  Rejoin
		want    []string
		notWant []string
	}{
		{"joined", OutcomeSuccess, nil,
			Rejoin{Host: "db1", Master: "db2", Mode: "file/pos", HistoryEnd: "mysql-bin.000001:9263", HistoryEndGTID: "0-1-30",
				CoordinatesFrom: "active-master record on db2, run r0", Start: "mysql-bin.000001:777", Joined: true},
			[]string{RejoinBanner, "app1: rejoin db1 to master db2: success", "history ends:  mysql-bin.000001:9263 GTID 0-1-30 (active-master record on db2, run r0)",
				"started at:    mysql-bin.000001:777", "joined:        true"},
			[]string{"OPERATOR ACTION", "Failover Report"}},
		{"diverged", OutcomeRefused, errors.New("rejoin refused"),
			Rejoin{Host: "db1", Master: "db2", Mode: "mariadb-gtid", Extra: []string{"0-1-31..0-1-32"}, ExtraTransactions: 2,
				SavedBinlog: "no failover journal on this manager host names a saved copy; none is known to be kept"},
			[]string{"extra:         2 transactions the cluster never received:\n    0-1-31..0-1-32", "saved binlog:  no failover journal",
				"OPERATOR ACTION REQUIRED", "db1 holds transactions the cluster never received", "rebuild db1 from a backup of db2"},
			[]string{"joined:        true"}},
		{"refused before any change", OutcomeRefused, errors.New("db1 is the current master"),
			Rejoin{Host: "db1"}, []string{"Rejoin not done (db1 is the current master)"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New("app1", "/etc/app1.cnf", "r1", ModeRejoin, t0)
			r.Operation = ModeRejoin
			rj := tc.rejoin
			r.Rejoin = &rj
			r.Finish(t0, tc.outcome, tc.err)
			text := Text(r)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(text, w) {
					t.Errorf("text has %q:\n%s", w, text)
				}
			}
		})
	}
}

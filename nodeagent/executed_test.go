package nodeagent

import (
	"strings"
	"testing"
)

func TestMariaExecuted(t *testing.T) {
	cases := []struct {
		name          string
		row           string
		disableLogBin bool
		tracked       bool
		executed      []string
		notExecuted   []string
	}{
		{"binlog state per server", "1\t0-1-100,0-2-7,5-1-3\t0-1-6", false, true,
			[]string{"0-1-100", "0-1-1", "0-2-7", "5-1-3"}, []string{"0-1-101", "0-2-8", "0-3-7", "5-1-4", "1-1-1"}},
		{"slave pos covers every server of its domain", "1\t0-1-6\t0-1-50", false, true,
			[]string{"0-1-50", "0-9-50", "0-1-7"}, []string{"0-1-51", "1-1-1"}},
		{"empty state", "1\t\t", false, true, nil, []string{"0-1-1"}},
		{"binlog off: not tracked", "0\t0-1-5\t0-1-5", false, false, []string{"0-1-5"}, nil},
		{"binlog disabled for the apply: not tracked", "1\t0-1-5\t", true, false, []string{"0-1-5"}, nil},
		{"not a MariaDB GTID", "1\t0-1-5\t", false, true, nil, []string{"3e11fa47-71ca-11e1-9e33-c80aa9429562:5", ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := mariaExecuted(c.row, c.disableLogBin)
			if err != nil {
				t.Fatal(err)
			}
			if st.tracked != c.tracked || !strings.Contains(st.text, "gtid_binlog_state=") {
				t.Fatalf("tracked %v (%s), want %v", st.tracked, st.text, c.tracked)
			}
			for _, g := range c.executed {
				if !st.has(g) {
					t.Errorf("%s not executed", g)
				}
			}
			for _, g := range c.notExecuted {
				if st.has(g) {
					t.Errorf("%s executed", g)
				}
			}
		})
	}
	for _, bad := range []string{"1\t0-1-5", "1\tx\t", "1\t0-1-5\t0-1-5,0-2-6"} {
		if _, err := mariaExecuted(bad, false); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMySQLExecuted(t *testing.T) {
	const a, b = "3e11fa47-71ca-11e1-9e33-c80aa9429562", "4e11fa47-71ca-11e1-9e33-c80aa9429562"
	st, err := mysqlExecuted("ON\t" + a + ":1-5:7," + b + ":1-3")
	if err != nil {
		t.Fatal(err)
	}
	if !st.tracked {
		t.Fatal("gtid_mode=ON not tracked")
	}
	for g, want := range map[string]bool{a + ":1": true, a + ":5": true, a + ":6": false, a + ":7": true, strings.ToUpper(b) + ":3": true,
		b + ":4": false, "0-1-5": false, a: false, ":5": false} {
		if st.has(g) != want {
			t.Errorf("%s executed: %v, want %v", g, !want, want)
		}
	}
	if st, err := mysqlExecuted("OFF\t"); err != nil || st.tracked {
		t.Fatalf("gtid_mode=OFF: %+v %v", st, err)
	}
	if _, err := mysqlExecuted("ON"); err == nil {
		t.Fatal("a row without gtid_executed accepted")
	}
}

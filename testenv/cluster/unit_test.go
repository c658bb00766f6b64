package cluster

import (
	"strings"
	"testing"
)

func TestQuoting(t *testing.T) {
	for _, tc := range []struct{ in, str, ident string }{
		{"plain", "'plain'", "`plain`"},
		{"it's", `'it\'s'`, "`it's`"},
		{`back\slash`, `'back\\slash'`, "`back\\slash`"},
		{"db.tbl", "'db.tbl'", "`db`.`tbl`"},
		{"we`ird", "'we`ird'", "`we``ird`"},
	} {
		if got := quoteString(tc.in); got != tc.str {
			t.Errorf("quoteString(%q) = %s, want %s", tc.in, got, tc.str)
		}
		if got := quoteIdent(tc.in); got != tc.ident {
			t.Errorf("quoteIdent(%q) = %s, want %s", tc.in, got, tc.ident)
		}
	}
}

func TestDiffChecksums(t *testing.T) {
	ref := map[string]string{"a.t": "1", "a.u": "2"}
	for _, tc := range []struct {
		name string
		sums map[string]string
		want []string
	}{
		{"equal", map[string]string{"a.t": "1", "a.u": "2"}, nil},
		{"differs", map[string]string{"a.t": "9", "a.u": "2"}, []string{"host 3 table a.t checksum 9"}},
		{"missing", map[string]string{"a.t": "1"}, []string{"host 3 lacks table a.u"}},
		{"extra", map[string]string{"a.t": "1", "a.u": "2", "b.x": "5"}, []string{"host 3 has extra table b.x"}},
	} {
		got := diffChecksums(1, 3, ref, tc.sums)
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			continue
		}
		for k := range got {
			if !strings.HasPrefix(got[k], tc.want[k]) {
				t.Errorf("%s: got %q, want prefix %q", tc.name, got[k], tc.want[k])
			}
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		ok   bool
	}{
		{"defaults", Options{}, true},
		{"binlog too small", Options{MaxBinlogSize: 1024}, false},
		{"relay log 8 KB", Options{MaxRelayLogSize: 8192, BinlogFormat: "MIXED"}, true},
		{"relay log too small", Options{MaxRelayLogSize: 1024}, false},
		{"statement format", Options{BinlogFormat: "STATEMENT"}, true},
		{"unknown format", Options{BinlogFormat: "row"}, false},
		{"parallel replication", Options{ParallelReplication: 4}, true},
		{"negative parallel replication", Options{ParallelReplication: -1}, false},
		{"too many hosts", Options{Base: 250, Hosts: 10}, false},
		{"long dir", Options{Dir: "/tmp/" + strings.Repeat("x", 80)}, false},
		{"netns", Options{Netns: true, Base: 200, Hosts: 3}, true},
		{"netns hosts reach the VIP", Options{Netns: true, Base: 10, Hosts: 240}, false},
	} {
		err := tc.opts.withDefaults().validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestDualMasterCnf(t *testing.T) {
	dual := &Cluster{opts: Options{Hosts: 3, DualMaster: true}.withDefaults()}
	plain := &Cluster{opts: Options{Hosts: 3}.withDefaults()}
	for _, tc := range []struct {
		c    *Cluster
		host int
		want []string // lines of my.cnf
		not  []string
	}{
		{dual, 1, []string{"read_only=OFF", "auto_increment_increment=2", "auto_increment_offset=1", "gtid_domain_id=1"}, nil},
		{dual, 2, []string{"read_only=ON", "auto_increment_increment=2", "auto_increment_offset=2", "gtid_domain_id=2"}, nil},
		{dual, 3, []string{"read_only=ON"}, []string{"auto_increment", "gtid_domain_id"}},
		{plain, 1, []string{"read_only=OFF"}, []string{"auto_increment", "gtid_domain_id"}},
		{plain, 2, []string{"read_only=ON"}, []string{"auto_increment", "gtid_domain_id"}},
	} {
		cnf := tc.c.myCnf(tc.host)
		for _, w := range tc.want {
			if !strings.Contains(cnf, "\n"+w+"\n") {
				t.Errorf("dual=%v host %d: my.cnf lacks %q", tc.c.opts.DualMaster, tc.host, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(cnf, n) {
				t.Errorf("dual=%v host %d: my.cnf has %q", tc.c.opts.DualMaster, tc.host, n)
			}
		}
	}
	if err := (Options{Hosts: 1, DualMaster: true}).withDefaults().validate(); err == nil {
		t.Error("a one-host dual-master cluster was accepted")
	}
}

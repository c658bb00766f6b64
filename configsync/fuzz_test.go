package configsync

import "testing"

// FuzzReplace checks, for any two texts, what pull relies on: splitting
// loses no byte, a file's own part changes nothing, and after a replace the
// file holds exactly the other file's part, stably.
func FuzzReplace(f *testing.F) {
	for _, seed := range [][2]string{
		{hostA, hostB},
		{hostB, hostA},
		{"\ufeff[server1]\nhostname=db1", "[server1]\nhostname=db9\n[server2]\nh=2"},
		{"# top\n[server1]\nhostname=db1\n", "[server default]\ncluster_id=c1\nport = 3306\n"},
		{"[server default]\nvip=10.0.0.1/24\nlog_level=info\r\nport=3306", "[proxy1]\n; c\ntype=haproxy\n\n# tail\n"},
		{"[server1]\n[server1]\n", "[ server2 ]\n  hostname = x \n"},
		{"", "[server default]\nuser=u\n"},
		{"[server default]\n[serverx]\r\n\r\n[binlog1]\nhostname=b\n", "\r\n\r\n"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got := split(a).join(); got != a {
			t.Fatalf("split/join lost bytes:\n%q\n%q", a, got)
		}
		pa, err := Extract(a)
		if err != nil {
			return
		}
		if again, err := Extract(pa); err != nil || again != pa {
			t.Fatalf("canonical part is not stable: %q -> %q (%v)", pa, again, err)
		}
		if same, err := Replace(a, pa); err != nil || same != a {
			t.Fatalf("replacing a file's own part changed it:\n%q\n%q (%v)", a, same, err)
		}
		pb, err := Extract(b)
		if err != nil {
			return
		}
		r, err := Replace(a, pb)
		if err != nil {
			t.Fatalf("Replace: %v", err)
		}
		if got, err := Extract(r); err != nil || got != pb {
			t.Fatalf("after Replace the part is\n%q\nwant\n%q (%v)\nfile %q", got, pb, err, r)
		}
		if again, _ := Replace(r, pb); again != r {
			t.Fatalf("Replace is not idempotent:\n%q\n%q", r, again)
		}
	})
}

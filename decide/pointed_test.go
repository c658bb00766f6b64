package decide

import "testing"

func TestPointedMaster(t *testing.T) {
	src := func(name, master string, writable bool) Source {
		return Source{Name: name, Master: master, Writable: writable}
	}
	tests := []struct {
		name string
		srcs []Source
		want string
	}{
		{"nobody replicates", []Source{src("s1", "", true)}, ""},
		{"plain cluster, master alive", []Source{src("s1", "", true), src("s2", "s1", false), src("s3", "s1", false)}, "s1"},
		{"plain cluster, master dead", []Source{src("s2", "s1", false), src("s3", "s1", false)}, "s1"},
		{"dual pair healthy", []Source{src("s1", "s2", true), src("s2", "s1", false), src("s3", "s1", false)}, "s1"},
		{"dual pair, active dead", []Source{src("s2", "s1", false), src("s3", "s1", false), src("s4", "s1", false)}, "s1"},
		{"dual pair, passive dead, tie of votes", []Source{src("s1", "s2", true), src("s3", "s1", false)}, "s1"},
		{"dual pair, passive dead, more replicas", []Source{src("s1", "s2", true), src("s3", "s1", false), src("s4", "s1", false)}, "s1"},
		{"relay replica of a dead master (multi-tier)", []Source{src("s2", "s1", false), src("s3", "s2", false)}, "s1"},
		{"pair alone, passive dead: the votes decide", []Source{src("s1", "s2", true)}, "s2"},
		{"tie: first to reach the count", []Source{src("s3", "s2", false), src("s4", "s1", false)}, "s2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PointedMaster(tc.srcs); got != tc.want {
				t.Errorf("PointedMaster = %q, want %q", got, tc.want)
			}
		})
	}
}

package decide

import (
	"slices"
	"testing"
)

func TestLatestAndOldest(t *testing.T) {
	t.Parallel()
	all := []string{"server2", "server3", "server4", "server5", "server6"}
	tests := []struct {
		name                   string
		cs                     []Candidate
		wantLatest, wantOldest []string
	}{
		{"all replicas at one position are both latest and oldest, in config order",
			topology(t), all, all},
		{"one replica ahead is the only latest",
			topology(t, on("server4", at("mysql-bin.000010:6000"))),
			[]string{"server4"}, []string{"server2", "server3", "server5", "server6"}},
		{"ties are grouped in config order",
			topology(t, on("server6", at("mysql-bin.000010:6000")), on("server3", at("mysql-bin.000010:6000")),
				on("server2", at("mysql-bin.000010:100")), on("server5", at("mysql-bin.000010:100"))),
			[]string{"server3", "server6"}, []string{"server2", "server5"}},
		{"a later file beats a bigger position",
			topology(t, on("server2", at("mysql-bin.000011:4")), on("server3", at("mysql-bin.000010:99999999"))),
			[]string{"server2"}, []string{"server4", "server5", "server6"}},
		{"file numbers compare numerically past .999999, unlike MHA's string compare",
			topology(t, on("server2", at("mysql-bin.1000000:4")), on("server3", at("mysql-bin.999999:500")),
				on("server4", down), on("server5", down), on("server6", down)),
			[]string{"server2"}, []string{"server3"}},
		{"only the IO thread's read position counts, not the executed one",
			topology(t, on("server2", execAt("mysql-bin.000009:4"))), all, all},
		{"dead replicas are neither latest nor oldest",
			topology(t, on("server2", at("mysql-bin.000099:4"), down), on("server3", at("mysql-bin.000001:4"), down)),
			[]string{"server4", "server5", "server6"}, []string{"server4", "server5", "server6"}},
		{"config order comes from Order",
			topology(t, on("server2", order(10)), on("server3", order(0))),
			[]string{"server3", "server4", "server5", "server6", "server2"}, []string{"server3", "server4", "server5", "server6", "server2"}},
		{"no alive replica gives empty lists",
			topology(t, on("server2", down), on("server3", down), on("server4", down), on("server5", down), on("server6", down)),
			nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			latest, oldest := LatestAndOldest(tc.cs)
			if !slices.Equal(latest, tc.wantLatest) || !slices.Equal(oldest, tc.wantOldest) {
				t.Errorf("LatestAndOldest = %v, %v; want %v, %v", latest, oldest, tc.wantLatest, tc.wantOldest)
			}
		})
	}
}

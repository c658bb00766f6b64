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

func TestOldestRequiredSkipsIgnoreFail(t *testing.T) {
	t.Parallel()
	cs := topology(t, on("server2", at("mysql-bin.000010:10"), ignoreFail),
		on("server3", at("mysql-bin.000010:20")), on("server5", at("mysql-bin.000010:20")))
	if got := OldestRequired(cs); !slices.Equal(got, []string{"server3", "server5"}) {
		t.Errorf("OldestRequired = %v, want [server3 server5]", got)
	}
	if _, oldest := LatestAndOldest(cs); !slices.Equal(oldest, []string{"server2"}) {
		t.Errorf("LatestAndOldest oldest = %v, want [server2]", oldest)
	}
}

func TestMostAdvanced(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cs    []Candidate
		names []string
		want  string
	}{
		{"the latest replica that executed the most is the GTID base",
			topology(t, on("server3", execAt("mysql-bin.000010:4000")), on("server4", execAt("mysql-bin.000010:4900"))),
			[]string{"server3", "server4"}, "server4"},
		{"executed positions compare files numerically",
			topology(t, on("server3", execAt("mysql-bin.1000000:4")), on("server4", execAt("mysql-bin.999999:9000"))),
			[]string{"server3", "server4"}, "server3"},
		{"ties go to config order", topology(t), []string{"server5", "server3"}, "server3"},
		{"dead replicas are skipped", topology(t, on("server3", down)), []string{"server3"}, ""},
		{"unknown names give nothing", topology(t), []string{"nope"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := MostAdvanced(tc.cs, tc.names); got != tc.want {
				t.Errorf("MostAdvanced = %q, want %q", got, tc.want)
			}
		})
	}
}

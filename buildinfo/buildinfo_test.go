package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	mod := func(v string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/mhago/mhago", Version: v}}
	}
	for _, tc := range []struct {
		name, linked string
		bi           *debug.BuildInfo
		want         string
	}{
		{"make build stamps it", "v1.2.0-3-gabc", mod("v1.1.0"), "v1.2.0-3-gabc"},
		{"go install @version", "", mod("v1.1.0"), "v1.1.0"},
		{"go install @commit", "", mod("v0.0.0-20261126140000-af898c3abcde"), "v0.0.0-20261126140000-af898c3abcde"},
		{"go build in the tree", "", mod("(devel)"), devVersion},
		{"no build info", "", nil, devVersion},
	} {
		if got := resolveVersion(tc.linked, tc.bi); got != tc.want {
			t.Errorf("%s: resolveVersion(%q) = %q, want %q", tc.name, tc.linked, got, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "af898c3"}, {Key: "vcs.modified", Value: "true"}, {Key: "CGO_ENABLED", Value: "0"}}}
	got := describe("v1", "", bi)
	want := Info{Version: "v1", Commit: "af898c3", Modified: true, GoVersion: "go1.26.8"}
	if got != want {
		t.Errorf("describe = %+v, want %+v", got, want)
	}
	if got := describe("v1", "", nil); got.GoVersion == "" || got.Commit != "" {
		t.Errorf("describe without build info = %+v, want the runtime's Go version and no commit", got)
	}
	if got := describe("v1", "0123abc-dirty", bi); got.Commit != "0123abc-dirty" || got.Modified {
		t.Errorf("describe with a linked commit = %+v, want the linked commit", got)
	}
}

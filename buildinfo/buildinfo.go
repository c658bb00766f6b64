// Package buildinfo holds the version shared by mhago and its node agent,
// and what else the binary knows about how it was built. Each side refuses
// to talk to a peer of another Version.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// devVersion is the version of a build that says nothing better: a plain
// `go build` or `go test` in a source tree.
const devVersion = "0.1.0-dev"

// Version is mhago's version. `make build` and the release builds set it
// with -ldflags "-X .../buildinfo.Version=..." for mhago and its agent
// alike; otherwise init takes the module version `go install ...@vX`
// stamps, or devVersion.
var Version string

func init() {
	bi, _ := debug.ReadBuildInfo()
	Version = resolveVersion(Version, bi)
}

// resolveVersion: the linker's value wins, then a real module version
// (not "(devel)", which a build inside the source tree reports).
func resolveVersion(linked string, bi *debug.BuildInfo) string {
	switch {
	case linked != "":
		return linked
	case bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)":
		return bi.Main.Version
	}
	return devVersion
}

// Commit is the source revision when the build stamps it with -ldflags
// -X (`make build` does); otherwise the Go toolchain's vcs.revision, when
// it recorded one, is used.
var Commit string

// Info is what `mhago version` prints.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`             // vcs.revision, empty when the build did not record it
	Modified  bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	GoVersion string `json:"go_version"`
}

// Read describes the running binary.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return describe(Version, Commit, bi)
}

func describe(version, commit string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, GoVersion: runtime.Version()}
	if bi != nil {
		info.GoVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if commit != "" {
		// The linker's value names the tree `make build` saw, dirty or not.
		info.Commit, info.Modified = commit, false
	}
	return info
}

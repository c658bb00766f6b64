package agentctl

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mhago/mhago/buildinfo"
)

// BuildFromSource compiles the agent (static, CGO off, stripped) from the
// module source found above dir (default: the working directory) into the
// user cache, and returns its path. mhago itself never needs it (Locate
// always finds an agent in mhago); programs that are not mhago and push an
// agent do: test binaries and the benchmark tool.
func BuildFromSource(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(dir)
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	out := filepath.Join(cache, "mhago", AgentName+"-"+buildinfo.Version)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", Ldflags(), "-o", out, "./nodeagent/cmd/mhago-agent")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build agent in %s: %w: %s", root, err, strings.TrimSpace(string(b)))
	}
	return out, nil
}

// Ldflags are the linker flags every agent build uses: stripped, and stamped
// with this program's version so both sides agree.
func Ldflags() string {
	return "-s -w -X github.com/mhago/mhago/buildinfo.Version=" + buildinfo.Version
}

// moduleRoot walks up from dir to the go.mod of this module.
func moduleRoot(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/mhago/mhago\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no mhago source tree above %s", dir)
		}
	}
}

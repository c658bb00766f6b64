// Package agentctl is the manager's side of the node agent: it finds (or
// builds) the agent binary, pushes it to a host over SFTP into a private
// directory, verifies it by SHA-256, calls it, and removes it afterwards.
package agentctl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mhago/mhago/buildinfo"
)

// Binary is an agent executable ready to push.
type Binary struct {
	Source string // where it came from, for messages
	Data   []byte
	SHA256 string
}

// ErrNoAgent means no agent binary could be found or built.
var ErrNoAgent = errors.New("node agent binary not available")

// Locate finds the agent: the configured agent_path, else the copy embedded
// at build time (make build), else mhago-agent beside the mhago executable,
// else a build from this module's source when a Go toolchain is present.
func Locate(ctx context.Context, configured string) (Binary, error) {
	if configured != "" {
		return load(configured)
	}
	if len(embedded) > 0 {
		return fromBytes("embedded in mhago", embedded), nil
	}
	if exe, err := os.Executable(); err == nil {
		if b, err := load(filepath.Join(filepath.Dir(exe), "mhago-agent")); err == nil {
			return b, nil
		}
	}
	path, err := BuildFromSource(ctx, "")
	if err != nil {
		return Binary{}, fmt.Errorf("%w: set agent_path, build with `make build`, or install Go: %w", ErrNoAgent, err)
	}
	return load(path)
}

func load(path string) (Binary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Binary{}, fmt.Errorf("%w: read %s: %w", ErrNoAgent, path, err)
	}
	return fromBytes(path, data), nil
}

func fromBytes(source string, data []byte) Binary {
	sum := sha256.Sum256(data)
	return Binary{Source: source, Data: data, SHA256: hex.EncodeToString(sum[:])}
}

// BuildFromSource compiles the agent (static, CGO off, stripped) from the
// module source found above dir (default: the working directory) into the
// user cache, and returns its path.
func BuildFromSource(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(dir)
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	out := filepath.Join(cache, "mhago", "mhago-agent-"+buildinfo.Version)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", Ldflags(), "-o", out, "./nodeagent/cmd/mhago-agent")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build agent in %s: %w: %s", root, err, strings.TrimSpace(string(b)))
	}
	return out, nil
}

// Ldflags are the linker flags every agent build uses: stripped, and stamped
// with this mhago's version so both sides agree.
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

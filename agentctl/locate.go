// Package agentctl is the manager's side of the node agent: it finds the
// agent binary, pushes it to a host over SFTP into a private directory,
// verifies it by SHA-256, calls it, and removes it afterwards.
package agentctl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Binary is an agent executable ready to push.
type Binary struct {
	Source string // where it came from, for messages
	Origin Origin
	Data   []byte
	SHA256 string
}

// Origin says which of Locate's places an agent came from.
type Origin string

const (
	OriginAgentPath Origin = "agent_path" // the config's agent_path
	OriginEmbedded  Origin = "embedded"   // built into mhago by `make build` or a release
	OriginBeside    Origin = "beside"     // mhago-agent beside the mhago executable
	OriginSelf      Origin = "self"       // the mhago executable itself, started as mhago-agent
)

// AgentName is the agent's file name on a host (agentCache keeps it) and
// the name under which mhago's main serves as the agent.
const AgentName = "mhago-agent"

// SelfServes is set by mhago's main, whose executable answers as the agent
// when started as AgentName; other programs (tests, tools) cannot, and
// leave it false.
var SelfServes bool

// ErrNoAgent means no agent binary could be found.
var ErrNoAgent = errors.New("node agent binary not available")

// Locate finds the agent: the configured agent_path, else the copy
// embedded at build time, else mhago-agent beside the mhago executable,
// else the running mhago executable itself. A binary from `go install`
// or a plain `go build` therefore always has one.
func Locate(_ context.Context, configured string) (Binary, error) {
	switch origin, path := Which(configured); origin {
	case OriginEmbedded:
		return fromBytes("embedded in mhago", origin, embedded), nil
	case OriginAgentPath, OriginBeside, OriginSelf:
		return load(origin, path)
	}
	return Binary{}, fmt.Errorf("%w: this program does not embed the agent and cannot serve as one; set agent_path to an mhago-agent of the same version", ErrNoAgent)
}

// Which names the place Locate takes the agent from (and its file, when
// it is one), without reading it.
func Which(configured string) (Origin, string) {
	if configured != "" {
		return OriginAgentPath, configured
	}
	if len(embedded) > 0 {
		return OriginEmbedded, ""
	}
	exe, err := os.Executable()
	if err == nil {
		beside := filepath.Join(filepath.Dir(exe), AgentName)
		if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() {
			return OriginBeside, beside
		}
	}
	if !SelfServes {
		return "", ""
	}
	// /proc/self/exe is the image that is running even after a package
	// upgrade replaced the file: the agent must be of this mhago's version.
	if _, err := os.Stat(selfImage); err == nil {
		return OriginSelf, selfImage
	}
	return OriginSelf, exe
}

// selfImage is Linux's link to the running executable.
const selfImage = "/proc/self/exe"

func load(origin Origin, path string) (Binary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Binary{}, fmt.Errorf("%w: read %s: %w", ErrNoAgent, path, err)
	}
	source := path
	if origin == OriginSelf {
		source = "mhago itself"
	}
	return fromBytes(source, origin, data), nil
}

func fromBytes(source string, origin Origin, data []byte) Binary {
	sum := sha256.Sum256(data)
	return Binary{Source: source, Origin: origin, Data: data, SHA256: hex.EncodeToString(sum[:])}
}

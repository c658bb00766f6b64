package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

const (
	baseInstalled = 206 // 3 hosts: 207..209
	baseNoRun     = 218 // 2 hosts: 219..220
)

// installedBinary is the mhago under test: $MHAGO_BIN (the CI step's
// `go install ./...` into an empty GOBIN), else a plain `go build` with
// no tag and nothing beside it, as `go install ...@latest` gives.
func installedBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("MHAGO_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "mhago")
	goBuild(t, nil, "-o", bin, ".")
	return bin
}

func goBuild(t *testing.T, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"build"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// runBinary runs an mhago executable and returns its exit code and stdout.
func runBinary(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run %s: %v", bin, err)
	}
	t.Logf("%s %s => exit %d\nstdout:\n%s\nstderr:\n%s", bin, strings.Join(args, " "), cmd.ProcessState.ExitCode(), out.String(), errb.String())
	return cmd.ProcessState.ExitCode(), out.String()
}

// TestInstalledBinaryFailsOver: an mhago built without `make build` finds
// its agent (mhago-agent beside it from `go install ./...`, else itself),
// check pushes and runs it on every host, and it fails over a killed
// master without losing an acknowledged commit.
func TestInstalledBinaryFailsOver(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseInstalled, Hosts: 3})
	bin := installedBinary(t)
	want := agentctl.OriginSelf
	if _, err := os.Stat(filepath.Join(filepath.Dir(bin), agentctl.AgentName)); err == nil {
		want = agentctl.OriginBeside
	}
	var v versionInfo
	if code, out := runBinary(t, bin, "version", "--json"); code != exitOK || json.Unmarshal([]byte(out), &v) != nil || v.Agent != want || v.GoVersion == "" || v.Version == "" {
		t.Fatalf("version --json: exit %d, %+v; want agent %s", code, v, want)
	}
	start := time.Now()
	if code, _ := runBinary(t, bin, "check", "--conf", s.c.ConfigPath()); code != exitOK {
		t.Fatalf("check with %s: exit %d", bin, code)
	}
	pushed := time.Since(start)
	start = time.Now()
	if code, _ := runBinary(t, bin, "check", "--conf", s.c.ConfigPath()); code != exitOK {
		t.Fatalf("second check: exit %d", code)
	}
	t.Logf("agent %s: first check (pushes it to 3 hosts) %v, second (cached) %v", want, pushed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	s.assertCachedAgent(bin, want)

	acked := s.killUnderLoad(500, nil)
	code, out := runBinary(t, bin, "failover", "--conf", s.c.ConfigPath(), "--json")
	rep := &report.Report{}
	if err := json.Unmarshal([]byte(out), rep); err != nil {
		t.Fatalf("failover output is not a report (exit %d): %v", code, err)
	}
	if code != exitOK || rep.Outcome != "success" {
		t.Fatalf("failover with %s: exit %d outcome %s: %s", bin, code, rep.Outcome, rep.Error)
	}
	s.assertRecovered(rep, acked, 2, 3)
}

// assertCachedAgent checks that every host holds, in remote_workdir's
// cache, the agent the binary carries: the binary itself in self mode.
func (s *scenario) assertCachedAgent(bin string, origin agentctl.Origin) {
	s.t.Helper()
	src := bin
	if origin == agentctl.OriginBeside {
		src = filepath.Join(filepath.Dir(bin), agentctl.AgentName)
	}
	want := fileSHA(s.t, src)
	for i := 1; i <= 3; i++ {
		cached, _ := filepath.Glob(filepath.Join(s.c.WorkDir(i), "mhago-agent-cache", "*", agentctl.AgentName))
		if len(cached) != 1 || fileSHA(s.t, cached[0]) != want {
			s.t.Fatalf("host %d caches %v, want one copy of %s", i, cached, src)
		}
		fi, _ := os.Stat(cached[0])
		s.t.Logf("host %d: agent cached, %d bytes", i, fi.Size())
	}
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TestCheckAgentCannotRun: an agent the hosts cannot execute is a finding
// with exit 7 and a fix for its cause, before any failover needs it: a
// cgo mhago whose dynamic loader the host lacks (a glibc build on a musl
// host), and an agent for another architecture.
func TestCheckAgentCannotRun(t *testing.T) {
	c := cluster.Start(t, cluster.Options{Base: baseNoRun, Hosts: 2})
	dir := t.TempDir()
	musl := filepath.Join(dir, "mhago-musl")
	goBuild(t, []string{"CGO_ENABLED=1"}, "-ldflags", "-linkmode=external -I /lib/ld-musl-x86_64.so.1", "-o", musl, ".")
	arm := filepath.Join(dir, "mhago-agent-arm64")
	goBuild(t, []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + otherArch()}, "-trimpath", "-o", arm, "./nodeagent/cmd/mhago-agent")
	for _, tc := range []struct {
		name, agent, why, fix string
	}{
		{"dynamic loader missing", musl, "dynamically linked against /lib/ld-musl-x86_64.so.1", "CGO_ENABLED=0"},
		{"other architecture", arm, "built for linux/" + otherArch(), "GOARCH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := rewriteConf(t, c.ConfigPath(), `\[server default\]\n`, "[server default]\nagent_path="+tc.agent+"\n")
			code, rep := checkJSON(t, conf)
			if code != exitEnvironment {
				t.Fatalf("check: exit %d, want %d", code, exitEnvironment)
			}
			for _, host := range []string{"server1", "server2"} {
				f := failFinding(t, rep, host)
				if f.Check != "agent" || !strings.Contains(f.Message, tc.why) || !strings.Contains(f.Fix, tc.fix) {
					t.Errorf("%s: finding %+v; want the agent check naming %q with a fix naming %q", host, f, tc.why, tc.fix)
				}
			}
		})
	}
}

// otherArch is an architecture this machine does not run.
func otherArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/mhago/mhago/chaos"
)

// faultDir holds the mhago binary built with -tags mhagofault, shared by
// the tests of one `go test` run and removed at its end.
var faultDir string

func TestMain(m *testing.M) {
	if err := placeTestAgent(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "mhago-fault-")
	if err == nil {
		faultDir = dir
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

var faultBuild struct {
	once sync.Once
	path string
	err  error
}

// faultBinary builds mhago with fault injection (and the agent beside it,
// as the chaos suite does) once per test run: the
// tests that SIGKILL mhago need it as a process of its own.
func faultBinary(t *testing.T) string {
	t.Helper()
	faultBuild.once.Do(func() {
		if faultDir == "" {
			faultBuild.err = errors.New("no temp dir for the fault binary")
			return
		}
		faultBuild.path, faultBuild.err = chaos.BuildMhago(context.Background(), faultDir)
	})
	if faultBuild.err != nil {
		t.Fatalf("build mhago with -tags mhagofault: %v", faultBuild.err)
	}
	return faultBuild.path
}

// runFault runs the fault-injecting mhago with MHAGO_FAULT=fault and
// returns its exit code (-1 when it died by a signal) and output.
func runFault(t *testing.T, fault string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(faultBinary(t), args...)
	cmd.Env = append(os.Environ(), "MHAGO_FAULT="+fault)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run mhago-fault: %v", err)
	}
	t.Logf("MHAGO_FAULT=%q mhago %s => exit %d\nstdout:\n%s\nstderr:\n%s", fault, strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

package checks

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/hooks"
)

// TestObserveHooksFindsBareNamesInPath: a hook written as a bare command
// name (MHA's documented "report_script=send_report") is found in $PATH,
// as the shell that runs it finds it, and a name found nowhere is a
// finding that says so.
func TestObserveHooksFindsBareNamesInPath(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "mhago-test-report"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	conf := filepath.Join(t.TempDir(), "app.cnf")
	cnf := "[server default]\nuser=mhago\npassword=x\nmanager_workdir=/tmp\nreport_script=mhago-test-report --tag=app1\n" +
		"\n[server1]\nhostname=127.0.0.1\n\n[server2]\nhostname=127.0.0.2\n"
	if err := os.WriteFile(conf, []byte(cnf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(conf, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obs := observeHooks(context.Background(), cfg, "", hooks.PasswordsInEnv)
	if len(obs) != 1 || obs[0].Key != hooks.ReportScript || obs[0].Err != nil {
		t.Fatalf("report_script by bare name: %+v", obs)
	}
	if err := os.Remove(filepath.Join(bin, "mhago-test-report")); err != nil {
		t.Fatal(err)
	}
	obs = observeHooks(context.Background(), cfg, "", hooks.PasswordsInEnv)
	if len(obs) != 1 || obs[0].Err == nil {
		t.Fatalf("a bare name found nowhere must be a finding: %+v", obs)
	}
}

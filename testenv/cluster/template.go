package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// TemplateRoot caches one initialised datadir per mariadbd version, so each
// cluster copies it instead of running mariadb-install-db per host.
const TemplateRoot = "/tmp/mhago-testenv-template"

// templateFormat changes whenever the template's content changes.
const templateFormat = "v1"

const (
	innodbLogFileSize = "8M"
	innodbBufferPool  = "32M"
	templateMarker    = ".mhago-template-ok"
)

// Only root@localhost (unix socket) may stay; install-db also creates
// passwordless root@127.0.0.1, root@::1 and root@<hostname>.
const templateSQL = "DELETE FROM mysql.global_priv WHERE User='root' AND Host<>'localhost';\n"

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// ensureTemplate returns the cached template datadir, building it if needed.
func ensureTemplate(ctx context.Context, log *slog.Logger) (string, error) {
	mariadbd, err := findBinary("mariadbd")
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, mariadbd, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("mariadbd --version: %w", err)
	}
	key := templateFormat + "-" + unsafeChars.ReplaceAllString(strings.TrimSpace(string(out)), "_")
	dir := filepath.Join(TemplateRoot, key)
	if _, err := os.Stat(filepath.Join(dir, templateMarker)); err == nil {
		return dir, nil
	}
	t0 := time.Now()
	if err := buildTemplate(ctx, mariadbd, dir); err != nil {
		return "", err
	}
	log.Info("testenv: built datadir template", "dir", dir, "elapsed", time.Since(t0))
	return dir, nil
}

// buildTemplate initialises a datadir in a scratch dir and renames it into
// place, so concurrent test packages never see a half-built template.
func buildTemplate(ctx context.Context, mariadbd, dir string) error {
	if err := os.MkdirAll(TemplateRoot, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", TemplateRoot, err)
	}
	scratch, err := os.MkdirTemp(TemplateRoot, "build-")
	if err != nil {
		return fmt.Errorf("create template scratch dir: %w", err)
	}
	defer os.RemoveAll(scratch)
	if err := initDatadir(ctx, mariadbd, scratch); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(scratch, templateMarker), nil, 0o644); err != nil {
		return fmt.Errorf("write template marker: %w", err)
	}
	if err := os.Rename(scratch, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, templateMarker)); serr == nil {
			return nil // another process won the race
		}
		return fmt.Errorf("install template %s: %w", dir, err)
	}
	return nil
}

func initDatadir(ctx context.Context, mariadbd, scratch string) error {
	installDB, err := findBinary("mariadb-install-db")
	if err != nil {
		return err
	}
	data := filepath.Join(scratch, "data")
	logPath := filepath.Join(scratch, "install.log")
	innodb := []string{"--innodb-log-file-size=" + innodbLogFileSize, "--innodb-buffer-pool-size=" + innodbBufferPool}
	args := append([]string{"--no-defaults", "--datadir=" + data, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db"}, innodb...)
	if err := runLogged(ctx, logPath, "", installDB, args...); err != nil {
		return processError("mariadb-install-db", logPath, err)
	}
	args = append([]string{"--no-defaults", "--bootstrap", "--user=root", "--datadir=" + data,
		"--log-error=" + logPath, "--skip-log-bin"}, innodb...)
	if err := runLogged(ctx, logPath, templateSQL, mariadbd, args...); err != nil {
		return processError("mariadbd --bootstrap", logPath, err)
	}
	return os.Remove(logPath)
}

func runLogged(ctx context.Context, logPath, stdin, bin string, args ...string) error {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Stdin = strings.NewReader(stdin)
	return cmd.Run()
}

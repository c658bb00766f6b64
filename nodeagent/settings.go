package nodeagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mhago/mhago/internal/atomicfile"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/replsql"
)

// An apply changes two global variables of its server for its duration,
// as MHA's apply_diff_relay_logs did:
//
//   - max_allowed_packet is raised to 1 GiB, the server's maximum.
//     mariadb-binlog (and mysqlbinlog) write all row events of one
//     statement as one BINLOG '...' statement, so a transaction of 64 MB
//     becomes one statement of about 90 MB, which the default 16 MiB
//     refuses ("Server has gone away"). A session's value is read-only and
//     copied from the global when it connects, so the global is raised
//     before the replay client connects; the client gets the same limit on
//     its command line.
//   - super_read_only (MySQL), when ON, is switched off so that the apply
//     may write; read_only stays on.
//
// The original values are recorded durably, beside the pid file, before
// anything changes, and put back at the end, on success and on failure.
// An agent that dies mid-apply (SIGKILLed with its manager's SSH command)
// leaves the record; whoever takes the lock next puts the values back.

// maxPacket is the largest max_allowed_packet a server accepts.
const maxPacket = 1 << 30

// clientMaxPacket is the replay client's own limit, also the largest.
const clientMaxPacket = "--max-allowed-packet=1G"

// varReadOnly is read only to decide whether super_read_only may be put
// back: on MySQL, super_read_only=ON also sets read_only=ON.
const varReadOnly = "read_only"

// restoreWait bounds putting the settings back after an apply whose
// context was cancelled.
const restoreWait = 30 * time.Second

func settingsPath(dir string, port int) string {
	_, pid := lockPaths(dir, port)
	return strings.TrimSuffix(pid, ".pid") + ".settings"
}

// readSettings asks the server for the variables an apply may change. A
// variable the server does not have (super_read_only on MariaDB, MySQL
// before 5.7.8) is absent from the map: only what exists is touched.
func readSettings(ctx context.Context, c *clientConn) (map[string]string, error) {
	rows, err := c.query(ctx, fmt.Sprintf("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('%s', '%s', '%s')",
		proto.VarMaxAllowedPacket, proto.VarSuperReadOnly, varReadOnly))
	if err != nil {
		return nil, fmt.Errorf("read max_allowed_packet and super_read_only on %s:%d: %w", c.host, c.port, err)
	}
	vars := map[string]string{}
	for _, r := range rows {
		if name, value, ok := strings.Cut(r, "\t"); ok {
			vars[strings.ToLower(name)] = strings.ToUpper(strings.TrimSpace(value))
		}
	}
	return vars, nil
}

// planChanges decides, from the server's variables, what an apply changes.
func planChanges(vars map[string]string) []proto.SettingChange {
	var out []proto.SettingChange
	if v, ok := vars[proto.VarMaxAllowedPacket]; ok {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil && n < maxPacket {
			out = append(out, proto.SettingChange{Variable: proto.VarMaxAllowedPacket, Was: v, Set: strconv.Itoa(maxPacket)})
		}
	}
	if vars[proto.VarSuperReadOnly] == "ON" {
		out = append(out, proto.SettingChange{Variable: proto.VarSuperReadOnly, Was: "ON", Set: "OFF"})
	}
	return out
}

// setStatement is SET GLOBAL for one of the variables an apply changes,
// with a value checked against what that variable takes: a record file
// is never a way to run another statement.
func setStatement(name, value string) (string, error) {
	switch name {
	case proto.VarMaxAllowedPacket:
		if _, err := strconv.ParseUint(value, 10, 64); err == nil {
			return "SET GLOBAL max_allowed_packet = " + value, nil
		}
	case proto.VarSuperReadOnly:
		if value == "ON" || value == "OFF" {
			return replsql.SetSuperReadOnlyReported(value == "ON").SQL(), nil
		}
	}
	return "", fmt.Errorf("refusing to set %s to %q", name, value)
}

// restoreStep decides how to put ch back, given the server's variables
// now: the statement to run, or none and why. A value someone changed
// since the apply is theirs and stays; so does super_read_only=OFF on a
// server made writable since, which ON would make read-only again.
func restoreStep(ch proto.SettingChange, now map[string]string) (stmt, note string) {
	cur, ok := now[ch.Variable]
	switch {
	case !ok:
		return "", "the server no longer has this variable"
	case cur == ch.Was:
		return "", "already back at " + ch.Was
	case cur != ch.Set:
		return "", fmt.Sprintf("changed to %s since the apply set %s: left as it is", cur, ch.Set)
	case ch.Variable == proto.VarSuperReadOnly && now[varReadOnly] == "OFF":
		return "", "the server is writable now (read_only is OFF): left OFF"
	}
	stmt, err := setStatement(ch.Variable, ch.Was)
	if err != nil {
		return "", err.Error()
	}
	return stmt, ""
}

// raiseSettings records, then makes, the changes the server needs. A
// max_allowed_packet that cannot be raised is a warning: the apply goes
// on, and only a statement above the server's limit will fail. A
// super_read_only that cannot be switched off fails the apply, which
// could not write; what was changed is put back first.
func raiseSettings(ctx context.Context, c *clientConn, path, runID string) (rec *proto.ApplySettings, warning string, err error) {
	vars, err := readSettings(ctx, c)
	if err != nil {
		return nil, "", err
	}
	plan := planChanges(vars)
	if len(plan) == 0 {
		return nil, "", nil
	}
	rec = &proto.ApplySettings{RunID: runID, Started: time.Now().UTC().Format(time.RFC3339), Changes: plan}
	if err := writeSettings(path, rec); err != nil {
		return nil, "", err
	}
	var done []proto.SettingChange
	for _, ch := range plan {
		stmt, _ := setStatement(ch.Variable, ch.Set)
		_, err := c.query(ctx, stmt)
		switch {
		case err == nil:
			done = append(done, ch)
		case ch.Variable == proto.VarMaxAllowedPacket:
			warning = fmt.Sprintf("max_allowed_packet on %s:%d stays %s, could not be raised to %d (%v): a transaction with a statement above %s bytes will fail; grant the user SUPER (MySQL 8: SYSTEM_VARIABLES_ADMIN)",
				c.host, c.port, ch.Was, maxPacket, err, ch.Was)
		default:
			rec.Changes = done
			_, rerr := restoreSettings(ctx, c, path, rec)
			return nil, warning, errors.Join(fmt.Errorf("super_read_only is ON on %s:%d and could not be switched off for the apply (read_only stays on): %w; grant the user SUPER or SYSTEM_VARIABLES_ADMIN, or run %s there and apply again",
				c.host, c.port, err, replsql.SetSuperReadOnlyReported(false)), rerr)
		}
	}
	rec.Changes = done
	return rec, warning, nil
}

// restoreSettings puts rec's changes back and, once each one is settled,
// removes the record. When one cannot be put back (the server is down),
// the record stays, for the next apply or status call.
func restoreSettings(ctx context.Context, c *clientConn, path string, rec *proto.ApplySettings) ([]proto.SettingChange, error) {
	out := append([]proto.SettingChange(nil), rec.Changes...)
	now, err := readSettings(ctx, c)
	if err != nil {
		return out, keptError(path, err)
	}
	var errs []error
	for i, ch := range out {
		stmt, note := restoreStep(ch, now)
		out[i].Note = note
		out[i].Restored = now[ch.Variable] == ch.Was
		if stmt == "" {
			continue
		}
		if _, err := c.query(ctx, stmt); err != nil {
			out[i].Note = "could not be put back: " + err.Error()
			errs = append(errs, fmt.Errorf("put %s back to %s on %s:%d: %w", ch.Variable, ch.Was, c.host, c.port, err))
			continue
		}
		out[i].Restored = true
	}
	if err := errors.Join(errs...); err != nil {
		return out, keptError(path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return out, fmt.Errorf("remove settings record %s: %w", path, err)
	}
	return out, nil
}

func keptError(path string, err error) error {
	return fmt.Errorf("%w; the original values stay recorded in %s, and the next apply on this server puts them back", err, path)
}

// writeSettings replaces the record atomically and durably (fsynced file
// and directory): it must outlive the agent, and never be half written.
func writeSettings(path string, rec *proto.ApplySettings) error {
	b, err := json.Marshal(rec)
	if err == nil {
		err = atomicfile.Write(path, b, 0o600)
	}
	if err != nil {
		return fmt.Errorf("record the server's settings in %s before changing them: %w", path, err)
	}
	return nil
}

// readSettingsRecord is the record at path, nil if there is none. One that
// cannot be read is an error: its values would otherwise be lost.
func readSettingsRecord(path string) (*proto.ApplySettings, error) {
	b, err := readOwnFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read settings record %s: %w", path, err)
	}
	var rec proto.ApplySettings
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("settings record %s is unreadable (%w): put its values back by hand and remove it", path, err)
	}
	return &rec, nil
}

// restoreLeft puts back what an earlier apply, now gone (the lock is
// held), left changed. It must succeed before this apply records its own
// changes, which would otherwise record the raised values as original.
func restoreLeft(ctx context.Context, c *clientConn, path string) (*proto.ApplySettings, error) {
	rec, err := readSettingsRecord(path)
	if rec == nil || err != nil {
		return nil, err
	}
	rec.Changes, err = restoreSettings(ctx, c, path, rec)
	if err != nil {
		return rec, fmt.Errorf("settings left changed by run %s (started %s): %w", rec.RunID, rec.Started, err)
	}
	return rec, nil
}

// settingsLeft reports the settings an apply that is gone left changed,
// and with credentials puts them back, as the next apply would: under
// the apply lock, taken without waiting (an apply that holds it restores
// them itself), after the dead apply's session has finished its statement.
func settingsLeft(ctx context.Context, req proto.StatusRequest) (*proto.ApplySettings, error) {
	lockPath, pidPath := lockPaths(req.LockDir, req.Port)
	f, err := os.Open(lockPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open apply lock %s: %w", lockPath, err)
	}
	defer f.Close()
	if !tryLock(f, syscall.LOCK_EX) {
		return nil, nil
	}
	path := settingsPath(req.LockDir, req.Port)
	rec, err := readSettingsRecord(path)
	if rec == nil || err != nil || req.User == "" {
		return rec, err
	}
	c, err := newClientConn(req.ClientBindir, req.Workdir, req.Host, req.Port, req.User, req.Password)
	if err != nil {
		return rec, err
	}
	defer c.close()
	if err := settlePrevious(ctx, c, readPidFile(pidPath)); err != nil {
		return rec, err
	}
	return restoreLeft(ctx, c, path)
}

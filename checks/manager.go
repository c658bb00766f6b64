package checks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mhago/mhago/config"
)

// ObserveManager looks at what a failover writes on the manager host: its
// journal, reports and guard files in manager_workdir, and manager_log. It
// creates nothing that outlives it: a failover that cannot write there
// must be refused beforehand, and a check that created the directory
// would hide that it is missing. Call it before opening manager_log.
func ObserveManager(cfg *config.Config) *ManagerObs {
	m := &ManagerObs{Workdir: cfg.ManagerWorkdir, Log: cfg.ManagerLog, Config: cfg.Path}
	m.WorkdirMissing, m.WorkdirErr = probeLocalDir(cfg.ManagerWorkdir)
	if m.Log != "" {
		m.LogErr = probeLogFile(m.Log)
	}
	m.ErrorFiles = leftoverErrorFiles(cfg)
	return m
}

// leftoverErrorFiles finds the error files a failover that failed past its
// point of no return leaves: mhago's, named after the cluster, and MHA's,
// named after the app (a cluster migrating from MHA may still have one).
func leftoverErrorFiles(cfg *config.Config) []ErrorFileObs {
	var out []ErrorFileObs
	seen := map[string]bool{}
	for _, name := range []string{cfg.ClusterID(), cfg.App} {
		p := filepath.Join(cfg.ManagerWorkdir, name+".failover.error")
		if name == "" || seen[p] {
			continue
		}
		seen[p] = true
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		out = append(out, ErrorFileObs{Path: p, Since: fi.ModTime(), First: firstLine(p)})
	}
	return out
}

// firstLine is the start of a small text file, for the finding.
func firstLine(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 512)
	n, _ := f.Read(buf)
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	return strings.TrimSpace(line)
}

// probeLocalDir: an existing directory must take a file (created, synced
// and removed, as the failover's journal is written); a missing one must
// be creatable, that is its nearest existing ancestor is a directory we
// may write. Root passes permission bits, so the probe, not the mode,
// decides: a read-only mount or a file in the way still fail.
func probeLocalDir(dir string) (missing bool, errText string) {
	fi, err := os.Stat(dir)
	switch {
	// ENOTDIR: a file stands where a parent directory should be; the
	// directory is missing and creatable says why it cannot be created.
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return true, creatable(dir)
	case err != nil:
		return false, err.Error()
	case !fi.IsDir():
		return false, dir + " exists and is not a directory"
	}
	return false, probeWrite(dir)
}

// creatable says why MkdirAll(dir) would fail, or "" if it would not. It
// only looks: access(2) reports EROFS even to root.
func creatable(dir string) string {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		switch {
		case (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) && p != filepath.Dir(p):
			continue
		case err != nil:
			return fmt.Sprintf("cannot be created: %v", err)
		case !fi.IsDir():
			return fmt.Sprintf("cannot be created: %s is not a directory", p)
		}
		if err := syscall.Access(p, accessW|accessX); err != nil {
			return fmt.Sprintf("cannot be created in %s: %v", p, err)
		}
		return ""
	}
}

// W_OK and X_OK of unistd.h, which package syscall does not name.
const (
	accessW = 0x2
	accessX = 0x1
)

// probeWrite creates, syncs and removes a temporary file in dir.
func probeWrite(dir string) string {
	f, err := os.CreateTemp(dir, ".mhago-check-probe-*")
	if err != nil {
		return "cannot write a file: " + unwrapPath(err)
	}
	name := f.Name()
	_, werr := f.WriteString("mhago")
	serr := f.Sync()
	cerr := f.Close()
	rerr := os.Remove(name)
	if err := errors.Join(werr, serr, cerr); err != nil {
		return "cannot write a file: " + err.Error()
	}
	if rerr != nil {
		return fmt.Sprintf("the write probe %s could not be removed: %v", name, rerr)
	}
	return ""
}

// probeLogFile: an existing manager_log must open for appending (without
// being created here); a missing one needs a writable directory, since
// mhago creates it on its first line.
func probeLogFile(p string) string {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	switch {
	case err == nil:
		f.Close()
		return ""
	case !errors.Is(err, fs.ErrNotExist):
		return "cannot be opened for appending: " + unwrapPath(err)
	}
	dir := filepath.Dir(p)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "its directory " + dir + " does not exist"
	case err != nil:
		return err.Error()
	case !fi.IsDir():
		return dir + " is not a directory"
	}
	if msg := probeWrite(dir); msg != "" {
		return "cannot be created in " + dir + ": " + msg
	}
	return ""
}

// unwrapPath keeps the cause of an *fs.PathError ("read-only file
// system"): the finding names the path already.
func unwrapPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

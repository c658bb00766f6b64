package nodeagent

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errNotOwn: a state file in remote_workdir (apply lock, pid file,
// settings record) was made or opened up by someone else. These files
// outlive a run in a directory that may be shared (/var/tmp), and the
// agent acts on them: it kills the pids one names and sets the server
// variables another records. It acts only on its own.
var errNotOwn = errors.New("not the agent's own file")

// checkOwn accepts fi (of path) only as a regular file of this process's
// user that nobody else may write.
func checkOwn(path string, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w: %s is not a regular file; remove it", errNotOwn, path)
	case ok && int(st.Uid) != os.Getuid():
		return fmt.Errorf("%w: %s belongs to uid %d, not to the SSH user (uid %d): check who made it, then remove it", errNotOwn, path, st.Uid, os.Getuid())
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%w: %s has mode %04o, writable by others: check who changed it, then remove it", errNotOwn, path, fi.Mode().Perm())
	}
	return nil
}

// readOwnFile reads path if it is the agent's own; a missing file is
// os.ErrNotExist, as from os.ReadFile.
func readOwnFile(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := checkOwn(path, fi); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

package agentctl

import (
	"errors"
	"fmt"

	"github.com/mhago/mhago/remote"
)

// ErrNoSpace: a host's remote_workdir lacks the room the agent or the diffs
// need.
var ErrNoSpace = errors.New("no space left")

// CheckSpace fails with ErrNoSpace when dir on c's host has fewer than need
// bytes free for the SSH user. The manager calls it before the point of no
// return for the diffs it will copy into each host's remote_workdir; Deploy
// calls it for the agent. A server without SFTP's statvfs extension gives
// an error matching errors.ErrUnsupported (the agent's status reports
// workdir_free_bytes instead).
func CheckSpace(c *remote.Client, dir string, need uint64) error {
	free, err := c.FreeSpace(dir)
	if err != nil {
		return fmt.Errorf("free space of %s on %s: %w", dir, c.Target(), err)
	}
	if free < need {
		return noSpace(dir, c.Target().String(), free, need)
	}
	return nil
}

func noSpace(dir, host string, free, need uint64) error {
	return fmt.Errorf("%w in remote_workdir %s on %s: %d bytes free, %d needed; free space there or set remote_workdir to a larger filesystem",
		ErrNoSpace, dir, host, free, need)
}

// spaceError explains a failed write by a full filesystem when dir has less
// than need bytes free, and returns err unchanged otherwise.
func spaceError(c *remote.Client, dir string, need uint64, err error) error {
	free, ferr := c.FreeSpace(dir)
	if ferr != nil || free >= need {
		return err
	}
	return fmt.Errorf("%w (the server said: %v)", noSpace(dir, c.Target().String(), free, need), err)
}

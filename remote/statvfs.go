package remote

import (
	"errors"
	"fmt"

	"github.com/pkg/sftp"
)

// statvfsExt is OpenSSH's SFTP extension for statvfs(3).
const statvfsExt = "statvfs@openssh.com"

// FreeSpace returns the bytes the SSH user may still write (root's reserve
// not counted) on the filesystem that holds p. A server without OpenSSH's
// statvfs extension gives an error matching errors.ErrUnsupported.
func (c *Client) FreeSpace(p string) (uint64, error) {
	var free uint64
	err := c.withSFTP("statvfs "+p, func(s *sftp.Client) error {
		if _, ok := s.HasExtension(statvfsExt); !ok {
			return fmt.Errorf("the SFTP server lacks %s: %w", statvfsExt, errors.ErrUnsupported)
		}
		st, err := s.StatVFS(p)
		if err != nil {
			return err
		}
		free = st.Bavail * st.Frsize
		return nil
	})
	return free, err
}

//go:build unix

package binlog

import (
	"os"
	"syscall"
)

// mapFile maps a whole file read-only (nil when it cannot be mapped: the
// caller then reads it). MADV_SEQUENTIAL because every reader here walks the
// file front to back; no MAP_POPULATE, because a relay-log head check only
// touches the first pages of a file that may be cold on disk.
func mapFile(f *os.File, size int64) []byte {
	if size <= 0 || size != int64(int(size)) {
		return nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	adviseSequential(data)
	return data
}

func unmapFile(data []byte) error { return syscall.Munmap(data) }

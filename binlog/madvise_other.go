//go:build unix && !linux

package binlog

func adviseSequential([]byte) {}

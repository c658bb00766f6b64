package binlog

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ListBinlogs returns the paths of dir's binlog files named prefix.NNN
// (digits only), sorted by their numeric suffix: mysql-bin.000009 <
// mysql-bin.000010 < mysql-bin.1000000. The .index file and anything else
// are ignored.
func ListBinlogs(dir, prefix string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list binlogs in %s: %w", dir, err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), prefix+".") && isDigits(e.Name()[len(prefix)+1:]) {
			names = append(names, e.Name())
		}
	}
	sort.Slice(names, func(i, j int) bool { return CompareBinlogNames(names[i], names[j]) < 0 })
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join(dir, n)
	}
	return paths, nil
}

// CompareBinlogNames orders binlog file names (base names or paths) by
// prefix, then by numeric suffix. It returns -1, 0 or 1.
func CompareBinlogNames(a, b string) int {
	pa, na := splitBinlogName(filepath.Base(a))
	pb, nb := splitBinlogName(filepath.Base(b))
	if pa != pb {
		return strings.Compare(pa, pb)
	}
	na, nb = strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
	if len(na) != len(nb) {
		if len(na) < len(nb) {
			return -1
		}
		return 1
	}
	return strings.Compare(na, nb)
}

// splitBinlogName splits "mysql-bin.000012" into "mysql-bin" and "000012".
func splitBinlogName(name string) (prefix, num string) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || !isDigits(name[i+1:]) {
		return name, ""
	}
	return name[:i], name[i+1:]
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NeverCreated tells whether startFile:startPos names a binlog the master
// announced but never created: the position is the start of startFile,
// which is missing, and the newest file in dir is its predecessor. A
// master SIGKILLed while rotating leaves exactly this: the Rotate event
// at the end of the old file reached the replicas, the new file does not
// exist. Nothing follows such a position.
func NeverCreated(dir, startFile string, startPos int64) (bool, error) {
	prefix, num := splitBinlogName(filepath.Base(startFile))
	if num == "" || startPos > 4 {
		return false, nil
	}
	files, err := ListBinlogs(dir, prefix)
	if err != nil || len(files) == 0 {
		return false, err
	}
	newest := filepath.Base(files[len(files)-1])
	_, newestNum := splitBinlogName(newest)
	return CompareBinlogNames(newest, startFile) < 0 && successor(newestNum) == strings.TrimLeft(num, "0"), nil
}

// HeaderUnwritten tells whether file is the newest binlog in dir and holds
// no complete format description event: a master SIGKILLed right after it
// created the file, before its header was on disk. Its replicas read up to
// its start, and nothing follows.
func HeaderUnwritten(dir, file string) (bool, error) {
	prefix, num := splitBinlogName(filepath.Base(file))
	if num == "" {
		return false, nil
	}
	files, err := ListBinlogs(dir, prefix)
	if err != nil || len(files) == 0 || filepath.Base(files[len(files)-1]) != filepath.Base(file) {
		return false, err
	}
	data, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		return false, err
	}
	if len(data) < len(Magic)+HeaderLen {
		return string(data) == Magic[:min(len(data), len(Magic))], nil
	}
	size := int(le.Uint32(data[len(Magic)+9:]))
	return string(data[:len(Magic)]) == Magic && EventType(data[len(Magic)+4]) == FormatDescriptionEvent && len(data) < len(Magic)+size, nil
}

// successor is the decimal number after num, without leading zeros.
func successor(num string) string {
	b := []byte(strings.TrimLeft(num, "0"))
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

package chaos

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
)

// The verifier reads the dead master's binlog files itself, with a walker
// of its own rather than mhago's parser, so a parser bug cannot hide a
// loss: it needs only event boundaries, the XID event and the tags.
const (
	eventHeaderLen = 19
	xidEvent       = 16
)

var (
	binlogMagic = []byte{0xfe, 'b', 'i', 'n'}
	tagRE       = regexp.MustCompile(`chaos-tx:(\d+):(\d+);`)
	binlogName  = regexp.MustCompile(`^mysql-bin\.\d{6,}$`)
)

// txTag names one transaction of the workload.
type txTag struct{ Client, Seq int }

// committedAfter lists the tagged transactions whose commit lies in the
// binlog files of dir after file:pos: what a failover that could not save
// the binlog beyond file:pos loses. A DDL commits with its own event; a
// DML transaction with the XID event that follows its tag. An event cut
// short by the crash ends the walk: it was never committed.
func committedAfter(dir, file string, pos uint64) (map[txTag]bool, error) {
	files, err := binlogFiles(dir, file, pos)
	if err != nil {
		return nil, err
	}
	out := map[txTag]bool{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		after := func(end uint64) bool { return f > file || end > pos }
		if err := walkCommits(data, func(tags []txTag, end uint64) {
			if after(end) {
				for _, t := range tags {
					out[t] = true
				}
			}
		}); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return out, nil
}

// binlogFiles lists dir's binlog files from first on, in order. A bound
// at the start of a file newer than all of them names a file the master
// announced and died before creating (SIGKILL while rotating): nothing
// follows it.
func binlogFiles(dir, first string, pos uint64) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if binlogName.MatchString(e.Name()) && e.Name() >= first {
			files = append(files, e.Name())
		}
	}
	slices.Sort(files)
	if len(files) == 0 && pos <= 4 {
		return nil, nil
	}
	if len(files) == 0 || files[0] != first {
		return nil, fmt.Errorf("binlog %s not found in %s", first, dir)
	}
	return files, nil
}

// walkCommits calls commit with the tags of each committed transaction and
// the end position of its commit event.
func walkCommits(data []byte, commit func(tags []txTag, end uint64)) error {
	if len(data) < len(binlogMagic) && string(data) == string(binlogMagic[:len(data)]) {
		return nil // created by a master killed before it wrote the header
	}
	if len(data) < len(binlogMagic) || string(data[:4]) != string(binlogMagic) {
		return fmt.Errorf("not a binlog file")
	}
	var pending []txTag
	for pos := uint64(4); pos+eventHeaderLen <= uint64(len(data)); {
		size := uint64(binary.LittleEndian.Uint32(data[pos+9:]))
		if size < eventHeaderLen {
			return fmt.Errorf("event at %d has size %d", pos, size)
		}
		end := pos + size
		if end > uint64(len(data)) {
			return nil // cut short by the crash
		}
		ev := data[pos:end]
		for _, t := range tags(ev) {
			if t.Client == DDLClient {
				commit([]txTag{t}, end)
				continue
			}
			if !slices.Contains(pending, t) {
				pending = append(pending, t)
			}
		}
		if ev[4] == xidEvent && len(pending) > 0 {
			commit(pending, end)
			pending = nil
		}
		pos = end
	}
	return nil
}

func tags(ev []byte) []txTag {
	var out []txTag
	for _, m := range tagRE.FindAllSubmatch(ev, -1) {
		c, _ := strconv.Atoi(string(m[1]))
		s, _ := strconv.Atoi(string(m[2]))
		out = append(out, txTag{c, s})
	}
	return out
}

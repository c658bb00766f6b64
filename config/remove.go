package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mhago/mhago/internal/atomicfile"
)

// ErrBlockNotFound: the file has no [name] section to remove.
var ErrBlockNotFound = errors.New("section not found")

// RemoveServerBlock deletes the [block] section, its header and every line
// up to the next section header, from the config file at path (MHA's
// --remove_dead_master_conf). Comments inside the block go with it; the
// rest of the file is kept byte for byte. The file is replaced atomically
// with the same permissions, so a crash leaves either the old or the new
// file, never half of one.
//
// A non-empty clusterID is written as cluster_id into [server default] in
// the same rewrite: the derived id depends on the server list, and the
// cluster must keep its lock, journal and guard names after losing a block.
func RemoveServerBlock(path, block, clusterID string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("remove [%s] from %s: %w", block, path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("remove [%s] from %s: %w", block, path, err)
	}
	out, ok := withoutSection(string(data), block)
	if !ok {
		return fmt.Errorf("remove [%s] from %s: %w (is it defined in another file?)", block, path, ErrBlockNotFound)
	}
	if clusterID != "" {
		out = withDefaultKey(out, "cluster_id", clusterID)
	}
	if err := atomicfile.Write(path, []byte(out), info.Mode().Perm()); err != nil {
		return fmt.Errorf("remove [%s] from %s: %w", block, path, err)
	}
	return nil
}

// RemoveServerBlock is RemoveServerBlock for this config's files: with an
// overlay file, the block's overlay part goes too and cluster_id is
// written into the overlay, where MHA, which reads the app file, does not
// see a key it would refuse.
func (c *Config) RemoveServerBlock(block, clusterID string) error {
	if c.OverlayPath == "" {
		return RemoveServerBlock(c.Path, block, clusterID)
	}
	if err := RemoveServerBlock(c.Path, block, ""); err != nil {
		return err
	}
	info, err := os.Stat(c.OverlayPath)
	if err != nil {
		return fmt.Errorf("remove [%s] from %s: %w", block, c.OverlayPath, err)
	}
	data, err := os.ReadFile(c.OverlayPath)
	if err != nil {
		return fmt.Errorf("remove [%s] from %s: %w", block, c.OverlayPath, err)
	}
	out, removed := withoutSection(string(data), block)
	if clusterID != "" {
		out = withSectionKey(out, overlayDefaultName(out), "cluster_id", clusterID)
	}
	if !removed && clusterID == "" {
		return nil
	}
	if err := atomicfile.Write(c.OverlayPath, []byte(out), info.Mode().Perm()); err != nil {
		return fmt.Errorf("remove [%s] from %s: %w", block, c.OverlayPath, err)
	}
	return nil
}

// overlayDefaultName is the overlay's section for application keys:
// [server default] when the file uses it, else [mhago].
func overlayDefaultName(text string) string {
	for _, raw := range strings.Split(text, "\n") {
		if l := strings.TrimSpace(raw); strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") &&
			strings.TrimSpace(l[1:len(l)-1]) == defaultSection {
			return defaultSection
		}
	}
	return overlaySection
}

// withoutSection returns text without the [name] section; ok is false when
// there is none. Lines are compared as parseINI reads them.
func withoutSection(text, name string) (string, bool) {
	lines := strings.SplitAfter(text, "\n")
	var kept []string
	inBlock, found := false, false
	for _, raw := range lines {
		line := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			inBlock = strings.TrimSpace(line[1:len(line)-1]) == name
			found = found || inBlock
		}
		if !inBlock {
			kept = append(kept, raw)
		}
	}
	return strings.Join(kept, ""), found
}

// withDefaultKey adds key=value as the first line of [server default],
// creating the section at the top when the file has none.
func withDefaultKey(text, key, value string) string {
	return withSectionKey(text, defaultSection, key, value)
}

// withSectionKey adds key=value as the first line of [section], creating
// the section at the top when the file has none.
func withSectionKey(text, section, key, value string) string {
	lines := strings.SplitAfter(text, "\n")
	line := key + "=" + value + "\n"
	for i, raw := range lines {
		l := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") && strings.TrimSpace(l[1:len(l)-1]) == section {
			if !strings.HasSuffix(raw, "\n") {
				lines[i] = raw + "\n"
			}
			return strings.Join(lines[:i+1], "") + line + strings.Join(lines[i+1:], "")
		}
	}
	return "[" + section + "]\n" + line + "\n" + text
}

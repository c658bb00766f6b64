package agentctl

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"time"

	"github.com/mhago/mhago/remote"
)

// The agent stays in remote_workdir between runs, one directory per
// content hash, so a failover does not spend its first second pushing a
// binary the host already has. It is only ever run after its SHA-256 was
// checked on the host (Agent.start).
const (
	cacheDirName = "mhago-agent-cache"
	// cacheKeep agents (this one included) stay; older ones go once they
	// are cachePruneAge old, so two mhago versions in use side by side do
	// not take each other's agent away.
	cacheKeep     = 2
	cachePruneAge = 24 * time.Hour
)

// agentCache is one host's cache seen by one deploy.
type agentCache struct {
	c                 *remote.Client
	root, dir, file   string
	uid               uint32
	bin               Binary
	madeRoot, madeDir bool
}

func newAgentCache(c *remote.Client, workdir string, uid uint32, bin Binary) *agentCache {
	root := path.Join(workdir, cacheDirName)
	dir := path.Join(root, bin.SHA256[:16])
	// The file keeps the name mhago-agent: the apply's pid checks know
	// the agent's processes by it.
	return &agentCache{c: c, root: root, dir: dir, file: path.Join(dir, "mhago-agent"), uid: uid, bin: bin}
}

// place returns the cached agent and true, or pushes it when it is
// missing or not a private file of the right size.
func (k *agentCache) place(ctx context.Context) (string, bool, error) {
	if err := k.mkdirs(); err != nil {
		return "", false, err
	}
	fi, err := k.c.Lstat(k.file)
	if err != nil || !k.usable(fi) {
		return k.push(ctx)
	}
	if err := CheckSpace(k.c, k.dir, deployHeadroom); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return "", false, err
	}
	k.c.Touch(k.dir) // marks it in use for prune
	return k.file, true, nil
}

// mkdirs creates the cache directories (0700) and checks they are private.
func (k *agentCache) mkdirs() error {
	for _, d := range []string{k.root, k.dir} {
		_, statErr := k.c.Lstat(d)
		made := errors.Is(statErr, fs.ErrNotExist)
		if err := k.c.MkdirAll(d, 0o700); err != nil {
			return spaceError(k.c, d, uint64(len(k.bin.Data))+deployHeadroom, err)
		}
		if d == k.root {
			k.madeRoot = made
		} else {
			k.madeDir = made
		}
		if err := checkPrivateDir(k.c, d, k.uid); err != nil {
			return err
		}
	}
	return nil
}

// usable: a regular file of the agent's size, the SSH user's, writable
// by nobody else. Its content is checked when it is started.
func (k *agentCache) usable(fi fs.FileInfo) bool {
	owner, ok := ownerOf(fi)
	return fi.Mode().IsRegular() && fi.Size() == int64(len(k.bin.Data)) && (!ok || owner == k.uid) && fi.Mode().Perm()&0o022 == 0
}

// push uploads the agent into the cache (temp file, then rename).
func (k *agentCache) push(ctx context.Context) (string, bool, error) {
	need := uint64(len(k.bin.Data)) + deployHeadroom
	if err := CheckSpace(k.c, k.dir, need); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return "", false, err
	}
	if err := upload(ctx, k.c, k.bin.Data, k.file, need); err != nil {
		return "", false, err
	}
	return k.file, false, nil
}

// undo removes what this deploy created, after it failed.
func (k *agentCache) undo() {
	switch {
	case k.madeRoot:
		k.c.RemoveAll(k.root)
	case k.madeDir:
		k.c.RemoveAll(k.dir)
	}
}

// prune removes old agents beyond the newest cacheKeep; best effort.
func (k *agentCache) prune() {
	list, err := k.c.ReadDir(k.root)
	if err != nil {
		return
	}
	slices.SortFunc(list, func(a, b fs.FileInfo) int { return b.ModTime().Compare(a.ModTime()) })
	kept := 1 // this deploy's
	for _, fi := range list {
		p := path.Join(k.root, fi.Name())
		switch {
		case p == k.dir || !fi.IsDir():
		case kept < cacheKeep || time.Since(fi.ModTime()) < cachePruneAge:
			kept++
		default:
			k.c.RemoveAll(p)
		}
	}
}

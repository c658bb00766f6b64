// Package configsync keeps the config files of several manager hosts of
// one cluster in agreement through Redis: Push stores the cluster part of
// a file (see part.go: the server, binlog and proxy blocks and the cluster
// keys of [server default]) as a new version and announces it, Pull
// rewrites a local file to the newest version, keeping its host-local part
// byte for byte, Watch pulls on every announcement, and CheckFresh tells a
// failover whether its file is older than the cluster's.
//
// Keys, for prefix P and cluster id C (coord.Key):
//
//	P:C:config          the newest version: JSON Published; also the pub/sub
//	                    channel, whose messages are the new version number
//	P:C:config-version  the version counter (INCR)
//
// Each file records the version it holds as config_version in [server
// default]. Versions only grow: a push is refused from a file older than
// the stored version, a pull never goes back, and a Redis that lost its
// data continues from the highest version a pushing file holds.
package configsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/internal/atomicfile"
)

// ErrStaleConfig marks a local config file older than the version in
// Redis whose cluster part differs: acting on it would act on a cluster
// that is no longer there (a dead master still listed, a new server
// missing). The message names the pull command that fixes it.
var ErrStaleConfig = errors.New("config file older than the cluster's version in Redis")

// ErrOlderVersion marks a pull refused because Redis holds an older
// version than the file (Redis lost its data, and an older file pushed).
var ErrOlderVersion = errors.New("redis holds an older config version than the file")

// ErrStaleFence marks a push by a run whose fencing number is lower than
// that of the run that pushed the stored version: a manager that lost its
// lock must not overwrite its successor's config.
var ErrStaleFence = errors.New("config push fence older than the stored one")

// ErrInvalidPushed marks a pushed cluster part that would make the local
// file invalid; the file is left as it was.
var ErrInvalidPushed = errors.New("pushed config does not load here")

// ErrOverlay marks a push, pull or version check on a config whose mhago
// keys live in an overlay file (config.OverlayPath): the cluster part
// would span two files, and writing config_version or [proxyN] into the
// MHA app file would make MHA refuse it.
var ErrOverlay = errors.New("config sync needs one combined config file")

// refuseOverlay returns an error wrapping ErrOverlay when cfg has one.
func refuseOverlay(op string, cfg *config.Config) error {
	if cfg.OverlayPath == "" {
		return nil
	}
	return fmt.Errorf("%w: %s %s: its mhago keys are in %s; config sync keeps one file in step (fix: merge the two files into one "+
		"for push/pull/watch, or keep the manager hosts' files in step by hand while MHA still reads %s)",
		ErrOverlay, op, cfg.Path, cfg.OverlayPath, cfg.Path)
}

// Published is one version of a cluster's config as stored in Redis.
type Published struct {
	Version int64     `json:"version"`
	Fence   int64     `json:"fence"`  // the fencing number of the run that pushed it; 0 = none yet
	By      string    `json:"by"`     // the manager host that pushed it
	RunID   string    `json:"run_id"` // the failover or switchover run, "" for a manual push
	At      time.Time `json:"at"`
	Text    string    `json:"text"` // the canonical cluster part (Extract)
}

// Key returns the key holding the newest version, which is also the
// channel announcing new ones.
func Key(prefix, cluster string) string { return coord.Key(prefix, cluster, "config") }

func counterKey(prefix, cluster string) string { return coord.Key(prefix, cluster, "config-version") }

// pushScript stores a version unless the pushing file is older than the
// stored one or the stored version came from a run with a higher fence;
// then announces it. A fence of 0 (a manual push) carries the stored one
// forward, so a stale run cannot undo it either. The version is one more
// than the counter, or than the file's version if Redis lost its data.
// Returns {1, version, fence}, {0, stored version} or {-1, stored fence}.
var pushScript = redis.NewScript(`
local cur = tonumber(redis.call("GET", KEYS[2]) or "0") or 0
local base = tonumber(ARGV[1])
local fence = tonumber(ARGV[2])
local stored = 0
local raw = redis.call("GET", KEYS[1])
if raw then
  local ok, t = pcall(cjson.decode, raw)
  if ok and type(t) == "table" and tonumber(t.fence) then stored = tonumber(t.fence) end
end
if cur > base then return {0, cur} end
if fence > 0 and stored > fence then return {-1, stored} end
if fence == 0 then fence = stored end
if base > cur then redis.call("SET", KEYS[2], base) end
local v = redis.call("INCR", KEYS[2])
redis.call("SET", KEYS[1], cjson.encode({version = v, fence = fence, by = ARGV[3], run_id = ARGV[4], at = ARGV[5], text = ARGV[6]}))
redis.call("PUBLISH", KEYS[1], tostring(v))
return {1, v, fence}`)

// Push stores the cluster part of cfg's file as a new version, announces
// it, and records the version (and the cluster id) in the file. fence is
// the fencing number of the failover or switchover that produced the
// change, 0 for an operator's push; runID names that run. It refuses with
// ErrStaleConfig when the file is older than the stored version.
func Push(ctx context.Context, c *coord.Client, cfg *config.Config, fence int64, runID string) (*Published, error) {
	if err := refuseOverlay("push config", cfg); err != nil {
		return nil, err
	}
	path, cluster := cfg.Path, cfg.ClusterID()
	data, perm, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("push config %s: %w", path, err)
	}
	base, err := readVersion(data)
	if err != nil {
		return nil, fmt.Errorf("push config %s: %w", path, err)
	}
	// The id goes with the part: a file that derives it from its server
	// list would derive another one once a pull changed that list.
	data = setDefaultKey(data, clusterIDKey, cluster)
	p, err := split(data).extract()
	if err == nil {
		err = checkSecrets(p)
	}
	if err != nil {
		return nil, fmt.Errorf("push config %s: %w", path, err)
	}
	key := Key(cfg.Redis.KeyPrefix, cluster)
	// A file behind only by versions that changed nothing in the part (a
	// switchover pushes such a version) may push on top of them.
	if latest, err := Latest(ctx, c, cfg.Redis.KeyPrefix, cluster); err != nil {
		return nil, err
	} else if latest != nil && latest.Version > base && latest.Text == p.text() {
		base = latest.Version
	}
	host, _ := os.Hostname()
	pub := &Published{Fence: fence, By: host, RunID: runID, At: time.Now().UTC().Truncate(time.Millisecond), Text: p.text()}
	res, err := pushScript.Run(ctx, c, []string{key, counterKey(cfg.Redis.KeyPrefix, cluster)},
		base, fence, pub.By, pub.RunID, pub.At.Format(time.RFC3339Nano), pub.Text).Int64Slice()
	if err != nil {
		return nil, redisErr("push config to "+key, c, err)
	}
	switch {
	case len(res) < 2:
		return nil, fmt.Errorf("push config to %s: unexpected answer %v", key, res)
	case res[0] == 0:
		return nil, fmt.Errorf("%w: push refused: %s holds version %d, redis %s has version %d: run `mhago config pull --conf %s`, then push again",
			ErrStaleConfig, path, base, c.Where(), res[1], path)
	case res[0] == -1:
		return nil, fmt.Errorf("%w: push config to %s with fence %d: a later run (fence %d) already pushed", ErrStaleFence, key, fence, res[1])
	}
	pub.Version = res[1]
	if len(res) > 2 {
		pub.Fence = res[2]
	}
	out := setDefaultKey(data, versionKey, strconv.FormatInt(pub.Version, 10))
	if err := atomicfile.Write(path, []byte(out), perm); err != nil {
		return pub, fmt.Errorf("pushed version %d, but could not record it in %s: %w (fix: `mhago config pull --conf %s` records it)",
			pub.Version, path, err, path)
	}
	return pub, nil
}

// Latest returns the newest stored version, or nil and no error when none
// was pushed.
func Latest(ctx context.Context, c *coord.Client, prefix, cluster string) (*Published, error) {
	key := Key(prefix, cluster)
	raw, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, redisErr("read config "+key, c, err)
	}
	var p Published
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("read config %s: decode: %w", key, err)
	}
	return &p, nil
}

// Pull rewrites cfg's file to the newest version in Redis when it is
// newer than the file's: the cluster part is replaced, every other byte
// kept, the old file saved beside it (BackupPath) and the result checked
// to load before it replaces the file atomically. changed tells whether
// the file was rewritten; v is the version the file holds now.
func Pull(ctx context.Context, c *coord.Client, cfg *config.Config) (changed bool, v int64, err error) {
	if err := refuseOverlay("pull config into", cfg); err != nil {
		return false, 0, err
	}
	latest, err := Latest(ctx, c, cfg.Redis.KeyPrefix, cfg.ClusterID())
	if err != nil {
		return false, 0, err
	}
	return apply(cfg, latest)
}

// apply is Pull once the newest version is known.
func apply(cfg *config.Config, latest *Published) (bool, int64, error) {
	path := cfg.Path
	data, perm, err := readFile(path)
	if err != nil {
		return false, 0, fmt.Errorf("pull config into %s: %w", path, err)
	}
	have, err := readVersion(data)
	if err != nil {
		return false, 0, fmt.Errorf("pull config into %s: %w", path, err)
	}
	switch {
	case latest == nil || latest.Version == have:
		return false, have, nil
	case latest.Version < have:
		return false, have, fmt.Errorf("%w: %s holds version %d, redis only %d (pushed by %s at %s): if this file is right, `mhago config push --conf %s` publishes it",
			ErrOlderVersion, path, have, latest.Version, latest.By, latest.At.Format(time.RFC3339), path)
	}
	out, err := Replace(data, latest.Text)
	if err != nil {
		return false, have, fmt.Errorf("pull config version %d into %s: %w", latest.Version, path, err)
	}
	out = setDefaultKey(out, versionKey, strconv.FormatInt(latest.Version, 10))
	if err := checkLoads(cfg, out); err != nil {
		return false, have, fmt.Errorf("%w: version %d (pushed by %s) into %s: %w; the file is unchanged", ErrInvalidPushed, latest.Version, latest.By, path, err)
	}
	if err := backup(path, data, perm, have); err != nil {
		return false, have, fmt.Errorf("pull config into %s: %w", path, err)
	}
	if err := atomicfile.Write(path, []byte(out), perm); err != nil {
		return false, have, fmt.Errorf("pull config version %d into %s: %w", latest.Version, path, err)
	}
	return true, latest.Version, nil
}

// checkLoads refuses a result that the config loader would reject, or
// that names another cluster.
func checkLoads(cfg *config.Config, text string) error {
	got, err := config.Parse(cfg.Path, []byte(text), config.LoadOptions{GlobalPath: cfg.GlobalPath, SkipInitScript: true})
	if err != nil {
		return err
	}
	if got.ClusterID() != cfg.ClusterID() {
		return fmt.Errorf("it names cluster %q, this file %q", got.ClusterID(), cfg.ClusterID())
	}
	return nil
}

// CheckFresh returns an error wrapping ErrStaleConfig when cfg's file
// holds an older version than Redis and its cluster part differs from that
// version's (a newer version with the same part, as a switchover pushes,
// is no reason to refuse a failover). nil when nothing was pushed. Errors
// reaching Redis are returned as they are (coord.ErrUnreachable).
func CheckFresh(ctx context.Context, c *coord.Client, cfg *config.Config) error {
	if err := refuseOverlay("check config version of", cfg); err != nil {
		return err
	}
	latest, err := Latest(ctx, c, cfg.Redis.KeyPrefix, cfg.ClusterID())
	if err != nil || latest == nil || latest.Version <= cfg.ConfigVersion {
		return err
	}
	data, _, err := readFile(cfg.Path)
	if err != nil {
		return fmt.Errorf("check config version of %s: %w", cfg.Path, err)
	}
	if part, err := Extract(setDefaultKey(data, clusterIDKey, cfg.ClusterID())); err == nil && part == latest.Text {
		return nil
	}
	return fmt.Errorf("%w: %s holds version %d, redis %s has version %d (pushed by %s at %s%s) with other servers or settings: run `mhago config pull --conf %s` first",
		ErrStaleConfig, cfg.Path, cfg.ConfigVersion, c.Where(), latest.Version, latest.By, latest.At.Format(time.RFC3339), runText(latest.RunID), cfg.Path)
}

func runText(id string) string {
	if id == "" {
		return ""
	}
	return ", run " + id
}

func readFile(path string) (string, os.FileMode, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	data, err := os.ReadFile(path)
	return string(data), fi.Mode().Perm(), err
}

// keepBackups is how many old files a pull keeps beside the config.
const keepBackups = 5

// BackupPath is where a pull saves the file that held version v.
func BackupPath(path string, v int64) string { return fmt.Sprintf("%s.v%d.bak", path, v) }

// backup saves the old file durably, then removes all but the newest
// keepBackups backups.
func backup(path, data string, perm os.FileMode, v int64) error {
	if err := atomicfile.Write(BackupPath(path, v), []byte(data), perm); err != nil {
		return fmt.Errorf("back up the old file: %w", err)
	}
	matches, _ := filepath.Glob(path + ".v*.bak")
	type old struct {
		path string
		v    int64
	}
	var olds []old
	for _, m := range matches {
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(m, path+".v"), ".bak"), 10, 64)
		if err == nil {
			olds = append(olds, old{m, n})
		}
	}
	sort.Slice(olds, func(i, j int) bool { return olds[i].v > olds[j].v })
	for _, o := range olds[min(len(olds), keepBackups):] {
		_ = os.Remove(o.path)
	}
	return nil
}

// redisErr wraps a Redis failure for op: no answer wraps
// coord.ErrUnreachable; an answer that is an error (auth, script) does not.
func redisErr(op string, c *coord.Client, err error) error {
	var re redis.Error
	if errors.As(err, &re) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s on redis %s: %w", op, c.Where(), err)
	}
	return fmt.Errorf("%w: %s on redis %s: %w", coord.ErrUnreachable, op, c.Where(), err)
}

package coord

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/mhago/mhago/journal"
)

// JournalMirror keeps the current run's journal in the Redis list
// <prefix>:<cluster>:journal, one JSON record per element, so that another
// manager host can see where a run stopped and finish it. The list holds
// one run: the next run's first record replaces it.
type JournalMirror struct {
	c   *Client
	key string
}

// NewJournalMirror mirrors the journal of cluster under prefix.
func NewJournalMirror(c *Client, prefix, cluster string) *JournalMirror {
	return &JournalMirror{c: c, key: Key(prefix, cluster, "journal")}
}

// Where is the list's key.
func (m *JournalMirror) Where() string { return "redis " + m.c.Where() + " key " + m.key }

// Reset replaces the list with the new run's first record, atomically.
func (m *JournalMirror) Reset(ctx context.Context, first journal.Record) error {
	return m.Replace(ctx, []journal.Record{first})
}

// Append adds one record at the end.
func (m *JournalMirror) Append(ctx context.Context, rec journal.Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := m.c.RPush(ctx, m.key, b).Err(); err != nil {
		return redisErr("append to run journal "+m.key, m.c, err)
	}
	return nil
}

// Replace rewrites the list in one transaction.
func (m *JournalMirror) Replace(ctx context.Context, recs []journal.Record) error {
	vals := make([]any, len(recs))
	for i, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		vals[i] = b
	}
	_, err := m.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, m.key)
		if len(vals) > 0 {
			p.RPush(ctx, m.key, vals...)
		}
		return nil
	})
	if err != nil {
		return redisErr("write run journal "+m.key, m.c, err)
	}
	return nil
}

// Load returns the mirrored records, oldest first.
func (m *JournalMirror) Load(ctx context.Context) ([]journal.Record, error) {
	vals, err := m.c.LRange(ctx, m.key, 0, -1).Result()
	if err != nil {
		return nil, redisErr("read run journal "+m.key, m.c, err)
	}
	recs := make([]journal.Record, 0, len(vals))
	for i, v := range vals {
		var r journal.Record
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("%w: %s element %d: %w", journal.ErrCorrupt, m.key, i, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// Replay reads the mirrored journal; nil when there is none.
func (m *JournalMirror) Replay(ctx context.Context) (*journal.Replay, error) {
	recs, err := m.Load(ctx)
	if err != nil {
		return nil, err
	}
	return journal.Parse(m.key, recs)
}

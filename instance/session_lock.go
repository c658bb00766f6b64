package instance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mhago/mhago/replsql"
)

// ErrLockHeld: another session holds MHA's failover lock on the server
// (purge_relay_logs purging relay logs, or an MHA manager failing over).
var ErrLockHeld = errors.New("MHA's failover lock is held by another session")

// FailoverLock is MHA's failover lock, held by one session of one server
// until Release or until that session ends (a manager that dies loses it
// with its connections, so it never outlives the run).
type FailoverLock struct {
	conn *sql.Conn
	name string
}

// TakeFailoverLock takes MHA's failover lock on the server behind db,
// waiting up to wait for a holder to let it go. The session that holds it
// is taken out of the pool for as long as the lock is held.
func TakeFailoverLock(ctx context.Context, db *sql.DB, name string, wait time.Duration) (*FailoverLock, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("session for %s on %s: %w", replsql.FailoverLockName, name, Classify(err))
	}
	q := replsql.GetFailoverLock(wait)
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, q.SQL()).Scan(&got); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%s on %s: %w", q, name, Classify(err))
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		return nil, fmt.Errorf("%s on %s: %w (waited %s)", q, name, ErrLockHeld, wait)
	}
	return &FailoverLock{conn: conn, name: name}, nil
}

// Release lets the lock go and gives the session back. A session that
// is gone already released it.
func (l *FailoverLock) Release(ctx context.Context) error {
	if l == nil {
		return nil
	}
	q := replsql.ReleaseFailoverLock()
	_, err := l.conn.ExecContext(ctx, q.SQL())
	l.conn.Close()
	if err != nil {
		return fmt.Errorf("%s on %s: %w", q, l.name, Classify(err))
	}
	return nil
}

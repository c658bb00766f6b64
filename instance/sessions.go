package instance

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// Session is one client thread of a server, as a planned switchover sees
// it: what it runs, for how long, and whether it holds an open
// transaction that has written.
type Session struct {
	ID      uint64
	User    string
	Host    string
	DB      string
	Command string // Query, Sleep, Binlog Dump, ...
	Time    time.Duration
	State   string
	Info    string // the statement, cut to 200 characters
	// TrxAge is how long its InnoDB transaction has been open, in whole
	// seconds (trx_started has no finer resolution: a transaction a few
	// milliseconds old may read as 1 s, never as 2), and TrxRows how many
	// rows it changed; TrxAge < 0 means no transaction.
	TrxAge  time.Duration
	TrxRows int64
}

// Sessions lists the server's client threads other than this connection,
// with their InnoDB transaction if any.
func Sessions(ctx context.Context, db *sql.DB, name string) ([]Session, error) {
	rows, err := db.QueryContext(ctx, `SELECT p.ID, IFNULL(p.USER,''), IFNULL(p.HOST,''), IFNULL(p.DB,''), IFNULL(p.COMMAND,''),
		IFNULL(p.TIME,0), IFNULL(p.STATE,''), IFNULL(LEFT(p.INFO,200),''),
		IFNULL(TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), -1), IFNULL(t.trx_rows_modified, 0)
		FROM information_schema.PROCESSLIST p
		LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
		WHERE p.ID <> CONNECTION_ID()`)
	if err != nil {
		return nil, fmt.Errorf("list sessions on %s: %w", name, Classify(err))
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var s Session
		var secs, trxSecs int64
		if err := rows.Scan(&s.ID, &s.User, &s.Host, &s.DB, &s.Command, &secs, &s.State, &s.Info, &trxSecs, &s.TrxRows); err != nil {
			return nil, fmt.Errorf("list sessions on %s: %w", name, err)
		}
		s.Time = time.Duration(secs) * time.Second
		s.TrxAge = -1
		if trxSecs >= 0 {
			s.TrxAge = time.Duration(trxSecs) * time.Second
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions on %s: %w", name, Classify(err))
	}
	return out, nil
}

// KillConnection ends a client thread; a thread already gone is not an
// error (1094 unknown thread id).
func KillConnection(ctx context.Context, db *sql.DB, name string, id uint64) error {
	_, err := db.ExecContext(ctx, "KILL CONNECTION "+strconv.FormatUint(id, 10))
	if code, ok := ErrorCode(err); ok && code == 1094 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kill connection %d on %s: %w", id, name, Classify(err))
	}
	return nil
}

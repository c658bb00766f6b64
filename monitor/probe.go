package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/instance"
)

// Ping types, as MHA's ping_type spells them.
const (
	PingTypeSelect  = "SELECT"
	PingTypeConnect = "CONNECT"
	PingTypeInsert  = "INSERT"
)

// classifyPing tells what a failed ping means. A server error is an answer
// (mysqld runs); a refused connect means nothing listens; anything else
// (timeouts, no route, a dropped connection) is silence.
func classifyPing(err error) PingResult {
	var me *mysql.MySQLError
	switch {
	case err == nil:
		return PingOK
	case errors.As(err, &me):
		return PingAnswered
	case errors.Is(err, syscall.ECONNREFUSED):
		return PingRefused
	}
	return PingSilent
}

// pinger pings one master the way ping_type says, every cycle.
type pinger struct {
	ep      instance.Endpoint
	typ     string
	timeout time.Duration
	db      *sql.DB // persistent connection (SELECT, INSERT), nil when none
}

// insertPing is MHA's INSERT ping: a row that proves the master commits.
var insertPing = []string{
	"CREATE DATABASE IF NOT EXISTS infra",
	"CREATE TABLE IF NOT EXISTS infra.chk_masterha (`key` tinyint NOT NULL PRIMARY KEY, `val` int(10) unsigned NOT NULL DEFAULT 0)",
	"INSERT INTO infra.chk_masterha VALUES (1, UNIX_TIMESTAMP()) ON DUPLICATE KEY UPDATE val=UNIX_TIMESTAMP()",
}

// ping runs one ping within the pinger's timeout. A persistent connection
// that fails is replaced by a new one at once, as MHA reconnects: a
// crashed server then shows as refused, not as a broken connection.
func (p *pinger) ping(ctx context.Context) (PingResult, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	if p.db != nil {
		if err := p.query(ctx, p.db); err == nil {
			return PingOK, nil
		}
		p.close()
	}
	db, err := instance.Open(ctx, p.ep)
	if err == nil {
		err = p.query(ctx, db)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return classifyPing(err), fmt.Errorf("ping (%s) master %s at %s: %w", p.typ, p.ep.Name, p.ep.Addr, err)
	}
	if p.typ == PingTypeConnect {
		db.Close()
	} else {
		db.SetMaxOpenConns(1)
		p.db = db
	}
	return PingOK, nil
}

func (p *pinger) query(ctx context.Context, db *sql.DB) error {
	if p.typ != PingTypeInsert {
		var one int
		return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	}
	for _, q := range insertPing {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (p *pinger) close() {
	if p.db != nil {
		p.db.Close()
		p.db = nil
	}
}

// serverObs is what one server said when the monitor looked for the master.
type serverObs struct {
	Server config.Server
	Status *instance.Status // nil: it did not answer
	Err    error
}

// readServers reads every configured server over MySQL, all at once.
func readServers(ctx context.Context, cfg *config.Config, servers []config.Server, timeout time.Duration) []serverObs {
	out := make([]serverObs, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			out[i] = readServer(ctx, cfg, s, timeout)
		})
	}
	wg.Wait()
	return out
}

func readServer(ctx context.Context, cfg *config.Config, s config.Server, timeout time.Duration) serverObs {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ep := endpoints.MySQL(cfg, s)
	ep.ConnectTimeout = min(orDefault(ep.ConnectTimeout, timeout), timeout)
	db, err := instance.Open(ctx, ep)
	if err != nil {
		return serverObs{Server: s, Err: err}
	}
	defer db.Close()
	st, err := instance.Read(ctx, db, s.Block)
	return serverObs{Server: s, Status: st, Err: err}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

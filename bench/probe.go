package bench

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mhago/mhago/testenv/cluster"
)

// probeUser may only insert into bench.probe: read_only keeps it out of
// every server but a writable master, as it keeps out an application.
const probeUser = "benchprobe"

// SetupProbe creates the probe table and the unprivileged user on host 1
// (replicated to all).
func SetupProbe(ctx context.Context, c *cluster.Cluster, password string) error {
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS bench",
		"CREATE TABLE IF NOT EXISTS bench.probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, host VARCHAR(32))",
		fmt.Sprintf("CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s'", probeUser, password),
		fmt.Sprintf("GRANT INSERT ON bench.probe TO '%s'@'%%'", probeUser),
	} {
		if err := c.Exec(ctx, 1, q); err != nil {
			return fmt.Errorf("probe setup: %w", err)
		}
	}
	return c.SyncReplicas(ctx)
}

// Probe retries an INSERT every 10 ms on every replica until one accepts
// it; Writable is the time from Start to that acceptance.
type Probe struct {
	done     chan struct{}
	writable time.Duration
	at       time.Time
	host     int
}

// StartProbe starts probing hosts 2..N.
func StartProbe(ctx context.Context, c *cluster.Cluster, password string) (*Probe, error) {
	p := &Probe{done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	dbs := map[int]*sql.DB{}
	for i := 2; i <= c.N(); i++ {
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = probeUser, password, "tcp", c.MySQLAddr(i)
		cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = time.Second, time.Second, time.Second
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			cancel()
			return nil, err
		}
		dbs[i] = sql.OpenDB(conn)
	}
	t0 := time.Now()
	go func() {
		defer cancel()
		defer close(p.done)
		for ctx.Err() == nil {
			for i, db := range dbs {
				if _, err := db.ExecContext(ctx, "INSERT INTO bench.probe (host) VALUES (?)", c.IP(i)); err == nil {
					p.at = time.Now()
					p.writable, p.host = p.at.Sub(t0), i
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return p, nil
}

// Wait returns the time to the first accepted INSERT and the host.
func (p *Probe) Wait() (time.Duration, int) {
	<-p.done
	return p.writable, p.host
}

// Since waits for the probe and returns the time from t to the first
// accepted INSERT and its host; host 0: none was accepted before the
// probe's context ended.
func (p *Probe) Since(t time.Time) (time.Duration, int) {
	<-p.done
	if p.host == 0 {
		return 0, 0
	}
	return p.at.Sub(t), p.host
}

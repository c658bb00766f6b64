package monitor

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/mhago/mhago/instance"
)

// alarmSleep is how long one watch query waits on the master. The
// connection's read timeout is set above it, so that only a connection
// that breaks ends the query early.
const alarmSleep = 20 * time.Second

// alarm keeps one connection to the master busy with SELECT SLEEP(), so
// that a mysqld that dies (its sockets close at once) is noticed the
// moment it happens, not at the next ping: a crash is then confirmed and
// failed over within a second or two whatever ping_interval is. It only
// wakes the monitor up; the ping and the replicas still decide.
type alarm struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startAlarm watches ep until stop; ring is signalled (without blocking)
// whenever the watch connection breaks or cannot be opened again.
func startAlarm(ep instance.Endpoint, retry time.Duration, ring chan<- struct{}, log *slog.Logger) *alarm {
	ctx, cancel := context.WithCancel(context.Background())
	a := &alarm{cancel: cancel, done: make(chan struct{})}
	ep.ReadTimeout = alarmSleep + 10*time.Second
	go func() {
		defer close(a.done)
		for ctx.Err() == nil {
			err := watchOnce(ctx, ep)
			if ctx.Err() != nil {
				return
			}
			log.Debug("master watch connection ended", "phase", "monitor", "host", ep.Name, "err", err)
			select {
			case ring <- struct{}{}:
			default:
			}
			sleep(ctx, retry)
		}
	}()
	return a
}

// watchOnce opens a connection and runs SLEEP queries on it until one
// fails; it returns that error.
func watchOnce(ctx context.Context, ep instance.Endpoint) error {
	db, err := instance.Open(ctx, ep)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for {
		var r int
		if err := db.QueryRowContext(ctx, "SELECT SLEEP(?)", int(alarmSleep.Seconds())).Scan(&r); err != nil {
			return err
		}
		if r != 0 {
			return errors.New("SLEEP was interrupted (KILL QUERY)")
		}
	}
}

func (a *alarm) stop() {
	if a == nil {
		return
	}
	a.cancel()
	<-a.done
}

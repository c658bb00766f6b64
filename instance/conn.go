package instance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Sentinel errors the CLI maps to exit codes. A login refusal proves the
// server is alive, so it must never be mistaken for a dead master.
var (
	ErrAccessDenied = errors.New("mysql login refused")
	ErrUnreachable  = errors.New("mysql server unreachable")
)

// Endpoint is how to reach one server.
type Endpoint struct {
	Name           string // config block or hostname, for messages
	Addr           string // host:port
	User           string
	Password       string
	ConnectTimeout time.Duration
	ReadTimeout    time.Duration
}

// Open connects to the server and proves the connection with a ping. The
// password travels in the driver config, never in a DSN string that could be
// logged.
func Open(ctx context.Context, ep Endpoint) (*sql.DB, error) {
	cfg := driverConfig(ep)
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql %s@%s (%s): %w", ep.User, ep.Addr, ep.Name, err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(time.Minute)
	pctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, Classify(fmt.Errorf("mysql %s@%s (%s): %w", ep.User, ep.Addr, ep.Name, err))
	}
	return db, nil
}

// driverConfig is the driver configuration for ep. mhago connects over
// TCP without TLS, and logs in with whatever plugin the account uses:
// mysql_native_password (MariaDB, MySQL 5.7) or caching_sha2_password (the
// default from MySQL 8.0.4, the only one left in 9.x). For the latter
// without TLS, go-sql-driver (auth.go, handleAuthResult) asks the server
// for its RSA public key when the fast path fails and no ServerPubKey is
// registered, and sends the password encrypted with it, so neither
// ServerPubKey nor AllowCleartextPasswords is set: the cleartext plugin
// would send the password readable on the wire.
func driverConfig(ep Endpoint) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = ep.User
	cfg.Passwd = ep.Password
	cfg.Net = "tcp"
	cfg.Addr = ep.Addr
	cfg.Timeout = orDefault(ep.ConnectTimeout, 4*time.Second)
	cfg.ReadTimeout = orDefault(ep.ReadTimeout, 30*time.Second)
	cfg.WriteTimeout = cfg.ReadTimeout
	cfg.AllowNativePasswords = true
	cfg.AllowCleartextPasswords = false
	cfg.ServerPubKey = ""
	cfg.TLS, cfg.TLSConfig = nil, ""
	cfg.Params = map[string]string{"wait_timeout": "3600"}
	return cfg
}

// accessDeniedCodes are server errors that mean "alive, but refusing us":
// MHA's list of errors that do not count as a crash, narrowed to logins.
var accessDeniedCodes = map[uint16]bool{1044: true, 1045: true, 1129: true, 1130: true, 1227: true, 1251: true}

// Classify adds ErrAccessDenied or ErrUnreachable to err's chain when the
// cause is recognisable, so callers can tell a refused login from a dead host.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		if accessDeniedCodes[me.Number] {
			return fmt.Errorf("%w: %w", ErrAccessDenied, err)
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// DriverLogsTo routes go-sql-driver's own log lines ("closing bad idle
// connection", packet errors), which by default go straight to stderr past
// the scrubber, into l at debug level; nil discards them. The driver keeps
// one logger per process, so the binary calls this at start-up.
func DriverLogsTo(l *slog.Logger) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	mysql.SetLogger(driverLog{l})
}

type driverLog struct{ l *slog.Logger }

func (d driverLog) Print(v ...any) { d.l.Debug("go-sql-driver: " + fmt.Sprint(v...)) }

// ErrorCode is the server's error number in err's chain, if any.
func ErrorCode(err error) (uint16, bool) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number, true
	}
	return 0, false
}

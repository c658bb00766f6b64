package cluster

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// RedisLog is redis-server's log file.
func (c *Cluster) RedisLog() string { return filepath.Join(c.opts.Dir, "redis.log") }

func (c *Cluster) spawnRedis() error {
	bin, err := findBinary("redis-server")
	if err != nil {
		return err
	}
	argv := []string{bin,
		"--bind", fmt.Sprintf("127.0.%d.%d", c.opts.Net, c.opts.Base),
		"--port", strconv.Itoa(c.opts.RedisPort),
		"--save", "", "--appendonly", "no",
		"--daemonize", "no",
		"--dir", c.opts.Dir,
		"--pidfile", filepath.Join(c.opts.Dir, "redis.pid"),
	}
	p, err := spawn(c.RedisLog(), argv)
	if err != nil {
		return fmt.Errorf("redis-server: %w", err)
	}
	return c.setProc(func(st *state) { st.Redis = p })
}

func (c *Cluster) waitRedis() error {
	p := c.Procs()[0]
	if err := waitFor(p, c.opts.StartTimeout, func() error { return redisPing(c.RedisAddr()) }); err != nil {
		return processError(fmt.Sprintf("redis-server %s (pid %d)", c.RedisAddr(), p.Pid), c.RedisLog(), err)
	}
	return nil
}

// redisPing speaks just enough RESP to see +PONG.
func redisPing(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return fmt.Errorf("redis %s PING: %w", addr, err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("redis %s PING: %w", addr, err)
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("redis %s PING: got %q", addr, line)
	}
	return nil
}

package cluster

import (
	"fmt"
	"time"
)

// KillMySQL kills host i's mariadbd with SIGKILL (a crash: no clean
// shutdown, binlog left in use) and waits until it is gone.
func (c *Cluster) KillMySQL(i int) error {
	if err := c.checkHost(i); err != nil {
		return err
	}
	if err := killProc(c.Host(i).MySQL); err != nil {
		return fmt.Errorf("host %d kill mariadbd: %w", i, err)
	}
	c.dropDB(i)
	return waitClosed(c.MySQLAddr(i), 5*time.Second)
}

// StopMySQL shuts host i's mariadbd down cleanly (SIGTERM).
func (c *Cluster) StopMySQL(i int) error {
	if err := c.checkHost(i); err != nil {
		return err
	}
	if err := stopProcs(30*time.Second, c.Host(i).MySQL); err != nil {
		return fmt.Errorf("host %d stop mariadbd: %w", i, err)
	}
	c.dropDB(i)
	return nil
}

// StartMySQL starts host i's mariadbd again with the same my.cnf and waits
// until it answers (crash recovery included).
func (c *Cluster) StartMySQL(i int) error {
	if err := c.checkHost(i); err != nil {
		return err
	}
	if p := c.Host(i).MySQL; p.Alive() {
		return fmt.Errorf("host %d mariadbd already running (pid %d)", i, p.Pid)
	}
	if err := c.spawnMySQL(i); err != nil {
		return err
	}
	return c.waitMySQL(i)
}

// MySQLRunning reports whether host i's mariadbd process is alive.
func (c *Cluster) MySQLRunning(i int) bool { return c.Host(i).MySQL.Alive() }

// SSHDRunning reports whether host i's sshd process is alive.
func (c *Cluster) SSHDRunning(i int) bool { return c.Host(i).SSHD.Alive() }

// dropDB forgets host i's pool, whose connections died with the server.
func (c *Cluster) dropDB(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if db, ok := c.dbs[i]; ok {
		db.Close()
		delete(c.dbs, i)
	}
}

// waitClosed waits until nothing accepts connections on addr.
func waitClosed(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for tcpOpen(addr) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still accepts connections after %s", addr, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

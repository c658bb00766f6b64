package cluster

import (
	"fmt"
	"syscall"
)

// HangMySQL stops host i's mariadbd with SIGSTOP: the kernel still accepts
// TCP connections on its port, but nothing answers them, as with a mysqld
// stuck on a full disk. ResumeMySQL undoes it.
func (c *Cluster) HangMySQL(i int) error {
	if err := c.checkHost(i); err != nil {
		return err
	}
	if err := c.Host(i).MySQL.signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("host %d stop mariadbd: %w", i, err)
	}
	c.dropDB(i)
	return nil
}

// ResumeMySQL continues a mariadbd stopped by HangMySQL (SIGCONT).
func (c *Cluster) ResumeMySQL(i int) error {
	if err := c.checkHost(i); err != nil {
		return err
	}
	if err := c.Host(i).MySQL.signal(syscall.SIGCONT); err != nil {
		return fmt.Errorf("host %d continue mariadbd: %w", i, err)
	}
	return nil
}

// MySQLPid is host i's mariadbd pid, for a test's fencing script.
func (c *Cluster) MySQLPid(i int) int { return c.Host(i).MySQL.Pid }

package main

import (
	"context"
	"errors"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/configsync"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/monitor"
	"github.com/mhago/mhago/phases"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/runner"
)

// Exit codes. This table is the single place errors become exit codes; the
// README and every command's help print exitStatusHelp.
const (
	exitOK                = 0
	exitError             = 1  // unexpected error; nothing was changed by mhago
	exitConfig            = 2  // bad config file or command-line usage
	exitMasterUnreachable = 3  // the master does not answer (check)
	exitReplication       = 4  // a replica's threads, master or lag are wrong
	exitSSH               = 5  // a host is unreachable or untrusted over SSH
	exitLogin             = 6  // MySQL refused the login (user, password, grants)
	exitEnvironment       = 7  // not ready for failover: binlog dir, workdirs, agent, tools, repl grant, manager files, Redis, hooks
	exitMasterAlive       = 8  // failover refused: the master is alive
	exitGuard             = 9  // failover refused: recent failover, leftover error file, a replica's MHA failover lock held (purge_relay_logs), or no lock without --no-lock
	exitPartial           = 10 // failover done, some replica not recovered (MHA's 10)
	exitLocked            = 11 // another manager holds the failover lock
	exitAborted           = 12 // failover aborted before the point of no return; cluster as it was
	exitAfterPONR         = 13 // failover failed after the point of no return; --resume or manual recovery
	exitAbortIncomplete   = 14 // failover aborted before the point of no return, but not all it stopped was restarted
	exitSwitchRefused     = 15 // switchover refused: lag, a long write or transaction, topology; nothing changed
	exitDiverged          = 16 // rejoin refused: the host holds transactions the cluster never received
	exitStaleConfig       = 17 // the config file is older than the cluster's version in Redis: mhago config pull
	exitConfigSync        = 18 // config push or pull refused: Redis older than the file, a later run's fence, a secret in a block, a result that does not load
	exitInterrupted       = 130
)

const exitStatusHelp = `EXIT STATUS:
   0    healthy / done
   1    unexpected error
   2    configuration or usage error (the message names file:line and the fix)
   3    master unreachable over MySQL (monitor --once: no server could be named the master)
   4    replication broken (thread stopped, wrong master, lag, replica down)
   5    SSH failure (unreachable, key refused, changed or unknown host key)
   6    MySQL login refused (wrong user/password or account host), also the repl user's to a candidate master
   7    not ready for failover (binlog dir, remote_workdir, agent, apply tools, repl grant, manager_workdir/log, Redis, hooks)
   8    failover refused: the master is alive (MySQL login, TCP, a replica or secondary_check_script says so)
   9    failover refused by a guard: last failover too recent, a leftover <cluster>.failover.error
        file, the topology changed while waiting for the lock, an earlier run did not finish (the
        message prints the --resume and --abandon commands), a monitor whose config is older than
        the one published in Redis and cannot pull it, or check --failover-if-dead without
        redis_address (no lock) and without --no-lock; rejoin refused before any change (the host is
        the master or unreachable, no current master, no coordinates, its binlog lost transactions)
   10   failover completed, but some replica could not be recovered (see the report)
   11   another mhago holds the failover lock, here or on another manager host (the message names it)
   12   failover aborted before the point of no return: the cluster was left as it was
   13   failover failed after the point of no return (also when interrupted then): finish it with
        --resume, or by hand (see the report)
   14   failover aborted before the point of no return, but some of what it stopped is still stopped
        (the report lists it; --abandon restarts it)
   15   switchover refused, nothing changed: a replica lags or does not replicate, a long write or
        transaction runs on the master, a long query on the new master, or the topology is not one
        master with its replicas (the message says which)
   16   rejoin refused: the host holds transactions the cluster never received (the report lists
        them as binlog file:pos ranges or GTIDs, and where the saved copy of its binlog is); nothing
        was changed
   17   the config file is older than the cluster's config version in Redis and differs from it:
        failover, switchover and config push refused (the message prints mhago config pull --conf FILE)
   18   config pull or push refused, the file unchanged: Redis holds an older version than the file
        (pull never goes back; push the file if it is right), a later run already pushed, a block
        carries a password, or the pulled config would not load here
   130  interrupted before the point of no return; what the run stopped was restarted`

// errUsage marks command-line mistakes.
var errUsage = errors.New("usage error")

// errNoLock: check --failover-if-dead found the master dead but has no
// Redis lock to take (no redis_address) and no --no-lock.
var errNoLock = errors.New("failover refused")

// exitCode maps an error to its exit code. Order matters: the most specific
// and most severe conditions are tested first.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, phases.ErrAfterPONR):
		return exitAfterPONR
	case errors.Is(err, phases.ErrAbortIncomplete):
		return exitAbortIncomplete
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, runner.ErrPanic):
		return exitError
	case errors.Is(err, phases.ErrPartial):
		return exitPartial
	case errors.Is(err, coord.ErrLocked), errors.Is(err, journal.ErrBusy):
		return exitLocked
	case errors.Is(err, phases.ErrDiverged):
		return exitDiverged
	case errors.Is(err, configsync.ErrStaleConfig):
		return exitStaleConfig
	case errors.Is(err, configsync.ErrOlderVersion), errors.Is(err, configsync.ErrStaleFence), errors.Is(err, configsync.ErrSecret),
		errors.Is(err, configsync.ErrInvalidPushed), errors.Is(err, configsync.ErrLayout), errors.Is(err, configsync.ErrOverlay):
		return exitConfigSync
	case errors.Is(err, phases.ErrMasterAlive):
		return exitMasterAlive
	case errors.Is(err, phases.ErrGuard), errors.Is(err, phases.ErrUnfinished), errors.Is(err, errNoLock), errors.Is(err, monitor.ErrStale),
		errors.Is(err, phases.ErrCannotRejoin):
		return exitGuard
	case errors.Is(err, instance.ErrAccessDenied) && !errors.Is(err, phases.ErrAborted):
		return exitLogin
	case errors.Is(err, phases.ErrAborted):
		return exitAborted
	case errors.Is(err, phases.ErrSwitchRefused):
		return exitSwitchRefused
	case errors.Is(err, config.ErrInvalid), errors.Is(err, errConfigRead), errors.Is(err, errUsage), errors.Is(err, phases.ErrNothingToResume),
		errors.Is(err, errNoRedisAddress):
		return exitConfig
	case errors.Is(err, phases.ErrManagerWorkdir), errors.Is(err, errManagerLog), errors.Is(err, errConfigRedis):
		return exitEnvironment
	case errors.Is(err, checks.ErrMasterUnreachable), errors.Is(err, monitor.ErrNoMaster):
		return exitMasterUnreachable
	case errors.Is(err, checks.ErrReplication):
		return exitReplication
	case errors.Is(err, checks.ErrLogin), errors.Is(err, instance.ErrAccessDenied):
		return exitLogin
	case errors.Is(err, checks.ErrSSH), errors.Is(err, remote.ErrHostKey), errors.Is(err, remote.ErrAuth), errors.Is(err, remote.ErrUnreachable):
		return exitSSH
	case errors.Is(err, checks.ErrEnvironment):
		return exitEnvironment
	}
	return exitError
}

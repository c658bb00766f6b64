package monitor

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Health is MHA 0.58's manager status code (ManagerConst's ST_*): the
// status file carries it, and masterha_check_status exits with it, so
// scripts and monitoring written for MHA keep their meaning.
type Health int

// MHA's status codes. PartiallyRunning is MHA's "main process gone,
// children left", which neither MHA nor mhago can see once the children
// are reparented; it is kept for the table's completeness.
const (
	HealthPingOK              Health = 0
	HealthNotRunning          Health = 2
	HealthPartiallyRunning    Health = 3
	HealthInitializingMonitor Health = 10
	HealthPingFailing         Health = 20
	HealthPingFailed          Health = 21
	HealthRetryingMonitor     Health = 30
	HealthConfigError         Health = 31
	HealthTimestampOld        Health = 32
	HealthFailoverRunning     Health = 50
	HealthFailoverError       Health = 51
)

var healthNames = map[Health]string{
	HealthPingOK:              "PING_OK",
	HealthNotRunning:          "NOT_RUNNING",
	HealthPartiallyRunning:    "PARTIALLY_RUNNING",
	HealthInitializingMonitor: "INITIALIZING_MONITOR",
	HealthPingFailing:         "PING_FAILING",
	HealthPingFailed:          "PING_FAILED",
	HealthRetryingMonitor:     "RETRYING_MONITOR",
	HealthConfigError:         "CONFIG_ERROR",
	HealthTimestampOld:        "TIMESTAMP_OLD",
	HealthFailoverRunning:     "FAILOVER_RUNNING",
	HealthFailoverError:       "FAILOVER_ERROR",
}

// Name is MHA's spelling, e.g. PING_OK.
func (h Health) Name() string {
	if n, ok := healthNames[h]; ok {
		return n
	}
	return "UNKNOWN"
}

// String is MHA's status string, e.g. "0:PING_OK".
func (h Health) String() string { return fmt.Sprintf("%d:%s", int(h), h.Name()) }

// Stage is where the monitor process stands, apart from the master's
// State: the two together name the Health it publishes.
type Stage string

// The monitor's stages.
const (
	StageStarting      Stage = "starting"       // config loaded, no master found yet
	StageWatching      Stage = "watching"       // pinging the master (State says how it does)
	StageFailover      Stage = "failover"       // a failover runs in this process
	StageFailoverError Stage = "failover_error" // a failover needs the operator; the monitor exits
	StageRetrying      Stage = "retrying"       // a failover was refused or lost; the master is looked for again
	StageMonitorError  Stage = "monitor_error"  // the monitor cannot go on (config, no master with --once...)
)

// HealthOf maps the monitor's stage and the master's state to MHA's code,
// as MHA's manager writes them: INITIALIZING_MONITOR until the master is
// known, PING_OK / PING_FAILING / PING_FAILED while it is pinged (a
// confirmed death is PING_FAILED until the failover starts), and
// RETRYING_MONITOR where MHA finds the master "actually alive".
func HealthOf(st Stage, s State) Health {
	switch st {
	case StageStarting:
		return HealthInitializingMonitor
	case StageFailover:
		return HealthFailoverRunning
	case StageFailoverError:
		return HealthFailoverError
	case StageRetrying:
		return HealthRetryingMonitor
	case StageMonitorError:
		return HealthConfigError
	}
	switch s {
	case StateSuspect:
		return HealthPingFailing
	case StateDead:
		return HealthPingFailed
	}
	return HealthPingOK
}

// HealthFile is the content of MHA's <app>.master_status.health: the
// monitor's pid, its status and the master it watches ("" before one is
// known).
type HealthFile struct {
	Pid    int
	Health Health
	Master string
}

// HealthFilePath is where MHA keeps the status file of app (the config
// file's base name without its extension) in manager_workdir.
func HealthFilePath(workdir, app string) string {
	return filepath.Join(workdir, app+".master_status.health")
}

// Marshal renders the file as MHA writes it: tab-separated pid, status
// and master:<host>, without a trailing newline.
func (f HealthFile) Marshal() []byte {
	s := strconv.Itoa(f.Pid) + "\t" + f.Health.String()
	if f.Master != "" {
		s += "\tmaster:" + f.Master
	}
	return []byte(s)
}

// ParseHealthFile reads a status file written by mhago or by MHA.
func ParseHealthFile(b []byte) (HealthFile, error) {
	fields := strings.Split(strings.TrimRight(string(b), "\r\n"), "\t")
	if len(fields) < 2 {
		return HealthFile{}, fmt.Errorf("status file %q: want pid<TAB>code:NAME[<TAB>master:host]", b)
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 1 {
		return HealthFile{}, fmt.Errorf("status file: pid %q is not a process id", fields[0])
	}
	code, name, ok := strings.Cut(fields[1], ":")
	n, err := strconv.Atoi(code)
	if !ok || err != nil || Health(n).Name() != name {
		return HealthFile{}, fmt.Errorf("status file: unknown status %q", fields[1])
	}
	f := HealthFile{Pid: pid, Health: Health(n)}
	if len(fields) > 2 {
		f.Master = strings.TrimPrefix(fields[2], "master:")
	}
	return f, nil
}

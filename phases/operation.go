package phases

// Operation is what a run does to the cluster. Failover, switchover and
// rejoin are three step lists on one runner, sharing the lock, the
// journal, the report and the point of no return; the operation decides
// what a finished run leaves behind (guard files, report_script) and
// which step list an --abandon or --resume continues.
type Operation string

// Operations.
const (
	OpFailover   Operation = "failover"
	OpSwitchover Operation = "switchover"
	OpRejoin     Operation = "rejoin"
)

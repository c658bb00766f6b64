package monitor

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Metrics is what the monitor last saw, served in Prometheus's text
// exposition format (version 0.0.4) by ServeHTTP. It is written by the
// monitor's loop and read by the HTTP server, hence the lock.
type Metrics struct {
	mu          sync.Mutex
	cluster     string
	master      string
	masterUp    bool
	state       State
	lag         map[string]float64 // replica -> Seconds_Behind_Master
	lastCheck   time.Time
	checkTook   time.Duration
	failovers   map[Outcome]int
	configVer   int64
	checksTotal int
}

// NewMetrics starts empty metrics for a cluster.
func NewMetrics(cluster string) *Metrics {
	return &Metrics{cluster: cluster, lag: map[string]float64{}, failovers: map[Outcome]int{}}
}

// checked records one check cycle.
func (m *Metrics) checked(master string, up bool, st State, lag map[string]float64, at time.Time, took time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.master, m.masterUp, m.state, m.lag, m.lastCheck, m.checkTook = master, up, st, lag, at, took
	m.checksTotal++
}

// failedOver counts one failover run by its outcome.
func (m *Metrics) failedOver(o Outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failovers[o]++
}

// configVersion records the cluster config version the monitor runs on.
func (m *Metrics) configVersion(v int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.configVer = v
}

// healthy: a check ran within the last window (the loop is not stuck).
func (m *Metrics) healthy(now time.Time, window time.Duration) (bool, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lastCheck.IsZero() {
		return false, "no check has run yet"
	}
	if age := now.Sub(m.lastCheck); age > window {
		return false, fmt.Sprintf("last check %s ago", age.Round(time.Millisecond))
	}
	return true, fmt.Sprintf("ok: master %s %s", m.master, m.state)
}

// WriteText writes the metrics in the text exposition format.
func (m *Metrics) WriteText(w io.Writer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	cl := label("cluster", m.cluster)
	gauge(&b, "mhago_monitor_master_up", "1 when the master answered the last ping (an error answer counts: mysqld runs).",
		sample{cl + "," + label("master", m.master), boolNum(m.masterUp)})
	var states []sample
	for _, s := range []State{StateHealthy, StateSuspect, StateDead} {
		states = append(states, sample{cl + "," + label("state", string(s)), boolNum(m.state == s)})
	}
	gauge(&b, "mhago_monitor_state", "The monitor's view of the master: 1 for the current state.", states...)
	var lags []sample
	for _, r := range sortedKeys(m.lag) {
		lags = append(lags, sample{cl + "," + label("replica", r), m.lag[r]})
	}
	gauge(&b, "mhago_monitor_replica_lag_seconds", "Seconds_Behind_Master of each replica of the master (absent when NULL or unreachable).", lags...)
	gauge(&b, "mhago_monitor_last_check_timestamp_seconds", "Unix time the last check cycle ended.", sample{cl, unixSeconds(m.lastCheck)})
	gauge(&b, "mhago_monitor_check_duration_seconds", "How long the last check cycle took.", sample{cl, m.checkTook.Seconds()})
	counter(&b, "mhago_monitor_checks_total", "Check cycles run.", sample{cl, float64(m.checksTotal)})
	var fos []sample
	for _, o := range []Outcome{OutcomeDone, OutcomeLost, OutcomeAlive, OutcomeRefused, OutcomeAborted, OutcomeBroken} {
		fos = append(fos, sample{cl + "," + label("outcome", string(o)), float64(m.failovers[o])})
	}
	counter(&b, "mhago_monitor_failovers_total", "Failover runs this monitor started, by outcome.", fos...)
	gauge(&b, "mhago_monitor_config_version", "Version of the cluster config in use (0: none published).", sample{cl, float64(m.configVer)})
	_, err := io.WriteString(w, b.String())
	return err
}

type sample struct {
	labels string
	value  float64
}

func gauge(b *strings.Builder, name, help string, ss ...sample) { family(b, name, "gauge", help, ss) }

func counter(b *strings.Builder, name, help string, ss ...sample) {
	family(b, name, "counter", help, ss)
}

func family(b *strings.Builder, name, typ, help string, ss []sample) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	for _, s := range ss {
		fmt.Fprintf(b, "%s{%s} %s\n", name, s.labels, formatFloat(s.value))
	}
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// label renders name="value" with the format's escapes.
func label(name, value string) string {
	return name + `="` + labelEscaper.Replace(value) + `"`
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func boolNum(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Handler serves /metrics and /healthz; healthz fails when no check cycle
// ended within window (a stuck loop), so that a supervisor can see it.
func (m *Metrics) Handler(window time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m.WriteText(w)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		ok, msg := m.healthy(time.Now(), window)
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, msg)
	})
	return mux
}

package phases

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/internal/atomicfile"
	"github.com/mhago/mhago/journal"
)

// A failover refused by a guard or by another manager's lock, from cron,
// is refused again every minute while the master stays down. report_script
// hears it once per guard state (which master, which guard), and again
// after guardRemindEvery if nothing changed: a dead master nobody hears
// about is worse than one mail a day.
const guardRemindEvery = 24 * time.Hour

// guardBlocked tells the refusals that repeat while the master is down:
// a guard (last failover, error file, earlier run) or the lock.
func guardBlocked(err error) bool {
	return errors.Is(err, ErrGuard) || errors.Is(err, ErrUnfinished) || errors.Is(err, coord.ErrLocked) || errors.Is(err, journal.ErrBusy)
}

// digits are left out of a guard state: "completed 3m12s ago" or a
// holder's pid change every minute, the guard does not.
var digits = regexp.MustCompile(`[0-9]+`)

// guardState names a guard refusal so that the same guard on the same
// dead master gives the same state, and another guard or master another.
func guardState(deadMaster string, err error) string {
	sum := sha256.Sum256([]byte(deadMaster + "\n" + digits.ReplaceAllString(err.Error(), "#")))
	return hex.EncodeToString(sum[:8])
}

// guardMailDue decides whether report_script hears this refusal: the state
// file holds the last state mailed and when; "" when there is none.
func guardMailDue(last string, lastAt time.Time, state string, now time.Time) bool {
	return last != state || now.Sub(lastAt) >= guardRemindEvery
}

// parseGuardFile reads "state unix-seconds".
func parseGuardFile(data string) (string, time.Time) {
	state, at, _ := strings.Cut(strings.TrimSpace(data), " ")
	var sec int64
	fmt.Sscan(at, &sec)
	return state, time.Unix(sec, 0)
}

// mailGuardRefusal calls report_script for a guard refusal when its state
// changed, and records the state durably (fsync and rename): the next
// cron run reads it back.
func (st *State) mailGuardRefusal(runErr error) bool {
	path := st.stateFile("guard_mailed")
	data, _ := os.ReadFile(path)
	last, lastAt := parseGuardFile(string(data))
	state, now := guardState(st.Dead.Name(), runErr), st.deps.Now()
	if !guardMailDue(last, lastAt, state, now) {
		st.Report.Note(fmt.Sprintf("report_script not called: the same refusal was reported at %s (%s)", lastAt.Format(time.RFC3339), path))
		return false
	}
	if err := atomicfile.Write(path, []byte(fmt.Sprintf("%s %d\n", state, now.Unix())), 0o600); err != nil {
		st.guard(fmt.Errorf("write %s: %w (the next refusal will be reported again)", path, err))
	}
	return true
}

// clearGuardMail forgets the last refusal mailed once a run got past the
// guards: the next refusal is news again.
func (st *State) clearGuardMail() {
	if err := os.Remove(st.stateFile("guard_mailed")); err != nil && !errors.Is(err, os.ErrNotExist) {
		st.log.Warn("remove guard mail state", "phase", "finish", "host", "-", "error", err)
	}
}

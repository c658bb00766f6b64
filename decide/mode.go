package decide

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/replsql"
)

// Mode is how replicas find their position on the new master. DetectMode
// decides it; package replsql turns it into CHANGE MASTER options.
type Mode = replsql.Mode

// The replication modes, as DetectMode returns them.
const (
	ModeFilePos      = replsql.ModeFilePos
	ModeMariaGTID    = replsql.ModeMariaGTID
	ModeMySQLAutoPos = replsql.ModeMySQLAutoPos
)

// ErrNoModeInput: DetectMode got no replicas or one of unknown flavor.
var ErrNoModeInput = errors.New("cannot detect the replication mode")

// ModeInput is one replica's replication settings, from SHOW SLAVE STATUS
// and server variables.
type ModeInput struct {
	// Name is the replica's config block name, used in notes.
	Name string
	// Flavor of the replica.
	Flavor repl.Flavor
	// UsingGTID is MariaDB's Using_Gtid: No, Slave_Pos or Current_Pos.
	UsingGTID string
	// AutoPosition is MySQL's Auto_Position=1.
	AutoPosition bool
	// GTIDMode is MySQL's @@gtid_mode (ON, OFF, ...).
	GTIDMode string
}

// usesGTID reports whether the replica positions itself by GTID now.
func (in ModeInput) usesGTID() bool {
	if in.Flavor == repl.FlavorMariaDB {
		return strings.EqualFold(in.UsingGTID, "Slave_Pos") || strings.EqualFold(in.UsingGTID, "Current_Pos")
	}
	return in.AutoPosition && strings.EqualFold(in.GTIDMode, "ON")
}

// describe names the replica's GTID settings for notes.
func (in ModeInput) describe() string {
	if in.Flavor == repl.FlavorMariaDB {
		return fmt.Sprintf("%s (Using_Gtid=%s)", in.Name, or(in.UsingGTID, "empty"))
	}
	return fmt.Sprintf("%s (Auto_Position=%d, gtid_mode=%s)", in.Name, b2i(in.AutoPosition), or(in.GTIDMode, "empty"))
}

// DetectMode picks how replicas will find their position on the new master,
// keeping what they use now: ModeMariaGTID when every replica is MariaDB
// with Using_Gtid Slave_Pos or Current_Pos, ModeMySQLAutoPos when every
// replica is MySQL with Auto_Position=1 and gtid_mode=ON, ModeFilePos
// otherwise. A mixed cluster (some replicas on GTID, some not, or both
// flavors) falls back to file/pos, the one mode every replica supports; the
// notes then say which replica used what. The error wraps ErrNoModeInput.
func DetectMode(replicas []ModeInput) (Mode, []string, error) {
	if len(replicas) == 0 {
		return 0, nil, fmt.Errorf("%w: no replicas", ErrNoModeInput)
	}
	var gtid, plain []string
	flavors := map[repl.Flavor]bool{}
	for _, in := range replicas {
		if in.Flavor != repl.FlavorMySQL && in.Flavor != repl.FlavorMariaDB {
			return 0, nil, fmt.Errorf("%w: replica %s has unknown flavor %s", ErrNoModeInput, in.Name, in.Flavor)
		}
		flavors[in.Flavor] = true
		if in.usesGTID() {
			gtid = append(gtid, in.describe())
		} else {
			plain = append(plain, in.describe())
		}
	}
	return decideMode(replicas[0].Flavor, len(flavors) > 1, gtid, plain)
}

// decideMode turns the classification into a mode and notes.
func decideMode(flavor repl.Flavor, mixedFlavors bool, gtid, plain []string) (Mode, []string, error) {
	switch {
	case mixedFlavors:
		return ModeFilePos, []string{"replicas mix MySQL and MariaDB servers: using file/pos"}, nil
	case len(gtid) > 0 && len(plain) > 0:
		return ModeFilePos, []string{fmt.Sprintf("GTID used by %s but not by %s: using file/pos",
			strings.Join(gtid, ", "), strings.Join(plain, ", "))}, nil
	case len(gtid) == 0:
		return ModeFilePos, nil, nil
	case flavor == repl.FlavorMariaDB:
		return ModeMariaGTID, nil, nil
	}
	return ModeMySQLAutoPos, nil, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

package decide

import (
	"errors"
	"slices"
	"testing"

	"github.com/mhago/mhago/repl"
)

func maria(name, usingGTID string) ModeInput {
	return ModeInput{Name: name, Flavor: repl.FlavorMariaDB, UsingGTID: usingGTID}
}

func mysql(name string, autoPos bool, gtidMode string) ModeInput {
	return ModeInput{Name: name, Flavor: repl.FlavorMySQL, AutoPosition: autoPos, GTIDMode: gtidMode}
}

func TestDetectMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        []ModeInput
		want      Mode
		wantNotes []string
	}{
		{"MariaDB replicas all on Slave_Pos: MariaDB GTID",
			[]ModeInput{maria("server2", "Slave_Pos"), maria("server3", "Slave_Pos")}, ModeMariaGTID, nil},
		{"MariaDB Current_Pos also counts as GTID",
			[]ModeInput{maria("server2", "Current_Pos"), maria("server3", "slave_pos")}, ModeMariaGTID, nil},
		{"MariaDB replicas all on Using_Gtid=No: file/pos",
			[]ModeInput{maria("server2", "No"), maria("server3", "No")}, ModeFilePos, nil},
		{"MariaDB replicas mixing GTID and file/pos fall back to file/pos with a note",
			[]ModeInput{maria("server2", "Slave_Pos"), maria("server3", "No"), maria("server4", "")}, ModeFilePos,
			[]string{"GTID used by server2 (Using_Gtid=Slave_Pos) but not by server3 (Using_Gtid=No), server4 (Using_Gtid=empty): using file/pos"}},
		{"MySQL replicas all with Auto_Position=1 and gtid_mode=ON: auto-position",
			[]ModeInput{mysql("server2", true, "ON"), mysql("server3", true, "on")}, ModeMySQLAutoPos, nil},
		{"MySQL gtid_mode=ON without auto-position is file/pos (MHA mode 2)",
			[]ModeInput{mysql("server2", false, "ON"), mysql("server3", false, "ON")}, ModeFilePos, nil},
		{"MySQL replicas without GTID: file/pos",
			[]ModeInput{mysql("server2", false, "OFF"), mysql("server3", false, "")}, ModeFilePos, nil},
		{"MySQL replicas mixing auto-position and file/pos fall back to file/pos with a note",
			[]ModeInput{mysql("server2", true, "ON"), mysql("server3", false, "ON")}, ModeFilePos,
			[]string{"GTID used by server2 (Auto_Position=1, gtid_mode=ON) but not by server3 (Auto_Position=0, gtid_mode=ON): using file/pos"}},
		{"auto-position while gtid_mode is not ON is not GTID",
			[]ModeInput{mysql("server2", true, "ON_PERMISSIVE")}, ModeFilePos, nil},
		{"MySQL and MariaDB replicas together fall back to file/pos with a note",
			[]ModeInput{maria("server2", "Slave_Pos"), mysql("server3", true, "ON")}, ModeFilePos,
			[]string{"replicas mix MySQL and MariaDB servers: using file/pos"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, notes, err := DetectMode(tc.in)
			if err != nil || got != tc.want || !slices.Equal(notes, tc.wantNotes) {
				t.Errorf("DetectMode = %v, %q, %v; want %v, %q", got, notes, err, tc.want, tc.wantNotes)
			}
		})
	}
}

func TestDetectModeRejects(t *testing.T) {
	t.Parallel()
	for name, in := range map[string][]ModeInput{
		"no replicas":    nil,
		"unknown flavor": {{Name: "server2", UsingGTID: "Slave_Pos"}},
	} {
		if _, _, err := DetectMode(in); !errors.Is(err, ErrNoModeInput) {
			t.Errorf("%s: DetectMode error = %v, want ErrNoModeInput", name, err)
		}
	}
}

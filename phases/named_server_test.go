package phases

import (
	"errors"
	"strings"
	"testing"

	"github.com/mhago/mhago/config"
)

func TestServerNamed(t *testing.T) {
	s := config.Server{Block: "server1", Hostname: "db1.example", IP: "10.0.0.1", Port: 3306}
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"server1", true},
		{"db1.example", true},
		{"10.0.0.1", true},
		{"db1.example:3306", true},
		{"10.0.0.1:3306", true},
		{"db1.example:3307", false},
		{"10.0.0.2", false},
		{"server2", false},
		{"db1", false},
		{"", false},
	} {
		if got := serverNamed(s, tc.name); got != tc.want {
			t.Errorf("serverNamed(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCheckNamedDeadMaster(t *testing.T) {
	dead := config.Server{Block: "server1", Hostname: "db1", IP: "10.0.0.1", Port: 3306}
	if err := checkNamedDeadMaster(dead, nil); err != nil {
		t.Fatalf("nothing named: %v", err)
	}
	if err := checkNamedDeadMaster(dead, []string{"db1:3306", "10.0.0.1:3306"}); err != nil {
		t.Fatalf("host and ip of the dead master: %v", err)
	}
	err := checkNamedDeadMaster(dead, []string{"db1:3306", "10.0.0.2:3306"})
	if !errors.Is(err, ErrTopology) || !strings.Contains(err.Error(), "10.0.0.2:3306") || strings.Contains(err.Error(), "db1:3306 and") {
		t.Fatalf("a wrong ip must be refused, naming it alone: %v", err)
	}
}

package config

import (
	"reflect"
	"testing"
)

// TestBuiltinSecondaryCheckLoads: MHA's documented
// secondary_check_script=masterha_secondary_check ... loads on a host
// without MHA (mhago runs its own); another bare name not on PATH does
// not.
func TestBuiltinSecondaryCheckLoads(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	cfg := mustParse(t, "[server default]\nsecondary_check_script=masterha_secondary_check -s mon2 --user=root\n"+twoServers)
	if cfg.Scripts.SecondaryCheck != "masterha_secondary_check -s mon2 --user=root" {
		t.Errorf("SecondaryCheck = %q", cfg.Scripts.SecondaryCheck)
	}
	if _, err := Parse("app.cnf", []byte("[server default]\nsecondary_check_script=my_check -s mon2\n"+twoServers), LoadOptions{}); err == nil {
		t.Error("a bare secondary check script not on PATH loaded")
	}
}

func TestSplitShellWords(t *testing.T) {
	got, err := SplitShellWords(`masterha_secondary_check -s a --options='-o ConnectTimeout=3' "x y"`)
	want := []string{"masterha_secondary_check", "-s", "a", "--options=-o ConnectTimeout=3", "x y"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("SplitShellWords = %q, %v", got, err)
	}
}

package main

import (
	"errors"
	"testing"
)

func TestCheckMetricsAddr(t *testing.T) {
	tests := []struct {
		addr        string
		allowRemote bool
		ok          bool
	}{
		{"127.0.0.1:9307", false, true},
		{"127.0.43.10:9307", false, true},
		{"[::1]:9307", false, true},
		{"localhost:9307", false, true},
		{"0.0.0.0:9307", false, false},
		{":9307", false, false},
		{"[::]:9307", false, false},
		{"10.0.0.5:9307", false, false},
		{"0.0.0.0:9307", true, true},
		{"10.0.0.5:9307", true, true},
		{"127.0.0.1", false, false},
	}
	for _, tt := range tests {
		err := checkMetricsAddr(tt.addr, tt.allowRemote)
		if (err == nil) != tt.ok {
			t.Errorf("checkMetricsAddr(%q, %v) = %v, want ok=%v", tt.addr, tt.allowRemote, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, errMetricsAddr) || exitCode(err) != exitConfig) {
			t.Errorf("checkMetricsAddr(%q): %v is not a usage error (exit %d)", tt.addr, err, exitCode(err))
		}
	}
}

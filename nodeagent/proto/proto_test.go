package proto

import "testing"

func TestSettingChangeString(t *testing.T) {
	c := SettingChange{Variable: VarMaxAllowedPacket, Was: "16777216", Set: "1073741824"}
	ro := SettingChange{Variable: VarSuperReadOnly, Was: "ON", Set: "OFF"}
	cases := []struct {
		c    SettingChange
		want string
	}{
		{func() SettingChange { c := c; c.Restored = true; return c }(), "max_allowed_packet 16777216 -> 1073741824 (put back)"},
		{func() SettingChange { c := c; c.Restored, c.Note = true, "already back at 16777216"; return c }(),
			"max_allowed_packet 16777216 -> 1073741824 (already back at 16777216)"},
		{func() SettingChange {
			ro := ro
			ro.Note = "the server is writable now (read_only=OFF): left OFF"
			return ro
		}(),
			"super_read_only ON -> OFF (not put back: the server is writable now (read_only=OFF): left OFF)"},
		{ro, "super_read_only ON -> OFF (not put back yet)"},
	}
	for _, tc := range cases {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

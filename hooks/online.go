package hooks

import "strconv"

// OnlineChangeArgs are master_ip_online_change_script's arguments in a
// planned switchover, in MHA 0.58's order: command, both masters with
// their MySQL and SSH users, the SSH extras, and --orig_master_is_new_slave
// when asked. The passwords come last (PasswordArgs) or in the
// environment (SecretEnv).
func OnlineChangeArgs(command string, orig, new Host, origUser, newUser string, origIsNewSlave bool) []string {
	args := []string{"--command=" + command,
		"--orig_master_host=" + orig.Hostname, "--orig_master_ip=" + orig.IP, "--orig_master_port=" + strconv.Itoa(orig.Port),
		"--orig_master_user=" + origUser,
		"--new_master_host=" + new.Hostname, "--new_master_ip=" + new.IP, "--new_master_port=" + strconv.Itoa(new.Port),
		"--new_master_user=" + newUser,
		"--orig_master_ssh_user=" + orig.SSHUser, "--new_master_ssh_user=" + new.SSHUser}
	args = append(args, sshExtras("orig_master_", orig)...)
	args = append(args, sshExtras("new_master_", new)...)
	if origIsNewSlave {
		args = append(args, "--orig_master_is_new_slave")
	}
	return args
}

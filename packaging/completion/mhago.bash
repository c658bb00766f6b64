# bash completion for mhago. The words come from mhago itself
# (urfave/cli's --generate-bash-completion), so they follow the installed
# version's commands and flags.
_mhago() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	# A flag being typed is passed on, so that flags are listed, not commands.
	[[ $cur == -* ]] && words+=("$cur")
	local list
	list=$("${words[@]}" --generate-bash-completion 2>/dev/null) || return 0
	COMPREPLY=($(compgen -W "$list" -- "$cur"))
}
complete -o bashdefault -o default -F _mhago mhago

# bash completion for kmend; install as /usr/share/bash-completion/completions/kmend
# tests/cli/t2100-docs-completion.sh keeps it in step with 'kmend CMD -h'.
# shellcheck disable=SC2207 # COMPREPLY=($(compgen ...)) is the idiom

_kmend_loaded_patches()
{
	local d
	for d in /sys/kernel/livepatch/*/; do
		[ -d "$d" ] && basename "$d"
	done
}

_kmend()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "build diff test load unload list info -v -q --version -h" -- "$cur"))
		return
	fi
	case $prev in
	-k|--kernel)
		COMPREPLY=($(compgen -W "$(ls /lib/modules 2>/dev/null)" -- "$cur"))
		return ;;
	-s|--source|--cache)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--keep)
		if [ "$cmd" = test ]; then
			COMPREPLY=($(compgen -d -- "$cur"))
			return
		fi ;;
	-o|--output|--vmlinux|-c|--check)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-n|--name|-t|--timeout|--max-units)
		return ;;
	-m|--with-module)
		COMPREPLY=($(compgen -W "$(sed -n 's|^[^:]*/\([^/:]*\)\.ko[^:]*:.*|\1|p' \
			"/lib/modules/$(uname -r)/modules.dep" 2>/dev/null)" -- "$cur"))
		return ;;
	esac
	case $cmd in
	build)
		COMPREPLY=($(compgen -W "--kernel --source --vmlinux --cache --name --output --keep --max-units --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -d -- "$cur") \
			$(compgen -f -X '!*.patch' -- "$cur") $(compgen -f -X '!*.diff' -- "$cur")) ;;
	diff)
		COMPREPLY=($(compgen -W "--output --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -f -X '!*.o' -- "$cur")) ;;
	test)
		COMPREPLY=($(compgen -W "--kernel --check --timeout --keep --show-checks --with-module --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -f -X '!*.ko' -- "$cur")) ;;
	load)
		COMPREPLY=($(compgen -W "--timeout --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -f -X '!*.ko' -- "$cur")) ;;
	unload)
		COMPREPLY=($(compgen -W "--timeout --help $(_kmend_loaded_patches)" -- "$cur")) ;;
	list)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	info)
		COMPREPLY=($(compgen -W "--json --help $(_kmend_loaded_patches)" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY+=($(compgen -f -X '!*.ko' -- "$cur")) ;;
	esac
	return 0
}
complete -F _kmend kmend

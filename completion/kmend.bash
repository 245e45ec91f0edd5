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

# Installed kernels and those kmend fetch brought into the cache.
_kmend_kernels()
{
	local d
	ls /lib/modules 2>/dev/null
	for d in "${XDG_CACHE_HOME:-$HOME/.cache}"/kmend/*/debian/.kmend-fetched; do
		[ -f "$d" ] && basename "$(dirname "$(dirname "$d")")"
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
		COMPREPLY=($(compgen -W "build fetch diff test load unload list info verify status blocking install uninstall package -v -q --version -h" -- "$cur"))
		return
	fi
	case $prev in
	-k|--kernel)
		COMPREPLY=($(compgen -W "$(_kmend_kernels)" -- "$cur"))
		return ;;
	-s|--source|--cache|--outdir|-r|--root|--man)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--keep)
		if [ "$cmd" = test ]; then
			COMPREPLY=($(compgen -d -- "$cur"))
			return
		fi ;;
	-o|--output|--vmlinux|-c|--check|--kernels|--script|--static|--unit)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-n|--name|-t|--timeout|-j|--jobs|--max-units|--fuzz|-g|--grace|-V|--version|--kernel-version|--maintainer)
		return ;;
	-m|--with-module)
		COMPREPLY=($(compgen -W "$(sed -n 's|^[^:]*/\([^/:]*\)\.ko[^:]*:.*|\1|p' \
			"/lib/modules/$(uname -r)/modules.dep" 2>/dev/null)" -- "$cur"))
		return ;;
	esac
	case $cmd in
	build)
		COMPREPLY=($(compgen -W "--kernel --source --vmlinux --cache --name --output --keep --replace --fuzz --max-units --kernels --outdir --jobs --json --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -d -- "$cur") \
			$(compgen -f -X '!*.patch' -- "$cur") $(compgen -f -X '!*.diff' -- "$cur")) ;;
	fetch)
		COMPREPLY=($(compgen -W "--cache --force --help" -- "$cur")) ;;
	diff)
		COMPREPLY=($(compgen -W "--output --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -f -X '!*.o' -- "$cur")) ;;
	test)
		COMPREPLY=($(compgen -W "--kernel --check --script --timeout --keep --show-checks --with-module --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -f -X '!*.ko' -- "$cur")) ;;
	load)
		COMPREPLY=($(compgen -W "--timeout --grace --no-signal --force --installed --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -f -X '!*.ko' -- "$cur")) ;;
	unload)
		COMPREPLY=($(compgen -W "--timeout --grace --no-signal --force --help $(_kmend_loaded_patches)" -- "$cur")) ;;
	status)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	blocking)
		COMPREPLY=($(compgen -W "--json --signal --help" -- "$cur")) ;;
	install)
		COMPREPLY=($(compgen -W "--now --list --json --root --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -f -X '!*.ko' -- "$cur")) ;;
	uninstall)
		COMPREPLY=($(compgen -W "--kernel --root --help $(ls /var/lib/kmend/*/ 2>/dev/null | sed -n 's/\.ko$//p' | sort -u)" -- "$cur")) ;;
	package)
		COMPREPLY=($(compgen -W "--output --version --kernel-version --maintainer --tool --static --unit --man --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -f -X '!*.ko' -- "$cur")) ;;
	list)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	info)
		COMPREPLY=($(compgen -W "--json --help $(_kmend_loaded_patches)" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY+=($(compgen -f -X '!*.ko' -- "$cur")) ;;
	verify)
		COMPREPLY=($(compgen -W "--json --help" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -f -X '!*.ko' -- "$cur")) ;;
	esac
	return 0
}
complete -F _kmend kmend

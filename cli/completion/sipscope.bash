# bash completion for sipscope. Install: copy to /usr/share/bash-completion/completions/sipscope
# (or source it from ~/.bashrc). Options come from each command's own --help, so they never
# drift from the binary; values of the options that take a fixed set are listed here.
_sipscope() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
  fi
  local bin=${words[0]}
  if [ "$cword" -eq 1 ]; then
    local cmds
    cmds=$("$bin" --help 2>/dev/null | sed -n '/^commands:/,/^$/p' | awk 'NF >= 2 && $1 != "commands:" {print $1}')
    COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
    return
  fi
  local cmd=${words[1]}
  case $prev in
    --format)
      case $cmd in
        calls|rtp) COMPREPLY=($(compgen -W "table csv json jsonl" -- "$cur")) ;;
        ladder) COMPREPLY=($(compgen -W "text mermaid svg html" -- "$cur")) ;;
        explain) COMPREPLY=($(compgen -W "text json jsonl html" -- "$cur")) ;;
        stats) COMPREPLY=($(compgen -W "table json" -- "$cur")) ;;
        live) COMPREPLY=($(compgen -W "table jsonl" -- "$cur")) ;;
        parse) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
      esac
      return ;;
    --color|--colour) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --state) COMPREPLY=($(compgen -W "calling ringing in-call completed cancelled busy rejected failed no-answer redirected pending ok registered unregistered" -- "$cur")); return ;;
    --kind) COMPREPLY=($(compgen -W "call registration options message subscription refer other" -- "$cur")); return ;;
    --sort)
      case $cmd in
        rtp) COMPREPLY=($(compgen -W "start call loss jitter mos packets" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "start duration pdd status state mos index" -- "$cur")) ;;
      esac
      return ;;
    --fail-on) COMPREPLY=($(compgen -W "failed state= status>= loss> jitter> mos< pdd>" -- "$cur")); return ;;
    -i|--interface)
      COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null) any" -- "$cur")); return ;;
    -o|--output) _sipscope_files "$cur" "pcap|pcapng"; return ;;
    --call|--call-id|--from|--to|--user|--status|--since|--until|--host|--match|-f|--filter|--hosts|\
    --snaplen|--buffer-size|--linger|--lenient)
      return ;;
  esac
  if [[ $cur == -* ]]; then
    local opts
    opts=$("$bin" "$cmd" --help 2>/dev/null | grep -o -- '\(^\| \)--\?[a-zA-Z][a-zA-Z-]*' | tr -d ' ' | sort -u)
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case $cmd in
    parse) _sipscope_files "$cur" "sip|txt|msg" ;;
    live) ;;
    *) _sipscope_files "$cur" "pcap|pcapng|cap|gz" ;;
  esac
}

# Directories, and files whose name ends in one of the extensions (a|b|c).
_sipscope_files() {
  local cur=$1 exts=$2 f
  COMPREPLY=()
  local IFS=$'\n'
  for f in $(compgen -d -- "$cur"); do COMPREPLY+=("$f"); done
  for f in $(compgen -f -- "$cur"); do
    [ -d "$f" ] && continue
    [[ $f =~ \.($exts)(\.gz)?$ ]] && COMPREPLY+=("$f")
  done
  compopt -o filenames 2>/dev/null
}

complete -F _sipscope sipscope

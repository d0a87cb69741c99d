# SPDX-License-Identifier: Apache-2.0
# bash completion for promptbench: installed as
# share/bash-completion/completions/promptbench. Completes the commands, each command's
# options, the values of the options that take a closed set (--color, --progress, --format,
# --shard), file names of the right kind for the options and arguments that take a file
# (configs: *.yaml, *.yml, *.json; reports: *.json), and directories for `init`.
# tests/integration/install_test.cpp checks it against the binary's own --help.
# shellcheck disable=SC2207  # COMPREPLY=($(compgen ...)) is the idiom; file names are split
# at newlines only (local IFS).

_promptbench_commands="eval compare merge report validate render metrics init"

# The options of one command, as the binary's `promptbench COMMAND --help` lists them.
_promptbench_options() {
  case $1 in
    eval)
      echo "-h --help -o --output -j --concurrency --limit --shard --split --force-look --case
        --case-pattern --sample --seed --filter-failing --filter-errors-only --prompt --provider --dry-run
        -q --quiet -v --verbose --insecure --no-cache --cache --max-errors --gate --repeat
        --color --progress --junit --md --csv --html --samples --show-failures --watch
        --slices" ;;
    compare)
      echo "-h --help --metric --variant --alpha --min-effect --min-overlap
        --fail-on-regression --slice --no-slices --slice-min-cases --format" ;;
    merge)
      echo "-h --help -o --output --gate --allow-missing -q --quiet --color --junit --md --csv
        --html" ;;
    report) echo "-h --help --junit --md --csv --html --show-failures" ;;
    validate | metrics | init) echo "-h --help" ;;
    render) echo "-h --help --prompt --provider --case --text" ;;
  esac
}

# Files matching any of the extensions (and directories, to descend into).
_promptbench_files() {
  local cur=$1 ext
  shift
  local -a globs=()
  for ext in "$@"; do
    globs+=("!*.$ext")
  done
  compopt -o filenames 2>/dev/null
  local IFS=$'\n'
  if [ ${#globs[@]} -eq 0 ]; then
    COMPREPLY+=($(compgen -f -- "$cur"))
    return
  fi
  local glob
  for glob in "${globs[@]}"; do
    COMPREPLY+=($(compgen -f -X "$glob" -- "$cur"))
  done
  COMPREPLY+=($(compgen -d -- "$cur"))
}

# Completes the value of option $1; returns 1 when the option takes no value.
_promptbench_option_value() {
  local option=$1 cur=$2
  case $option in
    --color | --progress) COMPREPLY=($(compgen -W "auto always never" -- "$cur")) ;;
    --format) COMPREPLY=($(compgen -W "text md json" -- "$cur")) ;;
    --split) COMPREPLY=($(compgen -W "dev test all" -- "$cur")) ;;
    --shard)
      # I/N (0-based), auto (a Slurm array) or auto/N (a Kubernetes Indexed Job).
      if [[ $cur != */* ]]; then
        COMPREPLY=($(compgen -W "auto auto/ 0/ 1/ 2/ 3/" -- "$cur"))
        compopt -o nospace 2>/dev/null
      fi ;;
    -o | --output | --filter-failing | --filter-errors-only) _promptbench_files "$cur" json ;;
    --cache) _promptbench_files "$cur" db ;;
    --junit) _promptbench_files "$cur" xml ;;
    --md) _promptbench_files "$cur" md ;;
    --csv) _promptbench_files "$cur" csv ;;
    --html) _promptbench_files "$cur" html htm ;;
    --samples) _promptbench_files "$cur" jsonl ;;
    -j | --concurrency | --limit | --sample | --seed | --max-errors | --gate | --repeat | \
      --case | --case-pattern | --prompt | --provider | --metric | --variant | --alpha | \
      --min-effect | --min-overlap | --slice | --slice-min-cases)
      ;;  # a number, an id or an expression: nothing to offer
    *) return 1 ;;
  esac
  return 0
}

# The positional arguments of one command.
_promptbench_arguments() {
  local command=$1 cur=$2
  case $command in
    eval | validate | render) _promptbench_files "$cur" yaml yml json ;;
    compare | merge | report) _promptbench_files "$cur" json ;;
    init)
      compopt -o filenames 2>/dev/null
      local IFS=$'\n'
      COMPREPLY=($(compgen -d -- "$cur")) ;;
  esac
}

_promptbench() {
  COMPREPLY=()
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  # `--color=al`: bash splits at the '=' (COMP_WORDBREAKS), giving "--color" "=" "al".
  if [[ $cur == "=" ]]; then
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    cur=""
  elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi

  local command="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ " $_promptbench_commands " == *" ${COMP_WORDS[i]} "* ]]; then
      command=${COMP_WORDS[i]}
      break
    fi
  done

  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "-h --help --version" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$_promptbench_commands" -- "$cur"))
    fi
    return 0
  fi

  if [[ $prev == -* ]] && _promptbench_option_value "$prev" "$cur"; then
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_promptbench_options "$command")" -- "$cur"))
    return 0
  fi
  _promptbench_arguments "$command" "$cur"
  return 0
}

complete -F _promptbench promptbench

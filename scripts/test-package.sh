#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `bash scripts/test-package.sh [--deb FILE]`: checks the Debian package and the install
# rules, as a user gets them.
#
#   package   dpkg-deb's fields (name, version, section, maintainer, description), a Depends
#             that names the package of every shared library the binary needs, only /usr
#             paths, a stripped binary, and `lintian` with no error (warnings are printed);
#   extracted the .deb unpacked with `dpkg-deb -x` into a temporary root: its binary runs
#             the quickstart (promptbench.yaml, prompts/, datasets/) against the stub
#             endpoint, its man page renders, its completions are where the shells look;
#   install   `cmake --install build/release --prefix TMP`: nothing outside the prefix, the
#             installed binary runs the quickstart, `man -l` renders the page, and bash, zsh
#             and fish each load their completion from the installed file and complete
#             `promptbench eval --col` to `--color`.
#
# Without --deb it builds the package first (scripts/package.sh). The stub endpoint
# (promptbench-stub) is a test program, not in the package: set PROMPTBENCH_STUB_BIN to one,
# or the script builds it in build/default as scripts/quickstart.sh does (its own sources
# only, not promptbench). Installs lintian, man-db, zsh and fish with apt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

deb=""
while [ $# -gt 0 ]; do
  case $1 in
    --deb) deb=$2; shift 2 ;;
    *) echo "usage: $0 [--deb FILE]" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh
bash scripts/apt-install.sh dpkg-dev file lintian man-db bash-completion zsh fish

if [ -z "$deb" ]; then
  deb=$(bash scripts/package.sh | tail -n 1)
fi
deb=$(realpath "$deb")

work=$(mktemp -d)
stub_pid=""
cleanup() {
  if [ -n "$stub_pid" ]; then
    kill "$stub_pid" 2>/dev/null || true
    wait "$stub_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "test-package: FAIL: $*" >&2
  exit 1
}
ok() {
  echo "test-package: ok: $*"
}

version=$(sed -n 's/^project(promptbench VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || fail "no project version in CMakeLists.txt"

# The files every install has, relative to the prefix.
installed_files=(
  bin/promptbench
  share/man/man1/promptbench.1.gz
  share/bash-completion/completions/promptbench
  share/zsh/vendor-completions/_promptbench
  share/fish/vendor_completions.d/promptbench.fish
  share/doc/promptbench/copyright
  share/doc/promptbench/changelog.gz
)

# --- the package: its fields, its files, its dependencies, lintian ----------------------
field() {
  dpkg-deb --field "$deb" "$1"
}
[ "$(field Package)" = promptbench ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), expected $version"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture: $(field Architecture)"
[ "$(field Section)" = utils ] || fail "Section: $(field Section)"
[ "$(field Priority)" = optional ] || fail "Priority: $(field Priority)"
[[ $(field Maintainer) =~ ^[^\<]+\ \<[^\>]+@[^\>]+\>$ ]] || fail "Maintainer: $(field Maintainer)"
description=$(field Description)
[ "$(echo "$description" | wc -l)" -gt 3 ] || fail "no long description: $description"
ok "fields: promptbench $version, $(field Architecture), section utils, $(field Maintainer)"

while read -r path; do
  case $path in
    ./usr/* | ./) ;;
    *) fail "a file outside /usr: $path" ;;
  esac
done < <(dpkg-deb --contents "$deb" | awk '{print $6}')

root=$work/root
dpkg-deb -x "$deb" "$root"
for file in "${installed_files[@]}"; do
  [ -f "$root/usr/$file" ] || fail "the package has no /usr/$file"
done
bin=$root/usr/bin/promptbench
[ -x "$bin" ] || fail "/usr/bin/promptbench is not executable"
if readelf -S "$bin" | grep -Eq '\.symtab|\.debug_'; then
  fail "/usr/bin/promptbench is not stripped"
fi
grep -q '^License: Apache-2.0$' "$root/usr/share/doc/promptbench/copyright" ||
  fail "the copyright file does not name Apache-2.0"
ok "files: ${#installed_files[@]} under /usr, binary stripped, copyright Apache-2.0"

# Depends: for every library the binary links (NEEDED), the package that holds it.
depends=$(field Depends)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || fail "readelf found no NEEDED library in $bin"
for lib in $needed; do
  owner=""
  for dir in "/lib/$multiarch" "/usr/lib/$multiarch" /lib /usr/lib; do
    owner=$(dpkg -S "$dir/$lib" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$owner" ] && break
  done
  [ -n "$owner" ] || fail "no installed package holds $lib"
  [[ ", $depends," == *", $owner "* || ", $depends," == *", $owner,"* ]] ||
    fail "$lib is in $owner, which Depends does not name: $depends"
done
ok "Depends names the package of each of $(echo "$needed" | wc -w) linked libraries: $depends"

lintian_out=$work/lintian.txt
lintian --info "$deb" >"$lintian_out" 2>&1 || true
if grep -q '^E: ' "$lintian_out"; then
  cat "$lintian_out" >&2
  fail "lintian reports errors"
fi
if grep -q '^[WI]: ' "$lintian_out"; then
  echo "test-package: lintian's warnings and notes (no errors):"
  grep '^[WI]: ' "$lintian_out" | sed 's/^/  /'
fi
ok "lintian: no errors"

# --- the quickstart, with a binary from the package or the install ----------------------
stub=${PROMPTBENCH_STUB_BIN:-}
if [ -z "$stub" ]; then
  cmake --preset default >/dev/null
  cmake --build --preset default --target promptbench-stub >/dev/null
  stub=build/default/tests/promptbench-stub
fi
rm -f "$work/stub.port"
"$stub" --mode sentiment --port 0 --port-file "$work/stub.port" >"$work/stub.log" 2>&1 &
stub_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/stub.port" ] && break
  sleep 0.1
done
[ -s "$work/stub.port" ] || fail "the stub did not start: $(cat "$work/stub.log")"
PROMPTBENCH_BASE_URL="http://127.0.0.1:$(cat "$work/stub.port")/v1"
export PROMPTBENCH_BASE_URL

# Runs the quickstart's evaluation with `promptbench` binary $1 in a fresh copy of the
# example, and checks the report: three variants, every gate passed, `compare` reads it.
run_quickstart() {
  local promptbench=$1 dir
  dir=$(mktemp -d "$work/quickstart.XXXXXX")
  cp -r promptbench.yaml prompts datasets "$dir/"
  (
    cd "$dir"
    "$promptbench" validate >validate.txt || fail "$promptbench validate failed"
    "$promptbench" eval -q -o report.json --md summary.md ||
      fail "$promptbench eval exited $? on the quickstart"
    for variant in terse/local fewshot/local chat/local; do
      grep -q "$variant" summary.md || fail "no $variant in the quickstart's summary"
    done
    "$promptbench" compare report.json report.json --fail-on-regression >/dev/null ||
      fail "$promptbench compare of a report with itself failed"
  )
}

[ "$("$bin" --version)" = "promptbench $version" ] || fail "$bin --version: $("$bin" --version)"
run_quickstart "$bin"
ok "the extracted /usr/bin/promptbench runs the quickstart against the stub"

# man -l renders the page without a warning from groff; it documents each command.
check_man_page() {
  local page=$1 text warnings
  text=$(MANWIDTH=80 man -l "$page" 2>/dev/null) || fail "man -l $page failed"
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null || true)
  [ -z "$warnings" ] || fail "man -l $page warns: $warnings"
  for command in eval compare merge report validate render metrics init; do
    grep -q "promptbench $command" <<<"$text" || fail "$page does not document $command"
  done
}
check_man_page "$root/usr/share/man/man1/promptbench.1.gz"
ok "the package's man page renders (man -l) and documents every command"

# --- cmake --install into a fresh prefix -------------------------------------------------
prefix=$work/prefix
cmake --install build/release --prefix "$prefix" >/dev/null
for file in "${installed_files[@]}"; do
  [ -f "$prefix/$file" ] || fail "cmake --install put no $file in the prefix"
done
while read -r path || [ -n "$path" ]; do  # the manifest's last line has no newline
  [[ $path == "$prefix"/* ]] || fail "cmake --install wrote outside --prefix: $path"
done <build/release/install_manifest.txt
[ "$(grep -c "" build/release/install_manifest.txt)" -eq ${#installed_files[@]} ] ||
  fail "cmake --install wrote other files: $(cat build/release/install_manifest.txt)"
run_quickstart "$prefix/bin/promptbench"
check_man_page "$prefix/share/man/man1/promptbench.1.gz"
ok "cmake --install --prefix: the installed binary runs the quickstart, man -l renders the page"

# bash: the file registers the completion, and completes an option of eval.
bash_completion=$prefix/share/bash-completion/completions/promptbench
spec=$(bash --norc --noprofile -c 'source "$1" && complete -p promptbench' _ "$bash_completion")
[[ $spec == *"-F _promptbench"* ]] || fail "bash: complete -p promptbench gives: $spec"
offered=$(bash --norc --noprofile -c 'source "$1"
  COMP_WORDS=(promptbench eval --col); COMP_CWORD=2; _promptbench; echo "${COMPREPLY[*]}"' \
  _ "$bash_completion")
[ "$offered" = "--color" ] || fail "bash: promptbench eval --col<TAB> offers: $offered"
# bash-completion's own loader finds the file under a prefix that XDG_DATA_DIRS names.
spec=$(XDG_DATA_DIRS=$prefix/share bash --norc --noprofile -c '
  source /usr/share/bash-completion/bash_completion && __load_completion promptbench &&
  complete -p promptbench')
[[ $spec == *"-F _promptbench"* ]] || fail "bash-completion did not load it from $prefix: $spec"
ok "bash: $spec; eval --col<TAB> gives --color; bash-completion loads it from the prefix"

# zsh: the file parses, and an interactive zsh with the prefix's directory in its fpath
# completes from it (driven through a pseudo-terminal).
zsh_dir=$prefix/share/zsh/vendor-completions
zsh -n "$zsh_dir/_promptbench" || fail "zsh -n $zsh_dir/_promptbench"
offered=$(cd "$work" && zsh -f -c '
  zmodload zsh/zpty
  zpty z zsh -f -i
  zpty -w z "fpath=($1 \$fpath); autoload -U compinit; compinit -u -D; PS1=\">\""
  zpty -n -w z "promptbench eval --col"$'"'"'\t'"'"'
  local out all=""
  for i in {1..50}; do
    if zpty -r -t z out; then all+=$out; else sleep 0.1; fi
    [[ $all == *--color* ]] && break
  done
  zpty -d z
  print -r -- "$all"' _ "$zsh_dir" | tr -d '\r')
[[ $offered == *"promptbench eval --color"* ]] ||
  fail "zsh: promptbench eval --col<TAB> did not complete to --color: $offered"
ok "zsh: parses (zsh -n); eval --col<TAB> gives --color from $zsh_dir"

# fish: the file parses, and fish loads it from the prefix's vendor directory (fish loads a
# command's completion only when the command is on PATH).
fish_dir=$prefix/share/fish/vendor_completions.d
fish --no-config -n "$fish_dir/promptbench.fish" || fail "fish -n $fish_dir/promptbench.fish"
# shellcheck disable=SC2016  # fish expands $argv and $fish_complete_path itself
offered=$(PATH="$prefix/bin:$PATH" fish --no-config -c 'set fish_complete_path $argv[1] $fish_complete_path
  complete -C "promptbench eval --col"' "$fish_dir" | cut -f 1)
[ "$offered" = "--color" ] || fail "fish: promptbench eval --col<TAB> offers: $offered"
ok "fish: parses (fish -n); eval --col<TAB> gives --color from $fish_dir"

echo "test-package: all checks passed for $deb"

#!/usr/bin/env bash
# tools/bootstrap.sh [group...]: installs what the kit needs and is missing, says so in one line,
# and goes on. Every make target runs it first, so when nothing is missing it is quiet and fast:
# one dpkg-query call, the rest in shell builtins.
#
#   groups   build (always), demo, slides, bench, format, browser, all
#   NO_INSTALL=1   only say what is missing and the command that installs it; exit 1 if anything is
#
# On Debian and Ubuntu it installs the packages with apt-get (through sudo when not root). On any
# other system it checks the commands, pkg-config modules and files the kit uses, and names the
# Debian packages that provide what is missing, so it can be found under the local names.
set -euo pipefail

# One requirement per line: "packages  probes  minimum-version".
#   packages   the Debian package, or alternatives a|b (any one installed will do; the first is
#              the one installed)
#   probes     how to find it without dpkg (cmd:NAME, pc:PKG-CONFIG-MODULE, file:PATH; comma
#              separated, all must hold); a requirement whose probes hold counts as present even
#              when its package is not installed (meson from pip, node from another repository)
#   minimum    major.minor that the first cmd: probe (or else the package) must have; - for any
group_build='
g++                 cmd:g++                         10
make                cmd:make                        -
meson               cmd:meson                       1.0
ninja-build         cmd:ninja                       -
pkg-config|pkgconf  cmd:pkg-config                  -
libgtest-dev        pc:gtest                        -
libgmock-dev        pc:gmock                        -
libfmt-dev          pc:fmt                          -
libnghttp2-dev      pc:libnghttp2                   -
libssl-dev          pc:openssl                      -
openssl             cmd:openssl                     -
node-llhttp         file:/usr/share/llhttp/llhttp.c -
curl                cmd:curl                        -
nghttp2-client      cmd:nghttp,cmd:h2load           -
python3             cmd:python3                     3.11
inotify-tools       cmd:inotifywait                 -
git                 cmd:git                         -
ca-certificates     file:/etc/ssl/certs/ca-certificates.crt -
'
# make demo, and the experiments the handouts suggest.
group_demo='
procps              cmd:ps                          -
strace              cmd:strace                      -
iproute2            cmd:ss                          -
lsof                cmd:lsof                        -
'
# make slides: the renderer runs on node; PDF needs a browser, which stays optional.
group_slides='
nodejs              cmd:node                        18
npm                 cmd:npm                         -
'
group_bench='
gnuplot-nox|gnuplot-qt|gnuplot-x11  cmd:gnuplot     -
wrk                 cmd:wrk                         -
nginx-light         file:/usr/sbin/nginx            -
h2o                 cmd:h2o                         -
nghttp2-server      cmd:nghttpd                     -
python3-hypercorn   cmd:hypercorn                   -
'
group_format='
clang-format        cmd:clang-format                -
'
# Lab 13's DemoPage tests load the demo page in headless Chromium.
group_browser='
chromium            cmd:chromium                    -
'
all_groups='build demo slides bench format browser'

say() { printf 'syslab: %s\n' "$*" >&2; }

groups=(build)
for group in "$@"; do
  case "$group" in
    all) read -r -a groups <<<"$all_groups" ;;
    build | demo | slides | bench | format | browser) groups+=("$group") ;;
    *) say "bootstrap: there is no group '$group' (the groups: $all_groups, all)"; exit 2 ;;
  esac
done

requirements=()
declare -A seen_group=()
for group in "${groups[@]}"; do
  [[ -n "${seen_group[$group]:-}" ]] && continue
  seen_group[$group]=1
  var="group_$group"
  while read -r packages probes minimum; do
    if [[ -n "$packages" ]]; then requirements+=("$packages $probes $minimum"); fi
  done <<<"${!var}"
done

# "1:12.2.0-3" -> "12.2.0"; "3.11.2-1+b1" -> "3.11.2"
upstream_version() {
  local v=$1
  v=${v#*:}
  REPLY=${v%%-*}
}

# version_at_least 1.0.1 1.0: compares major.minor numerically
version_at_least() {
  local have=$1 want=$2 h1 h2 w1 w2
  IFS=. read -r h1 h2 _ <<<"$have."
  IFS=. read -r w1 w2 _ <<<"$want."
  h1=${h1%%[!0-9]*} h2=${h2%%[!0-9]*} w1=${w1%%[!0-9]*} w2=${w2%%[!0-9]*}
  h1=${h1:-0} h2=${h2:-0} w1=${w1:-0} w2=${w2:-0}
  ((10#$h1 > 10#$w1 || (10#$h1 == 10#$w1 && 10#$h2 >= 10#$w2)))
}

# The version of a command, by running it (only off the fast path).
command_version() {
  local out=''
  case "$1" in
    python3) out=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || true ;;
    node) out=$(node --version 2>/dev/null) || true; out=${out#v} ;;
    g++) out=$(g++ -dumpfullversion 2>/dev/null) || true ;;
    *) out=$("$1" --version 2>/dev/null | head -n1) || true ;;
  esac
  [[ "$out" =~ ([0-9]+\.[0-9]+(\.[0-9]+)?) ]] && REPLY=${BASH_REMATCH[1]} || REPLY=''
}

# Running a command to learn its version can cost more than everything else together (a pyenv
# shim takes 0.2 s), so the answer is kept for an hour, per resolved path, in the user's cache.
version_cache=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/syslab/bootstrap-versions
cached_command_version() {  # name resolved-path
  local key="$2 ${PYENV_VERSION:-}" now line key_of version when kept=()
  printf -v now '%(%s)T' -1
  if [[ -f "$version_cache" && "$version_cache" -nt "$2" ]]; then
    while IFS=$'\t' read -r key_of version when; do
      if [[ "$key_of" == "$key" && -n "$when" ]] && ((now - when < 3600)); then
        REPLY=$version
        return 0
      fi
    done <"$version_cache"
  fi
  command_version "$1"
  [[ -n "$REPLY" ]] || return 0
  if [[ -f "$version_cache" ]]; then
    while IFS= read -r line; do
      if [[ "${line%%$'\t'*}" != "$key" ]]; then kept+=("$line"); fi
    done <"$version_cache"
  fi
  kept+=("$key"$'\t'"$REPLY"$'\t'"$now")
  { mkdir -p "${version_cache%/*}" && printf '%s\n' "${kept[@]}" >"$version_cache"; } 2>/dev/null || true
}

probe() {  # probe "cmd:a,pc:b,file:c": all hold
  local item items
  IFS=, read -r -a items <<<"$1"
  for item in "${items[@]}"; do
    case "$item" in
      cmd:*) command -v "${item#cmd:}" >/dev/null 2>&1 || return 1 ;;
      pc:*) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "${item#pc:}" || return 1 ;;
      file:*) [[ -e "${item#file:}" ]] || return 1 ;;
    esac
  done
}

have_dpkg=0
command -v dpkg-query >/dev/null 2>&1 && have_dpkg=1

declare -A installed=()   # package -> version, for the packages dpkg says are installed
read_installed() {
  installed=()
  ((have_dpkg)) || return 0
  local all_packages=() req line pkg status version
  for req in "${requirements[@]}"; do
    IFS='|' read -r -a alternatives <<<"${req%% *}"
    all_packages+=("${alternatives[@]}")
  done
  # One call for every package; it exits 1 when one of them is unknown, which is no error here.
  while IFS=' ' read -r pkg _ _ status version; do
    if [[ "$status" == installed ]]; then installed[$pkg]=$version; fi
  done < <(dpkg-query -W -f='${Package} ${Status} ${Version}\n' "${all_packages[@]}" 2>/dev/null || true)
}

# Fills missing (packages to install) and problems (what installing a package will not fix).
check() {
  missing=() problems=() missing_what=()
  read_installed
  local req packages probes minimum alt found_version cmd first_cmd
  for req in "${requirements[@]}"; do
    read -r packages probes minimum <<<"$req"
    IFS='|' read -r -a alternatives <<<"$packages"
    found_version=''
    local via_package=0
    for alt in "${alternatives[@]}"; do
      if [[ -n "${installed[$alt]+set}" ]]; then
        via_package=1
        upstream_version "${installed[$alt]}"
        found_version=$REPLY
        break
      fi
    done
    first_cmd=''
    if [[ "$probes" =~ (^|,)cmd:([^,]+) ]]; then first_cmd=${BASH_REMATCH[2]}; fi
    if ((!via_package)); then
      if ! probe "$probes"; then
        missing+=("${alternatives[0]}")
        describe "$probes"
        missing_what+=("$REPLY")
        continue
      fi
    fi
    if ((via_package)) && ! commands_on_path "$probes"; then
      problems+=("${alternatives[0]} is installed, but there is no $REPLY on PATH ($PATH)")
      continue
    fi
    [[ "$minimum" == - ]] && continue
    # The version that counts is the one of the command on PATH; dpkg's answers without running
    # it when that command is the package's own.
    if [[ -n "$first_cmd" ]]; then
      cmd=${BASH_CMDS[$first_cmd]:-}   # filled by hash in commands_on_path
      if ((!via_package)) || [[ "$cmd" != "/usr/bin/$first_cmd" ]]; then
        cached_command_version "$first_cmd" "$cmd"
        found_version=$REPLY
      fi
    fi
    if [[ -n "$found_version" ]] && ! version_at_least "$found_version" "$minimum"; then
      problems+=("${first_cmd:-$packages} $found_version is older than the $minimum the kit needs$(advice "$first_cmd")")
    fi
  done
}

# commands_on_path "cmd:a,file:b": every cmd: on PATH (hash is a builtin; it also fills BASH_CMDS
# for the version check). REPLY is the first missing one.
commands_on_path() {
  local item items
  IFS=, read -r -a items <<<"$1"
  for item in "${items[@]}"; do
    if [[ "$item" == cmd:* ]] && ! hash "${item#cmd:}" 2>/dev/null; then
      REPLY=${item#cmd:}
      return 1
    fi
  done
  return 0
}

describe() {  # "cmd:nghttp,cmd:h2load" -> "nghttp, h2load"; "pc:fmt" -> "fmt (pkg-config module)"
  local item items out=()
  IFS=, read -r -a items <<<"$1"
  for item in "${items[@]}"; do
    case "$item" in
      cmd:*) out+=("${item#cmd:}") ;;
      pc:*) out+=("${item#pc:} (pkg-config module)") ;;
      file:*) out+=("${item#file:}") ;;
    esac
  done
  local IFS=,
  REPLY="${out[*]}"
  REPLY=${REPLY//,/, }
}

advice() {
  case "$1" in
    meson) printf ': python3 -m pip install --user "meson>=1.0" gives a newer one (Debian 12 has 1.0)' ;;
    python3) printf ' (Debian 12 and Ubuntu 23.04 have it)' ;;
    g++) printf ': install g++-12 (or newer) and set CXX=g++-12' ;;
    node) printf ': install a newer nodejs (Debian 12 has 18)' ;;
  esac
}

report_problems() {
  local p
  for p in "${problems[@]}"; do say "$p"; done
}

check
if ((${#missing[@]} == 0)); then
  ((${#problems[@]} == 0)) && exit 0
  report_problems
  exit 1
fi

sudo=()
if ((EUID != 0)); then sudo=(sudo); fi
install_cmd=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}")

if ! ((have_dpkg)) || ! command -v apt-get >/dev/null 2>&1; then
  missing_list=$(IFS=';'; printf '%s' "${missing_what[*]}")
  say "missing: ${missing_list//;/; }"
  say "install these with your system's package manager (Debian names): ${missing[*]}"
  report_problems
  exit 1
fi

if [[ "${NO_INSTALL:-0}" != 0 ]]; then
  say "missing Debian packages: ${missing[*]}"
  say "install them with: ${sudo[*]}${sudo:+ }apt-get update && ${install_cmd[*]}"
  report_problems
  exit 1
fi

if ((${#sudo[@]})) && ! command -v sudo >/dev/null 2>&1; then
  say "missing Debian packages: ${missing[*]}; there is no sudo: as root, run"
  say "  apt-get update && ${install_cmd[*]:1}"
  exit 1
fi

# apt-get's pages of output go to a log, shown only when something fails.
log=$(mktemp "${TMPDIR:-/tmp}/syslab-bootstrap.XXXXXX.log")
say "installing the missing Debian packages ${missing[*]} (apt-get; a minute or two; log: $log)"
started=$SECONDS
if ! "${sudo[@]}" apt-get update -q >>"$log" 2>&1; then
  say "apt-get update failed; trying the install anyway; its last lines:"
  tail -n 5 "$log" >&2
fi
if ! "${install_cmd[@]}" >>"$log" 2>&1 </dev/null; then
  say "apt-get install failed; the end of its log ($log):"
  tail -n 25 "$log" >&2
  exit 1
fi
rm -f "$log"
check
if ((${#missing[@]})); then
  missing_list=$(IFS=';'; printf '%s' "${missing_what[*]}")
  say "still missing after apt-get install: ${missing_list//;/; } (packages: ${missing[*]})"
  report_problems
  exit 1
fi
say "installed in $((SECONDS - started)) s"
if ((${#problems[@]})); then
  report_problems
  exit 1
fi

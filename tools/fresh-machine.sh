#!/usr/bin/env bash
# tools/fresh-machine.sh: proves that the kit works on a fresh Debian 12 machine.
#
#   sudo tools/fresh-machine.sh [options] [CHROOT [REPO]]
#
#   CHROOT     where the pristine Debian 12 minbase system is kept (default /var/tmp/syslab-chroot);
#              made once with debootstrap, then reused
#   REPO       the repository to clone (default: this one); its committed branch, not the work tree
#   --branch B the branch to clone (default main)
#   --run CMD  a command to run in the kit's directory; repeat it for several, which run in order
#              and stop at the first failure (default: make grade, then make test)
#   --keep     keep the machine of this run (CHROOT.run) for a look inside: sudo chroot CHROOT.run
#
# Every run starts from a copy of the pristine system, installs exactly one package, make (the
# README's first command is a make command, and a minbase system has no make), clones the kit into
# /root/syslab and runs the command there. Everything else must be installed by the kit's own
# bootstrap: that is what this proves. It prints the wall time of each step. Needs root (chroot,
# mount) and the network to a Debian mirror (the one this machine's apt sources use).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/.." && pwd)

branch=main
run_cmds=()
keep=0
positional=()
while (($#)); do
  case "$1" in
    --branch) branch=$2; shift 2 ;;
    --run) run_cmds+=("$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fresh-machine: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) positional+=("$1"); shift ;;
  esac
done
((${#run_cmds[@]})) || run_cmds=("make grade" "make test")
base=${positional[0]:-/var/tmp/syslab-chroot}
repo=${positional[1]:-$repo_root}
base=${base%/}
run_dir=$base.run

if ((EUID != 0)); then
  echo "fresh-machine: needs root (debootstrap, chroot, mount): sudo $0 $*" >&2
  exit 1
fi

log() { printf '\n\e[1m== %s\e[0m\n' "$*"; }
timed() {  # timed "what" command...: runs it and prints its wall time
  local what=$1 started=$EPOCHREALTIME status=0
  shift
  "$@" || status=$?
  local label=$what
  ((${#label} <= 40)) || label="${label:0:37}..."
  times+=("$(printf '%-40s %8.1f s  %s' "$label" "$(elapsed "$started")" \
    "$( ((status == 0)) && echo ok || echo "exit $status")")")
  printf '   (%s: %.1f s, %s)\n' "$label" "$(elapsed "$started")" "$( ((status == 0)) && echo ok || echo "exit $status")"
  return "$status"
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
times=()

# The Debian mirror this machine's apt uses for bookworm (one-line and deb822 sources alike).
host_mirror() {
  local suite=$1 files=() file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    if [[ -f $file ]]; then files+=("$file"); fi
  done
  ((${#files[@]})) || return 0
  awk -v want="$suite" '
    /^[[:space:]]*#/ { next }
    /^deb[[:space:]]/ {                       # deb [options] URI suite components
      i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if ($(i + 1) == want) { print $i; exit }
      next
    }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == want) found = 1 }
    /^[[:space:]]*$/ { if (found && uri) { print uri; found = 0; exit } uri = ""; found = 0 }
    END { if (found && uri) print uri }
  ' "${files[@]}" 2>/dev/null | head -n1
}

mirror=${MIRROR:-$(host_mirror bookworm)}
mirror=${mirror:-http://deb.debian.org/debian}
security=$(host_mirror bookworm-security)
security=${security:-http://security.debian.org/debian-security}

# --- the pristine system, made once ------------------------------------------------------------
make_base() {
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "fresh-machine: installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap; }
  fi
  local partial=$base.partial
  # debootstrap removes its own /debootstrap directory when it has finished.
  if [[ -d $partial && ( -d $partial/debootstrap || ! -x $partial/usr/bin/apt-get ) ]]; then
    echo "fresh-machine: removing the unfinished $partial"
    rm -rf --one-file-system "$partial"
  fi
  if [[ ! -d $partial ]]; then
    echo "fresh-machine: debootstrap --variant=minbase bookworm $partial $mirror"
    debootstrap --variant=minbase bookworm "$partial" "$mirror"
  fi
  # What the Debian installer would have written and debootstrap does not.
  cat >"$partial/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
  cat >"$partial/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF
  mv "$partial" "$base"
}

if [[ -x $base/usr/bin/apt-get && ! -d $base/debootstrap ]]; then
  log "pristine Debian 12 minbase: $base (cached)"
else
  log "making the pristine Debian 12 minbase system in $base (once; a few minutes)"
  timed "debootstrap (once)" make_base
fi

# --- this run's machine ----------------------------------------------------------------------
mounted=()
chroot_pids() {  # the processes whose root is this run's machine
  local proc root
  for proc in /proc/[0-9]*; do
    root=$(readlink "$proc/root" 2>/dev/null) || continue
    if [[ $root == "$run_dir" ]]; then echo "${proc#/proc/}"; fi
  done
  return 0
}
cleanup() {
  local status=$? pid mount
  for pid in $(chroot_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    mount=${mounted[i]}
    umount -R "$mount" 2>/dev/null || umount -R -l "$mount" 2>/dev/null ||
      echo "fresh-machine: could not unmount $mount" >&2
  done
  if ((keep)); then
    echo "fresh-machine: kept $run_dir (sudo chroot $run_dir bash -l; remove it with rm -rf --one-file-system)"
  elif [[ -d $run_dir ]]; then
    if grep -qF " $run_dir/" /proc/self/mountinfo; then
      echo "fresh-machine: something is still mounted under $run_dir: not removing it" >&2
    else
      rm -rf --one-file-system "$run_dir"
    fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -e $run_dir ]]; then
  if grep -qF " $run_dir/" /proc/self/mountinfo; then
    echo "fresh-machine: $run_dir is in use (mounts under it): is another run going on?" >&2
    trap - EXIT
    exit 1
  fi
  rm -rf --one-file-system "$run_dir"
fi

log "copying the pristine system to $run_dir"
timed "copy the pristine system" cp -a "$base" "$run_dir"

mount -t proc proc "$run_dir/proc" && mounted+=("$run_dir/proc")
mount --rbind /sys "$run_dir/sys" && mount --make-rslave "$run_dir/sys" && mounted+=("$run_dir/sys")
mount --rbind /dev "$run_dir/dev" && mount --make-rslave "$run_dir/dev" && mounted+=("$run_dir/dev")
cp -L /etc/resolv.conf "$run_dir/etc/resolv.conf"

in_chroot() {
  chroot "$run_dir" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

log "installing make, and nothing else (the README's first command is a make command)"
timed "apt-get install make" in_chroot bash -c \
  'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make >/dev/null'

log "cloning $repo (branch $branch) to /root/syslab"
timed "git clone" git clone --quiet --branch "$branch" "$repo" "$run_dir/root/syslab"
git -C "$run_dir/root/syslab" log -1 --format='   commit %h %s'

status=0
for cmd in "${run_cmds[@]}"; do
  log "in /root/syslab: $cmd"
  timed "$cmd" in_chroot bash -lc "cd /root/syslab && $cmd" || { status=$?; break; }
done

log "wall times"
printf '   %s\n' "${times[@]}"
exit "$status"

#!/usr/bin/env bash
# tests/tools/test_studentkit.sh: the student kit builds, checks and grades on its own.
#
# Builds the tarball with make student-kit, unpacks it in a temporary directory and proves there:
# no solutions (nor instructor material) inside; make grade works and shows lab 01 with 0 points;
# make check LAB=01 fails (the tests fail on the skeleton); make test refuses, naming the student
# kit. The kit's build holds lab 01 only (-Dlabs=01-getpid): one lab proves that the kit builds
# and grades on its own, and the other labs' learner side is the same build (make test builds it
# in the repository). Everything must be installed already (NO_INSTALL=1); every build goes to its
# own directory under the temporary one. KEEP=1 keeps that directory. Exit status 0 when every
# check passes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/syslab-kit-test.XXXXXX")
if [[ "${KEEP:-0}" == 0 ]]; then trap 'rm -rf "$work"' EXIT; else echo "# keeping $work"; fi
export NO_INSTALL=1
unset SYSLAB_BUILD BUILD

failures=0
ok() { printf 'ok - %s\n' "$1"; }
not_ok() {
  printf 'not ok - %s\n' "$1"
  if [[ -n "${2:-}" && -f "$2" ]]; then sed 's/^/#   /' "$2" | tail -n 30; fi
  failures=$((failures + 1))
}
# run NAME COMMAND...: runs it with its output in $work/NAME.out; sets $status
run() {
  local name=$1
  shift
  status=0
  "$@" >"$work/$name.out" 2>&1 </dev/null || status=$?
  out=$work/$name.out
}

# --- the tarball -------------------------------------------------------------------------------
run student-kit make -C "$root" --no-print-directory student-kit BUILD="$work/repo-build"
tarball=$work/repo-build/syslab-student-kit.tar.gz
if ((status == 0)) && [[ -f $tarball ]]; then
  ok "make student-kit writes \$BUILD/syslab-student-kit.tar.gz"
else
  not_ok "make student-kit writes \$BUILD/syslab-student-kit.tar.gz (exit $status)" "$out"
  echo "1..1"
  exit 1
fi
grep -q 'solutions/' "$out" && ok "make student-kit says what it left out" ||
  not_ok "make student-kit says what it left out" "$out"
grep -Eq '[0-9.]+ (bytes|KiB|MiB)' "$out" && ok "make student-kit says the tarball's size" ||
  not_ok "make student-kit says the tarball's size" "$out"

tops=$(tar tzf "$tarball" | cut -d/ -f1 | sort -u)
[[ "$tops" == syslab ]] && ok "everything is under syslab/" || not_ok "everything is under syslab/ (tops: $tops)"

tar xzf "$tarball" -C "$work"
kit=$work/syslab
for gone in solutions slides tools/demos .ci docs/authoring.md .fresh build; do
  [[ ! -e $kit/$gone ]] && ok "no $gone in the kit" || not_ok "no $gone in the kit"
done
for needed in Makefile meson.build meson_options.txt .clang-format tools/bootstrap.sh tools/syslab \
  labs/labs.txt labs/common tests/support tests/runner; do
  [[ -e $kit/$needed ]] && ok "$needed is in the kit" || not_ok "$needed is in the kit"
done
while read -r lab _; do
  [[ -z "$lab" || "$lab" == \#* ]] && continue
  [[ -f $kit/labs/$lab/meson.build && -d $kit/tests/$lab ]] && ok "lab $lab and its tests are in the kit" ||
    not_ok "lab $lab and its tests are in the kit"
done <"$kit/labs/labs.txt"
if grep -rlE '(//|#) (BEGIN|END) SOLUTION' "$kit/labs" "$kit/tests" >"$work/markers.out"; then
  not_ok "no solution region in the kit" "$work/markers.out"
else
  ok "no solution region in the kit"
fi

# --- make grade, check, test in the kit --------------------------------------------------------
kit_build=$work/kit-build
run setup meson setup "$kit" "$kit_build" -Dlabs=01-getpid
if ((status == 0)); then ok "meson configures the kit (lab 01 only)"; else not_ok "meson configures the kit (exit $status)" "$out"; fi
run grade make -C "$kit" --no-print-directory grade BUILD="$kit_build"
if ((status == 0)); then ok "make grade exits 0 in the kit"; else not_ok "make grade exits 0 in the kit (exit $status)" "$out"; fi
# The lab 01 row: its number and 0 points ("0/7", "0 / 7" or "0 of 7").
if grep -E '(^|[^0-9])01([^0-9]|$)|getpid' "$out" | grep -Eq '(^|[^0-9.])0 ?(/|of) ?[0-9]+'; then
  ok "make grade shows lab 01 with 0 points"
else
  not_ok "make grade shows lab 01 with 0 points" "$out"
fi
grep -q 'this build holds labs 01 only' "$out" && ok "make grade says which labs the build holds" ||
  not_ok "make grade says which labs the build holds" "$out"
grep -q 'building the labs \[' "$out" && ok "make grade shows its build's progress" ||
  not_ok "make grade shows its build's progress" "$out"
[[ -x $kit_build/tests/tests-01-getpid-learner ]] && ok "the learner side is built" ||
  not_ok "the learner side is built ($kit_build/tests/tests-01-getpid-learner)"
if compgen -G "$kit_build/tests/tests-*-solution" >/dev/null; then
  not_ok "nothing of the solution side is built"
else
  ok "nothing of the solution side is built"
fi

run check make -C "$kit" --no-print-directory check LAB=01 BUILD="$kit_build"
if ((status != 0)); then ok "make check LAB=01 fails on the skeleton (exit $status)"; else not_ok "make check LAB=01 fails on the skeleton (it exited 0)" "$out"; fi
grep -q 'TODO' "$out" && ok "make check LAB=01 reports the TODO stubs" ||
  not_ok "make check LAB=01 reports the TODO stubs" "$out"

# REFERENCE= needs solutions/: refused with one sentence, and nothing of it kept in the build.
run reference make -C "$kit" --no-print-directory check LAB=01 REFERENCE=01 BUILD="$kit_build"
if ((status != 0)) && grep -q 'no solutions/ directory' "$out"; then
  ok "make check REFERENCE=01 is refused in the kit, saying why"
else
  not_ok "make check REFERENCE=01 is refused in the kit, saying why (exit $status)" "$out"
fi
kept=$(meson introspect --buildoptions "$kit_build" |
  python3 -c 'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "reference"][0])')
[[ "$kept" == "[]" ]] && ok "the refused REFERENCE= is not kept in the build" ||
  not_ok "the refused REFERENCE= is not kept in the build (reference = $kept)"

run test make -C "$kit" --no-print-directory test BUILD="$kit_build"
if ((status != 0)); then ok "make test fails in the kit (exit $status)"; else not_ok "make test fails in the kit (it exited 0)" "$out"; fi
grep -qi 'student kit' "$out" && ok "make test says that this is a student kit" ||
  not_ok "make test says that this is a student kit" "$out"

[[ ! -e $kit/solutions && ! -e $kit/.fresh ]] && ok "the kit still has no solutions/ nor .fresh/ afterwards" ||
  not_ok "the kit still has no solutions/ nor .fresh/ afterwards"

if ((failures)); then
  echo "# $failures check(s) failed"
  exit 1
fi
echo "# the student kit builds, checks and grades on its own"

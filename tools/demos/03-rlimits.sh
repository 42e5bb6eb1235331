#!/usr/bin/env bash
# Lab 03's live demo: soft and hard limits, inherited across exec, EMFILE counted, SIGXFSZ, and
# a hard limit that cannot come back. Run it with: make demo LAB=03
source "$SYSLAB_ROOT/tools/demos/lib.sh"

say "Every process carries two limits per resource: the kernel enforces the soft one, the hard one
is the ceiling. limits prints them all, as prlimit and ulimit -a do."

step "Every limit of this process" \
  "soft and hard per resource; 'unlimited' is RLIM_INFINITY; sizes in bytes, not ulimit's blocks" \
  "$DEMO_BIN/limits"

step "The kernel's own view" \
  "the same numbers: /proc/PID/limits is readable by anyone, for any process" \
  cat /proc/self/limits

say "A shell's ulimit changes the shell itself; every program it starts inherits the limit."

step_sh "A limit set by the shell, seen by its child" \
  "NOFILE soft is 10 now; the hard limit did not move" \
  'ulimit -Sn 10; "$DEMO_BIN/limits" | grep -E "^(RESOURCE|NOFILE)"'

step "Run one command under a limit: setrlimit, then execvp" \
  "ls shows 0 1 2 3: stdin, stdout, stderr, and the directory it is reading" \
  "$DEMO_BIN/limits" --nofile 5 -- ls /proc/self/fd

say "RLIMIT_NOFILE bounds fd numbers: open(2) takes the lowest free number below the soft limit,
and fails with EMFILE when there is none."

step "EMFILE on purpose, with the soft limit at 10" \
  "0, 1 and 2 were open: 7 more fit, the last one is fd 9; then EMFILE, and all 7 are closed" \
  "$DEMO_BIN/limits" --emfile 10

step_sh "The same with two more fds open (3 and 5)" \
  "5 were open below the limit: only 5 more, filling the hole at 4 first; the last is still fd 9" \
  '"$DEMO_BIN/limits" --emfile 10 3</dev/null 5</dev/null'

say "RLIMIT_FSIZE: a write past it raises SIGXFSZ, which kills by default."

step_sh "dd under a 1000-byte file size limit" \
  "exit status 153 = 128 + 25, and signal 25 is SIGXFSZ; the first 1000 bytes were written" \
  'status=0
   "$DEMO_BIN/limits" --fsize 1000 -- dd if=/dev/zero of="$DEMO_TMP/x" bs=4k count=1 || status=$?
   echo "exit status $status = 128 + $((status - 128)): SIG$(kill -l $((status - 128)))"
   ls -l "$DEMO_TMP/x"'

step_sh "The same with SIGXFSZ ignored (an ignored signal stays ignored across exec)" \
  "no signal now: the write fails with EFBIG, and dd says File too large" \
  'trap "" XFSZ
   "$DEMO_BIN/limits" --fsize 1000 -- dd if=/dev/zero of="$DEMO_TMP/y" bs=4k count=1 \
     || echo "exit status $?"'

say "Anyone may lower a hard limit, but raising it needs CAP_SYS_RESOURCE. As root, the demo
becomes uid 65534 first (setpriv), which drops every capability."

step_sh "Lower the hard limit, then try to raise it again" \
  "the lowering works; the raise fails: Operation not permitted, for good in this process" \
  'as_nobody=()
   if [[ $(id -u) == 0 ]]; then as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
   "${as_nobody[@]}" bash -c "ulimit -n 100; echo soft/hard now \$(ulimit -Sn)/\$(ulimit -Hn)
                              ulimit -Hn 200 || echo hard still \$(ulimit -Hn)"'

step_sh "Another process's limits, with prlimit(2)" \
  "the same table for the pid of this shell; prlimit(1) agrees" \
  '"$DEMO_BIN/limits" --pid $$ | grep -E "^(RESOURCE|NOFILE|CORE)"
   if command -v prlimit >/dev/null; then prlimit --pid $$ --nofile --core; fi'

step_sh "Mistakes: a bad value, a command that does not exist" \
  "exit 2 with the usage; exit 127 with the reason" \
  'status=0
   "$DEMO_BIN/limits" --nofile lots -- true 2>"$DEMO_TMP/err" || status=$?
   head -n 2 "$DEMO_TMP/err"; echo "exit status $status"
   status=0
   "$DEMO_BIN/limits" --nofile 50 -- no-such-command || status=$?
   echo "exit status $status"'

say "Next: lab 11 calls raise_nofile_soft_limit() to hold 10,000 connections; lab 10 first hits
select's FD_SETSIZE wall at fd 1024."

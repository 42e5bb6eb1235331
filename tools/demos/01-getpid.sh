# Lab 01 live demo: who am I? Run with `make demo LAB=01`; each step shows the command, waits for
# Enter in a terminal, runs it, and says what to look at. Uses the reference whoami in $DEMO_BIN.
source "$SYSLAB_ROOT/tools/demos/lib.sh"

whoami_bin="$DEMO_BIN/whoami"
export whoami_bin

say "Lab 01: who am I? Every process has a pid, a parent, a process group, a session, a name and
three user ids. whoami asks the kernel for its own with system calls, and reads any other
process from /proc, as ps does."

step "whoami: this process, from getpid, getppid, getpgrp, getsid, getresuid, getresgid" \
  "ppid is the shell that runs this demo; real, effective and saved ids are all the same" \
  "$whoami_bin"

step "cat /proc/self/stat: the kernel's view; 'self' is whichever process opens it, here cat" \
  "field 1 is cat's pid, (cat) its comm, then state, ppid, pgrp, session" \
  cat /proc/self/stat

step_sh "this demo's shell (pid $$), as /proc shows it to anyone" \
  "fields 1, 4, 5, 6: pid, ppid, pgrp, session; Uid: and Gid: list real, effective, saved, fs" \
  "cat /proc/$$/stat; grep -E '^(Uid|Gid):' /proc/$$/status"

step "the same shell through whoami --pid: read_proc_identity parses those two files" \
  "pid, ppid, pgid and sid match the stat line field by field; the ids match Uid: and Gid:" \
  "$whoami_bin" --pid $$

step "whoami --tree: follow ppid up to the process whose parent is 0" \
  "each row's PPID is the PID of the row above; where does SID change? that process called setsid" \
  "$whoami_bin" --tree

step_sh "ps agrees: every process of this session, as a forest" \
  "the same pids, groups and session as whoami --tree" \
  'sid=$("$whoami_bin" | awk '"'"'$1 == "sid" { print $2 }'"'"'); ps -o pid,ppid,pgid,sid,comm --forest --sid "$sid"'

step_sh "pipelines are process groups: a shell with job control (set -m) gives each job its own" \
  "first line pair: whoami leads its group (pgid == pid); second: true leads it, whoami joins" \
  'set -m; "$whoami_bin" | grep -E "^(pid|pgid) "; true | "$whoami_bin" | grep -E "^(pid|pgid) "'

step "setsid: a new session and a new process group, both numbered with the caller's pid" \
  "sid == pgid == pid: this whoami left the demo's session (daemons do this)" \
  setsid "$whoami_bin"

if [[ $EUID -eq 0 ]] && command -v setpriv >/dev/null; then
  step_sh "three uids: a set-user-ID copy of whoami, owned by root, run by nobody" \
    "ruid is nobody (who ran it); euid and suid are root (the file's owner): what passwd and sudo rely on" \
    'chmod 755 "$DEMO_TMP"; cp "$whoami_bin" "$DEMO_TMP/suid-whoami"; chmod 4755 "$DEMO_TMP/suid-whoami"
ls -l "$DEMO_TMP/suid-whoami"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$DEMO_TMP/suid-whoami" | grep -E "^[res]uid "'
else
  say "(Skipped: the set-user-ID step needs root. Try it from the handout's experiment 5.)"
fi

step_sh "a pid that no process has: /proc/PID does not exist" \
  "the message names the file and errno (ENOENT); the exit status is 1, not 0" \
  'missing=$(cat /proc/sys/kernel/pid_max); status=0; "$whoami_bin" --pid "$missing" 2>&1 || status=$?; echo "exit status: $status"'

say "Now write it yourself: make check LAB=01, and make hint LAB=01 when stuck."

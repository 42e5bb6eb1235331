# Lab 06, the live demo: a supervisor that restarts a crashing command with back-off, keeps it
# in a process group of its own, forwards SIGTERM to the whole group, escalates when the command
# will not stop, and the system calls behind it (a signal mask, a signalfd, poll, a WNOHANG loop).
# Run it with: make demo LAB=06
source "$SYSLAB_ROOT/tools/demos/lib.sh"

SUPERVISOR="$DEMO_BIN/supervisor"
cd "$DEMO_TMP"  # a crashing child may leave a core file: here, not in the repository

say "supervisor runs a command and restarts it when it fails, waiting twice as long each time.
The command here says which run it is, then kills itself with SIGSEGV."

step_sh "A command that keeps crashing: three restarts, then give up" \
  "each exit decoded ('killed by SIGSEGV'); 'restarting in 100 ms', 200, 400; 'giving up'; exit status 1" \
  "'$SUPERVISOR' --restarts 3 --backoff-ms 100 -- sh -c 'ulimit -c 0; echo \"run as pid \$\$\"; kill -SEGV \$\$' 2>&1 \\
     || echo \"supervisor exit status \$?\""

say "Now a command that starts two children of its own. The supervisor runs it in a new process
group; we start the supervisor in the background and look at the tree."

step_sh "Start it in the background; wait until the command runs" \
  "the command's pid is the pgid of the command and of both sleeps; the supervisor is in another group" \
  "'$SUPERVISOR' -- sh -c 'sleep 300 & sleep 300 & echo ready; wait' >out 2>err &
   echo \$! > supervisor.pid
   for _ in \$(seq 100); do grep -q ready out && break; sleep 0.1; done
   SUP=\$(cat supervisor.pid); CHILD=\$(pgrep -P \$SUP)
   ps -o pid,ppid,pgid,stat,args -p \"\$SUP,\$(pgrep -d, -g \$CHILD)\""
SUPERVISOR_PID=$(cat "$DEMO_TMP/supervisor.pid")
DEMO_PIDS+=("$SUPERVISOR_PID")  # stopped at the end of the demo, should a step fail

say "The supervisor blocks SIGINT, SIGTERM and SIGCHLD and reads them from a signalfd. The
kernel shows its signal masks in /proc, one bit per signal (bit n-1 for signal n)."

step "Its signal masks" \
  "SigBlk: 0000000000014002 = bits 1, 14, 16 = SIGINT (2), SIGTERM (15), SIGCHLD (17); SigIgn 6: SIGINT and SIGQUIT, which a script ignores in a background job (blocked, they still reach the signalfd)" \
  grep Sig "/proc/$SUPERVISOR_PID/status"

step_sh "kill -TERM the supervisor; it forwards SIGTERM to the child's group" \
  "'forwarding it to group N', 'killed by SIGTERM; stopped'; no process left in the group" \
  "CHILD=\$(pgrep -P $SUPERVISOR_PID)
   kill -TERM $SUPERVISOR_PID
   for _ in \$(seq 100); do kill -0 $SUPERVISOR_PID 2>/dev/null || break; sleep 0.1; done
   cat err
   pgrep -g \$CHILD || echo \"group \$CHILD is empty\""

say "A command that ignores SIGTERM: the forwarded signal does nothing, so when the grace period
is over the supervisor sends SIGKILL to the group. A second SIGTERM would do the same at once."

step_sh "A command that ignores SIGTERM, with --grace-ms 1000" \
  "'the grace period (1000 ms) is over; killing group N', 'killed by SIGKILL'; exit status 1" \
  "'$SUPERVISOR' --grace-ms 1000 -- sh -c \"trap '' TERM; echo ready; exec sleep 300\" >out 2>err &
   SUP=\$!
   for _ in \$(seq 100); do grep -q ready out && break; sleep 0.1; done
   kill -TERM \$SUP
   status=0; wait \$SUP || status=\$?
   cat err; echo \"supervisor exit status \$status\""

if command -v strace >/dev/null; then
  # LeakSanitizer cannot run under ptrace: turn it off for this one run.
  step_sh "The system calls: the mask, the signalfd, poll as the back-off, the WNOHANG loop" \
    "rt_sigprocmask(SIG_BLOCK, [INT TERM CHLD]); signalfd4; poll(..., 100) = 0 (Timeout); wait4(-1, ..., WNOHANG) until ECHILD" \
    "ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=rt_sigprocmask,signalfd4,poll,wait4,kill \\
       '$SUPERVISOR' --restarts 1 --backoff-ms 100 -- sh -c 'ulimit -c 0; kill -SEGV \$\$' 2>&1 \\
       | grep -E 'SIG_BLOCK|signalfd4|poll|wait4|kill\\(|supervisor:' || true"
else
  say "(strace is not installed: apt-get install strace shows rt_sigprocmask, signalfd4, poll and wait4)"
fi

say "Try it yourself: supervisor -- sleep 100 in a terminal, then Ctrl-C. The terminal sends
SIGINT to its foreground group, the supervisor's; the supervisor forwards it to the child's."

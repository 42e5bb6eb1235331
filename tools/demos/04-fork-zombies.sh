# Lab 04, the live demo: zombies made, seen in /proc and reaped; a parent that never waits; an
# orphan re-parented to a subreaper; fork + exec with the exec's errno reported back; and the
# system calls behind it all. Run it with: make demo LAB=04
source "$SYSLAB_ROOT/tools/demos/lib.sh"

ZOMBIES="$DEMO_BIN/zombies"

say "A process that ends is not gone: it stays a zombie (state Z) until its parent waits for it.
zombies forks children that exit at once, waits until they have ended WITHOUT reaping them
(waitid with WNOWAIT), shows them from /proc, then reaps them one by one with waitpid."

step "Make three zombies, look at them, reap them" \
  "state Z and PPID = zombies's pid in step 2; 'exited 1/2/3' as each is reaped; no children left" \
  "$ZOMBIES" --count 3

say "Now a parent that never waits. bash starts 'sleep 0.1' in the background, then execs
'sleep 60': the same process, now a program that never calls wait. We look from outside with ps."

background bash -c 'sleep 0.1 & exec sleep 60'
NEGLECTFUL=${DEMO_PIDS[-1]}
step_sh "ps, once the child has ended (polled for up to 5 s)" \
  "the child: STAT Z, [sleep] <defunct>, its PPID the sleep 60 that will never reap it" \
  "for _ in \$(seq 50); do ps -o stat= --ppid $NEGLECTFUL | grep -q Z && break; sleep 0.1; done
   ps -o pid,ppid,stat,args --ppid $NEGLECTFUL"

say "When its parent dies, PID 1 (or the nearest subreaper) adopts the zombie and reaps it.
Orphans that are still running are adopted the same way."

step "An orphan, without and then with a subreaper" \
  "step 5: the grandchild's new parent is PID 1 or an ancestor subreaper; step 6: zombies itself, which reaps it" \
  "$ZOMBIES" --count 1 --orphan

say "fork + exec: execve returns only when it fails, and then only in the child. spawn's child
reports the errno through a close-on-exec pipe; end of file means the exec worked."

step_sh "spawn a program that exits with 3" \
  "'exited 3': the status decoded from waitpid" \
  "'$ZOMBIES' --spawn sh -c 'echo hello from the child; exit 3'"

step_sh "spawn a program that kills itself with SIGSEGV (in the scratch directory: no core here)" \
  "'killed by SIGSEGV' (plus '(core dumped)' where ulimit -c allows a core)" \
  "cd '$DEMO_TMP' && '$ZOMBIES' --spawn sh -c 'kill -SEGV \$\$'"

step_sh "spawn a program that does not exist" \
  "exec \"no-such-program\": No such file or directory (ENOENT), from the child's errno; exit status 1" \
  "'$ZOMBIES' --spawn no-such-program || echo \"exit status \$?\""

if command -v strace >/dev/null; then
  # LeakSanitizer cannot run under ptrace: turn it off for this one run.
  step_sh "The system calls: fork is clone, _exit is exit_group, wait is waitid and wait4" \
    "a clone per child; each child's exit_group; waitid(..., WNOWAIT) leaves the zombie, wait4 reaps it" \
    "ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=clone,clone3,execve,wait4,waitid,exit_group '$ZOMBIES' --count 2 2>&1 >/dev/null | grep -E 'clone|execve|wait4|waitid|exit_group'"
else
  say "(strace is not installed: apt-get install strace shows the clone, wait4 and exit_group calls)"
fi

say "Try it yourself: zombies --count 3 --step in one terminal, and ps -o pid,ppid,stat,comm
--ppid PID in another between the steps."

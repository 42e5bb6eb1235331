# Lab 05, the live demo: pipelines run by the pipeline program, SIGPIPE and EPIPE, the closes seen
# with strace and /proc, a write end leaked by a shell, and the deadlock of capturing two pipes.
# Run it with: make demo LAB=05
source "$SYSLAB_ROOT/tools/demos/lib.sh"

PIPELINE="$DEMO_BIN/pipeline"
# LeakSanitizer cannot run under ptrace (strace): the reference programs are built with ASan.
export ASAN_OPTIONS=detect_leaks=0

say "A pipe is a buffer in the kernel with a read end and a write end. pipeline runs each
argument as one command, connected like a shell's a | b | c."

step "How much does a pipe hold?" \
  "65536: 16 pages; fcntl F_SETPIPE_SZ can change it, up to /proc/sys/fs/pipe-max-size" \
  python3 -c 'import os, fcntl; r, w = os.pipe(); print(fcntl.fcntl(w, fcntl.F_GETPIPE_SZ))'

step "Three commands, two pipes" \
  "a: printf's lines went through sort, and head kept the first" \
  "$PIPELINE" 'printf "b\na\nc\n"' sort 'head -1'

say "yes never stops by itself. It ends because head exits: the pipe then has no reader, and
yes's next write raises SIGPIPE, whose default action kills it."

step "yes | head -1, with each stage's status" \
  "PIPESTATUS: 141 0 on stderr: 141 is 128 + 13, killed by SIGPIPE; the exit status is head's, 0" \
  "$PIPELINE" --status yes 'head -1'

step_sh "The same in bash" \
  "the same two numbers" \
  'set +o pipefail; yes | head -1; echo "PIPESTATUS: ${PIPESTATUS[*]}"'

step_sh "With --pipefail the exit status is the last non-zero one" \
  "exit status 141, as bash gives with set -o pipefail" \
  "'$PIPELINE' --pipefail yes 'head -1' || echo \"exit status \$?\""

say "An ignored signal is inherited across exec. A parent that ignores SIGPIPE hands that on,
and yes then gets EPIPE from write instead of dying."

step_sh "bash, with SIGPIPE ignored" \
  "yes: standard output: Broken pipe — that is EPIPE; yes exits 1 by itself" \
  'set +o pipefail; trap "" PIPE; yes | head -1; echo "PIPESTATUS: ${PIPESTATUS[*]}"'

step_sh "pipeline, with SIGPIPE ignored in the shell that starts it" \
  "141 0 again: spawn resets every signal to SIG_DFL in the child, as a shell does" \
  "trap '' PIPE; '$PIPELINE' --status yes 'head -1'"

if command -v strace >/dev/null; then
  say "The closes, under strace. Lines that start with the parent's pid are the pipeline
program; the others are its children. Each spawn makes a second pipe: lab 04's exec report."
  step_sh "strace -f -e trace=pipe2,dup2,close,execve pipeline ls 'wc -l'" \
    "pipe2 [3, 4] is ls → wc; the child dup2s its copy onto 1 and execs ls; right after, the parent closes 4 (the write end), and after wc's spawn 3 (the read end)" \
    "strace -f -qq -e trace=pipe2,dup2,close,execve -e status=successful -e signal=none -o '$DEMO_TMP/trace' '$PIPELINE' ls 'wc -l'; awk 'NR == 1 { parent = \$1 } /pipe2/ { on = 1 } on && (\$1 == parent || /dup2|execve/)' '$DEMO_TMP/trace'"
else
  say "(strace is not installed: apt-get install strace shows the pipe2, dup2 and close calls)"
fi

say "A pipeline that waits: sleep holds the write end of the pipe that cat reads. Let us look at
every fd table from /proc."

background "$PIPELINE" --status 'sleep 30' cat
PIPELINE_PID=${DEMO_PIDS[-1]}
for _ in $(seq 100); do  # until both stages have been started (spawn returns after exec)
  [[ -n "$(pgrep -P "$PIPELINE_PID" -x cat)" ]] && break
  sleep 0.05
done

step_sh "ls -l /proc/PID/fd of the parent and of each stage" \
  "sleep: 1 -> pipe:[N]; cat: 0 -> the same pipe:[N], once each; the parent holds no end of it" \
  "for pid in $PIPELINE_PID \$(pgrep -P $PIPELINE_PID); do echo \"== \$pid \$(cat /proc/\$pid/comm)\"; ls -l /proc/\$pid/fd | awk 'NR > 1 { print \"   \", \$(NF - 2), \$(NF - 1), \$NF }'; done"

# Kills the sleep stage, then waits for the pipeline, which prints its PIPESTATUS as it ends.
kill_sleep_and_wait() {
  kill "$(pgrep -P "$PIPELINE_PID" -x sleep)"
  wait "$PIPELINE_PID" || true
}
step "Kill sleep (kill \$(pgrep -P PID -x sleep)): its write end, the last one, closes" \
  "cat reads EOF and exits, the pipeline ends: PIPESTATUS: 143 0 (sleep killed by SIGTERM)" \
  kill_sleep_and_wait

say "A write end leaked by accident: sh starts a background job, which inherits sh's stdout,
the write end of the pipe. cat sees EOF only when that job, too, has closed it."

step_sh "sh is done at once, but the pipeline takes 2 seconds" \
  "real 2.0 s: cat waited for the background sleep, which held the write end" \
  "time '$PIPELINE' 'sh -c \"sleep 2 & echo started\"' cat"

step_sh "The same with the job's stdout sent elsewhere" \
  "real 0.0 s: nobody else holds the write end" \
  "time '$PIPELINE' 'sh -c \"sleep 2 >/dev/null & echo started\"' cat"

say "Capturing stdout and stderr through two pipes: read one to its end, and the child fills the
other and waits for you, while you wait for it. Here is Python's Popen, used the wrong way."

step_sh "Read stdout to the end while the child writes 1 MB to stderr" \
  "exit status 124: timeout had to kill it after 3 s; it was deadlocked" \
  "timeout 3 python3 -c 'import subprocess as s; p = s.Popen([\"sh\", \"-c\", \"head -c 1000000 /dev/zero >&2; echo done\"], stdout=s.PIPE, stderr=s.PIPE); print(len(p.stdout.read()))' || echo \"exit status \$?\""

step_sh "communicate() waits for both at once" \
  "5 bytes on stdout, 1000000 on stderr: what capture() does with poll(2)" \
  "python3 -c 'import subprocess as s; out, err = s.Popen([\"sh\", \"-c\", \"head -c 1000000 /dev/zero >&2; echo done\"], stdout=s.PIPE, stderr=s.PIPE).communicate(); print(len(out), len(err))'"

say "The tests run all of this against your code, with a deadline on every wait: make check LAB=05."

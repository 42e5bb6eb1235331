# Lab 02, the live demo: a process's fd table seen with fdls, the offset a dup shares,
# close-on-exec, and copy's system calls and errors. Run it with: make demo LAB=02
source "$SYSLAB_ROOT/tools/demos/lib.sh"

FDLS="$DEMO_BIN/fdls"
COPY="$DEMO_BIN/copy"
NOTES="$DEMO_TMP/notes.txt"
printf 'line one\nline two\nline three\n' > "$NOTES"

say "A file descriptor is an index into this process's fd table. fdls prints that table from
/proc/self/fd (where each fd points) and /proc/self/fdinfo (its offset and flags)."

step "What a program inherits from the shell" \
  "0, 1 and 2, opened by whoever started us; none has O_CLOEXEC, or they would not be here" \
  "$FDLS"

step_sh "Redirections are fds the shell opens for the child" \
  "fd 3 is O_RDONLY at offset 0, fd 4 is O_WRONLY|O_APPEND: the flags of open(2), kept in the open file description" \
  "'$FDLS' 3<'$NOTES' 4>>'$DEMO_TMP/log'"

say "dup gives a second number for the same open file description: one offset for both."

step_sh "Read 5 bytes through a dup, then look at the offset" \
  "dd read from its stdin, a dup of fd 3; fd 3's offset moved to 5 with it (pos column)" \
  "exec 3<'$NOTES'; dd bs=1 count=5 <&3 2>/dev/null; echo; '$FDLS' | grep -E 'FD|notes'"

step_sh "In a pipeline, 0 and 1 are pipes" \
  "fd 0 is the read end of one pipe:[...], fd 1 the write end of another" \
  "echo hello | '$FDLS' | cat"

say "Any process's table can be read, if it is ours: here a background sleep holding notes.txt."

background sleep 60 3<"$NOTES"
step "fdls PID: another process's fd table" \
  "fd 3 -> notes.txt in the sleep process, exactly as ls -l /proc/PID/fd shows it" \
  "$FDLS" "${DEMO_PIDS[-1]}"

say "copy opens SRC and DST with O_CLOEXEC, reads chunks with read_some, writes each with
write_all, and closes each fd exactly once, on every path, because UniqueFd does it."

if command -v strace >/dev/null; then
  # LeakSanitizer cannot run under ptrace: turn it off for this one run.
  step_sh "copy under strace, only the calls on our two files" \
    "openat with O_CLOEXEC, one read and one write per chunk, close(4) and close(3) once each" \
    "ASAN_OPTIONS=detect_leaks=0 strace -P '$NOTES' -P '$DEMO_TMP/copy.txt' '$COPY' '$NOTES' '$DEMO_TMP/copy.txt' 2>&1 | grep -v -E '^\\+\\+\\+|newfstatat'"
else
  say "(strace is not installed: apt-get install strace shows the system calls of copy)"
  step "copy a file" "no output: it worked" "$COPY" "$NOTES" "$DEMO_TMP/copy.txt"
fi
step "The copy is byte for byte the same" "cmp says nothing and exits 0" \
  cmp "$NOTES" "$DEMO_TMP/copy.txt"

step_sh "3 MiB into a pipe that holds 64 KiB at a time" \
  "3145728: every byte arrived, however the writes were cut up on the way" \
  "head -c 3145728 /dev/urandom > '$DEMO_TMP/big'; '$COPY' '$DEMO_TMP/big' /dev/stdout | wc -c"

say "Errors name the call and the file, and the exit status is 1."

step_sh "Errors: a missing file, a directory, a full disk" \
  "open ... (ENOENT), read ... (EISDIR), write ... (ENOSPC): the call, the file, errno's name" \
  "'$COPY' nope '$DEMO_TMP/x' 2>&1 || echo \"  exit status \$?\"
'$COPY' /tmp '$DEMO_TMP/x' 2>&1 || echo \"  exit status \$?\"
'$COPY' '$NOTES' /dev/full 2>&1 || echo \"  exit status \$?\""

// The echo servers' shared suite (labs 07-11). Every echo server answers to one interface:
//   PROGRAM [--host H] [--port P] [--model=M]
// prints "listening on ADDRESS:PORT" on stdout once it listens (the real port for port 0), echoes
// every byte of every client, and on SIGTERM stops accepting, finishes its open connections and
// exits 0. The checks below take the server's command line, start it with ServerProcess on port 0,
// and prove one property each through sockets and /proc; a lab's SYSLAB_TEST calls the ones that
// apply to its model. Every blocking step has a deadline; nothing sleeps to synchronise.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "syslab/echo_client.hpp"
#include "syslab/server_process.hpp"

namespace syslab::test::echo {

// ---- the checks, parametrised by the server's command line (without --port) -------------------

// Bytes come back exactly: a short line; 100 003 bytes sent in pieces of odd sizes (1, 2, 3, 7 ...)
// with TCP_NODELAY, so that the server's reads split at odd boundaries; 16 MiB sent and read at
// once; and a connection that closes without a byte.
void check_echo_exact(const std::vector<std::string>& server);

// Opens n connections first, then writes on the last one first: each must be echoed within a
// deadline. A server that serves one connection at a time is stuck on the first: it cannot pass.
void check_concurrent_reverse_order(const std::vector<std::string>& server, int n = 8);

// One client sends without ever reading until every buffer is full (the server's write to it
// blocks, mid-message); three other clients must still be echoed.
void check_stalled_client_does_not_block_others(const std::vector<std::string>& server);

// A client that resets mid-stream (SO_LINGER 0) while the server writes to it, one that resets
// while the server waits to read (its echo all read: the reset reaches a read, ECONNRESET), one
// that closes while the server is writing to it, and one that leaves with its echo unread: the
// server survives (no SIGPIPE death, no exception out of a read), goes on serving, and its fd
// count comes back to where it was.
void check_reset_and_disconnect_mid_stream(const std::vector<std::string>& server);

// Half-close: a client sends without reading until the server
// holds tens of KiB of echo in its own memory (its socket's buffers and ours full; seen in
// /proc/net/tcp and with SIOCINQ), shuts down its sending side, lets the server read that EOF,
// and only then reads, in small pieces. Every byte must come back before the server closes: a
// server that closes at EOF (or drops its output buffer there) loses the tail.
void check_half_close_returns_every_byte(const std::vector<std::string>& server);

// The busy-loop check: the CPU time (utime + stime in /proc/PID/stat, in clock ticks) a process
// uses over a fixed window of one second while it has nothing to do, and how often one of its
// threads is runnable (state R in /proc/PID/task/TID/stat, looked at every 10 ms). A process
// asleep in poll, epoll_wait or accept uses next to none of the window and is never runnable; one
// in a busy loop uses all the scheduler gives it (a second's worth on an idle machine) and is
// runnable at nearly every look, however loaded the machine. It fails past a tenth of the ticks
// or half of the looks. It measures how much, never how fast. `what`: what the server was doing.
// True when it stayed idle (else a failure is added).
bool expect_idle_cpu(pid_t pid, std::string_view what);

// A client sends without reading until the server holds tens of KiB
// of echo it cannot write yet (so it waits for the socket to become writable), then reads the
// whole echo and stays connected, idle. The server has nothing left to do: it must not use the
// CPU (a level-triggered server that still watches the drained socket for writing is woken again
// at once, forever).
void check_idle_after_a_stall_does_not_spin(const std::vector<std::string>& server);

// SIGTERM with a connection open: the server stops accepting (a new connect is refused within a
// deadline), the open connection still gets its echo, and once it closes the server exits 0;
// no child process it had is left.
void check_graceful_stop(const std::vector<std::string>& server);

// For the iterative model: while a first client is connected and idle, a second client's bytes
// are not echoed; once the first leaves, they are. The negative part looks for 300 ms. That wait
// asserts order, not speed: a concurrent server echoes in well under a millisecond on loopback,
// and a slower machine can only make a concurrent server look sequential (the check then passes
// where it should not), never make a sequential server fail it.
void check_serialises(const std::vector<std::string>& server);

}  // namespace syslab::test::echo

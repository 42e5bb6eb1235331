// The echo servers' shared suite (labs 07-11). Every echo server answers to one interface:
//   PROGRAM [--host H] [--port P] [--model=M]
// prints "listening on ADDRESS:PORT" on stdout once it listens (the real port for port 0), echoes
// every byte of every client, and on SIGTERM stops accepting, finishes its open connections and
// exits 0. The checks below take the server's command line, start it with ServerProcess on port 0,
// and prove one property each through sockets and /proc; a lab's SYSLAB_TEST calls the ones that
// apply to its model. Every blocking step has a deadline; nothing sleeps to synchronise.
#pragma once

#include <string>
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

// A client that resets mid-stream (SO_LINGER 0), one that closes while the server is writing to
// it, and one that leaves with its echo unread: the server survives (no SIGPIPE death), goes on
// serving, and its fd count comes back to where it was.
void check_reset_and_disconnect_mid_stream(const std::vector<std::string>& server);

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

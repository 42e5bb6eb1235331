// Lab 07 tests: the socket pieces in this process. Listening on port 0, SO_REUSEADDR while an old
// connection is in TIME_WAIT (seen in /proc/net/tcp), IPv6 on ::1, close-on-exec everywhere, and
// getaddrinfo errors that name the host.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "socket.hpp"
#include "syslab/error.hpp"
#include "syslab/faults.hpp"  // without_faults: the test's own one-byte checks
#include "syslab/proc.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;

namespace {

bool cloexec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

// A connected pair over loopback: the client from connect_tcp, the server side from try_accept.
struct TcpPair {
  net::Socket client;
  net::Socket server;
};
TcpPair connect_pair(net::Listener& listener, const std::string& host) {
  net::Socket client = net::connect_tcp(host, listener.local_port());
  std::optional<net::Socket> server;
  const Deadline deadline(5s);
  while (!server && !deadline.expired()) server = listener.try_accept();
  if (!server) throw std::runtime_error("accept: nothing came within 5 s");
  return {std::move(client), std::move(*server)};
}

// True when /proc/net/tcp lists a socket with local port `port` in TIME_WAIT.
bool time_wait_on(std::uint16_t port) {
  const std::vector<TcpSocket> sockets = tcp_sockets();
  return std::any_of(sockets.begin(), sockets.end(), [&](const TcpSocket& socket) {
    return socket.local_port == port && socket.state == kTcpTimeWait;
  });
}

bool has_ipv6_loopback() {
  try {
    return read_file("/proc/net/if_inet6").find("00000000000000000000000000000001") !=
           std::string::npos;
  } catch (const std::system_error&) {
    return false;  // no IPv6 in this kernel at all
  }
}

}  // namespace

SYSLAB_TEST(Listen, PortZeroReportsTheRealPort, 2,
            "listen_tcp: getaddrinfo(3) with AI_PASSIVE, then socket, bind, listen (see ip(7))",
            "port 0 asks the kernel to choose; getsockname(2) tells you which it chose",
            "local_port: getsockname into a sockaddr_storage, then ntohs(sin_port) or "
            "ntohs(sin6_port) by ss_family") {
  net::Listener listener = net::listen_tcp("127.0.0.1", 0);
  const std::uint16_t port = listener.local_port();
  EXPECT_NE(port, 0) << "port 0 means 'choose one': the listener must report the chosen port";
  EXPECT_EQ(net::local_address(listener.fd()), "127.0.0.1:" + std::to_string(port));
  TcpPair pair = connect_pair(listener, "127.0.0.1");
  EXPECT_EQ(net::local_port(pair.server.fd()), port)
      << "an accepted socket has the listener's port";
}

SYSLAB_TEST(Listen, ReuseAddressRestartsAtOnceDuringTimeWait, 3,
            "socket(7), SO_REUSEADDR: without it, bind fails with EADDRINUSE while any connection "
            "on the port is in TIME_WAIT (tcp(7)); the side that closes first gets TIME_WAIT",
            "set SO_REUSEADDR with setsockopt between socket and bind, and only when "
            "options.reuse_address",
            "setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), and check its result") {
  std::uint16_t port = 0;
  {
    net::Listener listener = net::listen_tcp("127.0.0.1", 0);
    port = listener.local_port();
    TcpPair pair = connect_pair(listener, "127.0.0.1");
    // The server closes first, like a server that restarts with clients connected: its side of
    // the connection goes to TIME_WAIT once the client's FIN arrives.
    { net::Socket closing = std::move(pair.server); }
    char byte;
    ASSERT_TRUE(wait_readable(pair.client.fd().get(), Deadline(5s)));
    ASSERT_EQ(without_faults([&] { return ::read(pair.client.fd().get(), &byte, 1); }), 0)
        << "the client should see EOF";
  }
  ASSERT_TRUE(poll_until(Deadline(5s), [port] { return time_wait_on(port); }))
      << "no TIME_WAIT socket on port " << port << " in /proc/net/tcp";

  try {
    net::ListenOptions no_reuse;
    no_reuse.reuse_address = false;
    (void)net::listen_tcp("127.0.0.1", port, no_reuse);
    ADD_FAILURE() << "without SO_REUSEADDR, bind should fail while port " << port
                  << " has a connection in TIME_WAIT (reuse_address = false must not set it)";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), EADDRINUSE) << error.what();
    EXPECT_NE(std::string(error.what()).find("bind"), std::string::npos)
        << "the error should name the call: " << error.what();
  }
  net::Listener again = net::listen_tcp("127.0.0.1", port);  // SO_REUSEADDR by default
  EXPECT_EQ(again.local_port(), port);
}

SYSLAB_TEST(
    Listen, Ipv6LoopbackWorks, 2,
    "ipv6(7): getaddrinfo(\"::1\") gives an AF_INET6 address; the same socket/bind/listen "
    "code serves it if you use ai_family, ai_socktype and ai_addr from the list",
    "do not hard-code AF_INET or sockaddr_in: socket(ai->ai_family, ...), bind(ai->ai_addr, "
    "ai->ai_addrlen)",
    "IPV6_V6ONLY (level IPPROTO_IPV6) only for AF_INET6, set from options.v6_only") {
  if (!has_ipv6_loopback())
    GTEST_SKIP() << "this machine has no IPv6 loopback (/proc/net/if_inet6)";
  net::Listener listener = net::listen_tcp("::1", 0);
  const std::uint16_t port = listener.local_port();
  EXPECT_NE(port, 0);
  EXPECT_EQ(net::local_address(listener.fd()), "[::1]:" + std::to_string(port));
  int v6only = 0;
  socklen_t length = sizeof v6only;
  ASSERT_EQ(::getsockopt(listener.fd().get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &length), 0);
  EXPECT_EQ(v6only, 1) << "ListenOptions::v6_only is true by default";

  TcpPair pair = connect_pair(listener, "::1");
  ASSERT_EQ(without_faults([&] { return ::write(pair.client.fd().get(), "6", 1); }), 1);
  char byte = 0;
  ASSERT_TRUE(wait_readable(pair.server.fd().get(), Deadline(5s)));
  EXPECT_EQ(without_faults([&] { return ::read(pair.server.fd().get(), &byte, 1); }), 1);
  EXPECT_EQ(byte, '6');
}

SYSLAB_TEST(Sockets, EveryFdIsCloseOnExec, 2,
            "a server that runs a program (lab 04) must not hand it the listening socket: "
            "create every fd close-on-exec in the same call",
            "socket(2): SOCK_CLOEXEC in the type; accept4(2): SOCK_CLOEXEC in the flags",
            "socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol); "
            "accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)") {
  net::Listener listener = net::listen_tcp("127.0.0.1", 0);
  EXPECT_TRUE(cloexec(listener.fd().get())) << "the listener";
  TcpPair pair = connect_pair(listener, "127.0.0.1");
  EXPECT_TRUE(cloexec(pair.client.fd().get())) << "the socket from connect_tcp";
  EXPECT_TRUE(cloexec(pair.server.fd().get())) << "the socket from try_accept";
}

SYSLAB_TEST(
    Resolve, ErrorsNameTheHost, 1,
    "getaddrinfo(3) returns its own error codes, not errno: gai_strerror turns them into text",
    "throw ResolveError(rc, host) when getaddrinfo returns non-zero",
    "both listen_tcp and connect_tcp resolve: give both the same helper") {
  for (const bool listening : {true, false}) {
    try {
      if (listening) {
        (void)net::listen_tcp("nosuch.invalid", 0);
      } else {
        (void)net::connect_tcp("nosuch.invalid", 7);
      }
      ADD_FAILURE() << "\"nosuch.invalid\" cannot resolve (RFC 2606), yet "
                    << (listening ? "listen_tcp" : "connect_tcp") << " did not throw";
    } catch (const net::ResolveError& error) {
      EXPECT_EQ(std::string(error.what()).rfind("getaddrinfo \"nosuch.invalid\": ", 0), 0U)
          << error.what();
    }
  }
}

SYSLAB_TEST(
    Resolve, ConnectRefusedNamesTheAddress, 1,
    "connect(2) to a port where nobody listens fails with ECONNREFUSED",
    "try each address getaddrinfo gives; when none accepts, throw the error of the last one",
    "syslab::errno_error(errno, \"connect\", address as text) builds the exception") {
  std::uint16_t port = 0;
  {
    net::Listener listener = net::listen_tcp("127.0.0.1", 0);
    port = listener.local_port();
  }  // closed: nobody listens on port now
  try {
    (void)net::connect_tcp("127.0.0.1", port);
    ADD_FAILURE() << "connect to a closed port should throw";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), ECONNREFUSED) << error.what();
    EXPECT_NE(std::string(error.what()).find("connect \"127.0.0.1:" + std::to_string(port) + "\""),
              std::string::npos)
        << error.what();
  }
}

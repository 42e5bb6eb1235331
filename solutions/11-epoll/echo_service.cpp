// Lab 11: echo as a message callback, and the loop that runs it until a stop request.
#include "echo_service.hpp"

#include "channel.hpp"
#include "event_loop.hpp"
#include "poller_choice.hpp"
#include "tcp_server.hpp"

namespace reactor {

// [slide:serve_echo-1]
void serve_echo(net::Listener listener, fdio::BorrowedFd stop, const EchoOptions& options,
                const std::function<void()>& on_ready) {
  // One back-end for every loop, chosen by name: the reactor above it does not change.
  const PollerFactory make_loop_poller = [name = options.poller, trigger = options.trigger] {
    return make_poller(name, trigger);
  };
  EventLoop loop(make_loop_poller());
  ServerOptions server_options;
  server_options.threads = options.threads;
  server_options.make_poller = make_loop_poller;
  server_options.connection.idle_timeout = options.idle_timeout;
  Server server(loop, std::move(listener), std::move(server_options));
  server.on_message([](Connection& conn, IoBuffer& input) {
    conn.send(input.readable());  // echo: everything that came, back
    input.clear();
  });

  // [/slide]
  // [slide:serve_echo-2]
  Channel stop_channel(loop, stop);
  stop_channel.on_readable([&] {
    stop_channel.disable_all();  // a signalfd stays readable: a level-triggered loop would spin
    server.stop_gracefully();
  });
  stop_channel.enable_reading();
  server.start();
  on_ready();
  loop.run();  // until the stop and the last connection's close
}
// [/slide]

}  // namespace reactor

// Lab 11: accept on one loop, serve on N; a connection's hand-over and its two-step removal.
#include "tcp_server.hpp"

#include "event_loop.hpp"

namespace reactor {

Server::Server(EventLoop& base_loop, net::Listener listener, ServerOptions options)
    : base_loop_(base_loop),
      options_(std::move(options)),
      acceptor_(base_loop, std::move(listener), [this](fdio::UniqueFd socket) {
        new_connection(std::move(socket), options_.make_transport);
      }) {}

void Server::add_listener(net::Listener listener, TransportFactory make_transport) {
  base_loop_.assert_in_loop_thread("Server::add_listener");
  more_acceptors_.push_back(
      std::make_unique<Acceptor>(base_loop_, std::move(listener),
                                 [this, make = std::move(make_transport)](fdio::UniqueFd socket) {
                                   new_connection(std::move(socket), make);
                                 }));
}

Server::~Server() {
  // Connections still open (a stop that did not wait): each is closed on its own loop, which
  // runs the task before its thread ends. The base loop runs it now.
  for (const auto& [id, conn] : connections_) {
    conn->loop().run_in_loop([conn] {
      conn->on_close(nullptr);
      conn->close();
      conn->destroyed();
    });
  }
  connections_.clear();
  io_threads_.clear();  // quit and join, each after its queued tasks
}

void Server::start() {
  base_loop_.assert_in_loop_thread("Server::start");
  for (int i = 0; i < options_.threads; ++i) {
    io_threads_.push_back(std::make_unique<LoopThread>(options_.make_poller));
  }
  acceptor_.listen();
  for (const auto& acceptor : more_acceptors_) acceptor->listen();
}

// [slide:next_io_loop]
EventLoop& Server::next_io_loop() {
  // BEGIN SOLUTION: the base loop when there are no I/O threads; else the next thread's loop, round robin
  if (io_threads_.empty()) return base_loop_;
  EventLoop& loop = io_threads_[next_]->loop();
  next_ = (next_ + 1) % io_threads_.size();
  return loop;
  // END SOLUTION
}
// [/slide]

// [slide:new_connection]
void Server::new_connection(fdio::UniqueFd socket, const TransportFactory& make_transport) {
  // BEGIN SOLUTION: make a Connection (on the transport make_transport makes, else a PlainTransport) on the next I/O loop, keep it in connections_, set its callbacks, and run established() on its loop
  EventLoop& io_loop = next_io_loop();
  const std::uint64_t id = next_id_++;
  auto transport = make_transport ? make_transport(std::move(socket))
                                  : std::make_unique<PlainTransport>(std::move(socket));
  auto conn = std::make_shared<Connection>(io_loop, id, std::move(transport), options_.connection);
  connections_.emplace(id, conn);
  conn->on_message(on_message_);
  conn->on_connection(on_connection_);
  conn->on_close([this](const Connection::Ptr& closed) { remove_connection(closed); });
  // From here on the connection is its loop's: the hand-over goes through the loop's queue.
  io_loop.run_in_loop([conn] { conn->established(); });
  // END SOLUTION
}
// [/slide]

// [slide:remove_connection]
void Server::remove_connection(const Connection::Ptr& conn) {
  // BEGIN SOLUTION: on the base loop: erase it from connections_ (quit when stopping and none is left); then queue destroyed() on the connection's own loop
  // Called on the connection's loop, inside its dispatch. The table is the base loop's.
  base_loop_.run_in_loop([this, conn] {
    connections_.erase(conn->id());
    if (stopping_ && connections_.empty()) base_loop_.quit();
    // Back on its own loop, after the dispatch: the task holds the last reference, so the
    // Connection (and its fd) goes only when no callback of it can be running.
    conn->loop().queue_in_loop([conn] { conn->destroyed(); });
  });
  // END SOLUTION
}
// [/slide]

// [slide:stop_gracefully]
void Server::stop_gracefully() {
  base_loop_.assert_in_loop_thread("Server::stop_gracefully");
  for (const auto& acceptor : more_acceptors_) acceptor->stop();
  // BEGIN SOLUTION: stop the acceptor; remember that we are stopping; quit the base loop now if no connection is open
  acceptor_.stop();
  stopping_ = true;
  if (connections_.empty()) base_loop_.quit();
  // END SOLUTION
}
// [/slide]

}  // namespace reactor

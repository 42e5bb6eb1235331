// Lab 11: accept on one loop, serve on N; a connection's hand-over and its two-step removal.
#include "tcp_server.hpp"

#include "event_loop.hpp"
#include "syslab/todo.hpp"

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

EventLoop& Server::next_io_loop() {
  SYSLAB_TODO("the base loop when there are no I/O threads; else the next thread's loop, round robin");
}

void Server::new_connection(fdio::UniqueFd socket, const TransportFactory& make_transport) {
  SYSLAB_TODO("make a Connection (on the transport make_transport makes, else a PlainTransport) on the next I/O loop, keep it in connections_, set its callbacks, and run established() on its loop");
}

void Server::remove_connection(const Connection::Ptr& conn) {
  SYSLAB_TODO("on the base loop: erase it from connections_ (quit when stopping and none is left); then queue destroyed() on the connection's own loop");
}

void Server::stop_gracefully() {
  base_loop_.assert_in_loop_thread("Server::stop_gracefully");
  for (const auto& acceptor : more_acceptors_) acceptor->stop();
  SYSLAB_TODO("stop the acceptor; remember that we are stopping; quit the base loop now if no connection is open");
}

}  // namespace reactor

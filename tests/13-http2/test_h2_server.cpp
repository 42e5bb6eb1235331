// Lab 13 tests: h2::Server in this process, with handlers of the test's own (one that throws),
// so that what only a handler can cause is seen on the wire: a 500 on its stream only.
#include <unistd.h>

#include <future>
#include <stdexcept>
#include <thread>

#include "h2_client.hpp"
#include "h2_server.hpp"
#include "socket.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace h2_test;

namespace {

// h2::serve on a thread of its own, on port 0, with handler; stopped and joined on destruction.
class InProcessServer {
 public:
  explicit InProcessServer(http::Handler handler) : stop_(make_pipe()) {
    net::Listener listener = net::listen_tcp("127.0.0.1", 0);
    port_ = net::local_port(listener.fd());
    std::promise<void> ready;
    auto accepting = ready.get_future();
    thread_ = std::thread([this, handler = std::move(handler), listener = std::move(listener),
                           ready = std::move(ready)]() mutable {
      std::vector<h2::Endpoint> endpoints;
      endpoints.push_back(h2::Endpoint{std::move(listener), {}});
      h2::serve(std::move(endpoints), fdio::BorrowedFd(stop_.read_end.get()), std::move(handler),
                h2::ServerOptions{}, {}, [&ready] { ready.set_value(); });
    });
    if (accepting.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      throw std::runtime_error("the in-process server did not start");
    }
  }
  ~InProcessServer() {
    (void)::write(stop_.write_end.get(), "x", 1);
    thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  TestPipe stop_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace

SYSLAB_TEST(Handlers, AThrowingHandlerAnswers500OnItsStreamOnly, 3,
            "Http2Connection::call_handler catches what the handler throws and answers 500 on "
            "that stream; the connection and its other streams go on",
            "An exception that crosses nghttp2's C callbacks is undefined behaviour: catch it "
            "before (Callbacks::guarded turns it into NGHTTP2_ERR_CALLBACK_FAILURE).") {
  http::Router router;
  router.add("GET", "/boom", [](const http::Request&) -> http::Response {
    throw std::runtime_error("the handler failed");
  });
  router.add("GET", "/ok", [](const http::Request&) { return http::Response::text(200, "ok\n"); });
  InProcessServer server(router);
  Client client(server.port());
  client.get(1, "/boom");
  client.get(3, "/ok");
  const Response boom = client.response(1);
  EXPECT_EQ(boom.status, 500);
  EXPECT_FALSE(boom.reset);
  const Response ok = client.response(3);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "ok\n");
  client.get(5, "/ok");
  EXPECT_EQ(client.response(5).status, 200) << "the connection goes on";
}

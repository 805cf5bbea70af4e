// registry/curl_transport.cpp against a tiny HTTP/1.1 server on 127.0.0.1 in the test itself: what
// goes on the wire (method, path, headers, bodies from bytes and from a file range) and what comes
// back (status, lower-cased headers, bodies to the response or to a sink, the body cap), and a port
// nothing listens on.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "registry/curl_transport.hpp"
#include "temp_dir.hpp"

using namespace ocx;
using namespace ocx::registry;

namespace {

// Answers one request per connection, in order, with the given raw responses (each closes the
// connection), and keeps each request as received: head and body.
class LoopbackServer {
public:
    struct Received {
        std::string head;  // request line and headers
        std::string body;
    };

    explicit LoopbackServer(std::vector<std::string> responses) : responses_(std::move(responses)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(listen_fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listen_fd_, 8) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~LoopbackServer() {
        ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept() when fewer requests came than answers
        thread_.join();
        ::close(listen_fd_);
    }
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    std::vector<Received> received() {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    void serve() {
        for (const auto& response : responses_) {
            const int fd = ::accept(listen_fd_, nullptr, nullptr);
            if (fd < 0) return;
            Received r = read_request(fd);
            {
                std::lock_guard lock(mutex_);
                received_.push_back(std::move(r));
            }
            std::size_t sent = 0;
            while (sent < response.size()) {
                const ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
                if (n <= 0) break;
                sent += static_cast<std::size_t>(n);
            }
            ::shutdown(fd, SHUT_WR);
            ::close(fd);
        }
    }

    static Received read_request(int fd) {
        std::string data;
        char buf[4096];
        std::size_t head_end = std::string::npos;
        while (head_end == std::string::npos) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return {data, {}};
            data.append(buf, static_cast<std::size_t>(n));
            head_end = data.find("\r\n\r\n");
        }
        Received r{data.substr(0, head_end), data.substr(head_end + 4)};
        std::size_t length = 0;
        const std::string key = "\r\nContent-Length: ";
        if (const auto at = r.head.find(key); at != std::string::npos)
            length = std::stoul(r.head.substr(at + key.size(), r.head.find("\r\n", at + key.size()) - at - key.size()));
        while (r.body.size() < length) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            r.body.append(buf, static_cast<std::size_t>(n));
        }
        return r;
    }

    std::vector<std::string> responses_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<Received> received_;
};

std::string response(const std::string& status_line, const std::string& headers, const std::string& body) {
    return "HTTP/1.1 " + status_line + "\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

std::shared_ptr<Transport> transport(std::size_t max_body = 8 * 1024 * 1024) {
    TransportOptions o;
    o.user_agent = "ocx-release-unit-test";
    o.max_body = max_body;
    return make_curl_transport(o);
}

}  // namespace

TEST_CASE("curl transport: a GET, its status, headers (names lower-cased) and body") {
    const std::string body = R"({"repositories":[]})";
    LoopbackServer server({response("200 OK", "Docker-Distribution-API-Version: registry/2.0\r\n", body)});
    HttpRequest req;
    req.method = "GET";
    req.url = server.url("/v2/_catalog?n=10");
    req.headers.push_back({"Accept", "application/json"});
    auto r = transport()->send(req);
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body == body);
    CHECK(r->header("docker-distribution-api-version") == "registry/2.0");
    bool lower = true;
    for (const auto& h : r->headers) lower = lower && h.name == ascii_lower(h.name);
    CHECK(lower);

    const auto got = server.received();
    REQUIRE(got.size() == 1);
    CHECK(got[0].head.rfind("GET /v2/_catalog?n=10 HTTP/1.1\r\n", 0) == 0);
    CHECK(got[0].head.find("\r\nUser-Agent: ocx-release-unit-test") != std::string::npos);
    CHECK(got[0].head.find("\r\nAccept: application/json") != std::string::npos);
    CHECK(got[0].body.empty());
}

TEST_CASE("curl transport: request bodies from bytes and from a file range, sent as they are") {
    testing::TempDir tmp;
    const std::string content = "0123456789abcdef";
    const auto file = tmp.write("blob", content);
    LoopbackServer server(
        {response("202 Accepted", "Location: /v2/x/blobs/uploads/1\r\n", ""), response("201 Created", "", "")});
    auto t = transport();

    HttpRequest bytes;
    bytes.method = "PATCH";
    bytes.url = server.url("/v2/x/blobs/uploads/0");
    bytes.body = RequestBody{"chunk of bytes", {}, 0, 0, {}, {}};
    auto a = t->send(bytes);
    REQUIRE(a.ok());
    CHECK(a->status == 202);
    CHECK(a->header("location") == "/v2/x/blobs/uploads/1");

    HttpRequest range;
    range.method = "PUT";
    range.url = server.url("/v2/x/blobs/uploads/1?digest=sha256%3A00");
    std::uint64_t reported = 0;
    range.body = RequestBody{{}, file, 3, 7, [&](std::uint64_t n) { reported = n; }, {}};
    auto b = t->send(range);
    REQUIRE(b.ok());
    CHECK(b->status == 201);

    const auto got = server.received();
    REQUIRE(got.size() == 2);
    CHECK(got[0].head.rfind("PATCH /v2/x/blobs/uploads/0 HTTP/1.1\r\n", 0) == 0);
    CHECK(got[0].body == "chunk of bytes");
    CHECK(got[0].head.find("\r\nContent-Length: 14") != std::string::npos);
    CHECK(got[1].head.rfind("PUT /v2/x/blobs/uploads/1?digest=sha256%3A00 HTTP/1.1\r\n", 0) == 0);
    CHECK(got[1].body == content.substr(3, 7));
    CHECK(reported == 3 + 7);  // offset + the bytes handed over
}

TEST_CASE("curl transport: a 2xx body goes to the sink, an error body to the response") {
    const std::string blob(100'000, 'b');
    LoopbackServer server({response("200 OK", "", blob), response("404 Not Found", "", R"({"errors":[]})")});
    auto t = transport();
    std::string sunk;
    const store::ByteSink sink = [&](const char* data, std::size_t n) {
        sunk.append(data, n);
        return Status{};
    };
    HttpRequest req;
    req.method = "GET";
    req.url = server.url("/v2/x/blobs/sha256:aa");
    req.sink = &sink;
    auto ok = t->send(req);
    REQUIRE(ok.ok());
    CHECK(ok->status == 200);
    CHECK(ok->body.empty());
    CHECK(sunk == blob);

    sunk.clear();
    auto missing = t->send(req);
    REQUIRE(missing.ok());
    CHECK(missing->status == 404);
    CHECK(missing->body == R"({"errors":[]})");
    CHECK(sunk.empty());
}

TEST_CASE("curl transport: a response body over the cap is an error naming the request") {
    const std::size_t cap = 1024 * 1024;
    LoopbackServer server(
        {response("200 OK", "", std::string(cap + 1, 'x')), response("200 OK", "", std::string(cap, 'x'))});
    auto t = transport(cap);
    HttpRequest req;
    req.method = "GET";
    req.url = server.url("/v2/x/manifests/1.0.0");
    auto over = t->send(req);
    REQUIRE_FALSE(over.ok());
    CHECK(over.error().kind == ErrorKind::unavailable);
    CHECK(over.error().message == "GET " + req.url + ": response body larger than 1 MiB");
    auto at = t->send(req);
    REQUIRE(at.ok());
    CHECK(at->body.size() == cap);
}

TEST_CASE("curl transport: a port nothing listens on is unreachable, not transient") {
    int port = 0;
    {
        // A port that was free a moment ago and has nothing listening now.
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port = ntohs(addr.sin_port);
        ::close(fd);
    }
    HttpRequest req;
    req.method = "GET";
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/v2/";
    auto r = transport()->send(req);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::unavailable);
    CHECK(is_unreachable(r.error()));
    CHECK(r.error().message.rfind("GET " + req.url + ": ", 0) == 0);
}

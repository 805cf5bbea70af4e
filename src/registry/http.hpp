#pragma once
// The transport seam of the registry client: one HTTP exchange in, one response out. The libcurl
// implementation lives in curl_transport.cpp (the only includer of curl.h); unit tests use an
// in-memory fake. A transport follows no redirects and knows nothing about auth or retries: the
// client (client.hpp) decides those, so they are testable without sockets.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/target.hpp"
#include "util/result.hpp"

namespace ocx::registry {

struct Header {
    std::string name;  // as sent; lower-case in responses
    std::string value;
};

/// A request body: bytes in memory, or a byte range of a file that is streamed (never loaded).
struct RequestBody {
    std::string bytes;  // used when `file` is empty
    std::filesystem::path file;
    std::uint64_t offset = 0;  // file range start
    std::uint64_t length = 0;  // file range length
    /// When set, hears `offset` + the bytes of a file body handed to the connection so far.
    std::function<void(std::uint64_t)> on_sent;
    /// When set, sees each piece of a file body as it is read, with its offset in the file;
    /// returning false aborts the request (ErrorKind::data, "stopped by its reader").
    std::function<bool(std::uint64_t offset, const char* data, std::size_t size)> tap;

    bool is_file() const { return !file.empty(); }
    std::uint64_t size() const { return is_file() ? length : bytes.size(); }
};

struct HttpRequest {
    std::string method;  // "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"
    std::string url;     // absolute
    std::vector<Header> headers;
    std::optional<RequestBody> body;  // none: no body (GET/HEAD) or an empty one (Content-Length: 0)
    /// When set, a 2xx response body goes here instead of HttpResponse::body.
    const store::ByteSink* sink = nullptr;
    /// The scheme probe (the client's first `GET /v2/` over https to a host that may speak plain
    /// HTTP). The transport may first try the handshake without loading the trust store — which
    /// is what costs time — and answer at once when the server does not speak TLS at all; a
    /// server that does is asked again with the configured trust store, so nothing is ever
    /// accepted unverified and the outcome is the same as without the flag.
    bool tls_probe = false;
};

struct HttpResponse {
    long status = 0;
    std::vector<Header> headers;  // names lower-cased, in arrival order
    std::string body;             // non-sink bodies (capped by the transport)
    std::string url;              // the URL this response answers (set by the client)

    /// First header with this (case-insensitive) name.
    std::optional<std::string> header(std::string_view name) const;
    /// Every header with this name, in order (WWW-Authenticate, Link may repeat).
    std::vector<std::string> headers_named(std::string_view name) const;
};

class Transport {
public:
    virtual ~Transport() = default;
    /// Performs one exchange. Every HTTP status is a response; network failures are errors:
    /// ErrorKind::transient when retrying may help (reset, timeout, TLS handshake),
    /// ErrorKind::unavailable when it cannot (certificate not trusted; a host that cannot be
    /// resolved or refuses the connection: unreachable_error), ErrorKind::io for a
    /// local file that cannot be read, or the sink's own error.
    virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

/// Lower-cases ASCII.
std::string ascii_lower(std::string_view text);

/// The transport's error for a host that cannot be resolved or refuses the connection:
/// "<METHOD> <URL>: <detail>; is a registry listening at <host[:port]>?", ErrorKind::unavailable.
/// Not transient: nothing answered, and asking again a second later changes nothing (a CI job
/// should fail at once with the hint, not after minutes of backoff).
Error unreachable_error(std::string_view method, std::string_view url, std::string_view detail);

/// True for an error made by unreachable_error (the client's scheme probe falls back to plain
/// HTTP on it, as on a failed TLS handshake).
bool is_unreachable(const Error& error);

}  // namespace ocx::registry

#pragma once
// The libcurl implementation of Transport. A small pool of easy handles, each reused so its
// connections stay alive across requests; any number of threads may call send() at once (each
// call borrows its own handle). Per transfer: HTTP/2 where the server offers it over TLS, TLS
// always verified (a private CA via `ca_file`/`ca_path`), a connect timeout and a low-speed limit
// instead of a total timeout (blob uploads can take long), bodies streamed from disk.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "registry/http.hpp"

namespace ocx::registry {

struct TransportOptions {
    std::chrono::seconds connect_timeout{15};
    long low_speed_limit = 1024;              // bytes per second …
    std::chrono::seconds low_speed_time{60};  // … for this long -> timeout (transient)
    std::string ca_file;                      // CA bundle replacing the system one ("" = system)
    std::string ca_path;                      // CA directory ("" = system)
    std::size_t max_body = 8 * 1024 * 1024;   // cap for non-sink response bodies
    std::string user_agent = "ocx-release";
};

/// A thread-safe libcurl transport.
std::shared_ptr<Transport> make_curl_transport(TransportOptions options);

}  // namespace ocx::registry

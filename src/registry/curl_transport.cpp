// The only includer of curl.h (STYLE.md: each C library behind one file with move-only RAII
// handles). Redirects are not followed here and no curl auth is used: the client decides both.

#include "registry/curl_transport.hpp"

#include <curl/curl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

namespace ocx::registry {

namespace {

constexpr std::size_t kMaxIdleHandles = 16;
constexpr long kUploadBuffer = 1024 * 1024;

// Move-only owner of a CURL easy handle.
class CurlEasy {
public:
    CurlEasy() : handle_(curl_easy_init()) {}
    ~CurlEasy() {
        if (handle_ != nullptr) curl_easy_cleanup(handle_);
    }
    CurlEasy(CurlEasy&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
    CurlEasy& operator=(CurlEasy&& other) noexcept {
        if (this != &other) {
            if (handle_ != nullptr) curl_easy_cleanup(handle_);
            handle_ = other.handle_;
            other.handle_ = nullptr;
        }
        return *this;
    }
    CurlEasy(const CurlEasy&) = delete;
    CurlEasy& operator=(const CurlEasy&) = delete;

    CURL* get() const { return handle_; }

private:
    CURL* handle_;
};

// Move-only owner of a header list.
class CurlHeaders {
public:
    CurlHeaders() = default;
    ~CurlHeaders() { curl_slist_free_all(list_); }
    CurlHeaders(const CurlHeaders&) = delete;
    CurlHeaders& operator=(const CurlHeaders&) = delete;
    void add(const std::string& line) {
        curl_slist* next = curl_slist_append(list_, line.c_str());
        if (next != nullptr) list_ = next;
    }
    curl_slist* get() const { return list_; }

private:
    curl_slist* list_ = nullptr;
};

struct FileCloser {
    void operator()(std::FILE* f) const {
        if (f != nullptr) std::fclose(f);
    }
};

// State shared with the callbacks of one transfer.
struct Transfer {
    const HttpRequest* request = nullptr;
    HttpResponse response;
    std::size_t max_body = 0;
    std::optional<Error> failure;  // set by a callback that aborted the transfer
    // Body source.
    std::unique_ptr<std::FILE, FileCloser> file;
    std::uint64_t sent = 0;  // bytes of the body handed to curl
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t n = size * count;
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.rfind("HTTP/", 0) == 0) {
        // A new response (after 100 Continue, or the final one): start over.
        t->response.headers.clear();
        const auto sp = line.find(' ');
        if (sp != std::string_view::npos)
            t->response.status = std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
        return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    t->response.headers.push_back({ascii_lower(line.substr(0, colon)), std::string(value)});
    return n;
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t n = size * count;
    const long status = t->response.status;
    if (t->request->sink != nullptr && status >= 200 && status < 300) {
        Status s = (*t->request->sink)(data, n);
        if (!s) {
            t->failure = std::move(s).error();
            return 0;
        }
        return n;
    }
    if (t->response.body.size() + n > t->max_body) {
        t->failure =
            make_error(ErrorKind::unavailable, t->request->method + " " + t->request->url + ": response body larger than " +
                                                   std::to_string(t->max_body / (1024 * 1024)) + " MiB");
        return 0;
    }
    t->response.body.append(data, n);
    return n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const RequestBody& body = *t->request->body;
    const std::uint64_t left = body.size() - t->sent;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, size * count));
    if (want == 0) return 0;
    if (!body.is_file()) {
        std::memcpy(buffer, body.bytes.data() + t->sent, want);
        t->sent += want;
        return want;
    }
    const std::size_t got = std::fread(buffer, 1, want, t->file.get());
    if (got != want) {
        t->failure = make_error(ErrorKind::io,
                                "cannot read " + body.file.string() + ": " +
                                    (std::ferror(t->file.get()) ? std::strerror(errno) : "file shrank while uploading"));
        return CURL_READFUNC_ABORT;
    }
    if (body.tap && !body.tap(body.offset + t->sent, buffer, got)) {
        t->failure = make_error(ErrorKind::data, "upload of " + body.file.string() + " stopped by its reader");
        return CURL_READFUNC_ABORT;
    }
    t->sent += got;
    if (body.on_sent) body.on_sent(body.offset + t->sent);
    return got;
}

// curl rewinds the body when it must send it again (e.g. a connection that died before the
// response started); position is relative to the start of the body.
int on_seek(void* user, curl_off_t offset, int origin) {
    auto* t = static_cast<Transfer*>(user);
    if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
    const RequestBody& body = *t->request->body;
    const auto pos = static_cast<std::uint64_t>(offset);
    if (pos > body.size()) return CURL_SEEKFUNC_FAIL;
    if (body.is_file() && fseeko(t->file.get(), static_cast<off_t>(body.offset + pos), SEEK_SET) != 0)
        return CURL_SEEKFUNC_FAIL;
    t->sent = pos;
    if (body.on_sent) body.on_sent(body.offset + pos);
    return CURL_SEEKFUNC_OK;
}

ErrorKind classify(CURLcode code) {
    switch (code) {
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SEND_FAIL_REWIND:
        case CURLE_AGAIN: return ErrorKind::transient;
        case CURLE_READ_ERROR: return ErrorKind::io;
        default: return ErrorKind::unavailable;
    }
}

class CurlTransport final : public Transport {
public:
    explicit CurlTransport(TransportOptions options) : options_(std::move(options)) {
        static std::once_flag once;
        std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    }

    Result<HttpResponse> send(const HttpRequest& request) override {
        CurlEasy easy = acquire();
        if (easy.get() == nullptr) return make_error(ErrorKind::internal, "curl_easy_init failed");
        CURLcode code = CURLE_OK;
        if (request.tls_probe && request.url.rfind("https://", 0) == 0) {
            // Loading the system trust store takes ~20 ms, wasted on a loopback registry that
            // speaks plain HTTP. Shake hands with an empty store first: a server that answers
            // with something other than TLS, or nothing at all, is settled; one that speaks TLS
            // fails verification here and is asked again below with the real store.
            auto quick = perform(easy.get(), request, Trust::none, code);
            if (settled_without_trust(code, quick)) {
                release(std::move(easy));
                return quick;
            }
            curl_easy_reset(easy.get());
        }
        auto result = perform(easy.get(), request, Trust::configured, code);
        release(std::move(easy));
        return result;
    }

private:
    CurlEasy acquire() {
        std::lock_guard lock(mutex_);
        if (idle_.empty()) return CurlEasy();
        CurlEasy easy = std::move(idle_.back());
        idle_.pop_back();
        curl_easy_reset(easy.get());  // options gone, connections and caches kept
        return easy;
    }

    void release(CurlEasy easy) {
        std::lock_guard lock(mutex_);
        if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(easy));
    }

    enum class Trust { configured, none };

    // A probe with an empty trust store settles the question only when no TLS server answered:
    // the peer sent something that is not TLS (a plain HTTP server: "wrong version number"), or
    // there was nothing to connect to. Anything else — a verification failure above all — is
    // asked again with the configured store.
    static bool settled_without_trust(CURLcode code, const Result<HttpResponse>& result) {
        switch (code) {
            case CURLE_COULDNT_RESOLVE_HOST:
            case CURLE_COULDNT_CONNECT:
            case CURLE_OPERATION_TIMEDOUT: return true;
            case CURLE_SSL_CONNECT_ERROR:
                return !result && result.error().message.find("wrong version number") != std::string::npos;
            default: return false;
        }
    }

    // What every request of this transport shares: no signals, http(s) only, no redirects (the
    // client follows them), timeouts, TLS verification with the configured trust, keep-alive.
    void set_connection_options(CURL* h, Trust trust) const {
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout.count()));
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_limit);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        if (trust == Trust::none) {
            // Verification stays on; with no CA it can only fail, never pass.
            curl_easy_setopt(h, CURLOPT_CAINFO, nullptr);
            curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
        } else {
            if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
            if (!options_.ca_path.empty()) curl_easy_setopt(h, CURLOPT_CAPATH, options_.ca_path.c_str());
        }
        curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    }

    // The method: HEAD without a body, GET with curl's defaults, every other one with a body read
    // through `t`.
    static void set_method(CURL* h, const HttpRequest& request, Transfer& t) {
        if (request.method == "HEAD") {
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else if (request.method != "GET") {
            // Every other method goes through curl's upload path so bodies stream through on_read
            // with a known Content-Length (0 when there is none).
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body ? request.body->size() : 0));
            if (request.body) {
                // Larger reads from disk per callback and send() per syscall than curl's 64 KiB.
                if (request.body->is_file()) curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBuffer);
                curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
                curl_easy_setopt(h, CURLOPT_READDATA, &t);
                curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
                curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
            } else {
                curl_easy_setopt(
                    h, CURLOPT_READFUNCTION, +[](char*, std::size_t, std::size_t, void*) -> std::size_t { return 0; });
            }
            if (request.method != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        }
    }

    // A transfer that got no HTTP answer, classified (see classify and unreachable_error).
    static Error transfer_error(const HttpRequest& request, CURLcode code, const char* error_buffer) {
        std::string detail = curl_easy_strerror(code);
        if (error_buffer[0] != '\0') detail += std::string(" (") + error_buffer + ")";
        // Nothing to talk to: not transient (see unreachable_error). A connect timeout stays
        // transient: a busy or briefly partitioned registry does answer later.
        if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_COULDNT_CONNECT)
            return unreachable_error(request.method, request.url, detail);
        std::string message = request.method + " " + request.url + ": " + detail;
        if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE)
            message += "; to trust a private CA pass --ca-file or set SSL_CERT_FILE";
        return make_error(classify(code), std::move(message));
    }

    Result<HttpResponse> perform(CURL* h, const HttpRequest& request, Trust trust, CURLcode& code_out) {
        Transfer t;
        t.request = &request;
        t.max_body = options_.max_body;
        if (request.body && request.body->is_file()) {
            t.file.reset(std::fopen(request.body->file.c_str(), "rb"));
            if (!t.file)
                return make_error(ErrorKind::io, "cannot open " + request.body->file.string() + ": " + std::strerror(errno));
            if (fseeko(t.file.get(), static_cast<off_t>(request.body->offset), SEEK_SET) != 0)
                return make_error(ErrorKind::io,
                                  "cannot seek in " + request.body->file.string() + ": " + std::strerror(errno));
        }

        char error_buffer[CURL_ERROR_SIZE] = {0};
        curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
        set_connection_options(h, trust);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);

        CurlHeaders headers;
        for (const auto& hd : request.headers) headers.add(hd.name + ": " + hd.value);

        set_method(h, request, t);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

        const CURLcode code = curl_easy_perform(h);
        code_out = code;
        // Unhook everything pointing into this stack frame before the handle goes back to the pool.
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
        if (t.failure) return std::move(*t.failure);
        if (code != CURLE_OK) return transfer_error(request, code, error_buffer);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status != 0) t.response.status = status;
        return std::move(t.response);
    }

    TransportOptions options_;
    std::mutex mutex_;
    std::vector<CurlEasy> idle_;
};

}  // namespace

std::shared_ptr<Transport> make_curl_transport(TransportOptions options) {
    return std::make_shared<CurlTransport>(std::move(options));
}

}  // namespace ocx::registry

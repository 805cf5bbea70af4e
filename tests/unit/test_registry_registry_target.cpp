#include <doctest/doctest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "registry/registry_target.hpp"
#include "registry/url.hpp"
#include "temp_dir.hpp"
#include "util/log.hpp"

using namespace ocx;
using namespace ocx::registry;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

HttpResponse respond(long status, std::vector<Header> headers = {}, std::string body = {}) {
    HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    r.body = std::move(body);
    return r;
}

std::string header_of(const HttpRequest& r, std::string_view name) {
    for (const auto& h : r.headers)
        if (h.name == name) return h.value;
    return "";
}

std::map<std::string, std::string> query_of(std::string_view path_query) {
    std::map<std::string, std::string> out;
    const auto q = path_query.find('?');
    if (q == std::string_view::npos) return out;
    std::string_view rest = path_query.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        std::string_view kv = rest.substr(0, amp);
        const auto eq = kv.find('=');
        std::string value(eq == std::string_view::npos ? "" : kv.substr(eq + 1));
        std::string decoded;
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (value[i] == '%' && i + 2 < value.size() + 1) {
                decoded += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else {
                decoded += value[i];
            }
        }
        out[std::string(kv.substr(0, eq))] = decoded;
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return out;
}

// An in-memory distribution registry at https://registry.example, plus a storage host that
// serves redirected blob downloads and refuses requests carrying Authorization.
struct FakeRegistry : Transport {
    std::map<std::string, std::map<std::string, std::string>> blobs;  // repo -> digest -> bytes
    struct Stored {
        std::string media_type, bytes;
    };
    std::map<std::string, std::map<std::string, Stored>> manifests;  // repo -> tag or digest -> doc
    std::map<std::string, std::string> uploads;                      // id -> bytes so far
    int next_upload = 0;
    bool absolute_locations = false;
    bool redirect_blobs = false;
    std::size_t tag_page = 2;
    std::string forced_digest_header;  // answer PUTs with this Docker-Content-Digest
    // Faults, consulted in order before normal handling; a fault returns nullopt to pass.
    std::deque<std::function<std::optional<Result<HttpResponse>>(const HttpRequest&)>> faults;
    std::vector<std::string> log;  // "METHOD path?query"
    std::vector<HttpRequest> requests;

    static std::string body_of(const HttpRequest& r) {
        if (!r.body) return "";
        if (!r.body->is_file()) return r.body->bytes;
        std::ifstream in(r.body->file, std::ios::binary);
        in.seekg(static_cast<std::streamoff>(r.body->offset));
        std::string out(r.body->length, '\0');
        in.read(out.data(), static_cast<std::streamsize>(r.body->length));
        return out;
    }

    std::string location(const std::string& repo, int id) const {
        const std::string rel = "/v2/" + repo + "/blobs/uploads/u" + std::to_string(id) + "?_state=s" +
                                std::to_string(uploads.at("u" + std::to_string(id)).size());
        return absolute_locations ? "https://registry.example" + rel : rel;
    }

    Result<HttpResponse> deliver(const HttpRequest& r, HttpResponse resp) {
        if (r.sink != nullptr && resp.status / 100 == 2 && r.method == "GET") {
            Status s = (*r.sink)(resp.body.data(), resp.body.size());
            if (!s) return std::move(s).error();
            resp.body.clear();
        }
        return resp;
    }

    Result<HttpResponse> send(const HttpRequest& r) override {
        requests.push_back(r);
        const auto url = parse_url(r.url);
        REQUIRE(url);
        log.push_back(r.method + " " + (url->authority == "registry.example" ? "" : url->authority) + url->path_query);
        for (auto it = faults.begin(); it != faults.end(); ++it)
            if (auto answer = (*it)(r)) {
                faults.erase(it);
                return *answer;
            }
        if (url->authority == "storage.example") {
            if (!header_of(r, "Authorization").empty()) return respond(400, {}, "<Error>two auth mechanisms</Error>");
            const std::string digest = url->path_query.substr(url->path_query.rfind('/') + 1);
            for (auto& [repo, bs] : blobs)
                if (bs.count(digest)) return deliver(r, respond(200, {}, bs[digest]));
            return respond(404);
        }
        const std::string path = url->path_query.substr(0, url->path_query.find('?'));
        const auto query = query_of(url->path_query);
        auto split = [&](std::string_view marker, std::string& repo, std::string& rest) {
            const auto p = path.find(marker);
            if (p == std::string::npos) return false;
            repo = path.substr(4, p - 4);
            rest = path.substr(p + marker.size());
            return true;
        };
        std::string repo, rest;
        if (split("/blobs/uploads/", repo, rest)) {
            if (r.method == "POST" && rest.empty()) {
                if (query.count("mount")) {
                    const auto& from = blobs[query.at("from")];
                    if (from.count(query.at("mount"))) {
                        blobs[repo][query.at("mount")] = from.at(query.at("mount"));
                        return respond(201, {{"docker-content-digest", query.at("mount")}});
                    }
                }
                const int id = ++next_upload;
                uploads["u" + std::to_string(id)] = "";
                return respond(202, {{"location", location(repo, id)}});
            }
            if (!uploads.count(rest))
                return respond(404, {},
                               R"({"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"blob upload unknown to registry"}]})");
            std::string& data = uploads[rest];
            const int id = std::stoi(rest.substr(1));
            if (r.method == "DELETE") {
                uploads.erase(rest);
                return respond(204);
            }
            const std::string body = body_of(r);
            if (r.method == "PATCH") {
                const std::string expected =
                    std::to_string(data.size()) + "-" + std::to_string(data.size() + body.size() - 1);
                if (header_of(r, "Content-Range") != expected) return respond(416);
                data += body;
                return respond(202, {{"location", location(repo, id)}, {"range", "0-" + std::to_string(data.size() - 1)}});
            }
            if (r.method == "PUT") {
                data += body;
                const std::string digest = Digest::of(data).str();
                if (query.count("digest") == 0 || query.at("digest") != digest)
                    return respond(
                        400, {},
                        R"({"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]})");
                blobs[repo][digest] = data;
                uploads.erase(rest);
                return respond(201, {{"docker-content-digest", forced_digest_header.empty() ? digest : forced_digest_header},
                                     {"location", "/v2/" + repo + "/blobs/" + digest}});
            }
        }
        if (split("/blobs/", repo, rest)) {
            if (!blobs[repo].count(rest))
                return respond(r.method == "HEAD" ? 404 : 404, {},
                               r.method == "HEAD"
                                   ? ""
                                   : R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
            if (redirect_blobs && r.method == "GET")
                return respond(307, {{"location", "https://storage.example/b/" + rest}});
            return deliver(r, respond(200, {{"docker-content-digest", rest}}, r.method == "GET" ? blobs[repo][rest] : ""));
        }
        if (split("/manifests/", repo, rest)) {
            if (r.method == "PUT") {
                Stored doc{header_of(r, "Content-Type"), body_of(r)};
                const std::string digest = Digest::of(doc.bytes).str();
                manifests[repo][rest] = doc;
                manifests[repo][digest] = doc;
                return respond(201,
                               {{"docker-content-digest", forced_digest_header.empty() ? digest : forced_digest_header}});
            }
            if (!manifests[repo].count(rest))
                return respond(404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})");
            const Stored& doc = manifests[repo][rest];
            return respond(200, {{"content-type", doc.media_type}, {"docker-content-digest", Digest::of(doc.bytes).str()}},
                           r.method == "GET" ? doc.bytes : "");
        }
        if (split("/tags/list", repo, rest)) {
            if (manifests[repo].empty())
                return respond(404, {},
                               R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})");
            std::vector<std::string> tags;
            for (const auto& [ref, doc] : manifests[repo])
                if (ref.find(':') == std::string::npos && (!query.count("last") || ref > query.at("last")))
                    tags.push_back(ref);
            const std::size_t n = std::min<std::size_t>(tag_page, query.count("n") ? std::stoul(query.at("n")) : 100);
            std::vector<Header> headers;
            if (tags.size() > n) {
                tags.resize(n);
                headers.push_back({"link", "</v2/" + repo + "/tags/list?last=" + tags.back() + "&n=" + std::to_string(n) +
                                               ">; rel=\"next\""});
            }
            std::string body = R"({"name":")" + repo + R"(","tags":[)";
            for (std::size_t i = 0; i < tags.size(); ++i) body += (i ? ",\"" : "\"") + tags[i] + "\"";
            return respond(200, headers, body + "]}");
        }
        return respond(200);  // /v2/
    }

    std::size_t count(std::string_view prefix) const {
        std::size_t n = 0;
        for (const auto& l : log) n += l.rfind(prefix, 0) == 0;
        return n;
    }
};

struct FakeClock {
    std::chrono::steady_clock::time_point t{};
    std::vector<milliseconds> sleeps;
    RetryClock seam() {
        RetryClock c;
        c.now = [this] { return t; };
        c.sleep = [this](milliseconds d) {
            sleeps.push_back(d);
            t += d;
        };
        c.uniform = [] { return 1.0; };
        return c;
    }
};

struct QuietLog {
    log::Level saved = log::level();
    QuietLog() { log::set_level(log::Level::quiet); }
    ~QuietLog() { log::set_level(saved); }
};

struct Fixture {
    QuietLog quiet;
    std::shared_ptr<FakeRegistry> fake = std::make_shared<FakeRegistry>();
    FakeClock clock;
    RegistryOptions options;
    std::map<std::string, std::string> env;

    std::unique_ptr<RegistryTarget> open(std::string repo = "acme/tool") {
        options.transport = fake;
        options.clock = clock.seam();
        options.env = [this](const std::string& name) -> std::optional<std::string> {
            auto it = env.find(name);
            if (it == env.end()) return std::nullopt;
            return it->second;
        };
        oci::Reference ref;
        ref.registry = "registry.example";
        ref.repository = std::move(repo);
        auto t = open_registry_target(ref, options);
        REQUIRE(t.ok());
        return std::move(*t);
    }
};

store::BlobSource file_blob(const fs::path& file, const std::string& content) {
    store::BlobSource b;
    b.digest = Digest::of(content);
    b.size = content.size();
    b.path = file;
    return b;
}

Result<HttpResponse> fail_with(long status, std::vector<Header> headers = {}) { return respond(status, std::move(headers)); }

}  // namespace

TEST_CASE("blob_exists: HEAD, 404 is false") {
    Fixture fx;
    fx.fake->blobs["acme/tool"][Digest::of("abc").str()] = "abc";
    auto t = fx.open();
    CHECK(t->describe() == "registry.example/acme/tool");
    CHECK(*t->blob_exists(Digest::of("abc")) == true);
    CHECK(*t->blob_exists(Digest::of("other")) == false);
    CHECK(fx.fake->log == std::vector<std::string>{"HEAD /v2/acme/tool/blobs/" + Digest::of("abc").str(),
                                                   "HEAD /v2/acme/tool/blobs/" + Digest::of("other").str()});
    CHECK(t->stats().blobs_skipped == 1);
    CHECK(t->stats().requests == 2);
}

TEST_CASE("check_access: the fail-fast check before a release") {
    Fixture fx;
    SUBCASE("push without a Bearer challenge: /v2/, then an upload session opened and cancelled") {
        auto t = fx.open();
        REQUIRE(t->check_access(store::Target::Access::push).ok());
        CHECK(fx.fake->log == std::vector<std::string>{"GET /v2/", "POST /v2/acme/tool/blobs/uploads/",
                                                       "DELETE /v2/acme/tool/blobs/uploads/u1?_state=s0"});
        CHECK(fx.fake->uploads.empty());
    }
    SUBCASE("read (dry runs): /v2/ only, nothing opened") {
        auto t = fx.open();
        REQUIRE(t->check_access(store::Target::Access::read).ok());
        CHECK(fx.fake->log == std::vector<std::string>{"GET /v2/"});
    }
    SUBCASE("refused credentials: ErrorKind::auth, no upload session") {
        fx.env["OCX_AUTH_registry_example_USER"] = "alice";
        fx.env["OCX_AUTH_registry_example_TOKEN"] = "wrong-secret";
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return Result<HttpResponse>(respond(401, {{"www-authenticate", "Basic realm=\"r\""}}));
        });
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return Result<HttpResponse>(respond(401, {{"www-authenticate", "Basic realm=\"r\""}}));
        });
        auto t = fx.open();
        auto s = t->check_access(store::Target::Access::push);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::auth);
        CHECK(s.error().message.find("GET /v2/ of registry.example/acme/tool: HTTP 401 Unauthorized") == 0);
        CHECK(s.error().message.find("authentication to registry.example failed") != std::string::npos);
        CHECK(fx.fake->count("POST") == 0);
    }
    SUBCASE("a registry that refuses writes: the upload session's answer, unavailable, not retried") {
        fx.fake->faults.push_back([](const HttpRequest& r) -> std::optional<Result<HttpResponse>> {
            if (r.method != "POST") return std::nullopt;
            return Result<HttpResponse>(respond(405, {}, R"({"errors":[{"code":"UNSUPPORTED","message":"read-only"}]})"));
        });
        auto t = fx.open();
        auto s = t->check_access(store::Target::Access::push);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::unavailable);
        CHECK(s.error().message ==
              "POST blob upload registry.example/acme/tool (push access check): HTTP 405 Method "
              "Not Allowed: UNSUPPORTED: read-only");
        CHECK(fx.clock.sleeps.empty());
    }
    SUBCASE("a 503 on the upload session is retried like any transient answer") {
        fx.fake->faults.push_back([](const HttpRequest& r) -> std::optional<Result<HttpResponse>> {
            if (r.method != "POST") return std::nullopt;
            return Result<HttpResponse>(respond(503));
        });
        auto t = fx.open();
        REQUIRE(t->check_access(store::Target::Access::push).ok());
        CHECK(fx.clock.sleeps.size() == 1);
        CHECK(fx.fake->count("POST") == 2);
    }
    SUBCASE("something that is not a registry: unavailable with a hint") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return Result<HttpResponse>(respond(404, {}, "<html>nothing here</html>"));
        });
        auto t = fx.open();
        auto s = t->check_access(store::Target::Access::read);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::unavailable);
        CHECK(s.error().message ==
              "GET /v2/ of registry.example/acme/tool: HTTP 404 Not Found: <html>nothing here</html> "
              "(is registry.example an OCI distribution registry?)");
    }
}

TEST_CASE("upload_blob") {
    Fixture fx;
    const std::string content = "0123456789";
    testing::TempDir tmp;
    const fs::path file = tmp.write("blob", content);
    const std::string digest = Digest::of(content).str();

    SUBCASE("monolithic: POST, then PUT the file to the relative Location, digest appended to its query") {
        auto t = fx.open();
        auto sent = t->upload_blob(file_blob(file, content));
        REQUIRE(sent.ok());
        CHECK(*sent == 10);
        CHECK(fx.fake->blobs["acme/tool"][digest] == content);
        CHECK(fx.fake->log == std::vector<std::string>{"POST /v2/acme/tool/blobs/uploads/",
                                                       "PUT /v2/acme/tool/blobs/uploads/u1?_state=s0&digest=sha256%3A" +
                                                           Digest::of(content).hex()});
        const HttpRequest& put = fx.fake->requests[1];
        REQUIRE(put.body);
        CHECK(put.body->file == file);  // streamed from the file, not loaded
        CHECK(put.body->length == 10);
        const auto s = t->stats();
        CHECK(s.blobs_uploaded == 1);
        CHECK(s.bytes_uploaded == 10);
    }
    SUBCASE("chunked: PATCH ranges no larger than the chunk size, following each new absolute Location") {
        fx.options.chunk_size = 4;
        fx.fake->absolute_locations = true;
        auto t = fx.open();
        REQUIRE(t->upload_blob(file_blob(file, content)).ok());
        CHECK(fx.fake->blobs["acme/tool"][digest] == content);
        CHECK(fx.fake->log == std::vector<std::string>{"POST /v2/acme/tool/blobs/uploads/",
                                                       "PATCH /v2/acme/tool/blobs/uploads/u1?_state=s0",
                                                       "PATCH /v2/acme/tool/blobs/uploads/u1?_state=s4",
                                                       "PATCH /v2/acme/tool/blobs/uploads/u1?_state=s8",
                                                       "PUT /v2/acme/tool/blobs/uploads/u1?_state=s10&digest=sha256%3A" +
                                                           Digest::of(content).hex()});
        CHECK(header_of(fx.fake->requests[1], "Content-Range") == "0-3");
        CHECK(header_of(fx.fake->requests[3], "Content-Range") == "8-9");
        CHECK(fx.fake->requests[3].body->offset == 8);
        CHECK(fx.fake->requests[3].body->length == 2);
        CHECK_FALSE(fx.fake->requests[4].body.has_value());
    }
    SUBCASE("bytes in memory (config blobs), and an empty blob with chunking on") {
        fx.options.chunk_size = 4;
        auto t = fx.open();
        store::BlobSource config;
        config.bytes = R"({"type":"bundle"})";
        config.size = config.bytes.size();
        config.digest = Digest::of(config.bytes);
        REQUIRE(t->upload_blob(config).ok());
        CHECK(fx.fake->blobs["acme/tool"][config.digest.str()] == config.bytes);
        store::BlobSource empty;
        empty.digest = Digest::of("");
        REQUIRE(t->upload_blob(empty).ok());
        CHECK(fx.fake->count("PATCH") == 5);  // 17 bytes in 4-byte chunks; none for the empty blob
        CHECK(fx.fake->blobs["acme/tool"].count(Digest::of("").str()) == 1);
    }
    SUBCASE("a transient failure restarts the session and honours Retry-After") {
        fx.fake->faults.push_back([](const HttpRequest& r) -> std::optional<Result<HttpResponse>> {
            if (r.method != "PUT") return std::nullopt;
            return fail_with(503, {{"retry-after", "2"}});
        });
        auto t = fx.open();
        REQUIRE(t->upload_blob(file_blob(file, content)).ok());
        CHECK(fx.fake->count("POST") == 2);
        CHECK(fx.fake->count("PUT /v2/acme/tool/blobs/uploads/u2") == 1);
        CHECK(fx.clock.sleeps == std::vector<milliseconds>{milliseconds(2000)});
        CHECK(t->stats().retries == 1);
        CHECK(t->stats().blobs_uploaded == 1);
    }
    SUBCASE("a connection reset is retried too") {
        fx.fake->faults.push_back([](const HttpRequest& r) -> std::optional<Result<HttpResponse>> {
            if (r.method != "PUT") return std::nullopt;
            return Result<HttpResponse>(make_error(ErrorKind::transient, "PUT x: Connection reset by peer"));
        });
        auto t = fx.open();
        REQUIRE(t->upload_blob(file_blob(file, content)).ok());
        CHECK(fx.clock.sleeps.size() == 1);
    }
    SUBCASE("attempts are bounded; the error names method, object, status and registry code") {
        for (int i = 0; i < 10; ++i)
            fx.fake->faults.push_back([](const HttpRequest& r) -> std::optional<Result<HttpResponse>> {
                if (r.method != "PUT") return std::nullopt;
                return respond(500, {}, R"({"errors":[{"code":"UNKNOWN","message":"unknown error"}]})");
            });
        auto t = fx.open();
        auto r = t->upload_blob(file_blob(file, content));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::transient);
        CHECK(r.error().message ==
              "PUT blob registry.example/acme/tool@" + digest +
                  ": HTTP 500 Internal Server Error: UNKNOWN: unknown error (gave up after 5 attempts)");
        CHECK(fx.fake->count("POST") == 5);
        CHECK(t->stats().blobs_uploaded == 0);
    }
    SUBCASE("the registry refusing the digest is reported at once") {
        auto t = fx.open();
        store::BlobSource wrong = file_blob(file, content);
        wrong.digest = Digest::of("something else");
        wrong.size = 10;
        auto r = t->upload_blob(wrong);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::unavailable);
        CHECK(r.error().message ==
              "PUT blob registry.example/acme/tool@" + wrong.digest.str() +
                  ": HTTP 400 Bad Request: DIGEST_INVALID: provided digest did not match uploaded content");
        CHECK(fx.fake->count("POST") == 1);
    }
    SUBCASE("a Docker-Content-Digest that differs is a data error, not retried") {
        fx.fake->forced_digest_header = Digest::of("x").str();
        auto t = fx.open();
        auto r = t->upload_blob(file_blob(file, content));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        CHECK(r.error().message == "PUT blob registry.example/acme/tool@" + digest + ": the registry reports digest " +
                                       Digest::of("x").str() + ", expected " + digest + " (Docker-Content-Digest)");
        CHECK(fx.fake->count("POST") == 1);
    }
    SUBCASE("a file that changed size since hashing is refused before sending") {
        auto t = fx.open();
        store::BlobSource b = file_blob(file, content);
        b.size = 11;
        auto r = t->upload_blob(b);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::io);
        CHECK(r.error().message == file.string() + " changed since it was hashed: 10 bytes, expected 11");
        CHECK(fx.fake->log.empty());
    }
}

TEST_CASE("mount_blob") {
    Fixture fx;
    const std::string digest = Digest::of("layer").str();
    fx.fake->blobs["acme/base"][digest] = "layer";
    auto t = fx.open();

    SUBCASE("201: mounted") {
        CHECK(*t->mount_blob(Digest::of("layer"), "acme/base") == true);
        CHECK(fx.fake->log == std::vector<std::string>{"POST /v2/acme/tool/blobs/uploads/?mount=sha256%3A" +
                                                       Digest::of("layer").hex() + "&from=acme%2Fbase"});
        CHECK(fx.fake->blobs["acme/tool"][digest] == "layer");
        CHECK(t->stats().blobs_mounted == 1);
    }
    SUBCASE("202: not mounted, the session is cancelled") {
        CHECK(*t->mount_blob(Digest::of("missing"), "acme/base") == false);
        REQUIRE(fx.fake->log.size() == 2);
        CHECK(fx.fake->log[1] == "DELETE /v2/acme/tool/blobs/uploads/u1?_state=s0");
        CHECK(fx.fake->uploads.empty());
        CHECK(t->stats().blobs_mounted == 0);
    }
    SUBCASE("mounting from the repository itself asks nothing") {
        CHECK(*t->mount_blob(Digest::of("layer"), "acme/tool") == false);
        CHECK(fx.fake->log.empty());
    }
    SUBCASE("a registry that refuses mounts (405) means upload instead") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> { return respond(405); });
        CHECK(*t->mount_blob(Digest::of("layer"), "acme/base") == false);
    }
}

TEST_CASE("manifests") {
    Fixture fx;
    auto t = fx.open();
    store::Manifest m;
    m.media_type = "application/vnd.oci.image.index.v1+json";
    m.bytes = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";
    m.digest = Digest::of(m.bytes);

    SUBCASE("PUT by tag with the manifest's media type, GET it back by tag and by digest") {
        REQUIRE(t->put_manifest("1.0", m).ok());
        CHECK(header_of(fx.fake->requests[0], "Content-Type") == m.media_type);
        auto got = t->get_manifest("1.0");
        REQUIRE(got.ok());
        REQUIRE(got->has_value());
        CHECK((*got)->bytes == m.bytes);
        CHECK((*got)->digest == m.digest);
        CHECK((*got)->media_type == m.media_type);
        CHECK(header_of(fx.fake->requests[1], "Accept") ==
              "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
              "application/vnd.docker.distribution.manifest.list.v2+json, "
              "application/vnd.docker.distribution.manifest.v2+json");
        auto by_digest = t->get_manifest(m.digest.str());
        REQUIRE(by_digest->has_value());
        CHECK(fx.fake->log.back() == "GET /v2/acme/tool/manifests/" + m.digest.str());
    }
    SUBCASE("absent: nullopt") {
        auto got = t->get_manifest("9.9");
        REQUIRE(got.ok());
        CHECK_FALSE(got->has_value());
    }
    SUBCASE("a generic Content-Type is replaced by the document's mediaType") {
        fx.fake->manifests["acme/tool"]["x"] = {"application/json", m.bytes};
        CHECK((*t->get_manifest("x"))->media_type == m.media_type);
    }
    SUBCASE("bytes that do not match the digest asked for are a data error") {
        fx.fake->manifests["acme/tool"][m.digest.str()] = {m.media_type, m.bytes + " "};
        auto got = t->get_manifest(m.digest.str());
        REQUIRE_FALSE(got.ok());
        CHECK(got.error().kind == ErrorKind::data);
        CHECK(got.error().message == "GET manifest registry.example/acme/tool@" + m.digest.str() +
                                         ": the registry served bytes with digest " + Digest::of(m.bytes + " ").str());
    }
    SUBCASE("PUT by digest must be the manifest's digest; bytes must hash to it") {
        auto r = t->put_manifest(Digest::of("x").str(), m);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::internal);
        store::Manifest bad = m;
        bad.bytes += " ";
        CHECK(t->put_manifest("1.0", bad).error().kind == ErrorKind::internal);
        CHECK(fx.fake->log.empty());
        REQUIRE(t->put_manifest(m.digest.str(), m).ok());
    }
    SUBCASE("the registry reporting another digest is a data error") {
        fx.fake->forced_digest_header = Digest::of("x").str();
        auto r = t->put_manifest("1.0", m);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
    }
    SUBCASE("an invalid manifest: registry code and message, the reference named") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return respond(400, {}, R"({"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid","detail":{}}]})");
        });
        auto r = t->put_manifest("1.0", m);
        CHECK(r.error().message ==
              "PUT manifest registry.example/acme/tool:1.0: HTTP 400 Bad Request: MANIFEST_INVALID: manifest invalid");
    }
    SUBCASE("a blob the registry does not see yet (MANIFEST_BLOB_UNKNOWN) is retried, then reported") {
        const std::string body =
            R"({"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"},)"
            R"({"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:ab"}]})";
        for (int i = 0; i < 2; ++i)
            fx.fake->faults.push_back(
                [body](const HttpRequest&) -> std::optional<Result<HttpResponse>> { return respond(400, {}, body); });
        REQUIRE(t->put_manifest("1.0", m).ok());
        CHECK(fx.clock.sleeps.size() == 2);
        for (int i = 0; i < 5; ++i)
            fx.fake->faults.push_back(
                [body](const HttpRequest&) -> std::optional<Result<HttpResponse>> { return respond(400, {}, body); });
        auto r = t->put_manifest("1.1", m);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::transient);
        CHECK(r.error().message ==
              "PUT manifest registry.example/acme/tool:1.1: HTTP 400 Bad Request: DIGEST_INVALID: provided digest did not "
              "match uploaded content; MANIFEST_BLOB_UNKNOWN: blob unknown to registry (gave up after 5 attempts)");
    }
    SUBCASE("put_manifest_once: MANIFEST_BLOB_UNKNOWN comes back at once as transient (publish retries it)") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return respond(400, {}, R"({"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
        });
        RetryHint hint;
        auto r = t->put_manifest_once(m.digest.str(), m, hint);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::transient);
        CHECK(r.error().message == "PUT manifest registry.example/acme/tool@" + m.digest.str() +
                                       ": HTTP 400 Bad Request: MANIFEST_BLOB_UNKNOWN: blob unknown to registry");
        CHECK_FALSE(hint.final);
        CHECK(fx.clock.sleeps.empty());
    }
    SUBCASE("other 400s are not retried") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return respond(400, {}, R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})");
        });
        auto r = t->put_manifest("1.0", m);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::unavailable);
        CHECK(fx.clock.sleeps.empty());
    }
    SUBCASE("403 is a permission error") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return respond(403, {},
                           R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})");
        });
        auto r = t->put_manifest("1.0", m);
        CHECK(r.error().kind == ErrorKind::permission);
    }
    SUBCASE("put_manifest_once: one request, a 503 comes back at once with the server's Retry-After") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return fail_with(503, {{"retry-after", "7"}});
        });
        RetryHint hint;
        auto r = t->put_manifest_once("1.0", m, hint);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::transient);
        CHECK(fx.fake->log == std::vector<std::string>{"PUT /v2/acme/tool/manifests/1.0"});
        CHECK(fx.clock.sleeps.empty());
        REQUIRE(hint.retry_after.has_value());
        CHECK(*hint.retry_after == milliseconds(7000));
        RetryHint again;
        REQUIRE(t->put_manifest_once("1.0", m, again).ok());
        CHECK(fx.fake->manifests["acme/tool"]["1.0"].bytes == m.bytes);
    }
    SUBCASE("429 with an HTTP-date Retry-After in the past retries at once") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return fail_with(429, {{"retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"}});
        });
        REQUIRE(t->put_manifest("1.0", m).ok());
        CHECK(fx.clock.sleeps.size() == 1);
        CHECK(fx.clock.sleeps[0] == milliseconds(500));  // the backoff floor wins over a past date
    }
}

TEST_CASE("list_tags") {
    Fixture fx;
    auto t = fx.open();

    SUBCASE("missing repository: nullopt") {
        auto r = t->list_tags();
        REQUIRE(r.ok());
        CHECK_FALSE(r->has_value());
    }
    SUBCASE("pages followed through Link rel=next") {
        for (std::string tag : {"1.0", "1.1", "2.0", "latest", "sha256.abc"})
            fx.fake->manifests["acme/tool"][tag] = {"x", "{}"};
        auto r = t->list_tags();
        REQUIRE(r.ok());
        REQUIRE(r->has_value());
        CHECK(**r == std::vector<std::string>{"1.0", "1.1", "2.0", "latest", "sha256.abc"});
        CHECK(fx.fake->log == std::vector<std::string>{"GET /v2/acme/tool/tags/list?n=1000",
                                                       "GET /v2/acme/tool/tags/list?last=1.1&n=2",
                                                       "GET /v2/acme/tool/tags/list?last=latest&n=2"});
    }
    SUBCASE("a page that fails transiently is retried alone") {
        for (std::string tag : {"1.0", "1.1", "2.0"}) fx.fake->manifests["acme/tool"][tag] = {"x", "{}"};
        fx.fake->faults.push_back([](const HttpRequest& r) -> std::optional<Result<HttpResponse>> {
            if (r.url.find("last=") == std::string::npos) return std::nullopt;
            return fail_with(502);
        });
        auto r = t->list_tags();
        REQUIRE(r.ok());
        CHECK((*r)->size() == 3);
        CHECK(fx.fake->log.size() == 3);
    }
    SUBCASE("names outside the tag grammar are dropped; past 100000 tags is an error") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return respond(200, {}, R"({"tags":["1.0","\u001b[31mred","a+b",")" + std::string(129, 'x') + R"(",7,"2.0"]})");
        });
        auto r = t->list_tags();
        REQUIRE(r.ok());
        CHECK(**r == std::vector<std::string>{"1.0", "2.0"});

        std::string many = R"({"tags":[)";
        for (int i = 0; i < 1000; ++i) many += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
        many += "]}";
        for (int page = 0; page <= 100; ++page)
            fx.fake->faults.push_back([many, page](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
                return respond(200,
                               {{"link", "</v2/acme/tool/tags/list?page=" + std::to_string(page + 1) + ">; rel=\"next\""}},
                               many);
            });
        auto too_many = t->list_tags();
        REQUIRE_FALSE(too_many.ok());
        CHECK(too_many.error().message == "GET tags registry.example/acme/tool: more than 100000 tags");
    }
    SUBCASE("null tags is an empty list; a pagination loop is an error") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
            return respond(200, {}, R"({"name":"acme/tool","tags":null})");
        });
        CHECK((*t->list_tags())->empty());
        for (int i = 0; i < 3; ++i)
            fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> {
                return respond(200, {{"link", "</v2/acme/tool/tags/list?n=1000>; rel=\"next\""}}, R"({"tags":[]})");
            });
        auto loop = t->list_tags();
        REQUIRE_FALSE(loop.ok());
        CHECK(loop.error().message == "GET tags registry.example/acme/tool: the registry's pagination loops or is unusable");
    }
}

TEST_CASE("fetch_blob") {
    Fixture fx;
    const std::string digest = Digest::of("payload").str();
    fx.fake->blobs["acme/tool"][digest] = "payload";
    fx.env["OCX_AUTH_registry_example_TOKEN"] = "ready-token-123";
    auto t = fx.open();
    std::string received;
    const store::ByteSink sink = [&](const char* d, std::size_t n) -> Status {
        received.append(d, n);
        return {};
    };

    SUBCASE("streams into the sink") {
        REQUIRE(t->fetch_blob(Digest::of("payload"), sink).ok());
        CHECK(received == "payload");
    }
    SUBCASE("follows the redirect to storage without the registry's Authorization") {
        fx.fake->redirect_blobs = true;
        REQUIRE(t->fetch_blob(Digest::of("payload"), sink).ok());
        CHECK(received == "payload");
        REQUIRE(fx.fake->requests.size() == 2);
        CHECK(header_of(fx.fake->requests[0], "Authorization") == "Bearer ready-token-123");
        CHECK(header_of(fx.fake->requests[1], "Authorization").empty());
        CHECK(fx.fake->log[1] == "GET storage.example/b/" + digest);
    }
    SUBCASE("absent: not_found naming blob and repository") {
        Status s = t->fetch_blob(Digest::of("nothing"), sink);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::not_found);
        CHECK(s.error().message == "blob " + Digest::of("nothing").str() + " not found in registry.example/acme/tool");
    }
    SUBCASE("a failure before any byte is retried; after bytes reached the sink it is not") {
        fx.fake->faults.push_back([](const HttpRequest&) -> std::optional<Result<HttpResponse>> { return fail_with(503); });
        REQUIRE(t->fetch_blob(Digest::of("payload"), sink).ok());
        CHECK(received == "payload");
        received.clear();
        fx.fake->faults.push_back([](const HttpRequest& r) -> std::optional<Result<HttpResponse>> {
            (void)(*r.sink)("pay", 3);
            return Result<HttpResponse>(make_error(ErrorKind::transient, "GET x: Connection reset by peer"));
        });
        Status s = t->fetch_blob(Digest::of("payload"), sink);
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::transient);
        CHECK(received == "pay");
    }
    SUBCASE("a sink error aborts without retry") {
        const store::ByteSink failing = [](const char*, std::size_t) -> Status {
            return make_error(ErrorKind::io, "disk full");
        };
        Status s = t->fetch_blob(Digest::of("payload"), failing);
        CHECK(s.error().message == "disk full");
        CHECK(fx.fake->requests.size() == 1);
    }
}

TEST_CASE("open_registry") {
    Fixture fx;
    oci::Reference ref;
    ref.registry = "registry.example";
    ref.repository = "acme/tool";

    SUBCASE("a --ca-file that does not exist is a usage error") {
        RegistryOptions o;
        o.ca_file = "/nonexistent/ca.pem";
        o.env = [](const std::string&) { return std::optional<std::string>(); };
        auto r = open_registry(ref, o);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::usage);
        CHECK(r.error().message == "--ca-file /nonexistent/ca.pem: no such file");
        o.ca_file.clear();
        o.env = [](const std::string& n) {
            return n == "SSL_CERT_FILE" ? std::optional<std::string>("/nonexistent/b.pem") : std::nullopt;
        };
        CHECK(open_registry(ref, o).error().message == "SSL_CERT_FILE /nonexistent/b.pem: no such file");
        // An environment value is outside text: quoted escaped.
        o.env = [](const std::string& n) {
            return n == "SSL_CERT_FILE" ? std::optional<std::string>("/x\n::error::y\x1b[0m") : std::nullopt;
        };
        CHECK(open_registry(ref, o).error().message == "SSL_CERT_FILE /x\\n::error::y\\x1b[0m: no such file");
    }
    SUBCASE("bad OCX_AUTH variables stop it") {
        fx.env["OCX_AUTH_registry_example_TYPE"] = "magic";
        fx.options.transport = fx.fake;
        fx.options.env = [&](const std::string& n) -> std::optional<std::string> {
            auto it = fx.env.find(n);
            return it == fx.env.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        auto r = open_registry(ref, fx.options);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::usage);
    }
    SUBCASE("OCX_INSECURE_REGISTRIES allows plain HTTP for a listed host") {
        fx.env["OCX_INSECURE_REGISTRIES"] = "registry.example, other:5000";
        auto t = fx.open();
        fx.fake->faults.push_back([](const HttpRequest& r) -> std::optional<Result<HttpResponse>> {
            if (r.url.rfind("https://", 0) != 0) return std::nullopt;
            return Result<HttpResponse>(make_error(ErrorKind::transient, "SSL connect error"));
        });
        REQUIRE(t->blob_exists(Digest::of("x")).ok());
        CHECK(fx.fake->requests.back().url.rfind("http://registry.example/v2/acme/tool/blobs/", 0) == 0);
    }
}

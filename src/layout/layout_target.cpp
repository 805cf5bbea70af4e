#include "layout/layout_target.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <system_error>
#include <vector>

#include "layout/verified_copy.hpp"
#include "util/files.hpp"

namespace ocx::layout {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kOciLayoutFile = "oci-layout";
constexpr std::string_view kIndexFile = "index.json";
constexpr std::string_view kLockFile = ".ocx-lock";
constexpr std::string_view kOciLayoutContent = R"({"imageLayoutVersion":"1.0.0"})";

/// OCI distribution spec tag grammar; the layout stores the same tags a registry would.
bool valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > 128) return false;
    auto word = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    };
    if (!word(tag[0])) return false;
    for (char c : tag.substr(1)) {
        if (!word(c) && c != '.' && c != '-') return false;
    }
    return true;
}

/// "sha256:…" (or any "algo:…") is a digest reference; anything else is a tag.
bool is_digest_reference(std::string_view reference) { return reference.find(':') != std::string_view::npos; }

Result<bool> path_exists(const fs::path& path) {
    std::error_code ec;
    auto st = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
        return make_error(ErrorKind::io, "cannot access " + path.string() + ": " + ec.message());
    }
    return fs::exists(st);
}

}  // namespace

LayoutTarget::LayoutTarget(fs::path dir) : dir_(std::move(dir)) {}

std::string LayoutTarget::describe() const { return "oci:" + dir_.string(); }

fs::path LayoutTarget::blob_path(const Digest& digest) const { return dir_ / "blobs" / "sha256" / digest.hex(); }

Status LayoutTarget::ensure_created() {
    if (created_) return {};
    // The lock file comes first so that a concurrent open_layout never sees a half-made layout
    // without a sign that it is one.
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return make_error(ErrorKind::io, "cannot create " + dir_.string() + ": " + ec.message());
    auto lock = FileLock::acquire(dir_ / kLockFile);
    if (!lock) return std::move(lock).error();
    fs::create_directories(dir_ / "blobs" / "sha256", ec);
    if (ec) return make_error(ErrorKind::io, "cannot create " + (dir_ / "blobs" / "sha256").string() + ": " + ec.message());
    for (auto [name, content] : {std::pair{kOciLayoutFile, kOciLayoutContent}, std::pair{kIndexFile, std::string_view()}}) {
        auto exists = path_exists(dir_ / name);
        if (!exists) return std::move(exists).error();
        if (*exists) continue;
        std::string text = content.empty() ? IndexFile().serialize() : std::string(content);
        if (auto w = write_file_atomic(dir_ / name, text); !w) return w;
    }
    created_ = true;
    return {};
}

Result<IndexFile> LayoutTarget::read_index() const {
    auto text = read_file(dir_ / kIndexFile);
    if (!text) return std::move(text).error();
    if (!*text) return IndexFile();
    return IndexFile::parse(**text, (dir_ / kIndexFile).string());
}

Result<std::optional<std::string>> LayoutTarget::read_verified_blob(const Digest& digest,
                                                                    std::optional<std::uint64_t> size) const {
    auto bytes = read_file(blob_path(digest));
    if (!bytes || !*bytes) return bytes;
    const std::string& b = **bytes;
    if ((size && b.size() != *size) || Digest::of(b) != digest) {
        return make_error(ErrorKind::data, describe() + ": blob " + digest.str() + " is corrupt: it holds " +
                                               std::to_string(b.size()) + " bytes with digest " + Digest::of(b).str());
    }
    return bytes;
}

Result<bool> LayoutTarget::blob_exists(const Digest& digest) { return path_exists(blob_path(digest)); }

Result<std::optional<std::uint64_t>> LayoutTarget::blob_size(const Digest& digest) {
    std::error_code ec;
    const auto size = fs::file_size(blob_path(digest), ec);
    if (ec == std::errc::no_such_file_or_directory) return std::optional<std::uint64_t>{};
    if (ec) return make_error(ErrorKind::io, describe() + ": blob " + digest.str() + ": " + ec.message());
    return std::optional<std::uint64_t>{static_cast<std::uint64_t>(size)};
}

Result<std::uint64_t> LayoutTarget::upload_blob(const store::BlobSource& blob) {
    if (auto c = ensure_created(); !c) return std::move(c).error();
    auto copied = layout::copy_verified(blob.path, blob.bytes, blob.digest, blob.size, blob_path(blob.digest));
    if (!copied) return std::move(copied).error();
    return copied->size;
}

Result<bool> LayoutTarget::mount_blob(const Digest&, std::string_view) { return false; }

Status LayoutTarget::fetch_blob(const Digest& digest, const store::ByteSink& sink) {
    fs::path path = blob_path(digest);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return make_error(ErrorKind::not_found, "blob " + digest.str() + " not found in " + describe());
        return make_error(ErrorKind::io, "cannot open " + path.string() + ": " + std::system_category().message(errno));
    }
    std::vector<char> buf(1 << 20);
    Status status;
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            status =
                make_error(ErrorKind::io, "cannot read " + path.string() + ": " + std::system_category().message(errno));
            break;
        }
        if (n == 0) break;
        status = sink(buf.data(), static_cast<std::size_t>(n));
        if (!status) break;
    }
    ::close(fd);
    return status;
}

Result<std::optional<store::Manifest>> LayoutTarget::get_manifest(std::string_view reference) {
    using Out = std::optional<store::Manifest>;
    if (is_digest_reference(reference)) {
        auto digest = Digest::parse(reference);
        if (!digest) return std::move(digest).error();
        auto bytes = read_verified_blob(*digest, std::nullopt);
        if (!bytes) return std::move(bytes).error();
        if (!*bytes) return Out{};
        // By digest there is no descriptor: the document names its own type (OCX always writes it).
        std::string media_type = document_media_type(**bytes);
        return Out(store::Manifest{std::move(media_type), std::move(**bytes), *digest});
    }
    auto index = read_index();
    if (!index) return std::move(index).error();
    auto entry = index->find(reference);
    if (!entry) return std::move(entry).error();
    if (!*entry) return Out{};
    const oci::Descriptor& d = **entry;
    auto bytes = read_verified_blob(d.digest, d.size);
    if (!bytes) return std::move(bytes).error();
    if (!*bytes) {
        return make_error(ErrorKind::data, describe() + ": tag \"" + std::string(reference) + "\" points at " +
                                               d.digest.str() + " but blobs/sha256/" + d.digest.hex() + " is missing");
    }
    return Out(store::Manifest{d.media_type, std::move(**bytes), d.digest});
}

Status LayoutTarget::put_manifest(std::string_view reference, const store::Manifest& manifest) {
    Digest actual = Digest::of(manifest.bytes);
    if (!manifest.digest.empty() && manifest.digest != actual) {
        return make_error(ErrorKind::internal,
                          "manifest bytes hash to " + actual.str() + ", not to the stated " + manifest.digest.str());
    }
    const bool by_digest = is_digest_reference(reference);
    if (by_digest) {
        auto digest = Digest::parse(reference);
        if (!digest) return std::move(digest).error();
        if (*digest != actual) {
            return make_error(ErrorKind::data,
                              "cannot store a manifest under " + digest->str() + ": its bytes hash to " + actual.str());
        }
    } else if (!valid_tag(reference)) {
        return make_error(ErrorKind::data,
                          "invalid tag \"" + std::string(reference) + "\": expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    }
    std::string media_type = manifest.media_type.empty() ? document_media_type(manifest.bytes) : manifest.media_type;
    if (media_type.empty()) {
        return make_error(ErrorKind::data, "manifest " + actual.str() + " has no media type");
    }
    if (auto c = ensure_created(); !c) return c;
    auto stored = layout::copy_verified({}, manifest.bytes, actual, manifest.bytes.size(), blob_path(actual));
    if (!stored) return std::move(stored).error();
    if (by_digest) return {};

    // Read-modify-write of index.json, serialized across processes by the lock.
    auto lock = FileLock::acquire(dir_ / kLockFile);
    if (!lock) return std::move(lock).error();
    auto index = read_index();
    if (!index) return std::move(index).error();
    index->set_tag(reference, oci::Descriptor{media_type, actual, manifest.bytes.size(), {}});
    return write_file_atomic(dir_ / kIndexFile, index->serialize());
}

Result<std::optional<std::vector<std::string>>> LayoutTarget::list_tags() {
    using Out = std::optional<std::vector<std::string>>;
    auto index_exists = path_exists(dir_ / kIndexFile);
    if (!index_exists) return std::move(index_exists).error();
    if (!*index_exists) return Out{};  // no layout here: "repository not found"
    auto index = read_index();
    if (!index) return std::move(index).error();
    return Out(index->tags());
}

Result<std::unique_ptr<store::Target>> open_layout(const fs::path& dir) {
    std::string where = "oci:" + dir.string();
    std::error_code ec;
    auto st = fs::status(dir, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
        return make_error(ErrorKind::io, where + ": cannot access " + dir.string() + ": " + ec.message());
    }
    if (fs::exists(st)) {
        if (!fs::is_directory(st)) return make_error(ErrorKind::data, where + ": not a directory");
        auto layout_text = read_file(dir / kOciLayoutFile);
        if (!layout_text) return std::move(layout_text).error();
        if (*layout_text) {
            if (auto v = check_layout_version(**layout_text, (dir / kOciLayoutFile).string()); !v) {
                return std::move(v).error();
            }
        } else {
            // index.json alone is a layout missing its marker; .ocx-lock alone is one being created.
            auto has_index = path_exists(dir / kIndexFile);
            if (!has_index) return std::move(has_index).error();
            auto has_lock = path_exists(dir / kLockFile);
            if (!has_lock) return std::move(has_lock).error();
            bool empty = fs::is_empty(dir, ec);
            if (ec) return make_error(ErrorKind::io, where + ": cannot list " + dir.string() + ": " + ec.message());
            if (!*has_index && !*has_lock && !empty) {
                return make_error(ErrorKind::data, where +
                                                       ": the directory is not empty and is not an OCI image "
                                                       "layout (no oci-layout or index.json); refusing to write into it");
            }
        }
    }
    return std::unique_ptr<store::Target>(std::make_unique<LayoutTarget>(dir));
}

}  // namespace ocx::layout

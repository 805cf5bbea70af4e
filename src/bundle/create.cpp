// create(): the one-pass bundle pipeline of docs/wire-format.md §6 and docs/cli.md ("hashing while writing
// so no file is read twice"):
//
//   scan (validate everything, write nothing) -> libarchive tar -> liblzma mt encoder -> temp file
//                                                                  + SHA-256 of exactly those bytes
//
// Memory is bounded by the xz workers (xz_encoder.cpp) plus one read buffer, whatever the input size.
// A file whose size changes between scan and write is an error rather than a silently different
// archive.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bundle/bundle.hpp"
#include "bundle/names.hpp"
#include "bundle/tar_writer.hpp"
#include "bundle/xz_encoder.hpp"
#include "util/atomic_file.hpp"

namespace ocx::bundle {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t read_buffer_size = 1 << 20;

// SOURCE_DATE_EPOCH (reproducible-builds.org): decimal seconds; empty counts as unset.
Result<std::int64_t> resolve_mtime(const std::optional<std::int64_t>& explicit_mtime) {
    if (explicit_mtime) return *explicit_mtime;
    const char* env = std::getenv("SOURCE_DATE_EPOCH");
    if (env == nullptr || *env == '\0') return std::int64_t{0};
    std::string_view text = env;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return make_error(ErrorKind::usage,
                          "SOURCE_DATE_EPOCH=\"" + std::string(text) + "\" is not a whole number of seconds");
    return value;
}

bool is_within(const fs::path& path, const fs::path& dir) {
    auto [d, p] = std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
    return d == dir.end();
}

// Refuses an output that exists (unless replacing) or is a directory, and one inside the source
// tree (it would archive itself, or a previous bundle). Paths are compared after resolving symlinks.
Status check_output(const BundleOptions& options) {
    if (options.output.empty() || options.output.filename().empty())
        return make_error(ErrorKind::usage, "output path \"" + options.output.string() + "\" does not name a file");
    std::error_code ec;
    const fs::file_status st = fs::status(options.output, ec);
    if (fs::is_directory(st)) return make_error(ErrorKind::data, options.output.string() + " is a directory");
    if (fs::exists(st) && !options.overwrite) return make_error(ErrorKind::data, already_exists_message(options.output));

    const fs::path source = fs::canonical(options.source, ec);
    if (ec) return {};  // scan() reports a missing source
    const fs::path output = fs::weakly_canonical(fs::absolute(options.output, ec), ec);
    if (ec) return make_error(ErrorKind::io, "output " + options.output.string() + ": " + ec.message());
    if (!fs::is_directory(source)) {
        if (output == source)
            return make_error(ErrorKind::data, "output " + quote_name(source.filename().string()) + " is the source file");
    } else if (is_within(output, source)) {
        return make_error(ErrorKind::data, "output " + quote_name(output.lexically_relative(source).generic_string()) +
                                               " is inside the source; the bundle would archive itself");
    }
    return {};
}

// Streams one file's contents into the tar writer, checking it still has the size scan() saw.
// With `sha`, the bytes read are hashed too.
Status copy_file(const Entry& entry, TarWriter& tar, std::vector<char>& buffer,
                 const std::function<void(std::uint64_t)>& on_read, Sha256* sha) {
    const int fd = ::open(entry.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return make_error(ErrorKind::io, quote_name(entry.name) + " cannot be read: " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    auto changed = [&entry] {
        return make_error(ErrorKind::io, quote_name(entry.name) + " changed while it was being bundled");
    };
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != entry.size)
        return changed();
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    std::uint64_t left = entry.size;
    while (left > 0) {
        const std::size_t want = left < buffer.size() ? static_cast<std::size_t>(left) : buffer.size();
        const ssize_t n = ::read(fd, buffer.data(), want);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(ErrorKind::io, quote_name(entry.name) + " cannot be read: " + std::strerror(errno));
        }
        if (n == 0) return changed();  // shrank
        if (Status s = tar.write_data(buffer.data(), static_cast<std::size_t>(n)); !s) return s;
        if (sha != nullptr) sha->update(buffer.data(), static_cast<std::size_t>(n));
        left -= static_cast<std::uint64_t>(n);
        on_read(static_cast<std::uint64_t>(n));
    }
    char extra = 0;
    if (::read(fd, &extra, 1) > 0) return changed();  // grew
    return {};
}

}  // namespace

Result<BundleResult> create(const BundleOptions& options) {
    auto mtime = resolve_mtime(options.mtime);
    if (!mtime) return std::move(mtime).error();
    if (Status s = check_output(options); !s) return std::move(s).error();
    auto entries = scan(options.source);
    if (!entries) return std::move(entries).error();

    auto out = AtomicFile::create(options.output, MissingParents::create);
    if (!out) return std::move(out).error();

    BundleResult result;
    result.path = options.output;
    result.entries = entries->size();
    Sha256 sha;
    std::uint64_t in_bytes = 0;
    ByteSink to_file = [&](const void* data, std::size_t size) -> Status {
        sha.update(data, size);
        result.size += size;
        return out->write(data, size);
    };
    const std::uint32_t preset = xz_preset(options.level);
    auto xz = XzEncoder::create(XzSettings{preset, xz_block_size(preset), options.threads}, to_file);
    if (!xz) return std::move(xz).error();
    auto tar = TarWriter::open([&xz](const void* data, std::size_t size) { return xz->write(data, size); });
    if (!tar) return std::move(tar).error();

    auto on_read = [&](std::uint64_t n) {
        in_bytes += n;
        if (options.progress) options.progress(in_bytes, result.size);
    };
    std::vector<char> buffer(read_buffer_size);
    for (const Entry& entry : *entries) {
        if (Status s = (*tar)->add(entry, *mtime); !s) return std::move(s).error();
        if (entry.type != EntryType::file) continue;
        std::optional<Sha256> file_sha;
        if (options.file_digests) file_sha.emplace();
        if (Status s = copy_file(entry, **tar, buffer, on_read, file_sha ? &*file_sha : nullptr); !s)
            return std::move(s).error();
        if (file_sha) result.files.push_back({entry.name, file_sha->finish()});
        result.input_bytes += entry.size;
    }
    if (Status s = (*tar)->close(); !s) return std::move(s).error();
    if (Status s = xz->finish(); !s) return std::move(s).error();
    if (Status s = out->commit(options.overwrite ? ExistingFile::replace : ExistingFile::refuse); !s)
        return std::move(s).error();
    result.digest = sha.finish();
    if (options.progress) options.progress(in_bytes, result.size);
    return result;
}

}  // namespace ocx::bundle

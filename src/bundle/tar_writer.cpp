// Tar members as docs/wire-format.md §6 wants them, written by libarchive with our own output callback.
//
// FORMAT: "restricted pax" (POSIX.1-2001 pax interchange, libarchive's and bsdtar's default). Every
// member gets a ustar header; a pax extended header is added only when the ustar fields cannot hold the
// member: a path over 100 bytes that cannot be split into a 155-byte prefix and a 100-byte name, a link
// target over 100 bytes, or a non-ASCII path or target (pax `path`/`linkpath` records, UTF-8). So short
// ASCII trees are plain ustar, long names are standard, and GNU tar and bsdtar extract both. GNU format
// (././@LongLink) is not a standard; plain ustar cannot hold long names.
//
// DETERMINISM: we build every archive_entry from scratch: pathname, type, permission bits, size,
// mtime (seconds, nanoseconds 0), uid/gid 0, symlink target — no user/group names, no atime, ctime or
// birth time, no xattrs, ACLs or file flags — so no other pax records can appear. libarchive names a pax
// header "<dir>/PaxHeader/<name>" (no pid) and gives it the member's mtime, uid and gid. Records are
// 10240 bytes (GNU tar's default blocking factor) and the last one is padded in full, set explicitly.
// libarchive converts names from the current locale to UTF-8 for pax records and falls back to
// "hdrcharset=BINARY" (or worse, crashes in 3.6.2) in the C locale; libarchive calls therefore run under
// a thread-local UTF-8 LC_CTYPE (uselocale), so the bytes never depend on the process locale.

#include "bundle/tar_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <clocale>

#include <algorithm>
#include <optional>
#include <string>

namespace ocx::bundle {

struct TarWriter::Impl {
    archive* writer = nullptr;
    locale_t utf8 = static_cast<locale_t>(nullptr);
    ByteSink sink;
    std::optional<Error> sink_error;  // the first error the sink returned
    bool closed = false;

    ~Impl() {
        if (writer != nullptr) {
            // Freeing an unclosed writer closes it: after a failure, drop those end blocks.
            sink = [](const void*, std::size_t) -> Status { return {}; };
            archive_write_free(writer);
        }
        if (utf8 != static_cast<locale_t>(nullptr)) freelocale(utf8);
    }

    // The error to report after a libarchive call failed: the sink's own error when it caused it.
    Error failure(std::string_view what) {
        if (sink_error) return *sink_error;
        const char* text = archive_error_string(writer);
        return make_error(ErrorKind::internal, std::string(what) + ": " + (text != nullptr ? text : "libarchive error"));
    }
};

namespace {

// Makes `locale` the calling thread's locale for the guard's lifetime (a no-op when it is null).
class LocaleGuard {
public:
    explicit LocaleGuard(locale_t locale)
        : previous_(locale != static_cast<locale_t>(nullptr) ? uselocale(locale) : static_cast<locale_t>(nullptr)) {}
    ~LocaleGuard() {
        if (previous_ != static_cast<locale_t>(nullptr)) uselocale(previous_);
    }
    LocaleGuard(const LocaleGuard&) = delete;
    LocaleGuard& operator=(const LocaleGuard&) = delete;

private:
    locale_t previous_;
};

locale_t utf8_ctype() {
    for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8", "UTF-8"}) {
        if (locale_t l = newlocale(LC_CTYPE_MASK, name, static_cast<locale_t>(nullptr)); l != static_cast<locale_t>(nullptr))
            return l;
    }
    return static_cast<locale_t>(nullptr);
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

la_ssize_t write_callback(archive*, void* client, const void* buffer, size_t length) {
    auto* impl = static_cast<TarWriter::Impl*>(client);
    if (Status s = impl->sink(buffer, length); !s) {
        if (!impl->sink_error) impl->sink_error = s.error();
        return -1;
    }
    return static_cast<la_ssize_t>(length);
}

struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

}  // namespace

TarWriter::TarWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TarWriter::~TarWriter() = default;

Result<std::unique_ptr<TarWriter>> TarWriter::open(ByteSink sink) {
    auto impl = std::make_unique<Impl>();
    impl->sink = std::move(sink);
    impl->utf8 = utf8_ctype();
    LocaleGuard guard(impl->utf8);
    impl->writer = archive_write_new();
    if (impl->writer == nullptr) return make_error(ErrorKind::internal, "tar: cannot create a libarchive writer");
    archive* a = impl->writer;
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_add_filter_none(a) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(a, 10240) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 10240) != ARCHIVE_OK ||
        archive_write_open2(a, impl.get(), nullptr, write_callback, nullptr, nullptr) != ARCHIVE_OK)
        return impl->failure("tar");
    return std::unique_ptr<TarWriter>(new TarWriter(std::move(impl)));
}

Status TarWriter::add(const Entry& entry, std::int64_t mtime) {
    if (impl_->utf8 == static_cast<locale_t>(nullptr) && (!is_ascii(entry.name) || !is_ascii(entry.link_target)))
        return make_error(ErrorKind::data, "cannot store the non-ASCII name \"" + entry.name +
                                               "\": no UTF-8 locale (C.UTF-8) is available on this system");
    LocaleGuard guard(impl_->utf8);
    std::unique_ptr<archive_entry, EntryDeleter> ae(archive_entry_new());
    if (!ae) return make_error(ErrorKind::io, "tar: cannot allocate memory");
    archive_entry_copy_pathname(ae.get(), entry.name.c_str());
    switch (entry.type) {
        case EntryType::directory: archive_entry_set_filetype(ae.get(), AE_IFDIR); break;
        case EntryType::file:
            archive_entry_set_filetype(ae.get(), AE_IFREG);
            archive_entry_set_size(ae.get(), static_cast<la_int64_t>(entry.size));
            break;
        case EntryType::symlink:
            archive_entry_set_filetype(ae.get(), AE_IFLNK);
            archive_entry_copy_symlink(ae.get(), entry.link_target.c_str());
            break;
    }
    archive_entry_set_perm(ae.get(), static_cast<mode_t>(entry.mode));
    archive_entry_set_mtime(ae.get(), static_cast<time_t>(mtime), 0);
    archive_entry_set_uid(ae.get(), 0);
    archive_entry_set_gid(ae.get(), 0);
    // ARCHIVE_WARN means a name was stored as raw bytes ("hdrcharset=BINARY"): refuse, it is not portable.
    if (archive_write_header(impl_->writer, ae.get()) != ARCHIVE_OK) return impl_->failure("tar: " + entry.name);
    return {};
}

Status TarWriter::write_data(const void* data, std::size_t size) {
    LocaleGuard guard(impl_->utf8);
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const la_ssize_t n = archive_write_data(impl_->writer, p, size);
        if (n <= 0) return impl_->failure("tar");
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return {};
}

Status TarWriter::close() {
    if (impl_->closed) return make_error(ErrorKind::internal, "tar: closed twice");
    impl_->closed = true;
    LocaleGuard guard(impl_->utf8);
    if (archive_write_close(impl_->writer) != ARCHIVE_OK) return impl_->failure("tar");
    return {};
}

}  // namespace ocx::bundle

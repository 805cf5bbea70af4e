#pragma once
// Reading archive members for the member rules (bundle/member_rules.hpp), shared by the two
// readers of archives, check.cpp (push) and extract.cpp (install), so both see a header the
// same way: the same name (under a UTF-8 LC_CTYPE, so pax UTF-8 names convert the same whatever
// the process locale), the same type and the same link target.

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

#include <string>

#include "bundle/member_rules.hpp"

namespace ocx::bundle {

/// Makes a UTF-8 LC_CTYPE the calling thread's locale while it lives (as tar_writer.cpp does).
class Utf8Locale {
public:
    Utf8Locale() {
        for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8", "UTF-8"}) {
            utf8_ = newlocale(LC_CTYPE_MASK, name, static_cast<locale_t>(nullptr));
            if (utf8_ != static_cast<locale_t>(nullptr)) break;
        }
        if (utf8_ != static_cast<locale_t>(nullptr)) previous_ = uselocale(utf8_);
    }
    ~Utf8Locale() {
        if (utf8_ == static_cast<locale_t>(nullptr)) return;
        uselocale(previous_);
        freelocale(utf8_);
    }
    Utf8Locale(const Utf8Locale&) = delete;
    Utf8Locale& operator=(const Utf8Locale&) = delete;

private:
    locale_t utf8_ = static_cast<locale_t>(nullptr);
    locale_t previous_ = static_cast<locale_t>(nullptr);
};

/// One header's name, type, link and mode, owning its text (Member views into it).
struct ArchiveMember {
    std::string name;
    std::string link;
    MemberType type = MemberType::file;
    std::uint32_t mode = 0;

    explicit ArchiveMember(archive_entry* entry) {
        const char* n = archive_entry_pathname(entry);
        if (n == nullptr) n = archive_entry_pathname_utf8(entry);
        name = n != nullptr ? n : "";
        mode = static_cast<std::uint32_t>(archive_entry_mode(entry)) & 07777u;
        if (const char* hardlink = archive_entry_hardlink(entry); hardlink != nullptr) {
            type = MemberType::hardlink;
            link = hardlink;
            return;
        }
        switch (archive_entry_filetype(entry)) {
            case AE_IFDIR: type = MemberType::directory; break;
            case AE_IFREG: type = MemberType::file; break;
            case AE_IFLNK: {
                type = MemberType::symlink;
                const char* target = archive_entry_symlink(entry);
                link = target != nullptr ? target : "";
                break;
            }
            case AE_IFCHR: type = MemberType::char_device; break;
            case AE_IFBLK: type = MemberType::block_device; break;
            case AE_IFIFO: type = MemberType::fifo; break;
            case AE_IFSOCK: type = MemberType::socket; break;
            default: type = MemberType::unknown; break;
        }
    }
    Member view() const { return Member{name, type, link, mode}; }
};

}  // namespace ocx::bundle

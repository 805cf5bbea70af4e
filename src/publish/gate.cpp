// The package gate stated in gate.hpp.
#include "publish/gate.hpp"

#include <map>
#include <optional>

#include "bundle/check.hpp"
#include "bundle/member_rules.hpp"
#include "bundle/names.hpp"
#include "metadata/binaries.hpp"
#include "oci/media_types.hpp"
#include "util/files.hpp"
#include "util/json.hpp"

namespace ocx::publish {

namespace fs = std::filesystem;

namespace {
// A receipt is a few hundred bytes; anything far larger is not one.
constexpr std::uintmax_t kMaxReceiptBytes = 64 * 1024;

struct Member {
    bundle::EntryType type = bundle::EntryType::file;
    std::uint32_t mode = 0;
    std::string link;  // symlink target
};
using Listing = std::map<std::string, Member>;

// `target` seen from the directory of the link `name`, normalized ("" is the package root);
// nullopt when it leaves the package.
std::optional<std::string> resolve_link(const std::string& name, const std::string& target) {
    const fs::path joined = (fs::path(name).parent_path() / target).lexically_normal();
    std::string s = joined.generic_string();
    if (joined.is_absolute() || s == ".." || s.rfind("../", 0) == 0) return std::nullopt;
    if (s == ".") return std::string{};
    if (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

// What `path` is once installed, following symlinks at every component as the file system does
// (`bin -> usr/bin` then `usr/bin/tool`), at most 40 of them as the kernel does. A directory an
// archive implies without listing it (`bin/tool` and no `bin/`) is a directory.
metadata::FileState state_in(const Listing& listing, const std::string& path) {
    std::string rest = path;
    std::string done;
    for (int links = 0; links <= 40;) {
        const auto slash = rest.find('/');
        const std::string part = rest.substr(0, slash);
        rest = slash == std::string::npos ? std::string{} : rest.substr(slash + 1);
        const std::string here = done.empty() ? part : done + "/" + part;
        auto it = listing.find(here);
        if (it != listing.end() && it->second.type == bundle::EntryType::symlink) {
            ++links;
            auto to = resolve_link(here, it->second.link);
            if (!to) return metadata::FileState::other;
            rest = to->empty() ? rest : rest.empty() ? *to : *to + "/" + rest;
            done.clear();
            if (rest.empty()) return metadata::FileState::other;  // the package root itself
            continue;
        }
        if (rest.empty()) {
            if (it == listing.end()) return metadata::FileState::absent;
            if (it->second.type != bundle::EntryType::file) return metadata::FileState::other;
            return (it->second.mode & 0111) != 0 ? metadata::FileState::executable : metadata::FileState::plain;
        }
        if (it != listing.end() && it->second.type != bundle::EntryType::directory) return metadata::FileState::absent;
        done = here;
    }
    return metadata::FileState::other;  // a symlink loop
}

// `name` as install places it: without the metadata's strip_components leading components; ""
// when nothing is left (install skips such a member).
std::string placed(const std::string& name, const metadata::Metadata* meta) {
    const auto strip = meta != nullptr && meta->strip_components ? *meta->strip_components : 0;
    if (strip <= 0) return name;
    auto parts = bundle::member_path(name);
    if (!parts) return {};
    auto kept = bundle::strip_leading(*parts, static_cast<std::uint64_t>(strip));
    return kept ? bundle::join_path(*kept) : std::string{};
}

std::vector<std::string> binaries_in(const Listing& listing, const metadata::Metadata* meta, const oci::Platform& platform) {
    if (meta == nullptr || !meta->binaries || meta->binaries->empty()) return {};
    return metadata::binary_problems(*meta, metadata::binary_rule(platform.str()),
                                     [&](const std::string& path) { return state_in(listing, path); });
}

fs::path receipt_path(const fs::path& archive) {
    return archive.parent_path() / (std::string(oci::archive_stem(archive.filename().string())) + "-receipt.json");
}

// The receipt's problems, if it names another platform or package.
std::vector<std::string> check_receipt(const fs::path& archive, const oci::Platform& platform, const std::string& package) {
    const fs::path file = receipt_path(archive);
    const std::string shown = file.filename().string();
    // The bounded reader: absent is fine, a device, a FIFO or anything over the cap is not a receipt.
    auto text = read_file(file, kMaxReceiptBytes);
    if (!text) return {text.error().message};
    if (!*text) return {};
    auto root = json::parse(**text, shown);
    if (!root) return {root.error().message};
    json::Diagnostics diag;
    json::ObjectReader rd(*root, "", diag);
    auto made_for = rd.string("platform", true);
    auto identifier = rd.string("identifier", true);
    std::vector<std::string> problems;
    for (const auto& item : diag.items()) problems.push_back(shown + ":" + item);
    if (made_for) {
        auto p = oci::Platform::parse(*made_for);
        if (!p || !(*p == platform))
            problems.push_back("the archive was made for " + bundle::quote_name(*made_for) + ", not " + platform.str() +
                               " (its receipt " + shown + " says so); give this platform its own archive");
    }
    if (identifier && !package.empty() && package_name(*identifier) != package)
        problems.push_back("the archive was made for package " + bundle::quote_name(package_name(*identifier)) + " (" +
                           shown + ": " + bundle::quote_name(*identifier) + "), not \"" + package + "\"");
    return problems;
}
}  // namespace

std::string package_name(std::string_view reference) {
    std::string_view r = reference;
    if (auto at = r.find('@'); at != std::string_view::npos) r = r.substr(0, at);
    const auto slash = r.rfind('/');
    if (auto colon = r.rfind(':'); colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash))
        r = r.substr(0, colon);
    return std::string(slash == std::string_view::npos ? r : r.substr(slash + 1));
}

std::vector<std::string> gate_tree(const std::vector<bundle::Entry>& entries, const metadata::Metadata* meta,
                                   const oci::Platform& platform) {
    Listing listing;
    bool has_content = false;
    for (const auto& e : entries) {
        if (auto name = placed(e.name, meta); !name.empty()) listing[name] = {e.type, e.mode, e.link_target};
        has_content = has_content || e.type != bundle::EntryType::directory;
    }
    if (!has_content) return {"the content tree holds no file: an empty package would be published"};
    return binaries_in(listing, meta, platform);
}

std::vector<std::string> gate_archive(const fs::path& archive, const oci::Platform& platform, const std::string& package,
                                      const metadata::Metadata* meta, const bundle::UnpackLimits& limits) {
    std::vector<std::string> problems = check_receipt(archive, platform, package);
    if (meta == nullptr || !meta->binaries || meta->binaries->empty()) return problems;
    const auto media_type = oci::layer_media_type(archive.filename().string());
    if (!media_type) return problems;
    Listing listing;
    auto checked = bundle::check_archive(archive, *media_type, limits, nullptr, [&](const bundle::ListedMember& m) {
        if (auto name = placed(m.name, meta); !name.empty())
            listing[name] = {m.type, m.mode, m.hardlink ? std::string{} : m.link};
    });
    if (!checked) {
        problems.push_back(checked.error().message);
        return problems;
    }
    // The walk is the check the release would make: record it, so the release only hashes the file.
    if (auto records = bundle::check_records_dir()) bundle::remember_checked(*records, *media_type, *checked);
    auto missing = binaries_in(listing, meta, platform);
    problems.insert(problems.end(), missing.begin(), missing.end());
    return problems;
}

}  // namespace ocx::publish

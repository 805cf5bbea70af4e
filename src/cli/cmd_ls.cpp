// `ocx-release ls REPO` (docs/cli.md "ls"): the versions of a package, newest first, each with its
// platforms and the rolling tags that point at it (publish/inventory.hpp reads them).
#include <boost/json.hpp>

#include <algorithm>
#include <map>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/target.hpp"
#include "plan/cascade.hpp"
#include "publish/inventory.hpp"
#include "util/escape.hpp"
#include "util/json.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

namespace {
// The platforms of one version that a rolling tag holds with exactly that version's entry.
struct Pointer {
    std::string tag;
    std::vector<std::string> platforms;
};

// For each version (by index in inv.versions), the rolling tags pointing at it. A rolling tag's
// entry for a platform is attributed to the newest version whose cascade moves that tag and whose
// entry for the platform has the same digest (a version republished under a new tag with the same
// bytes is not the one the tag follows).
std::vector<std::vector<Pointer>> pointers(const publish::Inventory& inv) {
    std::vector<std::vector<Pointer>> out(inv.versions.size());
    for (const auto& rolling : inv.rolling) {
        std::map<std::size_t, std::vector<std::string>> by_version;
        for (const auto& [platform, entry] : rolling.platforms) {
            for (std::size_t i = 0; i < inv.versions.size(); ++i) {
                const auto& v = inv.versions[i];
                const auto targets = plan::cascade_targets(v.version);
                if (std::find(targets.begin(), targets.end(), rolling.tag) == targets.end()) continue;
                const auto held = v.index.platforms.find(platform);
                if (held == v.index.platforms.end() || held->second.digest != entry.digest) continue;
                by_version[i].push_back(platform);
                break;
            }
        }
        for (auto& [i, platforms] : by_version) out[i].push_back({rolling.tag, std::move(platforms)});
    }
    return out;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + escape_text(item);
    return out;
}

std::string text_listing(const publish::Inventory& inv, const std::vector<std::vector<Pointer>>& ptrs) {
    std::size_t width = 0;
    for (const auto& v : inv.versions) width = std::max(width, escape_text(v.index.tag).size());
    std::string out;
    for (std::size_t i = 0; i < inv.versions.size(); ++i) {
        const auto& v = inv.versions[i];
        const std::string name = escape_text(v.index.tag);
        std::vector<std::string> platforms;
        for (const auto& [platform, entry] : v.index.platforms) platforms.push_back(platform);
        out +=
            name + std::string(width - name.size() + 2, ' ') + (platforms.empty() ? "(no platforms)" : join(platforms, " "));
        std::vector<std::string> tags;
        for (const auto& p : ptrs[i])
            tags.push_back(p.platforms.size() == v.index.platforms.size() ? p.tag
                                                                          : p.tag + " (" + join(p.platforms, " ") + ")");
        if (!tags.empty()) out += "  <- " + join(tags, ", ");
        out += '\n';
    }
    if (!inv.other.empty()) out += "other tags: " + join(inv.other, ", ") + '\n';
    return out;
}

boost::json::object json_listing(const std::string& package, const publish::Inventory& inv,
                                 const std::vector<std::vector<Pointer>>& ptrs) {
    boost::json::array versions;
    for (std::size_t i = 0; i < inv.versions.size(); ++i) {
        const auto& v = inv.versions[i];
        boost::json::object o;
        o["version"] = v.index.tag;
        o["digest"] = v.index.digest ? boost::json::value(v.index.digest->str()) : boost::json::value(nullptr);
        boost::json::array platforms;
        for (const auto& [platform, entry] : v.index.platforms)
            platforms.push_back(boost::json::object{{"platform", platform}, {"digest", entry.digest.str()}});
        o["platforms"] = std::move(platforms);
        boost::json::array tags;
        for (const auto& p : ptrs[i]) {
            boost::json::array held(p.platforms.begin(), p.platforms.end());
            tags.push_back(boost::json::object{{"tag", p.tag}, {"platforms", std::move(held)}});
        }
        o["rolling_tags"] = std::move(tags);
        versions.push_back(std::move(o));
    }
    boost::json::object out;
    out["package"] = package;
    out["versions"] = std::move(versions);
    out["other_tags"] = boost::json::array(inv.other.begin(), inv.other.end());
    return out;
}
}  // namespace

int cmd_ls(const Args& args) {
    CommonOptions common;
    TargetOptions target_options;
    std::string repository;
    po::options_description desc("ls options");
    desc.add_options()("repository", po::value(&repository), "REGISTRY/REPO or oci:DIR");
    add_connection_options(desc, target_options);
    add_common_options(desc, common);
    po::positional_options_description pos;
    pos.add("repository", 1);
    if (auto done = parse_or_help("ls", args, desc, &pos, common)) return *done;
    if (repository.empty()) return fail(make_error(ErrorKind::usage, "ls: missing REPO (REGISTRY/REPO or oci:DIR)"));
    auto ref = parse_reference(repository);
    if (!ref) return fail(ref.error());
    if (!ref->tag.empty() || ref->digest)
        return fail(make_error(ErrorKind::usage, "ls: \"" + escape_text(repository) +
                                                     "\" names a tag or digest; give the repository alone (" +
                                                     ref->repository_str() + ")"));
    auto target = open_target(*ref, target_options);
    if (!target) return fail(target.error());
    auto inv = publish::read_inventory(**target);
    if (!inv) return fail(inv.error());
    const auto ptrs = pointers(*inv);
    if (common.format == Format::json)
        print_stdout(json::pretty(json_listing(ref->repository_str(), *inv, ptrs)));
    else
        print_stdout(text_listing(*inv, ptrs));
    return 0;
}

}  // namespace ocx::cli

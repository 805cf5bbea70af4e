// bundle/member_rules (the archive member rules create, push and install share): never crash;
// a refusal leaves the tree as it was; and when a member list is accepted, an independent
// kernel-style resolver (recursive, unlike MemberTree's queue) finds every accepted symlink inside
// the package or looping, never outside, and no accepted member lies under a symlink or a file.
//
// Input: one member per line, "<type><name>[\t<link>]" with type d(irectory), f(ile), l (symlink),
// h(ardlink), c (character device), s (setuid file).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bundle/member_rules.hpp"
#include "fuzz_check.hpp"

using namespace ocx::bundle;

namespace {

struct Admitted {
    MemberType type;
    std::string target;
};
using Tree = std::map<std::string, Admitted>;

std::vector<std::string> split(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t slash = text.find('/', start);
        if (slash == std::string_view::npos) slash = text.size();
        std::string_view part = text.substr(start, slash - start);
        if (!part.empty() && part != ".") out.emplace_back(part);
        start = slash + 1;
    }
    return out;
}

enum class Where { inside, outside, loop };

// Resolves `rest` from directory `at` the way the kernel walks a path: one component at a time,
// a symlink's target walked recursively from the link's directory.
Where walk(const Tree& tree, std::vector<std::string>& at, const std::vector<std::string>& rest, int& budget) {
    for (const auto& part : rest) {
        if (part == "..") {
            if (at.empty()) return Where::outside;
            at.pop_back();
            continue;
        }
        at.push_back(part);
        auto it = tree.find(join_path(at));
        if (it == tree.end() || it->second.type != MemberType::symlink) continue;
        if (--budget < 0) return Where::loop;
        if (it->second.target.empty() || it->second.target.front() == '/') return Where::outside;
        at.pop_back();
        if (Where w = walk(tree, at, split(it->second.target), budget); w != Where::inside) return w;
    }
    return Where::inside;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
    const auto text = fuzz_text(data, size);
    MemberTree rules;
    Tree model;  // what was admitted, by path
    bool all_admitted = true;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        if (line.empty()) continue;
        const char code = line.front();
        line.remove_prefix(1);
        std::string_view name = line, link;
        if (auto tab = line.find('\t'); tab != std::string_view::npos) {
            name = line.substr(0, tab);
            link = line.substr(tab + 1);
        }
        MemberType type = code == 'd' ? MemberType::directory
                        : code == 'l' ? MemberType::symlink
                        : code == 'h' ? MemberType::hardlink
                        : code == 'c' ? MemberType::char_device
                                      : MemberType::file;
        const std::uint32_t mode = code == 's' ? 04755u : 0644u;
        const Member member{name, type, link, mode};
        if (!member_problem(member).empty()) {
            all_admitted = false;
            continue;
        }
        FUZZ_CHECK(type != MemberType::char_device && mode == 0644u, std::string(name));
        auto path = member_path(name);
        FUZZ_CHECK(path.ok(), std::string(name));
        for (const auto& p : *path) FUZZ_CHECK(p != ".." && !p.empty(), std::string(name));
        if (path->empty()) continue;
        std::optional<PathParts> hardlink_to;
        if (type == MemberType::hardlink) hardlink_to = *member_path(link);
        const auto before = rules.type_of(*path);
        if (!rules.admit(*path, type, link, hardlink_to).empty()) {
            FUZZ_CHECK(rules.type_of(*path) == before, "a refusal changed the tree at " + join_path(*path));
            all_admitted = false;
            continue;
        }
        // Nothing admitted lies under a symlink or a file admitted before.
        PathParts prefix;
        for (std::size_t i = 0; i + 1 < path->size(); ++i) {
            prefix.push_back((*path)[i]);
            auto it = model.find(join_path(prefix));
            FUZZ_CHECK(it == model.end() || it->second.type == MemberType::directory, join_path(*path));
        }
        if (type == MemberType::hardlink) {
            auto it = model.find(join_path(*hardlink_to));
            FUZZ_CHECK(it != model.end() && it->second.type == MemberType::file, join_path(*path));
        }
        model[join_path(*path)] = {type == MemberType::hardlink ? MemberType::file : type, std::string(link)};
    }
    if (!all_admitted || rules.finish()) return 0;
    for (const auto& [path, node] : model) {
        if (node.type != MemberType::symlink) continue;
        std::vector<std::string> at = split(path);
        at.pop_back();
        int budget = 39;  // 40 symlinks in one lookup, the link itself included
        FUZZ_CHECK(walk(model, at, split(node.target), budget) == Where::inside,
                   "accepted symlink " + path + " -> " + node.target + " leaves the package or loops");
    }
    return 0;
}

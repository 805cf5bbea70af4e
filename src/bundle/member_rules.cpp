// The member rules (see member_rules.hpp).
#include "bundle/member_rules.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <deque>

#include "bundle/names.hpp"

namespace ocx::bundle {

namespace {

// Components of a '/'-separated text, without empty and `.` ones.
PathParts split(std::string_view text) {
    PathParts out;
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

std::string_view type_name(MemberType type) {
    switch (type) {
        case MemberType::directory: return "directory";
        case MemberType::file: return "file";
        case MemberType::symlink: return "symlink";
        case MemberType::hardlink: return "hardlink";
        case MemberType::char_device: return "character device";
        case MemberType::block_device: return "block device";
        case MemberType::fifo: return "FIFO";
        case MemberType::socket: return "socket";
        case MemberType::unknown: return "member of unknown type";
    }
    return "member";
}

// The kernel follows at most 40 symlinks in one lookup (MAXSYMLINKS), the first link included; a
// longer chain fails like a loop (ELOOP), and is refused as one.
constexpr int kMaxHops = 40;

}  // namespace

Result<PathParts> member_path(std::string_view name) {
    if (name.empty()) return make_error(ErrorKind::data, "member without a name");
    if (name.front() == '/') return make_error(ErrorKind::data, "absolute path not allowed");
    PathParts parts = split(name);
    for (const auto& p : parts)
        if (p == "..") return make_error(ErrorKind::data, "path contains \"..\" (it would leave the package)");
    return parts;
}

std::optional<PathParts> strip_leading(const PathParts& parts, std::uint64_t count) {
    if (parts.size() <= count) return std::nullopt;
    return PathParts(parts.begin() + static_cast<std::ptrdiff_t>(count), parts.end());
}

std::optional<PathParts> place(const PathParts& parts, unsigned strip_components, const PathParts& prefix) {
    auto kept = strip_leading(parts, strip_components);
    if (!kept) return std::nullopt;
    PathParts out = prefix;
    out.insert(out.end(), kept->begin(), kept->end());
    return out;
}

std::string join_path(const PathParts& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
    return out;
}

std::string member_problem(const Member& m) {
    if (auto path = member_path(m.name); !path) return path.error().message;
    if (!is_valid_utf8(m.name)) return "name is not valid UTF-8";
    switch (m.type) {
        case MemberType::directory:
        case MemberType::file:
        case MemberType::symlink:
        case MemberType::hardlink: break;
        default: return std::string(type_name(m.type)) + " not allowed";
    }
    if ((m.mode & (S_ISUID | S_ISGID)) != 0) {
        char text[64];
        std::snprintf(text, sizeof text, "setuid/setgid bit (mode %04o) not allowed",
                      static_cast<unsigned>(m.mode & 07777u));
        return text;
    }
    if (m.type == MemberType::symlink) {
        if (m.link.empty()) return "symlink with an empty target";
        if (!is_valid_utf8(m.link)) return "symlink target " + quote_name(m.link) + " is not valid UTF-8";
        if (m.link.front() == '/') return "symlink to absolute path " + quote_name(m.link) + " not allowed";
    }
    if (m.type == MemberType::hardlink) {
        if (auto target = member_path(m.link); !target)
            return "hardlink to " + quote_name(m.link) + ": " + target.error().message;
    }
    return {};
}

MemberTree::Resolution MemberTree::resolve(PathParts dir, std::string_view target) const {
    std::deque<std::string> queue;
    for (auto& p : split(target)) queue.push_back(std::move(p));
    int hops = 1;  // the link being resolved is the first symlink a lookup through it follows
    while (!queue.empty()) {
        std::string part = std::move(queue.front());
        queue.pop_front();
        if (part == "..") {
            if (dir.empty()) return Resolution::escapes;
            dir.pop_back();
            continue;
        }
        dir.push_back(std::move(part));
        auto it = nodes_.find(join_path(dir));
        if (it == nodes_.end() || it->second.type != MemberType::symlink) continue;
        if (++hops > kMaxHops) return Resolution::loops;
        if (it->second.target.empty() || it->second.target.front() == '/') return Resolution::escapes;
        dir.pop_back();
        PathParts next = split(it->second.target);
        queue.insert(queue.begin(), next.begin(), next.end());
    }
    return Resolution::inside;
}

std::string MemberTree::admit(const PathParts& path, MemberType type, std::string_view symlink_target,
                              const std::optional<PathParts>& hardlink_to) {
    if (path.empty()) return "the package root cannot be a " + std::string(type_name(type));
    std::vector<std::string> parents;  // "a", "a/b", ... for a/b/c
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        parents.push_back(parents.empty() ? path[i] : parents.back() + "/" + path[i]);
        auto it = nodes_.find(parents.back());
        if (it != nodes_.end() && it->second.type != MemberType::directory)
            return "lies under " + quote_name(parents.back()) + ", which is a " + std::string(type_name(it->second.type));
    }
    const std::string key = join_path(path);
    const MemberType stored = type == MemberType::hardlink ? MemberType::file : type;
    if (auto it = nodes_.find(key);
        it != nodes_.end() && (it->second.type != MemberType::directory || stored != MemberType::directory))
        return "appears twice (as a " + std::string(type_name(it->second.type)) + " before)";
    Node node{stored, {}};
    if (type == MemberType::hardlink) {
        auto it = hardlink_to ? nodes_.find(join_path(*hardlink_to)) : nodes_.end();
        if (it == nodes_.end() || it->second.type != MemberType::file)
            return "hardlink to " + quote_name(hardlink_to ? join_path(*hardlink_to) : std::string()) +
                   ", which is not a regular file extracted before it";
    } else if (type == MemberType::symlink) {
        PathParts dir(path.begin(), path.end() - 1);
        // Lexically (as a reader that does not follow links sees it), then through the links so far.
        MemberTree none;
        if (none.resolve(dir, symlink_target) != Resolution::inside)
            return "symlink to " + quote_name(symlink_target) + " leaves the package";
        Resolution r = resolve(dir, symlink_target);
        if (r == Resolution::escapes)
            return "symlink to " + quote_name(symlink_target) + " leaves the package through other symlinks";
        if (r == Resolution::loops) return "symlink to " + quote_name(symlink_target) + " loops through other symlinks";
        node.target = std::string(symlink_target);
    }
    for (auto& p : parents) nodes_.try_emplace(std::move(p));  // directories made on the way
    nodes_.insert_or_assign(key, std::move(node));
    return {};
}

std::optional<MemberTree::Problem> MemberTree::finish() const {
    for (const auto& [path, node] : nodes_) {
        if (node.type != MemberType::symlink) continue;
        PathParts dir = split(path);
        dir.pop_back();
        Resolution r = resolve(dir, node.target);
        if (r == Resolution::escapes)
            return Problem{path, "symlink to " + quote_name(node.target) + " leaves the package through other symlinks"};
        if (r == Resolution::loops)
            return Problem{path, "symlink to " + quote_name(node.target) + " loops through other symlinks"};
    }
    return std::nullopt;
}

std::optional<MemberType> MemberTree::type_of(const PathParts& path) const {
    auto it = nodes_.find(join_path(path));
    if (it == nodes_.end()) return std::nullopt;
    return it->second.type;
}

}  // namespace ocx::bundle

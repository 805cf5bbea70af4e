#include "metadata/identifier.hpp"

#include <cctype>

#include "metadata/names.hpp"

namespace ocx::metadata {

namespace {

Error bad(std::string_view text, const std::string& why) {
    return make_error(ErrorKind::data, "dependency " + in_quotes(text) + " " + why);
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// OCI distribution spec path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool is_path_component(std::string_view c) {
    if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (is_lower_alnum(c[i])) continue;
        if (c[i] == '.' || c[i] == '_') {
            std::size_t run = 1;
            while (i + run < c.size() && !is_lower_alnum(c[i + run])) ++run;
            std::string_view sep = c.substr(i, run);
            if (sep != "." && sep != "_" && sep != "__") return false;
            i += run - 1;
        } else if (c[i] == '-') {
            while (i + 1 < c.size() && c[i + 1] == '-') ++i;
            if (i + 1 < c.size() && !is_lower_alnum(c[i + 1])) return false;
        } else {
            return false;
        }
    }
    return true;
}

// host[:port] or [ipv6][:port]; letters, digits, '.', '-' in the host.
bool is_registry(std::string_view host) {
    if (host.empty()) return false;
    std::string_view port;
    if (host.front() == '[') {
        auto end = host.find(']');
        if (end == std::string_view::npos || end == 1) return false;
        for (char c : host.substr(1, end - 1))
            if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':')) return false;
        std::string_view after = host.substr(end + 1);
        if (after.empty()) return true;
        if (after.front() != ':') return false;
        port = after.substr(1);
    } else {
        auto colon = host.find(':');
        std::string_view name = host.substr(0, colon);
        if (name.empty() || name.front() == '-' || name.front() == '.' || name.back() == '-' || name.back() == '.')
            return false;
        for (char c : name)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
        if (colon == std::string_view::npos) return true;
        port = host.substr(colon + 1);
    }
    if (port.empty() || port.size() > 5) return false;
    for (char c : port)
        if (c < '0' || c > '9') return false;
    return true;
}

bool is_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > 128) return false;
    for (std::size_t i = 0; i < tag.size(); ++i) {
        char c = tag[i];
        bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        if (!(word || (i > 0 && (c == '.' || c == '-')))) return false;
    }
    return true;
}

}  // namespace

std::string DependencyIdentifier::basename() const {
    auto slash = repository.rfind('/');
    return slash == std::string::npos ? repository : repository.substr(slash + 1);
}

Result<DependencyIdentifier> parse_dependency_identifier(std::string_view text) {
    constexpr std::string_view kExample = "registry.example/acme/cmake:3.28@sha256:<64 hex>";
    if (text.empty()) return bad(text, "is empty; write " + std::string(kExample));

    DependencyIdentifier id;
    std::string_view name = text;
    auto at = text.find('@');
    if (at == std::string_view::npos)
        return bad(text, "is not pinned: append @sha256:<digest of its platform manifest>, as in " + std::string(kExample));
    name = text.substr(0, at);
    std::string_view digest = text.substr(at + 1);
    auto parsed = Digest::parse(digest);
    if (!parsed) return bad(text, "has an invalid digest " + in_quotes(digest) + ": expected sha256:<64 lowercase hex>");
    id.digest = *parsed;

    auto slash = name.find('/');
    std::string_view host = slash == std::string_view::npos ? std::string_view{} : name.substr(0, slash);
    bool explicit_host = !host.empty() && (host.find_first_of(".:[") != std::string_view::npos || host == "localhost");
    if (!explicit_host) return bad(text, "names no registry host; write it in full, as in " + std::string(kExample));
    if (!is_registry(host)) return bad(text, "has an invalid registry host " + in_quotes(host));

    std::string_view path = name.substr(slash + 1);
    auto last_slash = path.rfind('/');
    auto colon = path.rfind(':');
    if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
        std::string_view tag = path.substr(colon + 1);
        if (!is_tag(tag)) return bad(text, "has an invalid tag " + in_quotes(tag));
        id.tag = std::string(tag);
        path = path.substr(0, colon);
    }
    if (path.empty()) return bad(text, "names no repository");
    std::size_t start = 0;
    while (true) {
        auto end = path.find('/', start);
        std::string_view component = path.substr(start, end == std::string_view::npos ? end : end - start);
        if (!is_path_component(component))
            return bad(text, "has an invalid repository " + in_quotes(path) +
                                 ": use lowercase letters and digits, separated by '.', '_', '__' or '-'");
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    if (host.size() + 1 + path.size() > 255) return bad(text, "is longer than 255 characters before the tag");
    id.registry = std::string(host);
    id.repository = std::string(path);
    return id;
}

}  // namespace ocx::metadata

// References (OCI distribution spec "pulling manifests": name and reference grammar) and the
// `oci:DIR[:TAG]` / `oci:DIR@sha256:…` layout form (docs/cli.md, "Targets").
#include "oci/reference.hpp"

#include <algorithm>
#include <cctype>

#include "util/escape.hpp"

namespace ocx::oci {

namespace {
bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_component(std::string_view c) {
    if (c.empty() || !is_alnum_lower(c.front()) || !is_alnum_lower(c.back())) return false;
    for (std::size_t i = 0; i < c.size(); ++i) {
        char ch = c[i];
        if (is_alnum_lower(ch)) continue;
        if (ch == '.') {
            if (!is_alnum_lower(c[i + 1])) return false;
        } else if (ch == '_') {
            if (c[i + 1] == '_') {
                ++i;
                if (!is_alnum_lower(c[i + 1])) return false;
            } else if (!is_alnum_lower(c[i + 1])) {
                return false;
            }
        } else if (ch == '-') {
            while (c[i + 1] == '-') ++i;
            if (!is_alnum_lower(c[i + 1])) return false;
        } else {
            return false;
        }
    }
    return true;
}

bool valid_repository(std::string_view repo) {
    if (repo.empty() || repo.size() > 255) return false;
    std::size_t start = 0;
    for (;;) {
        auto slash = repo.find('/', start);
        if (!valid_component(repo.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start)))
            return false;
        if (slash == std::string_view::npos) return true;
        start = slash + 1;
    }
}

bool valid_host(std::string_view host) {
    if (host.empty()) return false;
    if (host.front() == '[') {  // [ipv6]:port
        auto close = host.find(']');
        if (close == std::string_view::npos) return false;
        auto rest = host.substr(close + 1);
        return rest.empty() || (rest[0] == ':' && rest.size() > 1 && std::all_of(rest.begin() + 1, rest.end(), [](char c) {
                                    return std::isdigit(static_cast<unsigned char>(c));
                                }));
    }
    auto colon = host.find(':');
    auto name = host.substr(0, colon);
    if (name.empty()) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
    if (colon != std::string_view::npos) {
        auto port = host.substr(colon + 1);
        if (port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            return false;
        if (std::stoul(std::string(port)) > 65535) return false;
    }
    return true;
}

bool looks_like_host(std::string_view first) {
    return first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos || first == "localhost" ||
           (!first.empty() && first.front() == '[');
}

Error bad(std::string_view text, std::string_view why) {
    return make_error(ErrorKind::data, "invalid reference \"" + escape_text(text) + "\": " + std::string(why));
}
}  // namespace

Result<std::string> normalize_tag(std::string_view tag) {
    std::string t(tag);
    std::replace(t.begin(), t.end(), '+', '_');
    bool ok = !t.empty() && t.size() <= 128 && (std::isalnum(static_cast<unsigned char>(t[0])) || t[0] == '_') &&
              std::all_of(t.begin(), t.end(), [](char c) {
                  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
              });
    if (!ok)
        return make_error(ErrorKind::data, "invalid tag \"" + escape_text(tag) +
                                               "\": expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127} ('+' is read as '_')");
    return t;
}

namespace {
bool all_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}
}  // namespace

std::string_view reserved_tag_reason(std::string_view tag) {
    if (tag.size() >= 5 && iequals(tag.substr(0, 5), "__ocx"))
        return "tags starting \"__ocx\" (in any case) are OCX's own, such as the catalog description __ocx.desc";
    struct Algorithm {
        std::string_view prefix;
        std::size_t hex_digits;
    };
    for (const Algorithm a : {Algorithm{"sha256.", 64}, Algorithm{"sha384.", 96}, Algorithm{"sha512.", 128}})
        if (tag.size() == a.prefix.size() + a.hex_digits && tag.substr(0, a.prefix.size()) == a.prefix &&
            all_hex(tag.substr(a.prefix.size())))
            return "it has the form of a canonical digest tag (<algorithm>.<hex digest>), which names the manifest "
                   "with that digest";
    if (tag.substr(0, 7) == "sha256-") {
        std::string_view rest = tag.substr(7);
        for (std::string_view suffix : {".sig", ".att"})
            if (rest.size() == 64 + suffix.size() && rest.substr(64) == suffix) rest = rest.substr(0, 64);
        if (rest.size() == 64 && all_hex(rest))
            return "it has the form of a referrers or signature tag (sha256-<hex digest>[.sig|.att])";
    }
    return "";
}

Status check_not_reserved(std::string_view tag) {
    if (const std::string_view why = reserved_tag_reason(tag); !why.empty())
        return make_error(ErrorKind::data, "tag \"" + std::string(tag) + "\" is reserved: " + std::string(why));
    return {};
}

bool is_loopback_host(std::string_view host_port) {
    std::string_view host = host_port;
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        return close != std::string_view::npos && host.substr(1, close - 1) == "::1";
    }
    if (host == "::1") return true;
    host = host.substr(0, host.find(':'));
    if (host == "localhost") return true;
    if (host.substr(0, 4) != "127.") return false;
    int dots = 0;
    for (char c : host) {
        if (c == '.')
            ++dots;
        else if (!std::isdigit(static_cast<unsigned char>(c)))
            return false;
    }
    return dots == 3;
}

Result<Reference> Reference::parse_name(std::string_view text, const char* default_registry) {
    return parse_impl(text, default_registry, false);
}

Result<Reference> Reference::parse(std::string_view text, const char* default_registry) {
    return parse_impl(text, default_registry, true);
}

Result<Reference> Reference::parse_impl(std::string_view text, const char* default_registry, bool registry_required) {
    Reference r;
    if (text.substr(0, 4) == "oci:") {
        r.kind = Kind::layout;
        std::string_view rest = text.substr(4);
        // oci:DIR@sha256:HEX — by digest, when what follows the last '@' is one.
        if (auto at = rest.rfind('@'); at != std::string_view::npos && at != 0) {
            if (auto digest = Digest::parse(rest.substr(at + 1))) {
                r.digest = *digest;
                r.repository = std::string(rest.substr(0, at));
                return r;
            }
        }
        // oci:DIR[:TAG] — the last ':' starts a tag only when what follows has no '/'.
        if (auto colon = rest.rfind(':');
            colon != std::string_view::npos && rest.find('/', colon) == std::string_view::npos && colon != 0) {
            auto tag = normalize_tag(rest.substr(colon + 1));
            if (!tag) return bad(text, tag.error().message);
            r.tag = *tag;
            rest = rest.substr(0, colon);
        }
        if (rest.empty()) return bad(text, "no directory after \"oci:\"");
        r.repository = std::string(rest);
        return r;
    }
    if (text.empty()) return bad(text, "empty");
    std::string_view rest = text;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        auto digest = Digest::parse(rest.substr(at + 1));
        if (!digest) return bad(text, digest.error().message);
        r.digest = *digest;
        rest = rest.substr(0, at);
    }
    auto last_slash = rest.rfind('/');
    if (auto colon = rest.rfind(':');
        colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
        auto tag = normalize_tag(rest.substr(colon + 1));
        if (!tag) return bad(text, tag.error().message);
        r.tag = *tag;
        rest = rest.substr(0, colon);
    }
    auto first_slash = rest.find('/');
    if (first_slash != std::string_view::npos && looks_like_host(rest.substr(0, first_slash))) {
        r.registry = std::string(rest.substr(0, first_slash));
        rest = rest.substr(first_slash + 1);
        if (!valid_host(r.registry)) return bad(text, "invalid registry host \"" + escape_text(r.registry) + "\"");
    } else if (default_registry != nullptr && *default_registry != '\0') {
        r.registry = default_registry;
        if (!valid_host(r.registry))
            return bad(text, "OCX_DEFAULT_REGISTRY is not a valid registry host: \"" + escape_text(r.registry) + "\"");
    } else if (registry_required) {
        return bad(text, "no registry host; write REGISTRY/REPOSITORY[:TAG] or set OCX_DEFAULT_REGISTRY");
    }
    if (!valid_repository(rest))
        return bad(text, "invalid repository name \"" + escape_text(rest) +
                             "\": lowercase letters, digits and separators (. _ __ -) between path components");
    r.repository = std::string(rest);
    return r;
}

Reference Reference::with_tag(std::string new_tag) const {
    Reference r = *this;
    r.tag = std::move(new_tag);
    r.digest.reset();
    return r;
}

Reference Reference::with_digest(Digest d) const {
    Reference r = *this;
    r.tag.clear();
    r.digest = std::move(d);
    return r;
}

std::string Reference::repository_str() const {
    if (is_layout()) return "oci:" + repository;
    return registry.empty() ? repository : registry + "/" + repository;
}

std::string Reference::str() const {
    std::string out = repository_str();
    if (!tag.empty()) out += ":" + tag;
    if (digest) out += "@" + digest->str();
    return out;
}

}  // namespace ocx::oci

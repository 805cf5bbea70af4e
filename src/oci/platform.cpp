// Platform strings and objects (docs/wire-format.md §3, "platform object" and "Platform strings").
#include "oci/platform.hpp"

#include <algorithm>
#include <array>

#include "util/escape.hpp"
#include "util/json.hpp"

namespace ocx::oci {

namespace {
struct Pair {
    std::string_view os;
    std::string_view arch;
};
constexpr std::array<Pair, 9> kSupported{{
    {"linux", "amd64"},
    {"linux", "arm64"},
    {"darwin", "amd64"},
    {"darwin", "arm64"},
    {"windows", "amd64"},
    {"windows", "arm64"},
    {"wasip1", "wasm"},
    {"wasip2", "wasm"},
    {"any", "any"},
}};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes %XX escapes; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        int hi = hex_value(s[i + 1]);
        int lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

/// The platform string's own rule: only its delimiters ('/', '+', ','), '%' itself, controls,
/// space and non-ASCII bytes are written as %XX; other punctuation stays as it is (":" in
/// "os.version:10.0" too), unlike RFC 3986 encoding (util/percent.hpp), which encodes all of it.
std::string percent_encode_platform_delimiters(std::string_view s) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '%' || c == '/' || c == '+' || c == ',' || u < 0x21 || u >= 0x7f) {
            out += '%';
            out += digits[u >> 4];
            out += digits[u & 0x0f];
        } else {
            out += c;
        }
    }
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        auto pos = s.find(sep, start);
        parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return parts;
}

bool valid_component(std::string_view s) {
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
    });
}

// Names people type for the supported ones (uname -m, Go, Rust, Node spellings).
std::string_view canonical_os(std::string_view os) {
    if (os == "macos" || os == "osx" || os == "mac" || os == "apple-darwin") return "darwin";
    if (os == "win" || os == "win32" || os == "win64") return "windows";
    return os;
}
std::string_view canonical_arch(std::string_view arch) {
    if (arch == "x86_64" || arch == "x86-64" || arch == "x64" || arch == "x86" || arch == "amd") return "amd64";
    if (arch == "aarch64" || arch == "arm" || arch == "armv8") return "arm64";
    return arch;
}

// A supported pair close to what was typed, or "".
std::string suggest(std::string_view os, std::string_view arch) {
    std::string_view cos = canonical_os(os), carch = canonical_arch(arch);
    for (const auto& s : kSupported)
        if (s.os == cos && s.arch == carch && s.os != "any") return std::string(s.os) + "/" + std::string(s.arch);
    std::vector<std::string> names;
    for (const auto& s : kSupported)
        if (s.os != "any") names.push_back(std::string(s.os) + "/" + std::string(s.arch));
    std::vector<std::string_view> views(names.begin(), names.end());
    return json::closest(std::string(cos) + "/" + std::string(carch), views);
}

Error bad(std::string_view text, std::string_view why) {
    return make_error(ErrorKind::data, "invalid platform \"" + escape_text(text) + "\": " + std::string(why));
}
}  // namespace

std::string supported_platforms_text() {
    std::string out;
    for (const auto& p : kSupported) {
        if (!out.empty()) out += ", ";
        out += p.os == "any" ? std::string("any") : std::string(p.os) + "/" + std::string(p.arch);
    }
    return out;
}

Result<Platform> Platform::parse(std::string_view text) {
    if (text.empty()) return bad(text, "empty; expected os/arch[/variant][+feature,…] or any");
    std::string_view base = text;
    std::string_view feature_text;
    bool has_features = false;
    if (auto plus = text.find('+'); plus != std::string_view::npos) {
        base = text.substr(0, plus);
        feature_text = text.substr(plus + 1);
        has_features = true;
    }
    Platform p;
    auto parts = split(base, '/');
    if (parts.size() == 1 && parts[0] == "any") {
        p.os = "any";
        p.architecture = "any";
    } else if (parts.size() == 2 || parts.size() == 3) {
        std::array<std::string*, 3> fields{&p.os, &p.architecture, &p.variant};
        for (std::size_t i = 0; i < parts.size(); ++i) {
            auto decoded = percent_decode(parts[i]);
            if (!decoded) return bad(text, "malformed %-escape");
            if (!valid_component(*decoded)) return bad(text, "empty or non-printable component");
            *fields[i] = std::move(*decoded);
        }
    } else {
        return bad(text, "expected os/arch[/variant][+feature,…] or any");
    }
    if (has_features) {
        if (feature_text.empty()) return bad(text, "empty feature list after '+'");
        for (auto f : split(feature_text, ',')) {
            auto decoded = percent_decode(f);
            if (!decoded) return bad(text, "malformed %-escape");
            if (!valid_component(*decoded)) return bad(text, "empty or non-printable feature");
            p.features.push_back(std::move(*decoded));
        }
        std::sort(p.features.begin(), p.features.end());
        p.features.erase(std::unique(p.features.begin(), p.features.end()), p.features.end());
    }
    bool supported = std::any_of(kSupported.begin(), kSupported.end(),
                                 [&](const Pair& s) { return s.os == p.os && s.arch == p.architecture; });
    if (!supported) {
        std::string msg = "unknown platform \"" + escape_text(text) + "\"";
        if (auto hint = suggest(p.os, p.architecture); !hint.empty()) msg += " (did you mean \"" + hint + "\"?)";
        msg += "; supported: " + supported_platforms_text();
        return make_error(ErrorKind::data, std::move(msg));
    }
    if (p.is_any() && (!p.variant.empty() || !p.features.empty())) return bad(text, "\"any\" takes no variant or features");
    return p;
}

Result<Platform> Platform::from_json(const boost::json::object& obj) {
    Platform p;
    const auto* arch = obj.if_contains("architecture");
    const auto* os = obj.if_contains("os");
    if (arch == nullptr || !arch->is_string() || os == nullptr || !os->is_string())
        return make_error(ErrorKind::data, "platform object needs string \"architecture\" and \"os\"");
    p.architecture = std::string(arch->get_string());
    p.os = std::string(os->get_string());
    if (const auto* v = obj.if_contains("variant"); v != nullptr && v->is_string()) p.variant = std::string(v->get_string());
    if (const auto* v = obj.if_contains("os.version"); v != nullptr && v->is_string())
        p.os_version = std::string(v->get_string());
    if (const auto* v = obj.if_contains("os.features"); v != nullptr && v->is_array()) {
        for (const auto& f : v->get_array())
            if (f.is_string()) p.features.emplace_back(f.get_string());
        std::sort(p.features.begin(), p.features.end());
        p.features.erase(std::unique(p.features.begin(), p.features.end()), p.features.end());
    }
    return p;
}

std::string Platform::str() const {
    if (is_any() && variant.empty() && features.empty()) return "any";
    std::string out = percent_encode_platform_delimiters(os) + "/" + percent_encode_platform_delimiters(architecture);
    if (!variant.empty()) out += "/" + percent_encode_platform_delimiters(variant);
    if (!features.empty()) {
        out += '+';
        for (std::size_t i = 0; i < features.size(); ++i) {
            if (i != 0) out += ',';
            out += percent_encode_platform_delimiters(features[i]);
        }
    }
    return out;
}

boost::json::object Platform::to_json() const {
    boost::json::object o;
    o["architecture"] = architecture;
    o["os"] = os;
    if (!os_version.empty()) o["os.version"] = os_version;
    if (!features.empty()) {
        boost::json::array a;
        for (const auto& f : features) a.emplace_back(f);
        o["os.features"] = std::move(a);
    }
    if (!variant.empty()) o["variant"] = variant;
    return o;
}

}  // namespace ocx::oci

#include "oci/layer_ref.hpp"

#include <array>
#include <charconv>

#include "oci/media_types.hpp"
#include "util/escape.hpp"
#include "util/json.hpp"

namespace ocx::oci {

namespace {
constexpr std::array<std::string_view, 3> kTailKeys{"strip", "prefix", "from"};

Error bad(std::string_view text, const std::string& why) {
    return make_error(ErrorKind::usage, "layer \"" + escape_text(text) + "\": " + why);
}

// Lowercase letters, digits, '.', '_', '-' and '/' between non-empty components, none of them
// "." or "..": the rule for prefix (docs/cli.md "Layer references") and, the same characters, for
// a repository name.
bool valid_relative_path(std::string_view p) {
    if (p.empty() || p.front() == '/' || p.back() == '/') return false;
    std::size_t start = 0;
    while (start <= p.size()) {
        std::size_t end = p.find('/', start);
        if (end == std::string_view::npos) end = p.size();
        const std::string_view component = p.substr(start, end - start);
        if (component.empty() || component == "." || component == "..") return false;
        for (char c : component)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return false;
        start = end + 1;
    }
    return true;
}

// The tail is what follows the last ':' when it holds a '=' (a digest's own ':' never does).
std::optional<std::size_t> tail_start(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    if (text.substr(colon + 1).find('=') == std::string_view::npos) return std::nullopt;
    return colon;
}

Status parse_tail(std::string_view text, std::string_view tail, LayerRef& ref) {
    std::size_t start = 0;
    while (start <= tail.size()) {
        std::size_t end = tail.find(',', start);
        if (end == std::string_view::npos) end = tail.size();
        const std::string_view item = tail.substr(start, end - start);
        start = end + 1;
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos)
            return bad(text, "\"" + escape_text(item) + "\" in the tail is not KEY=VALUE (strip=N,prefix=P,from=REPO)");
        const std::string_view key = item.substr(0, eq);
        const std::string_view value = item.substr(eq + 1);
        if (key == "strip") {
            if (ref.strip) return bad(text, "strip given twice");
            unsigned n = 0;
            auto [end_ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (value.empty() || ec != std::errc() || end_ptr != value.data() + value.size() || n > 255)
                return bad(text, "strip=" + escape_text(value) + " is not a number from 0 to 255");
            ref.strip = n;
        } else if (key == "prefix") {
            if (ref.prefix) return bad(text, "prefix given twice");
            if (!valid_relative_path(value))
                return bad(text, "prefix=" + escape_text(value) +
                                     " is not a relative path of lowercase letters, digits, '.', '_', '-' and '/' "
                                     "(no '..', no leading or trailing '/')");
            ref.prefix = std::string(value);
        } else if (key == "from") {
            if (!ref.from.empty()) return bad(text, "from given twice");
            if (!valid_relative_path(value))
                return bad(text, "from=" + escape_text(value) + " is not a repository name (acme/base)");
            ref.from = std::string(value);
        } else {
            std::string message = "unknown key \"" + escape_text(key) + "\" in the tail";
            const std::string near = json::closest(key, kTailKeys);
            if (!near.empty()) message += "; did you mean \"" + near + "\"?";
            return bad(text, message + " (keys: strip, prefix, from)");
        }
    }
    return {};
}

bool is_hex(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

bool has_digest_algorithm(std::string_view body) {
    return body.starts_with("sha256:") || body.starts_with("sha384:") || body.starts_with("sha512:");
}
}  // namespace

Result<LayerRef> parse_layer_ref(std::string_view text) {
    LayerRef ref;
    ref.text = std::string(text);
    std::string_view body = text;
    if (auto colon = tail_start(text)) {
        body = text.substr(0, *colon);
        if (auto s = parse_tail(text, text.substr(*colon + 1), ref); !s) return std::move(s).error();
    }
    if (body.empty()) return bad(text, "no file or digest before the tail");
    const bool forced_file = body.starts_with("./") || body.starts_with("/");
    auto media_type = oci::layer_media_type(body);
    if (!forced_file && has_digest_algorithm(body)) {
        // "sha256:<hex>" followed by an archive extension; the stem is everything before it.
        const std::string_view file = body.substr(body.find_last_of('/') + 1);  // npos + 1 == 0
        const std::size_t extension = media_type ? file.size() - oci::archive_stem(file).size() : 0;
        const std::string_view stem = body.substr(0, body.size() - extension);
        if (!stem.starts_with("sha256:") && is_hex(stem.substr(7)))
            return bad(text, "only sha256 digests can be referenced (this tool addresses blobs by SHA-256)");
        auto digest = Digest::parse(stem);
        if (digest) {
            if (!media_type)
                return bad(text, "a bare layer digest; append the archive extension to declare the media type (" +
                                     oci::archive_extensions() + "), e.g. \"" + digest->str() + ".tar.xz\"");
            ref.kind = LayerRef::Kind::digest;
            ref.digest = *digest;
            ref.media_type = std::string(*media_type);
            return ref;
        }
        // Not a well-formed digest: a file whose name starts with "sha256:", as OCX reads it.
    }
    if (!media_type)
        return make_error(ErrorKind::data,
                          escape_text(body) + ": not a supported archive (expected " + oci::archive_extensions() + ")");
    ref.kind = LayerRef::Kind::file;
    ref.path = std::filesystem::path(std::string(body));
    ref.media_type = std::string(*media_type);
    return ref;
}

bool looks_like_layer(std::string_view text) {
    if (auto colon = tail_start(text)) text = text.substr(0, *colon);
    return oci::layer_media_type(text).has_value() || (has_digest_algorithm(text) && Digest::parse(text).ok());
}

bool is_valid_layer_prefix(std::string_view prefix) { return valid_relative_path(prefix); }

oci::Annotations layer_annotations(const LayerRef& ref) {
    oci::Annotations out;
    if (ref.strip) out[std::string(oci::kAnnotationStripComponents)] = std::to_string(*ref.strip);
    if (ref.prefix) out[std::string(oci::kAnnotationPrefix)] = *ref.prefix;
    return out;
}

}  // namespace ocx::oci

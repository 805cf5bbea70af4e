#include "publish/describe.hpp"

#include <boost/json.hpp>

#include "oci/media_types.hpp"
#include "util/escape.hpp"
#include "util/files.hpp"

namespace ocx::publish {

namespace bj = boost::json;

namespace {
constexpr std::string_view kDescriptionArtifact = "application/vnd.sh.ocx.description.v1";
constexpr std::string_view kMarkdown = "application/markdown";
constexpr std::string_view kKeywords = "sh.ocx.keywords";

bj::object descriptor(std::string_view media_type, const std::string& bytes, std::optional<std::string_view> title) {
    bj::object o;
    o["mediaType"] = media_type;
    o["digest"] = Digest::of(bytes).str();
    o["size"] = bytes.size();
    if (title) o["annotations"] = bj::object{{oci::kAnnotationTitle, *title}};
    return o;
}

// The README and logo are read whole and bounded: a description, not a package.
constexpr std::uint64_t kMaxDescriptionFile = 1u << 20;
constexpr std::size_t kMaxAnnotation = 4096;

Result<std::string> read_bounded(const std::filesystem::path& path) {
    auto bytes = read_file(path, kMaxDescriptionFile);
    if (!bytes) return std::move(bytes).error();
    if (!*bytes) return make_error(ErrorKind::not_found, path.string() + ": no such file");
    return std::move(**bytes);
}

// Annotation values are one line of printable text: they end up in catalogs and terminals.
Status check_annotation(const std::string& value, std::string_view what) {
    if (value.size() > kMaxAnnotation)
        return make_error(ErrorKind::usage,
                          std::string(what) + ": longer than " + std::to_string(kMaxAnnotation) + " bytes");
    for (char ch : value)
        if (const auto c = static_cast<unsigned char>(ch); c < 0x20 || c == 0x7f)
            return make_error(ErrorKind::usage, std::string(what) + " \"" + escape_text(value) +
                                                    "\": control characters (line breaks, tabs …) are not allowed");
    return {};
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}
}  // namespace

Result<std::string> logo_media_type(std::string_view file_name) {
    auto ends = [&](std::string_view suffix) {
        return file_name.size() > suffix.size() && file_name.substr(file_name.size() - suffix.size()) == suffix;
    };
    if (ends(".png")) return std::string("image/png");
    if (ends(".svg")) return std::string("image/svg+xml");
    return make_error(ErrorKind::usage, "logo \"" + escape_text(file_name) + "\": expected a .png or .svg file");
}

std::vector<std::string> split_keywords(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        if (auto k = trim(text.substr(start, end - start)); !k.empty()) out.emplace_back(k);
        start = end + 1;
    }
    return out;
}

Result<Description> read_description(const plan::DescribeSpec& spec) {
    Description d;
    auto readme = read_bounded(spec.readme);
    if (!readme) return std::move(readme).error();
    d.readme = std::move(*readme);
    if (spec.logo) {
        auto type = logo_media_type(spec.logo->string());
        if (!type) return std::move(type).error();
        auto logo = read_bounded(*spec.logo);
        if (!logo) return std::move(logo).error();
        d.logo = std::move(*logo);
        d.logo_media_type = *type;
    }
    for (const auto& [text, what] : {std::pair{&spec.title, "title"}, std::pair{&spec.description, "description"}})
        if (*text)
            if (auto s = check_annotation(**text, what); !s) return std::move(s).error();
    d.title = spec.title;
    d.description = spec.description;
    std::string joined;
    for (const auto& k : spec.keywords) joined += (joined.empty() ? "" : ",") + k;
    if (auto s = check_annotation(joined, "keywords"); !s) return std::move(s).error();
    d.keywords = spec.keywords;
    return d;
}

BuiltDescription build_description(const Description& d) {
    BuiltDescription b;
    const std::string config(oci::kEmptyConfigBytes);
    b.blobs.emplace_back(Digest::of(config), config);
    b.blobs.emplace_back(Digest::of(d.readme), d.readme);
    bj::array layers;
    layers.emplace_back(descriptor(kMarkdown, d.readme, "README.md"));
    if (d.logo) {
        b.blobs.emplace_back(Digest::of(*d.logo), *d.logo);
        layers.emplace_back(
            descriptor(d.logo_media_type, *d.logo, d.logo_media_type == "image/png" ? "logo.png" : "logo.svg"));
    }
    bj::object m;
    m["schemaVersion"] = 2;
    m["mediaType"] = oci::kImageManifest;
    m["artifactType"] = kDescriptionArtifact;
    m["config"] = descriptor(oci::kEmptyConfigType, config, std::nullopt);
    m["layers"] = std::move(layers);
    // Keys sorted, as every annotations object this tool writes.
    bj::object annotations;
    if (d.description) annotations[oci::kAnnotationDescription] = *d.description;
    if (d.title) annotations[oci::kAnnotationTitle] = *d.title;
    if (!d.keywords.empty()) {
        std::string joined;
        for (const auto& k : d.keywords) joined += (joined.empty() ? "" : ",") + k;
        annotations[kKeywords] = joined;
    }
    if (!annotations.empty()) m["annotations"] = std::move(annotations);
    b.manifest.media_type = std::string(oci::kImageManifest);
    b.manifest.bytes = bj::serialize(m);
    b.manifest.digest = Digest::of(b.manifest.bytes);
    return b;
}

Status push_description(store::Target& target, const BuiltDescription& built) {
    for (const auto& [digest, bytes] : built.blobs) {
        auto present = target.blob_exists(digest);
        if (!present) return std::move(present).error().context("blob " + digest.str());
        if (*present) continue;
        store::BlobSource source{digest, bytes.size(), {}, bytes, {}, {}};
        if (auto sent = target.upload_blob(source); !sent) return std::move(sent).error().context("blob " + digest.str());
    }
    return target.put_manifest(kDescriptionTag, built.manifest);
}

}  // namespace ocx::publish

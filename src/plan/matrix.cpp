#include "plan/matrix.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <map>

#include "bundle/file_names.hpp"
#include "oci/layer_ref.hpp"
#include "oci/media_types.hpp"
#include "plan/cascade.hpp"
#include "util/escape.hpp"

namespace ocx::plan {

namespace bj = boost::json;
namespace fs = std::filesystem;

namespace {
constexpr std::array<std::string_view, 19> kTopKeys{"$schema",         "schema",    "package",      "tag",
                                                    "build_timestamp", "cascade",   "replace",      "aliases",
                                                    "canonical_tags",  "metadata",  "annotations",  "compression",
                                                    "output_dir",      "platforms", "description",  "sbom",
                                                    "provenance",      "describe",  "shared_layers"};
constexpr std::array<std::string_view, 6> kPlatformKeys{"platform", "content", "archive", "metadata", "sbom", "layers"};
constexpr std::array<std::string_view, 2> kCompressionKeys{"level", "threads"};
constexpr std::array<std::string_view, 2> kMetadataBlockKeys{"default", "platforms"};

fs::path resolve(const fs::path& base, const std::string& p) {
    fs::path path(p);
    return path.is_absolute() ? path : base / path;
}

std::string timestamp_suffix(BuildTimestamp ts, std::chrono::system_clock::time_point now) {
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, ts == BuildTimestamp::date ? "%Y%m%d" : "%Y%m%d%H%M%S", &tm);
    return std::string("_") + buf;
}

// "metadata": "file" or {"default": "file", "platforms": {"darwin/arm64": "file"}}
struct MetadataBlock {
    std::optional<fs::path> default_file;
    std::map<std::string, std::pair<fs::path, std::string>> per_platform;  // platform -> (file, json path)
};

MetadataBlock read_metadata_block(const bj::value& v, const fs::path& base, json::Diagnostics& diag) {
    MetadataBlock block;
    if (v.is_string()) {
        block.default_file = resolve(base, std::string(v.get_string()));
        return block;
    }
    if (!v.is_object()) {
        diag.add("/metadata", "expected a file path or {\"default\": …, \"platforms\": {…}}");
        return block;
    }
    json::ObjectReader rd(v, "/metadata", diag);
    rd.reject_unknown(kMetadataBlockKeys);
    if (auto d = rd.string("default", false)) block.default_file = resolve(base, *d);
    if (const auto* ps = rd.get("platforms")) {
        if (!ps->is_object()) {
            diag.add("/metadata/platforms", "expected an object mapping platforms to metadata files");
            return block;
        }
        for (const auto& kv : ps->get_object()) {
            std::string path = json::child_path("/metadata/platforms", kv.key());
            auto p = oci::Platform::parse(kv.key());
            if (!p) {
                diag.add(path, p.error().message);
                continue;
            }
            if (!kv.value().is_string()) {
                diag.add(path, "expected a metadata file path");
                continue;
            }
            block.per_platform[p->str()] = {resolve(base, std::string(kv.value().get_string())), path};
        }
    }
    return block;
}
// "describe": {"readme": FILE, "logo"?: FILE, "title"?: T, "description"?: D, "keywords"?: [K…]}
std::optional<DescribeSpec> read_describe_block(const bj::value* v, const fs::path& base, json::Diagnostics& diag) {
    if (v == nullptr) return std::nullopt;
    constexpr std::array<std::string_view, 5> kDescribeKeys{"readme", "logo", "title", "description", "keywords"};
    json::ObjectReader rd(*v, "/describe", diag);
    if (!rd.valid()) return std::nullopt;
    rd.reject_unknown(kDescribeKeys);
    DescribeSpec spec;
    if (auto readme = rd.string("readme", true)) spec.readme = resolve(base, *readme);
    if (auto logo = rd.string("logo", false)) spec.logo = resolve(base, *logo);
    spec.title = rd.string("title", false);
    spec.description = rd.string("description", false);
    if (const auto* kw = rd.get("keywords")) {
        if (!kw->is_array()) {
            diag.add("/describe/keywords", "expected an array of strings");
        } else {
            std::size_t i = 0;
            for (const auto& k : kw->get_array()) {
                const std::string path = json::child_path("/describe/keywords", i++);
                if (!k.is_string() || k.get_string().empty() || k.get_string().find(',') != bj::string::npos)
                    diag.add(path, "expected a non-empty keyword without ','");
                else
                    spec.keywords.emplace_back(k.get_string());
            }
        }
    }
    return spec;
}
// "strip"?: 0-255 and "prefix"?: P of a layer object: its sh.ocx.layer.* annotations.
void read_placement(json::ObjectReader& rd, const std::string& path, std::optional<unsigned>& strip,
                    std::optional<std::string>& prefix, json::Diagnostics& diag) {
    if (auto n = rd.integer("strip", false)) {
        if (*n < 0 || *n > 255)
            diag.add(path + "/strip", "expected 0 to 255");
        else
            strip = static_cast<unsigned>(*n);
    }
    if (auto p = rd.string("prefix", false)) {
        if (!oci::is_valid_layer_prefix(*p))
            diag.add(path + "/prefix", "\"" + escape_text(*p) +
                                           "\" is not a relative path of lowercase letters, digits, '.', '_', '-' and '/'");
        else
            prefix = *p;
    }
}

// "shared_layers": {"NAME": {"content": DIR, "strip"?: 0-255, "prefix"?: P}}
std::vector<SharedLayerSpec> read_shared_layers(const bj::value* v, const fs::path& base, json::Diagnostics& diag) {
    std::vector<SharedLayerSpec> out;
    if (v == nullptr) return out;
    if (!v->is_object()) {
        diag.add("/shared_layers", "expected an object mapping names to {\"content\": DIR}");
        return out;
    }
    constexpr std::array<std::string_view, 3> kSharedKeys{"content", "strip", "prefix"};
    for (const auto& kv : v->get_object()) {
        const std::string path = json::child_path("/shared_layers", kv.key());
        SharedLayerSpec spec;
        spec.name = std::string(kv.key());
        if (spec.name.empty() || !oci::is_valid_layer_prefix(spec.name) || spec.name.find('/') != std::string::npos)
            diag.add(path, "a shared layer name is lowercase letters, digits, '.', '_' and '-'");
        json::ObjectReader rd(kv.value(), path, diag);
        if (!rd.valid()) continue;
        rd.reject_unknown(kSharedKeys);
        if (auto content = rd.string("content", true)) spec.content = resolve(base, *content);
        read_placement(rd, path, spec.strip, spec.prefix, diag);
        out.push_back(std::move(spec));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

// One string of a platform's "layers": a shared layer's name, else a layer reference (a prebuilt
// archive, relative to the matrix, or a digest reference), each with an optional :TAIL.
std::optional<PlatformLayer> read_layer_string(const std::string& text, const std::string& path, const fs::path& base,
                                               const std::vector<SharedLayerSpec>& shared, json::Diagnostics& diag) {
    PlatformLayer layer;
    if (std::any_of(shared.begin(), shared.end(), [&](const auto& s) { return s.name == text; })) {
        layer.shared = text;
        return layer;
    }
    if (!oci::looks_like_layer(text)) {
        diag.add(path, "\"" + escape_text(text) + "\" is neither a shared layer (/shared_layers) nor a layer archive (" +
                           oci::archive_extensions() + ") or digest reference (sha256:<hex>.tar.xz)");
        return std::nullopt;
    }
    auto ref = oci::parse_layer_ref(text);
    if (!ref) {
        diag.add(path, ref.error().message);
        return std::nullopt;
    }
    layer.kind = PlatformLayer::Kind::reference;
    layer.ref = std::move(*ref);
    if (layer.ref.kind == oci::LayerRef::Kind::file) layer.ref.path = resolve(base, layer.ref.path.string());
    return layer;
}

// One object of a platform's "layers": {"content": DIR | "archive": FILE, "strip"?: N, "prefix"?: P}.
std::optional<PlatformLayer> read_layer_object(const bj::value& v, const std::string& path, const fs::path& base,
                                               json::Diagnostics& diag) {
    constexpr std::array<std::string_view, 4> kLayerKeys{"content", "archive", "strip", "prefix"};
    json::ObjectReader rd(v, path, diag);
    rd.reject_unknown(kLayerKeys);
    PlatformLayer layer;
    read_placement(rd, path, layer.ref.strip, layer.ref.prefix, diag);
    auto content = rd.string("content", false);
    auto archive = rd.string("archive", false);
    if (content.has_value() == archive.has_value()) {
        diag.add(path, "give one of \"content\" (a directory to bundle) or \"archive\" (a prebuilt archive)");
        return std::nullopt;
    }
    if (content) {
        layer.kind = PlatformLayer::Kind::content;
        layer.content = resolve(base, *content);
        layer.ref.text = *content;
        return layer;
    }
    const auto media_type = oci::layer_media_type(*archive);
    if (!media_type) {
        diag.add(path + "/archive",
                 "\"" + escape_text(*archive) + "\" is not a supported archive (" + oci::archive_extensions() + ")");
        return std::nullopt;
    }
    layer.kind = PlatformLayer::Kind::reference;
    layer.ref.kind = oci::LayerRef::Kind::file;
    layer.ref.path = resolve(base, *archive);
    layer.ref.media_type = std::string(*media_type);
    layer.ref.text = *archive;
    return layer;
}

// A platform's "layers" (see PlatformLayer), each once.
std::vector<PlatformLayer> read_platform_layers(const bj::value* v, const std::string& platform_path, const fs::path& base,
                                                const std::vector<SharedLayerSpec>& shared, json::Diagnostics& diag) {
    std::vector<PlatformLayer> out;
    if (v == nullptr) return out;
    const std::string path = platform_path + "/layers";
    if (!v->is_array()) {
        diag.add(path, "expected an array of layers (shared layer names, archives, digest references, {\"content\": DIR})");
        return out;
    }
    std::vector<std::string> seen;  // each entry's serialized JSON: an entry listed twice is refused
    std::size_t i = 0;
    for (const auto& item : v->get_array()) {
        const std::string item_path = json::child_path(path, i);
        std::optional<PlatformLayer> layer;
        if (item.is_string())
            layer = read_layer_string(std::string(item.get_string()), item_path, base, shared, diag);
        else if (item.is_object())
            layer = read_layer_object(item, item_path, base, diag);
        else
            diag.add(item_path, "expected a shared layer name, an archive, a digest reference or {\"content\": DIR}");
        std::string text = bj::serialize(item);
        if (layer && std::find(seen.begin(), seen.end(), text) != seen.end()) {
            diag.add(item_path, "listed twice in this platform's layers");
        } else if (layer) {
            layer->json_path = item_path;
            layer->index = i;
            out.push_back(std::move(*layer));
        }
        seen.push_back(std::move(text));
        ++i;
    }
    return out;
}

// Supply chain keys (docs/cli.md "Supply chain"): top-level "sbom" (boolean) and "provenance"
// (boolean); per platform "sbom": true, false or "path.json" (attached as is), over the top level.
void read_supply_chain(const bj::value& root, const fs::path& base, Matrix& m, json::Diagnostics& diag) {
    const auto& top = root.get_object();
    bool sbom_default = false;
    if (const auto* v = top.if_contains("sbom")) {
        if (v->is_bool())
            sbom_default = v->get_bool();
        else
            diag.add("/sbom", "expected true or false (a file is given per platform)");
    }
    if (const auto* v = top.if_contains("provenance")) {
        if (v->is_bool())
            m.provenance = v->get_bool();
        else
            diag.add("/provenance", "expected true or false");
    }
    const auto* platforms = top.if_contains("platforms");
    for (auto& spec : m.platforms) {
        spec.sbom = sbom_default;
        const std::size_t i = std::stoul(spec.json_path.substr(std::string_view("/platforms/").size()));
        const auto* pv = platforms->get_array()[i].get_object().if_contains("sbom");
        if (pv == nullptr) continue;
        if (pv->is_bool()) {
            spec.sbom = pv->get_bool();
        } else if (pv->is_string() && !pv->get_string().empty()) {
            spec.sbom = true;
            spec.sbom_file = resolve(base, std::string(pv->get_string()));
        } else {
            diag.add(spec.json_path + "/sbom", "expected true, false or the path of an SBOM file");
        }
    }
}

// The steps of parse_matrix, in the order it reports problems. A new top-level key is read by a
// function of its own, called from parse_matrix by one line.

/// "package" (or --package): the repository only; an oci:DIR in the matrix is relative to it.
void read_package(json::ObjectReader& rd, const MatrixOverrides& overrides, const fs::path& base, Matrix& m,
                  json::Diagnostics& diag) {
    // --package replaces the matrix's value (which must still be a string when present); an
    // oci:DIR given on the command line is relative to the working directory, not the matrix.
    std::optional<std::string> pkg = rd.string("package", !overrides.package.has_value());
    if (overrides.package) pkg = overrides.package;
    if (pkg) {
        const std::string where = overrides.package ? "--package" : "/package";
        auto ref = oci::Reference::parse(*pkg, overrides.default_registry);
        if (!ref)
            diag.add(where, ref.error().message);
        else if (!ref->tag.empty() || ref->digest)
            diag.add(where, "give the repository only (\"" + ref->repository_str() + "\"); the tag goes in " +
                                (overrides.package ? "--tag" : "\"tag\""));
        else
            m.package = *ref;
        if (ref && ref->is_layout() && !overrides.package)
            m.package.repository = resolve(base, ref->repository).lexically_normal().string();
    }
}

/// "tag" (or --tag) with its build timestamp, reserved names and, under cascade, the version check;
/// also "cascade".
void read_tag(json::ObjectReader& rd, const MatrixOverrides& overrides, Matrix& m, json::Diagnostics& diag) {
    std::optional<std::string> tag = overrides.tag ? overrides.tag : rd.string("tag", !overrides.tag.has_value());
    if (tag) {
        auto t = oci::normalize_tag(*tag);
        if (!t)
            diag.add(overrides.tag ? "--tag" : "/tag", t.error().message);
        else
            m.tag = *t;
    }

    if (auto ts = rd.string("build_timestamp", false)) {
        if (*ts == "none")
            m.build_timestamp = BuildTimestamp::none;
        else if (*ts == "date")
            m.build_timestamp = BuildTimestamp::date;
        else if (*ts == "datetime")
            m.build_timestamp = BuildTimestamp::datetime;
        else
            diag.add("/build_timestamp", "expected none, date or datetime, got \"" + escape_text(*ts) + "\"");
    }
    if (!m.tag.empty() && m.build_timestamp != BuildTimestamp::none && !overrides.tag_is_final) {
        if (m.tag.find('_') != std::string::npos)
            diag.add("/build_timestamp",
                     "tag \"" + m.tag + "\" already has a build part; drop build_timestamp or the build");
        else
            m.tag += timestamp_suffix(m.build_timestamp, overrides.now);
    }
    // The tag as it will be written (with its build timestamp) must not be one OCX reserves.
    if (!m.tag.empty())
        if (auto reserved = oci::check_not_reserved(m.tag); !reserved)
            diag.add(overrides.tag ? "--tag" : "/tag", reserved.error().message);

    m.cascade = rd.boolean("cascade", false).value_or(false);
    // A tag that is not an OCX version is published without rolling tags; only "v1.2.3" is refused.
    if (m.cascade && !m.tag.empty())
        if (auto v = plan::cascade_start(m.tag); !v) diag.add(overrides.tag ? "--tag" : "/tag", v.error().message);
}

void read_aliases(json::ObjectReader& rd, Matrix& m, json::Diagnostics& diag) {
    if (const auto* aliases = rd.get("aliases")) {
        if (!aliases->is_array()) {
            diag.add("/aliases", "expected an array of tags");
        } else {
            std::size_t i = 0;
            for (const auto& a : aliases->get_array()) {
                std::string path = json::child_path("/aliases", i++);
                if (!a.is_string()) {
                    diag.add(path, "expected a tag string");
                    continue;
                }
                auto t = oci::normalize_tag(a.get_string());
                if (!t)
                    diag.add(path, t.error().message);
                else if (auto reserved = oci::check_not_reserved(*t); !reserved)
                    diag.add(path, reserved.error().message);
                else if (*t == m.tag)
                    diag.add(path, "alias \"" + *t + "\" is the release tag itself");
                else if (std::find(m.aliases.begin(), m.aliases.end(), *t) != m.aliases.end())
                    diag.add(path, "duplicate alias \"" + *t + "\"");
                else
                    m.aliases.push_back(*t);
            }
        }
    }
}

void read_annotations(json::ObjectReader& rd, Matrix& m, json::Diagnostics& diag) {
    if (const auto* ann = rd.get("annotations")) {
        if (!ann->is_object()) {
            diag.add("/annotations", "expected an object of string values");
        } else {
            for (const auto& kv : ann->get_object()) {
                if (!kv.value().is_string())
                    diag.add(json::child_path("/annotations", kv.key()), "expected a string value");
                else if (kv.key().empty())
                    diag.add("/annotations", "empty annotation key");
                else
                    m.annotations[std::string(kv.key())] = std::string(kv.value().get_string());
            }
        }
    }
}

void read_compression(json::ObjectReader& rd, Matrix& m, json::Diagnostics& diag) {
    if (const auto* comp = rd.get("compression")) {
        json::ObjectReader cr(*comp, "/compression", diag);
        cr.reject_unknown(kCompressionKeys);
        if (auto level = cr.string("level", false)) {
            if (auto parsed = bundle::parse_level(*level))
                m.level = *parsed;
            else
                diag.add("/compression/level", "expected fast, default or best, got \"" + escape_text(*level) + "\"");
        }
        if (auto threads = cr.integer("threads", false)) {
            if (*threads < 0 || *threads > 1024)
                diag.add("/compression/threads", "expected 0 (all cores) to 1024");
            else
                m.threads = static_cast<unsigned>(*threads);
        }
    }
}

/// One entry of /platforms; nullopt when it is not an object. `seen` maps the platforms read so far
/// to their JSON paths (duplicates are reported).
std::optional<PlatformSpec> read_platform(const boost::json::value& pv, const std::string& path, const fs::path& base,
                                          const MetadataBlock& block, const std::vector<SharedLayerSpec>& shared,
                                          std::map<std::string, std::string>& seen, json::Diagnostics& diag) {
    json::ObjectReader pr(pv, path, diag);
    if (!pr.valid()) return std::nullopt;
    pr.reject_unknown(kPlatformKeys);
    PlatformSpec spec;
    spec.json_path = path;
    bool platform_ok = false;
    if (auto ptext = pr.string("platform", true)) {
        auto p = oci::Platform::parse(*ptext);
        if (!p) {
            diag.add(path + "/platform", p.error().message);
        } else {
            spec.platform = *p;
            platform_ok = true;
            auto [it, inserted] = seen.emplace(p->str(), path);
            if (!inserted)
                diag.add(path + "/platform", "duplicate platform \"" + p->str() + "\" (also at " + it->second + ")");
        }
    }
    auto content = pr.string("content", false);
    auto archive = pr.string("archive", false);
    if (content && archive)
        diag.add(path, "give either \"content\" or \"archive\", not both");
    else if (!content && !archive && pr.valid())
        diag.add(path, "needs \"content\" (a directory to bundle) or \"archive\" (a prebuilt .tar.xz)");
    if (content) spec.content = resolve(base, *content);
    if (archive) {
        spec.archive = resolve(base, *archive);
        if (!oci::layer_media_type(*archive))
            diag.add(path + "/archive",
                     "\"" + escape_text(*archive) + "\" is not a supported archive (" + oci::archive_extensions() + ")");
    }
    if (auto meta = pr.string("metadata", false)) spec.metadata = resolve(base, *meta);
    spec.layers = read_platform_layers(pr.get("layers"), path, base, shared, diag);
    if (!spec.metadata) {
        auto it = platform_ok ? block.per_platform.find(spec.platform.str()) : block.per_platform.end();
        if (it != block.per_platform.end())
            spec.metadata = it->second.first;
        else if (block.default_file)
            spec.metadata = block.default_file;
    }
    return spec;
}

/// "platforms", each with its metadata file (its own, else the metadata block's).
void read_platforms(json::ObjectReader& rd, const fs::path& base, const MetadataBlock& block, Matrix& m,
                    json::Diagnostics& diag) {
    const auto* platforms = rd.get("platforms");
    if (platforms == nullptr) {
        diag.add("/platforms", "required key is missing");
    } else if (!platforms->is_array() || platforms->get_array().empty()) {
        diag.add("/platforms", "expected a non-empty array of platforms");
    } else {
        std::size_t i = 0;
        std::map<std::string, std::string> seen;  // platform -> json path
        for (const auto& pv : platforms->get_array()) {
            std::string path = json::child_path("/platforms", i++);
            if (auto spec = read_platform(pv, path, base, block, m.shared_layers, seen, diag))
                m.platforms.push_back(std::move(*spec));
        }
        for (const auto& [platform, where] : block.per_platform)
            if (seen.count(platform) == 0)
                diag.add(where.second, "metadata for \"" + escape_text(platform) + "\", which is not in /platforms");
    }
}

// A shared layer's bundle (<package>-<tag>-NAME.tar.xz) must not be a file a platform writes too.
void check_bundle_names(const Matrix& m, json::Diagnostics& diag) {
    for (const auto& shared : m.shared_layers) {
        const std::string stem = shared_layer_stem(m, shared.name);
        for (const auto& p : m.platforms) {
            bool clash = stem == p.bundle_stem;
            for (const auto& l : p.layers)
                clash = clash || (l.kind == PlatformLayer::Kind::content && stem == tree_layer_stem(p, l));
            if (clash)
                diag.add(json::child_path("/shared_layers", shared.name), "its bundle " + stem +
                                                                              ".tar.xz would be the name of a bundle of " +
                                                                              p.json_path + "; choose another name");
        }
    }
}

void name_bundles(Matrix& m) {
    // Bundle names: os/arch[/variant]; features are added where two platforms would collide.
    std::map<std::string, int> stems;
    for (auto& p : m.platforms) {
        oci::Reference named = m.package.with_tag(m.tag);
        p.bundle_stem = bundle::bundle_stem(named, &p.platform);
        ++stems[p.bundle_stem];
    }
    for (auto& p : m.platforms)
        if (stems[p.bundle_stem] > 1)
            p.bundle_stem = bundle::bundle_stem(m.package.with_tag(m.tag), &p.platform, bundle::WithFeatures::yes);
}

}  // namespace

Matrix parse_matrix(std::string_view text, const fs::path& file, const MatrixOverrides& overrides, json::Diagnostics& diag) {
    Matrix m;
    m.file = file;
    const fs::path base = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    auto root = json::parse(text, file.string());
    if (!root) {
        diag.add("", root.error().message.substr(file.string().size() + 1));  // "line:col: invalid JSON: …"
        return m;
    }
    json::ObjectReader rd(*root, "", diag);
    if (!rd.valid()) return m;
    rd.reject_unknown(kTopKeys);

    if (auto schema = rd.integer("schema", true); schema && *schema != 1)
        diag.add("/schema", "unsupported schema " + std::to_string(*schema) + " (this tool reads 1)");

    read_package(rd, overrides, base, m, diag);
    read_tag(rd, overrides, m, diag);
    m.replace = rd.boolean("replace", false).value_or(false) || overrides.replace;
    m.canonical_tags = rd.boolean("canonical_tags", false).value_or(true);

    read_aliases(rd, m, diag);
    read_annotations(rd, m, diag);
    read_compression(rd, m, diag);
    if (auto out = rd.string("output_dir", false)) m.output_dir = resolve(base, *out);

    m.describe = read_describe_block(rd.get("describe"), base, diag);
    m.shared_layers = read_shared_layers(rd.get("shared_layers"), base, diag);
    MetadataBlock block;
    if (const auto* meta = rd.get("metadata")) block = read_metadata_block(*meta, base, diag);

    read_platforms(rd, base, block, m, diag);
    read_supply_chain(*root, base, m, diag);
    name_bundles(m);
    check_bundle_names(m, diag);
    return m;
}

const PlatformSpec* find_platform(const Matrix& matrix, std::string_view platform) {
    for (const auto& p : matrix.platforms)
        if (p.platform.str() == platform) return &p;
    return nullptr;
}

const SharedLayerSpec* find_shared_layer(const Matrix& matrix, std::string_view name) {
    for (const auto& l : matrix.shared_layers)
        if (l.name == name) return &l;
    return nullptr;
}

std::string shared_layer_stem(const Matrix& matrix, std::string_view name) {
    return bundle::bundle_stem(matrix.package.with_tag(matrix.tag), nullptr) + "-" + std::string(name);
}

std::string tree_layer_stem(const PlatformSpec& platform, const PlatformLayer& layer) {
    return platform.bundle_stem + "-layer" + std::to_string(layer.index);
}

}  // namespace ocx::plan

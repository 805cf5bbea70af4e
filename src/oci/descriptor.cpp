// Canonical JSON for OCX manifests and indexes (docs/wire-format.md §2 "Platform manifest" and
// §3 "Image index at a tag"). Objects are built in the exact key order the spec gives and
// serialized compactly; boost::json keeps insertion order and writes no whitespace.
#include "oci/descriptor.hpp"

#include <boost/json.hpp>

#include "oci/media_types.hpp"
#include "util/json.hpp"

namespace ocx::oci {

namespace bj = boost::json;

namespace {
bj::object annotations_json(const Annotations& a) {
    bj::object o;
    for (const auto& [k, v] : a) o[k] = v;
    return o;
}

bj::object descriptor_json(const Descriptor& d) {
    bj::object o;
    o["mediaType"] = d.media_type;
    o["digest"] = d.digest.str();
    o["size"] = d.size;
    if (!d.annotations.empty()) o["annotations"] = annotations_json(d.annotations);
    return o;
}

Error bad(std::string_view what, std::string_view why) {
    return make_error(ErrorKind::data, "invalid " + std::string(what) + ": " + std::string(why));
}

Result<std::uint64_t> read_size(const bj::object& o, std::string_view what) {
    const auto* v = o.if_contains("size");
    if (v != nullptr && v->is_uint64()) return v->get_uint64();
    if (v != nullptr && v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    return bad(what, "descriptor without a valid \"size\"");
}

Result<Annotations> read_annotations(const bj::object& o, std::string_view what) {
    Annotations out;
    const auto* v = o.if_contains("annotations");
    if (v == nullptr || v->is_null()) return out;
    if (!v->is_object()) return bad(what, "\"annotations\" is not an object");
    for (const auto& kv : v->get_object()) {
        if (!kv.value().is_string()) return bad(what, "annotation \"" + std::string(kv.key()) + "\" is not a string");
        out[std::string(kv.key())] = std::string(kv.value().get_string());
    }
    return out;
}

Result<Descriptor> read_descriptor(const bj::value& v, std::string_view what) {
    if (!v.is_object()) return bad(what, "descriptor is not an object");
    const auto& o = v.get_object();
    Descriptor d;
    const auto* mt = o.if_contains("mediaType");
    const auto* dg = o.if_contains("digest");
    if (mt == nullptr || !mt->is_string()) return bad(what, "descriptor without \"mediaType\"");
    if (dg == nullptr || !dg->is_string()) return bad(what, "descriptor without \"digest\"");
    d.media_type = std::string(mt->get_string());
    auto digest = Digest::parse(dg->get_string());
    if (!digest) return bad(what, digest.error().message);
    d.digest = *digest;
    auto size = read_size(o, what);
    if (!size) return std::move(size).error();
    d.size = *size;
    auto ann = read_annotations(o, what);
    if (!ann) return std::move(ann).error();
    d.annotations = std::move(*ann);
    return d;
}

Result<bj::object> parse_object(std::string_view bytes, std::string_view what) {
    auto v = json::parse(bytes, what);
    if (!v) return std::move(v).error();
    if (!v->is_object()) return bad(what, "not a JSON object");
    return std::move(v->get_object());
}
}  // namespace

std::string ImageManifest::serialize() const {
    bj::object o;
    o["schemaVersion"] = 2;
    o["mediaType"] = kImageManifest;
    o["config"] = descriptor_json(config);
    bj::array layers_json;
    for (const auto& l : layers) layers_json.emplace_back(descriptor_json(l));
    o["layers"] = std::move(layers_json);
    o["artifactType"] = artifact_type;
    return bj::serialize(o);
}

Result<ImageManifest> ImageManifest::parse(std::string_view bytes) {
    auto obj = parse_object(bytes, "manifest");
    if (!obj) return std::move(obj).error();
    ImageManifest m;
    const auto* config = obj->if_contains("config");
    if (config == nullptr) return bad("manifest", "no \"config\" descriptor");
    auto c = read_descriptor(*config, "manifest config");
    if (!c) return std::move(c).error();
    m.config = std::move(*c);
    const auto* layers = obj->if_contains("layers");
    if (layers == nullptr || !layers->is_array()) return bad("manifest", "no \"layers\" array");
    for (const auto& l : layers->get_array()) {
        auto d = read_descriptor(l, "manifest layer");
        if (!d) return std::move(d).error();
        m.layers.push_back(std::move(*d));
    }
    if (const auto* at = obj->if_contains("artifactType"); at != nullptr && at->is_string())
        m.artifact_type = std::string(at->get_string());
    else
        m.artifact_type.clear();
    return m;
}

std::string ImageIndex::serialize() const {
    bj::object o;
    o["schemaVersion"] = 2;
    o["mediaType"] = kImageIndex;
    bj::array entries;
    for (const auto& e : manifests) {
        bj::object eo;
        eo["mediaType"] = e.media_type;
        eo["digest"] = e.digest.str();
        eo["size"] = e.size;
        if (e.platform) eo["platform"] = e.platform->to_json();
        if (!e.extra_json.empty()) {
            auto extra = bj::parse(e.extra_json);
            for (const auto& kv : extra.as_object()) eo[kv.key()] = kv.value();
        }
        entries.emplace_back(std::move(eo));
    }
    o["manifests"] = std::move(entries);
    if (artifact_type) o["artifactType"] = *artifact_type;
    if (!annotations.empty()) o["annotations"] = annotations_json(annotations);
    return bj::serialize(o);
}

Result<ImageIndex> ImageIndex::parse(std::string_view bytes) {
    auto obj = parse_object(bytes, "index");
    if (!obj) return std::move(obj).error();
    ImageIndex idx;
    const auto* manifests = obj->if_contains("manifests");
    if (manifests == nullptr || !manifests->is_array()) return bad("index", "no \"manifests\" array");
    for (const auto& ev : manifests->get_array()) {
        auto d = read_descriptor(ev, "index entry");
        if (!d) return std::move(d).error();
        IndexEntry e;
        e.media_type = d->media_type;
        e.digest = d->digest;
        e.size = d->size;
        bj::object extra;
        for (const auto& kv : ev.get_object()) {
            std::string_view k = kv.key();
            if (k == "mediaType" || k == "digest" || k == "size") continue;
            if (k == "platform") {
                if (!kv.value().is_object()) return bad("index entry", "\"platform\" is not an object");
                auto p = Platform::from_json(kv.value().get_object());
                if (!p) return bad("index entry", p.error().message);
                e.platform = std::move(*p);
                continue;
            }
            extra[k] = kv.value();
        }
        if (!extra.empty()) e.extra_json = bj::serialize(extra);
        idx.manifests.push_back(std::move(e));
    }
    if (const auto* at = obj->if_contains("artifactType"); at != nullptr && at->is_string())
        idx.artifact_type = std::string(at->get_string());
    auto ann = read_annotations(*obj, "index");
    if (!ann) return std::move(ann).error();
    idx.annotations = std::move(*ann);
    return idx;
}

std::string sniff_media_type(std::string_view bytes) {
    bj::error_code ec;
    auto v = bj::parse(bytes, ec);
    if (ec || !v.is_object()) return {};
    const auto* mt = v.get_object().if_contains("mediaType");
    if (mt == nullptr || !mt->is_string()) return {};
    return std::string(mt->get_string());
}

}  // namespace ocx::oci

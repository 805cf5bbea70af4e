// Referrer manifest bytes (docs/wire-format.md §7), built in the field order the spec gives and
// serialized compactly, so the digest is over exactly what is pushed.
#include "attest/referrer.hpp"

#include <boost/json.hpp>

#include "oci/media_types.hpp"
#include "util/json.hpp"

namespace ocx::attest {

namespace bj = boost::json;

namespace {
bj::object descriptor_json(std::string_view media_type, const Digest& digest, std::uint64_t size) {
    bj::object o;
    o["mediaType"] = media_type;
    o["digest"] = digest.str();
    o["size"] = size;
    return o;
}

Result<oci::Descriptor> read_descriptor(const bj::value& v, std::string_view what) {
    const auto* o = v.if_object();
    const bj::value* mt = o ? o->if_contains("mediaType") : nullptr;
    const bj::value* dg = o ? o->if_contains("digest") : nullptr;
    const bj::value* sz = o ? o->if_contains("size") : nullptr;
    if (!mt || !mt->is_string() || !dg || !dg->is_string() || !sz || !(sz->is_uint64() || sz->is_int64()) ||
        (sz->is_int64() && sz->get_int64() < 0))
        return make_error(ErrorKind::data, "referrer manifest: " + std::string(what) + " is not a descriptor");
    auto digest = Digest::parse(dg->get_string());
    if (!digest) return std::move(digest).error();
    oci::Descriptor d;
    d.media_type = std::string(mt->get_string());
    d.digest = *digest;
    d.size = sz->is_uint64() ? sz->get_uint64() : static_cast<std::uint64_t>(sz->get_int64());
    return d;
}
}  // namespace

std::string referrer_manifest(const Document& document, const oci::Descriptor& subject) {
    bj::object o;
    o["schemaVersion"] = 2;
    o["mediaType"] = oci::kImageManifest;
    o["artifactType"] = document.artifact_type;
    o["config"] = descriptor_json(oci::kEmptyConfigType, Digest::of(oci::kEmptyConfigBytes), oci::kEmptyConfigBytes.size());
    bj::array layers;
    layers.push_back(descriptor_json(document.artifact_type, Digest::of(document.bytes), document.bytes.size()));
    o["layers"] = std::move(layers);
    o["subject"] = descriptor_json(subject.media_type, subject.digest, subject.size);
    if (!document.annotations.empty()) {
        bj::object a;
        for (const auto& [k, v] : document.annotations) a[k] = v;
        o["annotations"] = std::move(a);
    }
    return bj::serialize(o);
}

Result<ReferrerManifest> parse_referrer_manifest(std::string_view bytes) {
    auto doc = json::parse(bytes, "referrer manifest");
    if (!doc) return std::move(doc).error();
    const auto* o = doc->if_object();
    if (o == nullptr) return make_error(ErrorKind::data, "referrer manifest: not a JSON object");
    ReferrerManifest m;
    if (const auto* at = o->if_contains("artifactType"); at && at->is_string()) m.artifact_type = at->get_string();
    const auto* layers = o->if_contains("layers");
    if (!layers || !layers->is_array() || layers->get_array().size() != 1)
        return make_error(ErrorKind::data, "referrer manifest: \"layers\" does not hold exactly one document");
    auto layer = read_descriptor(layers->get_array()[0], "layers[0]");
    if (!layer) return std::move(layer).error();
    m.layer = std::move(*layer);
    if (const auto* s = o->if_contains("subject")) {
        auto subject = read_descriptor(*s, "subject");
        if (!subject) return std::move(subject).error();
        m.subject = std::move(*subject);
    }
    if (const auto* a = o->if_contains("annotations"); a && a->is_object())
        for (const auto& kv : a->get_object())
            if (kv.value().is_string()) m.annotations[std::string(kv.key())] = std::string(kv.value().get_string());
    return m;
}

}  // namespace ocx::attest

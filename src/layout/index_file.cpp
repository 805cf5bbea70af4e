#include "layout/index_file.hpp"

#include <algorithm>

#include "oci/media_types.hpp"
#include "util/json.hpp"

namespace ocx::layout {

namespace bj = boost::json;

Result<IndexFile> IndexFile::parse(std::string_view text, std::string_view source) {
    auto doc = json::parse(text, source);
    if (!doc) return std::move(doc).error();
    json::Diagnostics diag;
    if (!doc->is_object()) {
        diag.add("", "expected an object, got " + std::string(json::kind_name(*doc)));
        return diag.to_error(source);
    }
    IndexFile out;
    out.source_ = std::string(source);
    const bj::object& obj = doc->get_object();
    if (const bj::value* v = obj.if_contains("schemaVersion"); v != nullptr && !(v->is_int64() && v->get_int64() == 2)) {
        diag.add("/schemaVersion", "expected 2, got " + json::compact(*v));
    }
    if (const bj::value* manifests = obj.if_contains("manifests"); manifests != nullptr) {
        if (!manifests->is_array()) {
            diag.add("/manifests", "expected an array, got " + std::string(json::kind_name(*manifests)));
        } else {
            const bj::array& arr = manifests->get_array();
            for (std::size_t i = 0; i < arr.size(); ++i) {
                std::string path = json::child_path("/manifests", i);
                if (!arr[i].is_object()) {
                    diag.add(path, "expected an object, got " + std::string(json::kind_name(arr[i])));
                    continue;
                }
                Entry entry{std::nullopt, json::compact(arr[i])};
                const bj::value* ann = arr[i].get_object().if_contains("annotations");
                if (ann != nullptr && ann->is_object()) {
                    if (const bj::value* name = ann->get_object().if_contains(oci::kAnnotationRefName)) {
                        if (name->is_string()) {
                            entry.ref_name = std::string(name->get_string());
                        } else {
                            diag.add(json::child_path(json::child_path(path, "annotations"), oci::kAnnotationRefName),
                                     "expected a string, got " + std::string(json::kind_name(*name)));
                        }
                    }
                }
                out.entries_.push_back(std::move(entry));
            }
        }
    }
    for (const auto& kv : obj) {
        std::string_view key = kv.key();
        if (key == "schemaVersion" || key == "mediaType" || key == "manifests") continue;
        if (!out.extra_members_.empty()) out.extra_members_ += ',';
        out.extra_members_ += bj::serialize(bj::value(key));
        out.extra_members_ += ':';
        out.extra_members_ += json::compact(kv.value());
    }
    if (!diag.empty()) return diag.to_error(source);
    return out;
}

Result<std::optional<oci::Descriptor>> IndexFile::find(std::string_view tag) const {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].ref_name != tag) continue;
        auto value = json::parse(entries_[i].json, source_);
        if (!value) return std::move(value).error();  // cannot happen: we serialized it
        json::Diagnostics diag;
        json::ObjectReader reader(*value, json::child_path("/manifests", i), diag);
        auto media_type = reader.string("mediaType", true);
        auto digest_text = reader.string("digest", true);
        auto size = reader.integer("size", true);
        std::optional<Digest> digest;
        if (digest_text) {
            auto parsed = Digest::parse(*digest_text);
            if (parsed)
                digest = *parsed;
            else
                diag.add(reader.path_of("digest"), parsed.error().message);
        }
        if (size && *size < 0) diag.add(reader.path_of("size"), "expected a size >= 0, got " + std::to_string(*size));
        if (!diag.empty()) return diag.to_error(source_);
        oci::Descriptor d;
        d.media_type = *media_type;
        d.digest = *digest;
        d.size = static_cast<std::uint64_t>(*size);
        if (const bj::value* ann = value->get_object().if_contains("annotations"); ann != nullptr && ann->is_object()) {
            for (const auto& kv : ann->get_object()) {
                if (kv.value().is_string())
                    d.annotations.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
            }
        }
        return std::optional<oci::Descriptor>(std::move(d));
    }
    return std::optional<oci::Descriptor>{};
}

std::vector<std::string> IndexFile::tags() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) {
        if (e.ref_name) out.push_back(*e.ref_name);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void IndexFile::set_tag(std::string_view tag, const oci::Descriptor& descriptor) {
    // Key order as skopeo and umoci write descriptors: mediaType, digest, size, annotations.
    bj::object entry;
    entry["mediaType"] = descriptor.media_type;
    entry["digest"] = descriptor.digest.str();
    entry["size"] = descriptor.size;
    bj::object annotations;
    annotations[oci::kAnnotationRefName] = tag;
    entry["annotations"] = std::move(annotations);
    Entry fresh{std::string(tag), json::compact(entry)};

    auto first = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.ref_name == tag; });
    if (first == entries_.end()) {
        entries_.push_back(std::move(fresh));
        return;
    }
    *first = std::move(fresh);
    entries_.erase(std::remove_if(std::next(first), entries_.end(), [&](const Entry& e) { return e.ref_name == tag; }),
                   entries_.end());
}

std::string IndexFile::serialize() const {
    std::string out = "{\"schemaVersion\":2,\"mediaType\":";
    out += bj::serialize(bj::value(oci::kImageIndex));
    out += ",\"manifests\":[";
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (i > 0) out += ',';
        out += entries_[i].json;
    }
    out += ']';
    if (!extra_members_.empty()) {
        out += ',';
        out += extra_members_;
    }
    out += '}';
    return out;
}

std::string document_media_type(std::string_view bytes) {
    boost::system::error_code ec;
    bj::value v = bj::parse(bytes, ec);
    if (ec || !v.is_object()) return "";
    const bj::value* mt = v.get_object().if_contains("mediaType");
    return mt != nullptr && mt->is_string() ? std::string(mt->get_string()) : std::string();
}

Status check_layout_version(std::string_view text, std::string_view source) {
    auto doc = json::parse(text, source);
    if (!doc) return std::move(doc).error();
    json::Diagnostics diag;
    json::ObjectReader reader(*doc, "", diag);
    auto version = reader.string("imageLayoutVersion", true);
    if (version && version->rfind("1.", 0) != 0) {
        diag.add("/imageLayoutVersion", "unsupported image layout version \"" + *version + "\" (expected 1.0.0)");
    }
    if (!diag.empty()) return diag.to_error(source);
    return {};
}

}  // namespace ocx::layout

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "report/ocx_push.hpp"

using namespace ocx;
using namespace ocx::report;

namespace {
TagResult tag(std::string name, TagKind kind, TagAction action, const Digest& after) {
    TagResult t;
    t.tag = std::move(name);
    t.kind = kind;
    t.action = action;
    t.after = after;
    return t;
}
}  // namespace

TEST_CASE("to_ocx_push_json: OCX's keys in OCX's order, the index digest, written cascade tags") {
    const Digest index = Digest::of("index");
    const Digest manifest = Digest::of("manifest");
    Report r;
    r.status = report::Status::published;
    r.tag = "1.2.3";
    r.tags.push_back(tag("1.2.3", TagKind::primary, TagAction::created, index));
    r.tags.push_back(tag("1.2", TagKind::cascade, TagAction::moved, index));
    r.tags.push_back(tag("1", TagKind::cascade, TagAction::unchanged, index));
    r.tags.push_back(tag("latest", TagKind::cascade, TagAction::blocked, index));
    r.tags.push_back(tag("stable", TagKind::alias, TagAction::created, index));
    PlatformResult p;
    p.canonical_tag = manifest.canonical_tag();
    r.platforms.push_back(p);
    BlobCounts layers;
    layers.uploaded = 1;
    layers.skipped = 2;
    layers.mounted = 3;

    const std::string text = to_ocx_push_json(r, "registry.example/acme/tool:1.2.3", layers);
    CHECK(text == "{\"identifier\":\"registry.example/acme/tool:1.2.3\",\"status\":\"pushed\",\"manifest_digest\":\"" +
                      index.str() + "\",\"cascade_tags_written\":[\"1.2\",\"1\"],\"canonical_tags_written\":[\"" +
                      manifest.canonical_tag() + "\"],\"layers\":{\"mounted\":3,\"uploaded\":1,\"verified\":2}}\n");
    CHECK(boost::json::parse(text).as_object().size() == 6);

    CHECK(announce_line(r) == "1.2.3,1.2,1\n");
}

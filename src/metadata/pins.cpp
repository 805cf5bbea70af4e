#include "metadata/pins.hpp"

#include <boost/json.hpp>

#include "util/escape.hpp"
#include "util/json.hpp"

namespace ocx::metadata {

namespace bj = boost::json;

namespace {
// Calls `f` with every dependencies[i].identifier string of a parsed metadata document.
template <class F>
void for_each_identifier(bj::value& root, F&& f) {
    auto* object = root.if_object();
    if (object == nullptr) return;
    auto* deps = object->if_contains("dependencies");
    if (deps == nullptr || !deps->is_array()) return;
    for (auto& d : deps->get_array()) {
        auto* entry = d.if_object();
        if (entry == nullptr) continue;
        auto* id = entry->if_contains("identifier");
        if (id != nullptr && id->is_string()) f(id->get_string());
    }
}
}  // namespace

IdentifierTexts dependency_identifiers(std::string_view metadata_text) {
    IdentifierTexts out;
    auto root = json::parse(metadata_text, "metadata");
    if (!root) return out;
    for_each_identifier(*root, [&out](bj::string& id) {
        std::string text(id);
        (text.find('@') == std::string::npos ? out.unpinned : out.pinned).push_back(std::move(text));
    });
    return out;
}

Result<DependencyIdentifier> parse_unpinned_identifier(std::string_view text) {
    // The published grammar with a placeholder digest: one set of rules for host, repository, tag.
    auto id = parse_dependency_identifier(std::string(text) + "@sha256:" + std::string(64, '0'));
    if (!id) {
        std::string message = id.error().message;
        const std::string placeholder = "@sha256:" + std::string(64, '0');
        for (auto at = message.find(placeholder); at != std::string::npos; at = message.find(placeholder))
            message.erase(at, placeholder.size());
        return make_error(ErrorKind::data, message);
    }
    if (id->tag.empty())
        return make_error(ErrorKind::data, "dependency \"" + escape_text(text) +
                                               "\" names no tag: write registry/repository:tag (create pins it)");
    id->digest = Digest{};
    return id;
}

std::string with_pins(std::string_view metadata_text, const std::map<std::string, std::string>& pins) {
    auto root = json::parse(metadata_text, "metadata");
    if (!root) return std::string(metadata_text);
    for_each_identifier(*root, [&pins](bj::string& id) {
        if (auto it = pins.find(std::string(id)); it != pins.end()) id = it->second;
    });
    return bj::serialize(*root);
}

}  // namespace ocx::metadata

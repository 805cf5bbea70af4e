// `dependencies[]` of package metadata (docs/wire-format.md §4): {identifier, visibility, name?}.
// Identifiers are pinned by digest with an explicit registry (metadata/identifier.hpp); at most
// 256 entries; no two share a location or a name (the name `${deps.NAME.installPath}` uses).

#include <algorithm>
#include <array>
#include <map>

#include "metadata/identifier.hpp"
#include "metadata/names.hpp"
#include "metadata/parse_parts.hpp"

namespace ocx::metadata::detail {

namespace bj = boost::json;

namespace {
constexpr std::array<std::string_view, 3> kDependencyKeys{"identifier", "visibility", "name"};
constexpr std::array<std::string_view, 4> kVisibilities{"sealed", "private", "public", "interface"};
}  // namespace

DependencyNames parse_dependencies(const bj::value& value, json::Diagnostics& diag, std::vector<Dependency>& out) {
    DependencyNames result;
    if (!value.is_array()) {
        diag.add("/dependencies", "expected an array, got " + std::string(json::kind_name(value)));
        result.complete = false;
        return result;
    }
    const auto& items = value.get_array();
    if (items.size() > max_dependencies)
        diag.add("/dependencies", std::to_string(items.size()) + " dependencies; at most " +
                                      std::to_string(max_dependencies) + " are allowed");

    std::map<std::string, std::string> location_at;  // location -> path of the first entry
    std::map<std::string, std::string> name_at;      // name -> path of the first entry
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::string path = json::child_path("/dependencies", i);
        json::ObjectReader r(items[i], path, diag);
        if (!r.valid()) {
            result.complete = false;
            continue;
        }
        r.reject_unknown(kDependencyKeys);
        Dependency dep;

        std::optional<DependencyIdentifier> id;
        if (auto text = r.string("identifier", true)) {
            dep.identifier = *text;
            if (auto parsed = parse_dependency_identifier(*text))
                id = std::move(*parsed);
            else
                diag.add(r.path_of("identifier"), parsed.error().message);
        }
        if (auto vis = r.string("visibility", false)) {
            dep.visibility = *vis;
            if (std::find(kVisibilities.begin(), kVisibilities.end(), *vis) == kVisibilities.end())
                diag.add(r.path_of("visibility"), not_one_of(*vis, kVisibilities));
        }
        bool name_ok = true;
        if (r.has("name")) {
            auto name = r.string("name", false);
            name_ok = name.has_value();
            if (name) {
                dep.name = *name;
                if (auto why = check_slug(*name, "dependency name"); !why.empty()) {
                    diag.add(r.path_of("name"), why);
                    name_ok = false;
                }
            }
        }

        if (id) {
            auto [it, fresh] = location_at.emplace(id->location(), path);
            if (!fresh) diag.add(r.path_of("identifier"), id->location() + " is already a dependency (" + it->second + ")");
        }
        std::optional<std::string> effective = dep.name;
        if (!effective && id) effective = id->basename();
        if (effective && name_ok) {
            auto [it, fresh] = name_at.emplace(*effective, path);
            if (!fresh) {
                std::string where = dep.name ? r.path_of("name") : path;
                std::string how = dep.name ? "" : " (from its repository); set \"name\" to tell them apart";
                diag.add(where, "name " + in_quotes(*effective) + " is already used by " + it->second + how);
            } else {
                result.names.push_back(*effective);
            }
        } else {
            result.complete = false;
        }
        out.push_back(std::move(dep));
    }
    return result;
}

}  // namespace ocx::metadata::detail

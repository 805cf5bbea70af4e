// Published form of package metadata (docs/wire-format.md §4): one boost::json::object built in
// canonical key order, written compact (the config blob, hashed as is) or pretty (the sidecar).
// boost::json::object keeps insertion order, so the order below is the order on the wire.

#include <algorithm>

#include "metadata/metadata.hpp"
#include "util/json.hpp"

namespace ocx::metadata {

namespace bj = boost::json;

std::string_view to_string(EnvVar::Type type) {
    switch (type) {
        case EnvVar::Type::path: return "path";
        case EnvVar::Type::constant: return "constant";
        case EnvVar::Type::list: return "list";
    }
    return "constant";
}

std::string_view to_string(EnvVar::Visibility visibility) {
    switch (visibility) {
        case EnvVar::Visibility::private_: return "private";
        case EnvVar::Visibility::public_: return "public";
        case EnvVar::Visibility::interface: return "interface";
    }
    return "private";
}

namespace {

bj::array string_array(const std::vector<std::string>& items) {
    bj::array out;
    for (const auto& s : items) out.emplace_back(bj::string(s));
    return out;
}

bj::value published(const Metadata& m) {
    bj::object o;
    o["type"] = "bundle";
    o["version"] = 1;
    if (m.strip_components) o["strip_components"] = *m.strip_components;
    if (!m.env.empty()) {
        bj::array env;
        for (const auto& var : m.env) {
            bj::object e;
            e["key"] = var.key;
            e["type"] = to_string(var.type);
            if (var.type == EnvVar::Type::path) e["required"] = var.required;
            if (var.type == EnvVar::Type::list) e["separator"] = var.separator;
            e["value"] = var.value;
            e["visibility"] = to_string(var.visibility);
            env.emplace_back(std::move(e));
        }
        o["env"] = std::move(env);
    }
    if (!m.dependencies.empty()) {
        bj::array deps;
        for (const auto& dep : m.dependencies) {
            bj::object d;
            d["identifier"] = dep.identifier;
            d["visibility"] = dep.visibility;
            if (dep.name) d["name"] = *dep.name;
            deps.emplace_back(std::move(d));
        }
        o["dependencies"] = std::move(deps);
    }
    if (!m.entrypoints.empty()) {
        bj::object eps;  // std::map iterates in byte order: keys sorted
        for (const auto& [name, ep] : m.entrypoints) {
            bj::object e;
            if (ep.command) e["command"] = *ep.command;
            if (ep.args && !ep.args->empty()) e["args"] = string_array(*ep.args);
            eps[name] = std::move(e);
        }
        o["entrypoints"] = std::move(eps);
    }
    if (m.binaries) {
        std::vector<std::string> names = *m.binaries;
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        o["binaries"] = string_array(names);
    }
    if (!m.integrations.empty()) {
        auto sorted = m.integrations;
        std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        bj::object ints;
        for (const auto& [ns, payload] : sorted) {
            bj::error_code ec;
            bj::value v = bj::parse(payload, ec);
            ints[ns] = ec ? bj::value(nullptr) : std::move(v);  // parse() only stores valid JSON
        }
        o["integrations"] = std::move(ints);
    }
    return o;
}

}  // namespace

std::string to_compact(const Metadata& metadata) { return json::compact(published(metadata)); }

std::string to_pretty(const Metadata& metadata) { return json::pretty(published(metadata)); }

}  // namespace ocx::metadata

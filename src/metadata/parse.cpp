// Reading package metadata (docs/wire-format.md §4) in one pass: every section is read even when an
// earlier one is broken, so the publisher sees every problem at once, each with its JSON path.
// Sections here: the top level, entrypoints, binaries, integrations; env and dependencies live in
// parse_env.cpp and parse_dependencies.cpp.

#include <algorithm>
#include <array>
#include <map>
#include <sstream>

#include "metadata/metadata.hpp"
#include "metadata/names.hpp"
#include "metadata/parse_parts.hpp"
#include "util/files.hpp"

namespace ocx::metadata {

namespace bj = boost::json;
using detail::DependencyNames;

namespace {

constexpr std::array<std::string_view, 2> kEntrypointKeys{"command", "args"};
constexpr std::int64_t kMaxStripComponents = 255;

std::string got(const bj::value& v) { return std::string(json::kind_name(v)); }

void parse_entrypoints(const bj::value& value, const DependencyNames& deps, json::Diagnostics& diag,
                       std::map<std::string, Entrypoint>& out) {
    if (!value.is_object()) {
        diag.add("/entrypoints", "expected an object, got " + got(value));
        return;
    }
    static const std::set<std::string> kNoKeys;
    for (const auto& kv : value.get_object()) {
        std::string name(kv.key());
        std::string path = json::child_path("/entrypoints", name);
        if (auto why = check_slug(name, "entrypoint name"); !why.empty()) diag.add(path, why);
        json::ObjectReader r(kv.value(), path, diag);
        if (!r.valid()) continue;
        r.reject_unknown(kEntrypointKeys);
        Entrypoint ep;
        if (auto command = r.string("command", false)) {
            if (auto why = check_slug(*command, "command"); !why.empty()) diag.add(r.path_of("command"), why);
            ep.command = *command;
        }
        if (const bj::value* args = r.get("args")) {
            if (!args->is_array()) {
                diag.add(r.path_of("args"), "expected an array of strings, got " + got(*args));
            } else {
                std::vector<std::string> list;
                const auto& items = args->get_array();
                for (std::size_t i = 0; i < items.size(); ++i) {
                    std::string at = json::child_path(r.path_of("args"), i);
                    if (!items[i].is_string()) {
                        diag.add(at, "expected a string, got " + got(items[i]));
                        continue;
                    }
                    list.emplace_back(items[i].get_string());
                    detail::check_template(list.back(), at, TemplateContext::entrypoint_arg, kNoKeys, deps, diag);
                }
                if (!list.empty()) ep.args = std::move(list);  // [] means no args
            }
        }
        out[name] = std::move(ep);
    }
}

void parse_binaries(const bj::value& value, json::Diagnostics& diag, std::optional<std::vector<std::string>>& out) {
    if (!value.is_array()) {
        diag.add("/binaries", "expected an array, got " + got(value));
        return;
    }
    std::vector<std::string> names;
    std::map<std::string, std::string> seen;  // name -> path of its first mention
    const auto& items = value.get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::string path = json::child_path("/binaries", i);
        if (!items[i].is_string()) {
            diag.add(path, "expected a string, got " + got(items[i]));
            continue;
        }
        std::string name(items[i].get_string());
        if (auto why = check_binary_name(name); !why.empty()) {
            diag.add(path, why);
            continue;
        }
        auto [it, fresh] = seen.emplace(name, path);
        if (!fresh) {
            diag.add(path, in_quotes(name) + " is already listed at " + it->second);
            continue;
        }
        names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    out = std::move(names);
}

void check_integration_strings(const bj::value& v, const std::string& path, const DependencyNames& deps,
                               json::Diagnostics& diag) {
    static const std::set<std::string> kNoKeys;
    if (v.is_string()) {
        detail::check_template(std::string_view(v.get_string()), path, TemplateContext::integration, kNoKeys, deps, diag);
    } else if (v.is_array()) {
        const auto& a = v.get_array();
        for (std::size_t i = 0; i < a.size(); ++i) check_integration_strings(a[i], json::child_path(path, i), deps, diag);
    } else if (v.is_object()) {
        for (const auto& kv : v.get_object())
            check_integration_strings(kv.value(), json::child_path(path, kv.key()), deps, diag);
    }
}

void parse_integrations(const bj::value& value, const DependencyNames& deps, json::Diagnostics& diag,
                        std::vector<std::pair<std::string, std::string>>& out) {
    if (!value.is_object()) {
        diag.add("/integrations", "expected an object, got " + got(value));
        return;
    }
    for (const auto& kv : value.get_object()) {
        std::string ns(kv.key());
        std::string path = json::child_path("/integrations", ns);
        if (auto why = check_namespace(ns); !why.empty()) diag.add(path, why);
        std::string payload = json::compact(kv.value());
        if (payload.size() > max_integration_bytes)
            diag.add(path, "payload is " + std::to_string(payload.size()) + " bytes compact; at most " +
                               std::to_string(max_integration_bytes) + " (8 KiB) per namespace");
        check_integration_strings(kv.value(), path, deps, diag);
        out.emplace_back(std::move(ns), std::move(payload));
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    bj::object sorted;
    for (const auto& [ns, payload] : out) {
        bj::error_code ec;  // payloads were serialized above, so they parse
        sorted[ns] = bj::parse(payload, ec);
    }
    std::size_t total = json::compact(sorted).size();
    if (total > max_integrations_total_bytes)
        diag.add("/integrations", std::to_string(total) + " bytes compact; at most " +
                                      std::to_string(max_integrations_total_bytes) + " (32 KiB) in all");
}

}  // namespace

Result<Metadata> parse(std::string_view json_text, std::string_view source) {
    auto doc = json::parse(json_text, source);
    if (!doc) return std::move(doc).error();

    Metadata m;
    json::Diagnostics diag;
    json::ObjectReader top(*doc, "", diag);
    if (!top.valid()) return diag.to_error(source);

    if (auto type = top.string("type", true); type && *type != "bundle")
        diag.add("/type", "must be \"bundle\", got " + in_quotes(*type));
    if (auto version = top.integer("version", true); version && *version != 1)
        diag.add("/version", "unsupported version " + std::to_string(*version) + "; ocx-release reads version 1");
    if (top.has("platform"))
        diag.add("/platform",
                 "not allowed here: the platform belongs in the image index, not the metadata "
                 "(give it with --platform or in the release matrix)");
    if (auto strip = top.integer("strip_components", false)) {
        if (*strip < 0 || *strip > kMaxStripComponents)
            diag.add("/strip_components", "must be between 0 and 255, got " + std::to_string(*strip));
        m.strip_components = *strip;
    }

    // Dependencies are read first (env templates name them) but reported in canonical order.
    json::Diagnostics dependency_diag;
    DependencyNames deps;
    if (const bj::value* v = top.get("dependencies")) deps = detail::parse_dependencies(*v, dependency_diag, m.dependencies);
    if (const bj::value* v = top.get("env")) detail::parse_env(*v, deps, diag, m.env);
    for (const auto& item : dependency_diag.items()) diag.add("", item);
    if (const bj::value* v = top.get("entrypoints")) parse_entrypoints(*v, deps, diag, m.entrypoints);
    if (const bj::value* v = top.get("binaries")) parse_binaries(*v, diag, m.binaries);
    if (const bj::value* v = top.get("integrations")) parse_integrations(*v, deps, diag, m.integrations);

    if (!diag.empty()) return diag.to_error(source);
    return m;
}

Result<Metadata> load(const std::filesystem::path& file) {
    std::error_code ec;
    auto status = std::filesystem::status(file, ec);
    if (!std::filesystem::exists(status))
        return make_error(ErrorKind::not_found, file.string() + ": metadata file not found");
    if (std::filesystem::is_directory(status))
        return make_error(ErrorKind::io, file.string() + ": is a directory, not a metadata file");
    auto text = read_file(file);
    if (!text) return std::move(text).error();
    if (!*text) return make_error(ErrorKind::not_found, file.string() + ": metadata file not found");
    return parse(**text, file.string());
}

}  // namespace ocx::metadata

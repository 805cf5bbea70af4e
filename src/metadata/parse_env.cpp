// `env[]` of package metadata (docs/wire-format.md §4) and the template checks every section shares.
// An entry is {key, type, required (path only) | separator (list only), value, visibility}; order
// is meaningful (later entries build on earlier ones through ${self.env.KEY}).

#include <algorithm>
#include <array>

#include "metadata/names.hpp"
#include "metadata/parse_parts.hpp"

namespace ocx::metadata::detail {

namespace bj = boost::json;

std::string not_one_of(std::string_view got, std::span<const std::string_view> allowed) {
    std::string msg = in_quotes(got) + " is not one of ";
    for (std::size_t i = 0; i < allowed.size(); ++i) {
        if (i > 0) msg += i + 1 == allowed.size() ? " or " : ", ";
        msg += allowed[i];
    }
    if (auto hint = json::closest(got, allowed); !hint.empty()) msg += "; did you mean \"" + hint + "\"?";
    return msg;
}

void check_template(std::string_view value, const std::string& path, TemplateContext context,
                    const std::set<std::string>& earlier_keys, const DependencyNames& deps, json::Diagnostics& diag) {
    auto segments = scan_template(value);
    if (!segments) {
        diag.add(path, segments.error().message);
        return;
    }
    for (const auto& segment : *segments) {
        if (!segment.token) continue;
        const TemplateToken& token = *segment.token;
        if (auto why = token_not_allowed(token, context); !why.empty()) {
            diag.add(path, why);
            continue;
        }
        if (token.kind == TemplateToken::Kind::self_env && !earlier_keys.contains(token.name)) {
            diag.add(path, in_quotes(token.text) + " names " + token.name + ", which no earlier env entry declares");
        } else if (token.kind == TemplateToken::Kind::dependency && deps.complete &&
                   std::find(deps.names.begin(), deps.names.end(), token.name) == deps.names.end()) {
            std::string msg = in_quotes(token.text) + " names no declared dependency";
            if (deps.names.empty()) {
                msg += " (none are declared)";
            } else {
                msg += "; declared:";
                for (const auto& n : deps.names) msg += " " + n;
            }
            diag.add(path, msg);
        }
    }
}

namespace {

constexpr std::array<std::string_view, 6> kEnvKeys{"key", "type", "required", "separator", "value", "visibility"};
constexpr std::array<std::string_view, 3> kTypes{"path", "constant", "list"};
constexpr std::array<std::string_view, 3> kVisibilities{"private", "public", "interface"};

std::optional<EnvVar::Type> read_type(json::ObjectReader& r, json::Diagnostics& diag) {
    auto text = r.string("type", true);
    if (!text) return std::nullopt;
    if (*text == "path") return EnvVar::Type::path;
    if (*text == "constant") return EnvVar::Type::constant;
    if (*text == "list") return EnvVar::Type::list;
    diag.add(r.path_of("type"), not_one_of(*text, kTypes));
    return std::nullopt;
}

std::string separator_problem(std::string_view sep) {
    if (sep.empty()) return "must not be empty";
    if (sep.find('=') != std::string_view::npos) return "must not contain '='";
    if (sep.find_first_of("\r\n") != std::string_view::npos) return "must not contain a line break";
    return {};
}

EnvVar read_entry(const bj::value& item, const std::string& path, const std::set<std::string>& earlier,
                  const DependencyNames& deps, json::Diagnostics& diag) {
    EnvVar var;
    json::ObjectReader r(item, path, diag);
    if (!r.valid()) return var;
    r.reject_unknown(kEnvKeys);

    if (auto key = r.string("key", true)) {
        if (auto why = check_env_key(*key); !why.empty()) diag.add(r.path_of("key"), why);
        var.key = *key;
    }
    auto type = read_type(r, diag);
    if (type) var.type = *type;
    auto type_name = [&] { return in_quotes(to_string(var.type)); };

    if (r.has("required")) {
        if (type && *type != EnvVar::Type::path)
            diag.add(r.path_of("required"), "only allowed when type is \"path\" (this entry is " + type_name() + ")");
        else if (auto required = r.boolean("required", false))
            var.required = *required;
    }
    bool separator_ok = false;
    if (type == EnvVar::Type::list) {
        if (auto sep = r.string("separator", true)) {
            var.separator = *sep;
            auto why = separator_problem(*sep);
            separator_ok = why.empty();
            if (!separator_ok) diag.add(r.path_of("separator"), why);
        }
    } else if (r.has("separator")) {
        std::string what = type ? "this entry is " + type_name() : std::string("the type is unknown");
        diag.add(r.path_of("separator"), "only allowed when type is \"list\" (" + what + ")");
    }

    if (auto value = r.string("value", true)) {
        var.value = *value;
        std::string at = r.path_of("value");
        if (value->find('\0') != std::string::npos) {
            // A C environment ends a value at NUL: what was published would not be what runs.
            diag.add(at, "the value of " + (var.key.empty() ? std::string("this entry") : in_quotes(var.key)) +
                             " holds a NUL byte (\\u0000), which an environment variable cannot carry");
        } else if (value->empty() && type && *type != EnvVar::Type::constant) {
            diag.add(at, "must not be empty for a " + type_name() + " entry");
        } else if (separator_ok && (value->starts_with(var.separator) || value->ends_with(var.separator))) {
            diag.add(at, "must not start or end with its separator " + in_quotes(var.separator));
        }
        check_template(*value, at, TemplateContext::env_value, earlier, deps, diag);
    }

    if (auto vis = r.string("visibility", false)) {
        if (*vis == "private")
            var.visibility = EnvVar::Visibility::private_;
        else if (*vis == "public")
            var.visibility = EnvVar::Visibility::public_;
        else if (*vis == "interface")
            var.visibility = EnvVar::Visibility::interface;
        else if (*vis == "sealed")
            diag.add(r.path_of("visibility"),
                     "\"sealed\" is for dependencies; an env entry is private, public or interface");
        else
            diag.add(r.path_of("visibility"), not_one_of(*vis, kVisibilities));
    }
    return var;
}

}  // namespace

void parse_env(const bj::value& value, const DependencyNames& deps, json::Diagnostics& diag, std::vector<EnvVar>& out) {
    if (!value.is_array()) {
        diag.add("/env", "expected an array, got " + std::string(json::kind_name(value)));
        return;
    }
    std::set<std::string> declared;
    const auto& items = value.get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
        EnvVar var = read_entry(items[i], json::child_path("/env", i), declared, deps, diag);
        if (!var.key.empty()) declared.insert(var.key);
        out.push_back(std::move(var));
    }
}

}  // namespace ocx::metadata::detail

// Consumer-side env resolution (docs/wire-format.md §4, `env[]`; semantics in metadata/env.hpp).

#include "metadata/env.hpp"

#include <algorithm>
#include <optional>

#include "metadata/identifier.hpp"
#include "metadata/names.hpp"
#include "metadata/template.hpp"

namespace ocx::metadata {

namespace {

bool visible(EnvVar::Visibility v, Surface surface) {
    switch (surface) {
        case Surface::consumer: return v == EnvVar::Visibility::public_ || v == EnvVar::Visibility::interface;
        case Surface::self: return v == EnvVar::Visibility::private_ || v == EnvVar::Visibility::public_;
    }
    return false;
}

// The value of `key` after one more entry, given its value before (if any).
std::string fold(const EnvVar& var, const std::string* before, const std::string& value) {
    bool has_before = before != nullptr && !before->empty();
    switch (var.type) {
        case EnvVar::Type::path: return has_before ? value + ":" + *before : value;
        case EnvVar::Type::list: return has_before ? *before + var.separator + value : value;
        case EnvVar::Type::constant: return value;
    }
    return value;
}

const std::string* find(const std::map<std::string, std::string>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? nullptr : &it->second;
}

// The identifier of the dependency going by `name`, or "" when none does.
std::string dependency_identifier(const Metadata& m, const std::string& name) {
    for (const auto& dep : m.dependencies) {
        if (dep.name) {
            if (*dep.name == name) return dep.identifier;
        } else if (auto id = parse_dependency_identifier(dep.identifier); id && id->basename() == name) {
            return dep.identifier;
        }
    }
    return {};
}

}  // namespace

Result<std::vector<EnvChange>> resolve_env(const Metadata& metadata, const std::filesystem::path& install_path,
                                           const std::map<std::string, std::string>& base, Surface surface) {
    const std::string install = install_path.string();
    std::map<std::string, std::string> env = base;
    std::map<std::string, std::string> own;  // this package's value per key, without the base
    std::map<std::string, Error> blocked;    // key -> why its value cannot be computed
    std::vector<std::string> touched;

    for (std::size_t i = 0; i < metadata.env.size(); ++i) {
        const EnvVar& var = metadata.env[i];
        const bool show = visible(var.visibility, surface);
        const std::string where = "env " + var.key + " (/env/" + std::to_string(i) + ")";
        auto segments = scan_template(var.value);
        if (!segments) return make_error(ErrorKind::data, where + ": " + segments.error().message);

        std::string value;
        std::optional<Error> block;
        for (const auto& segment : *segments) {
            if (!segment.token) {
                value += segment.literal;
                continue;
            }
            const TemplateToken& token = *segment.token;
            switch (token.kind) {
                case TemplateToken::Kind::install_path: value += install; break;  // :native == :posix on Linux
                case TemplateToken::Kind::self_env:
                    if (auto it = blocked.find(token.name); it != blocked.end()) {
                        block = it->second;
                    } else if (const std::string* earlier = find(own, token.name)) {
                        value += *earlier;
                    } else {
                        return make_error(ErrorKind::data, where + ": " + in_quotes(token.text) + " names " + token.name +
                                                               ", which no earlier env entry declares");
                    }
                    break;
                case TemplateToken::Kind::dependency: {
                    std::string id = dependency_identifier(metadata, token.name);
                    block = make_error(ErrorKind::not_found, where + ": " + in_quotes(token.text) + " needs dependency " +
                                                                 in_quotes(token.name) +
                                                                 (id.empty() ? std::string() : " (" + id + ")") +
                                                                 " installed; ocx-release does not install dependencies");
                    break;
                }
            }
        }
        // A path or list entry builds on the key's earlier value; if that is unknown, so is this.
        if (!block && var.type != EnvVar::Type::constant)
            if (auto it = blocked.find(var.key); it != blocked.end()) block = it->second;
        if (block) {
            if (show) return *block;
            blocked.insert_or_assign(var.key, *block);
            continue;
        }
        blocked.erase(var.key);

        if (var.type == EnvVar::Type::path && !value.empty() && value.front() != '/') value = install + "/" + value;
        if (var.type == EnvVar::Type::list && show && (value.starts_with(var.separator) || value.ends_with(var.separator)))
            return make_error(ErrorKind::data, where + ": value " + in_quotes(value) +
                                                   " starts or ends with its separator " + in_quotes(var.separator));

        own[var.key] = fold(var, find(own, var.key), value);
        if (!show) continue;
        env[var.key] = fold(var, find(env, var.key), value);
        if (std::find(touched.begin(), touched.end(), var.key) == touched.end()) touched.push_back(var.key);
    }

    std::vector<EnvChange> changes;
    for (const auto& key : touched) {
        const std::string& now = env.at(key);
        const std::string* before = find(base, key);
        if (before == nullptr || *before != now) changes.push_back(EnvChange{key, now});
    }
    return changes;
}

std::string shell_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    out += '\'';
    return out;
}

std::string format_exports(const std::vector<EnvChange>& changes) {
    std::string out;
    for (const auto& change : changes) out += "export " + change.key + "=" + shell_quote(change.value) + "\n";
    return out;
}

}  // namespace ocx::metadata

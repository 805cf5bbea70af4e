#include "registry/credentials.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <cstdlib>
#include <sstream>

#include "digest/base64.hpp"
#include "registry/credential_helper.hpp"
#include "registry/http.hpp"
#include "util/escape.hpp"
#include "util/files.hpp"
#include "util/log.hpp"
#include "util/redact.hpp"

namespace ocx::registry {

namespace fs = std::filesystem;

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

std::string env_host_slug(std::string_view host) {
    std::string out(host);
    for (char& c : out)
        if (!std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) > 127) c = '_';
    return out;
}

std::string host_from_slug(std::string_view slug) {
    std::string out(slug);
    std::size_t digits = out.size();
    while (digits > 0 && std::isdigit(static_cast<unsigned char>(out[digits - 1]))) --digits;
    const bool port = digits > 0 && digits < out.size() && out[digits - 1] == '_';
    for (char& c : out)
        if (c == '_') c = '.';
    if (port) out[digits - 1] = ':';
    return out;
}

Result<std::optional<Credentials>> credentials_from_env(std::string_view host, const EnvLookup& env) {
    const std::string slug = env_host_slug(host);
    const std::string prefix = "OCX_AUTH_" + slug + "_";
    const std::string type_var = prefix + "TYPE", user_var = prefix + "USER", token_var = prefix + "TOKEN";
    const std::string host_var = prefix + "HOST";
    const std::optional<std::string> type = env(type_var);
    const std::optional<std::string> user = env(user_var);
    const std::optional<std::string> token = env(token_var);
    if (token) register_secret(*token);
    if (!type && !user && !token) return std::optional<Credentials>();

    // Many hosts share one slug ("ocx.registry.example", "ocx-registry.example"): the variables go
    // to the one host they were written for, never to another that maps to the same names.
    if (const std::optional<std::string> for_host = env(host_var)) {
        if (ascii_lower(*for_host) != ascii_lower(host)) {
            log::warn(prefix + "* are for " + host_var + "=\"" + escape_text(*for_host) + "\", not for " +
                      std::string(host) + ": not used");
            return std::optional<Credentials>();
        }
    } else if (const std::string read_back = host_from_slug(slug); ascii_lower(read_back) != ascii_lower(host)) {
        const std::string h(host);
        return make_error(ErrorKind::usage,
                          prefix + "* are for " + read_back + " (the host their name reads back as), not for " + h +
                              ", and are not sent there; if they are meant for " + h + ", set " + host_var + "=" + h);
    }

    Credentials creds;
    creds.source = prefix + "* variables";
    auto require = [&](const std::optional<std::string>& v, const std::string& var) -> Status {
        if (v) return {};
        return make_error(ErrorKind::usage, type_var + "=" + escape_text(*type) + " needs " + var + " to be set");
    };

    if (type) {
        const std::string t = ascii_lower(*type);
        if (t == "anonymous") {
            creds.kind = Credentials::Kind::anonymous;
        } else if (t == "basic") {
            if (Status s = require(user, user_var); !s) return std::move(s).error();
            if (Status s = require(token, token_var); !s) return std::move(s).error();
            creds.kind = Credentials::Kind::basic;
            creds.username = *user;
            creds.secret = *token;
        } else if (t == "token" || t == "bearer") {
            if (Status s = require(token, token_var); !s) return std::move(s).error();
            creds.kind = Credentials::Kind::bearer;
            creds.secret = *token;
        } else {
            return make_error(ErrorKind::usage, type_var + ": unknown authentication type \"" + escape_text(*type) +
                                                    "\"; expected anonymous, basic, token or bearer");
        }
        return std::optional<Credentials>(std::move(creds));
    }
    if (user && token) {
        creds.kind = Credentials::Kind::basic;
        creds.username = *user;
        creds.secret = *token;
        return std::optional<Credentials>(std::move(creds));
    }
    if (token) {
        creds.kind = Credentials::Kind::bearer;
        creds.secret = *token;
        return std::optional<Credentials>(std::move(creds));
    }
    return std::optional<Credentials>();
}

std::optional<fs::path> docker_config_path(const EnvLookup& env) {
    if (auto dir = env("DOCKER_CONFIG"); dir && !dir->empty()) return fs::path(*dir) / "config.json";
    if (auto home = env("HOME"); home && !home->empty()) return fs::path(*home) / ".docker" / "config.json";
    return std::nullopt;
}

namespace {

// "https://127.0.0.1:5000/v1/" -> "127.0.0.1:5000": `auths` keys may carry a scheme and a path.
std::string normalize_config_key(std::string_view key) {
    if (const auto p = key.find("://"); p != std::string_view::npos) key.remove_prefix(p + 3);
    key = key.substr(0, key.find('/'));
    return ascii_lower(key);
}

std::string string_field(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<Credentials> from_helper(std::string_view name, std::string_view host, const EnvLookup& env,
                                       const std::string& source) {
    auto r = run_credential_helper(name, host, env);
    if (!r) {
        log::warn(r.error().message + " (ignored; trying the next credential source)");
        return std::nullopt;
    }
    if (!*r) return std::nullopt;
    Credentials creds = std::move(**r);
    creds.source = source;
    return creds;
}

std::optional<Credentials> from_auths_entry(const boost::json::object& entry, const std::string& source,
                                            const fs::path& config, std::string_view key) {
    Credentials creds;
    creds.source = source;
    const std::string auth = string_field(entry, "auth");
    const std::string identity = string_field(entry, "identitytoken");
    register_secret(auth);
    register_secret(identity);
    if (!auth.empty()) {
        const std::optional<std::string> decoded = base64_decode(auth);
        const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
        if (!decoded || colon == std::string::npos) {
            log::warn(config.string() + ": auths[\"" + std::string(key) +
                      "\"].auth is not base64 of \"user:password\" (ignored)");
            return std::nullopt;
        }
        creds.username = decoded->substr(0, colon);
        creds.secret = decoded->substr(colon + 1);
    } else {
        creds.username = string_field(entry, "username");
        creds.secret = string_field(entry, "password");
    }
    register_secret(creds.secret);
    if (!identity.empty()) {
        creds.kind = Credentials::Kind::identity_token;
        creds.secret = identity;
        return creds;
    }
    if (creds.username.empty() && creds.secret.empty()) return std::nullopt;  // `{}`: the creds live in a store
    creds.kind = Credentials::Kind::basic;
    return creds;
}

}  // namespace

std::optional<Credentials> credentials_from_docker_config(std::string_view host, const fs::path& config,
                                                          const EnvLookup& env) {
    std::error_code ec;
    if (!fs::exists(config, ec)) return std::nullopt;
    auto text = read_file(config);  // bounded, regular files only (util/files.hpp)
    if (!text || !*text) {
        log::warn("cannot read Docker config " + (text ? config.string() : text.error().message) + " (ignored)");
        return std::nullopt;
    }
    boost::system::error_code jec;
    const boost::json::value doc = boost::json::parse(**text, jec);
    if (jec || !doc.is_object()) {
        log::warn("Docker config " + config.string() + " is not a JSON object (ignored)");
        return std::nullopt;
    }
    const auto& root = doc.as_object();
    const std::string wanted = ascii_lower(host);

    if (const auto* helpers = root.if_contains("credHelpers"); helpers && helpers->is_object())
        for (const auto& [key, name] : helpers->as_object())
            if (normalize_config_key(key) == wanted && name.is_string())
                if (auto creds = from_helper(name.as_string(), host, env,
                                             "docker-credential-" + std::string(name.as_string()) + " (credHelpers in " +
                                                 config.string() + ")"))
                    return creds;

    if (const std::string store = string_field(root, "credsStore"); !store.empty())
        if (auto creds =
                from_helper(store, host, env, "docker-credential-" + store + " (credsStore in " + config.string() + ")"))
            return creds;

    if (const auto* auths = root.if_contains("auths"); auths && auths->is_object())
        for (const auto& [key, entry] : auths->as_object())
            if (normalize_config_key(key) == wanted && entry.is_object())
                if (auto creds = from_auths_entry(entry.as_object(), "auths in " + config.string(), config, key))
                    return creds;
    return std::nullopt;
}

Result<Credentials> resolve_credentials(std::string_view host, const EnvLookup& env) {
    auto from_env = credentials_from_env(host, env);
    if (!from_env) return std::move(from_env).error();
    if (*from_env) return std::move(**from_env);
    if (const auto config = docker_config_path(env))
        if (auto creds = credentials_from_docker_config(host, *config, env)) return std::move(*creds);
    return Credentials{};
}

}  // namespace ocx::registry

#include "cli/supply_chain.hpp"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <ctime>

#include "util/escape.hpp"
#include "util/files.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

namespace {

constexpr std::uint64_t kMaxKeyBytes = 64 * 1024;

std::optional<std::string> getenv_string(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

// RFC 3339 UTC of SOURCE_DATE_EPOCH when set (reproducible builds), else of now.
Result<std::string> created_time() {
    std::int64_t seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (auto epoch = getenv_string("SOURCE_DATE_EPOCH"); epoch && !epoch->empty()) {
        auto [end, ec] = std::from_chars(epoch->data(), epoch->data() + epoch->size(), seconds);
        if (ec != std::errc() || end != epoch->data() + epoch->size() || seconds < 0)
            return make_error(ErrorKind::usage,
                              "SOURCE_DATE_EPOCH=\"" + escape_text(*epoch, 40) + "\" is not a whole number of seconds");
    }
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char out[32];
    std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(out);
}

Result<std::optional<SigningKey>> load_key(const SignOptions& options) {
    using Out = std::optional<SigningKey>;
    if (!options.key_file.empty()) {
        auto text = read_file(options.key_file, kMaxKeyBytes);
        if (!text) return std::move(text).error().context("--sign-key");
        if (!*text) return make_error(ErrorKind::usage, "--sign-key " + escape_text(options.key_file) + ": no such file");
        auto key = SigningKey::private_from_pem(**text, "--sign-key " + escape_text(options.key_file));
        if (!key) return std::move(key).error();
        return Out(std::move(*key));
    }
    auto env = getenv_string("OCX_RELEASE_SIGN_KEY");
    if (!env || env->empty()) return Out();
    // A CI secret holds the PEM itself; anything else is a path.
    if (env->find("-----BEGIN") != std::string::npos) {
        auto key = SigningKey::private_from_pem(*env, "OCX_RELEASE_SIGN_KEY");
        if (!key) return std::move(key).error();
        return Out(std::move(*key));
    }
    auto text = read_file(*env, kMaxKeyBytes);
    if (!text) return std::move(text).error().context("OCX_RELEASE_SIGN_KEY");
    if (!*text) return make_error(ErrorKind::usage, "OCX_RELEASE_SIGN_KEY: " + escape_text(*env) + ": no such file");
    auto key = SigningKey::private_from_pem(**text, "OCX_RELEASE_SIGN_KEY (" + escape_text(*env) + ")");
    if (!key) return std::move(key).error();
    return Out(std::move(*key));
}

}  // namespace

void add_sign_options(po::options_description& desc, SignOptions& options) {
    desc.add_options()("sign-key", po::value(&options.key_file)->value_name("FILE"),
                       "sign with this ECDSA P-256 key (PKCS#8 PEM; else OCX_RELEASE_SIGN_KEY: a path or the PEM itself)")(
        "sign-platforms", po::bool_switch(&options.sign_platforms), "with a key: sign every platform manifest too");
}

Result<std::unique_ptr<LoadedSupplyChain>> load_supply_chain(const SignOptions& options, bool provenance) {
    auto out = std::make_unique<LoadedSupplyChain>();
    auto key = load_key(options);
    if (!key) return std::move(key).error();
    out->key = std::move(*key);
    if (options.sign_platforms && !out->key)
        return make_error(ErrorKind::usage, "--sign-platforms needs --sign-key FILE or OCX_RELEASE_SIGN_KEY");
    auto created = created_time();
    if (!created) return std::move(created).error();
    out->chain.created = std::move(*created);
    out->chain.key = out->key ? &*out->key : nullptr;
    out->chain.sign_platforms = options.sign_platforms;
    out->chain.tool_version = OCX_RELEASE_VERSION;
    if (provenance) {
        auto ci = attest::detect_ci(getenv_string);
        if (!ci) return std::move(ci).error().context("provenance");
        out->chain.ci = std::move(*ci);
    }
    return out;
}

}  // namespace ocx::cli

// Unpack limit options (see limits.hpp).
#include "cli/limits.hpp"

#include <charconv>
#include <cstdlib>

#include "bundle/names.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

void add_limit_options(po::options_description& desc, LimitOptions& options) {
    desc.add_options()("max-unpacked-size", po::value(&options.max_unpacked)->value_name("SIZE"),
                       "refuse archives unpacking to more file bytes than SIZE (K, M, G, T: binary units; env "
                       "OCX_RELEASE_MAX_UNPACKED; default: the larger of 1G and 100 times the compressed size)")(
        "max-entries", po::value(&options.max_entries)->value_name("N"),
        "refuse archives with more than N members (env OCX_RELEASE_MAX_ENTRIES; default 1000000)");
}

namespace {
// The flag's text, else the variable's; `from` says which, for errors.
std::string pick(const std::string& flag_value, const char* flag, const char* variable, std::string& from) {
    if (!flag_value.empty()) {
        from = flag;
        return flag_value;
    }
    const char* env = std::getenv(variable);
    from = variable;
    return env != nullptr ? env : "";
}
}  // namespace

Result<bundle::UnpackLimits> unpack_limits(const LimitOptions& options) {
    bundle::UnpackLimits limits;
    std::string from;
    if (auto text = pick(options.max_unpacked, "--max-unpacked-size", "OCX_RELEASE_MAX_UNPACKED", from); !text.empty()) {
        auto size = bundle::parse_size(text);
        if (!size) return std::move(size).error().context(from);
        limits.max_bytes = *size;
    }
    if (auto text = pick(options.max_entries, "--max-entries", "OCX_RELEASE_MAX_ENTRIES", from); !text.empty()) {
        std::uint64_t count = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
        if (ec != std::errc() || end != text.data() + text.size() || count == 0)
            return make_error(ErrorKind::usage, from + ": " + bundle::quote_name(text) + " is not a positive whole number");
        limits.max_entries = count;
    }
    return limits;
}

}  // namespace ocx::cli

#include "cli/target.hpp"

#include <cstdlib>

#include "layout/layout_target.hpp"
#include "registry/registry_target.hpp"

namespace po = boost::program_options;

namespace ocx::cli {

void add_connection_options(po::options_description& desc, TargetOptions& options) {
    desc.add_options()("insecure-registry", po::value(&options.insecure_registries)->composing()->value_name("HOST"),
                       "allow plain HTTP to this registry host (repeatable; loopback hosts are always allowed)")(
        "ca-file", po::value(&options.ca_file)->value_name("FILE"),
        "PEM bundle of CAs to trust for the registry's TLS certificate")(
        "stall-timeout", po::value(&options.stall_timeout)->default_value("60")->value_name("SECONDS"),
        "abandon (and retry) a transfer that moves under 1 KiB/s for this many seconds")(
        "connect-timeout", po::value(&options.connect_timeout)->default_value("15")->value_name("SECONDS"),
        "seconds to wait for a connection");
}

void add_target_options(po::options_description& desc, TargetOptions& options) {
    add_connection_options(desc, options);
    desc.add_options()("chunk-size", po::value(&options.chunk_size)->default_value("0")->value_name("SIZE"),
                       "upload blobs in PATCH chunks of this size (e.g. 4M); 0 = one request per blob")(
        "mount-from", po::value(&options.mount_from)->value_name("REPO"),
        "repository on the same registry to mount existing blobs from");
}

Result<oci::Reference> parse_reference(const std::string& text) {
    return oci::Reference::parse(text, std::getenv("OCX_DEFAULT_REGISTRY"));
}

namespace {
Result<std::uint64_t> parse_size(const std::string& text) {
    std::size_t pos = 0;
    std::uint64_t n = 0;
    try {
        n = std::stoull(text, &pos);
    } catch (const std::exception&) {
        return make_error(ErrorKind::usage, "--chunk-size: expected a size such as 4M, got \"" + text + "\"");
    }
    std::string unit = text.substr(pos);
    if (unit == "K" || unit == "k" || unit == "KiB")
        n <<= 10;
    else if (unit == "M" || unit == "m" || unit == "MiB")
        n <<= 20;
    else if (unit == "G" || unit == "g" || unit == "GiB")
        n <<= 30;
    else if (!unit.empty())
        return make_error(ErrorKind::usage, "--chunk-size: unknown unit \"" + unit + "\" (use K, M or G)");
    return n;
}

Result<long> parse_seconds(const std::string& text, std::string_view flag) {
    std::size_t pos = 0;
    long n = 0;
    try {
        n = std::stol(text, &pos);
    } catch (const std::exception&) {
        pos = 0;
    }
    if (pos != text.size() || text.empty() || n < 1 || n > 3600)
        return make_error(ErrorKind::usage, std::string(flag) + ": expected seconds from 1 to 3600, got \"" + text + "\"");
    return n;
}
}  // namespace

Result<std::unique_ptr<store::Target>> open_target(const oci::Reference& ref, const TargetOptions& options) {
    if (ref.is_layout()) return layout::open_layout(ref.repository);
    auto chunk = parse_size(options.chunk_size);
    if (!chunk) return std::move(chunk).error();
    registry::RegistryOptions ro;
    ro.insecure_registries = options.insecure_registries;
    ro.ca_file = options.ca_file;
    ro.chunk_size = *chunk;
    auto stall = parse_seconds(options.stall_timeout, "--stall-timeout");
    if (!stall) return std::move(stall).error();
    auto connect = parse_seconds(options.connect_timeout, "--connect-timeout");
    if (!connect) return std::move(connect).error();
    ro.low_speed_time = std::chrono::seconds(*stall);
    ro.connect_timeout = std::chrono::seconds(*connect);
    return registry::open_registry(ref, ro);
}

}  // namespace ocx::cli

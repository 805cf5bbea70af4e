#pragma once
// Opening the place a command reads or writes: a registry (distribution API) or an `oci:DIR`
// layout, with the connection options every registry-facing command shares.

#include <boost/program_options.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "oci/reference.hpp"
#include "store/target.hpp"

namespace ocx::cli {

struct TargetOptions {
    std::vector<std::string> insecure_registries;  // --insecure-registry (plus OCX_INSECURE_REGISTRIES)
    std::string ca_file;                           // --ca-file (SSL_CERT_FILE otherwise)
    std::string chunk_size = "0";                  // --chunk-size: 0 = monolithic upload
    std::string mount_from;                        // --mount-from REPO
    std::string stall_timeout = "60";              // --stall-timeout SECONDS (< 1 KiB/s that long: abandon)
    std::string connect_timeout = "15";            // --connect-timeout SECONDS
};

/// Adds the connection options (add_connection_options) and the upload ones: --chunk-size, --mount-from.
void add_target_options(boost::program_options::options_description& desc, TargetOptions& options);

/// Adds --insecure-registry, --ca-file, --stall-timeout, --connect-timeout: for commands that
/// only read (verify, install, exec), which have no uploads to tune.
void add_connection_options(boost::program_options::options_description& desc, TargetOptions& options);

/// Parses a reference from the command line, using OCX_DEFAULT_REGISTRY for bare names.
Result<oci::Reference> parse_reference(const std::string& text);

/// Opens the registry repository or layout directory `ref` points at.
Result<std::unique_ptr<store::Target>> open_target(const oci::Reference& ref, const TargetOptions& options);

}  // namespace ocx::cli

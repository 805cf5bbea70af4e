#pragma once
// Platforms (docs/wire-format.md §3). The string form used on the CLI and in the matrix is
// `os/arch[/variant][+feature[,feature…]]` or `any`; components may use %XX escapes for
// characters that are part of the syntax (`/`, `+`, `,`, `%`). The JSON form is the OCI platform
// object with keys in the order architecture, os, os.features (sorted, unique), variant.

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ocx::oci {

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;                // empty when absent
    std::vector<std::string> features;  // os.features: sorted, unique
    std::string os_version;             // only kept from foreign entries; never set by parse()

    /// Parses the string form and checks the os/arch pair is supported; errors (ErrorKind::data)
    /// quote the input and list the supported pairs.
    static Result<Platform> parse(std::string_view text);
    /// Reads an OCI platform object as registries return it (any os/arch accepted: foreign entries).
    static Result<Platform> from_json(const boost::json::object& obj);

    bool is_any() const { return os == "any" && architecture == "any"; }
    /// Canonical string form ("linux/amd64+libc.musl"), escaping reserved characters.
    std::string str() const;
    /// Canonical OCI platform object (docs/wire-format.md §3 key order).
    boost::json::object to_json() const;

    /// Exact equality of the platform objects, as the index merge needs it.
    friend bool operator==(const Platform&, const Platform&) = default;
};

/// "linux/amd64, linux/arm64, …" for error messages.
std::string supported_platforms_text();

}  // namespace ocx::oci

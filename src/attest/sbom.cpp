// CycloneDX 1.5 JSON (cyclonedx.org/docs/1.5/json): bomFormat, specVersion, version, metadata.component,
// components[] with hashes[{alg, content}]. Paths and names come from archives and the matrix:
// boost::json escapes them as JSON strings; nothing here is shown to a terminal.
#include "attest/sbom.hpp"

#include <algorithm>

#include <boost/json.hpp>

namespace ocx::attest {

namespace bj = boost::json;

std::string cyclonedx_sbom(const SbomPackage& package, std::vector<SbomFile> files) {
    std::sort(files.begin(), files.end(), [](const SbomFile& a, const SbomFile& b) { return a.path < b.path; });
    bj::object component;
    component["type"] = "application";
    component["name"] = package.name;
    component["version"] = package.version;
    bj::array props;
    props.push_back(bj::object{{"name", "sh.ocx.platform"}, {"value", package.platform}});
    component["properties"] = std::move(props);

    bj::array components;
    for (const auto& f : files) {
        bj::object c;
        c["type"] = "file";
        c["name"] = f.path;
        bj::array hashes;
        hashes.push_back(bj::object{{"alg", "SHA-256"}, {"content", f.sha256.hex()}});
        c["hashes"] = std::move(hashes);
        components.push_back(std::move(c));
    }
    bj::object bom;
    bom["bomFormat"] = "CycloneDX";
    bom["specVersion"] = "1.5";
    bom["version"] = 1;
    bom["metadata"] = bj::object{{"component", std::move(component)}};
    bom["components"] = std::move(components);
    return bj::serialize(bom);
}

}  // namespace ocx::attest

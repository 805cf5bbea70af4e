#pragma once
// The unsigned SBOM OCX writes for a bundle (docs/wire-format.md §7 "Unsigned SBOM"): CycloneDX 1.5
// JSON, the package at its tag and platform as the metadata component, one component of type
// "file" per regular file with its path in the package and its SHA-256. No timestamp and no serial
// number, so the same bundle always gives the same bytes (a rerun attaches nothing new). Pure.

#include <string>
#include <vector>

#include "digest/digest.hpp"

namespace ocx::attest {

struct SbomFile {
    std::string path;  // in the package, '/'-separated
    Digest sha256;
};

struct SbomPackage {
    std::string name;      // "registry/repo"
    std::string version;   // the tag
    std::string platform;  // canonical platform string
};

/// The CycloneDX 1.5 document; files are listed sorted by path (bytewise).
std::string cyclonedx_sbom(const SbomPackage& package, std::vector<SbomFile> files);

}  // namespace ocx::attest

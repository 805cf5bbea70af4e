#pragma once
// The package gate (README "Package gate"): what OCX's `package test` would find wrong with a
// platform, found in the release's validation pass, before anything is written:
//  * an empty content tree (no file and no link: nothing to install);
//  * a declared binary that is not where metadata/binaries.hpp says (a tree is looked up in its
//    scan, a prebuilt archive in the listing of the one walk that also checks it);
//  * a prebuilt archive whose receipt (`<stem>-receipt.json`, written by `create`,
//    docs/wire-format.md §6) names another platform or another package.
// Each problem is one line for the caller to put under the platform's JSON path.

#include <filesystem>
#include <string>
#include <vector>

#include "bundle/bundle.hpp"
#include "bundle/limits.hpp"
#include "metadata/metadata.hpp"
#include "oci/platform.hpp"

namespace ocx::publish {

/// Problems with a content tree that bundle::scan accepted. `meta` is null when the metadata did
/// not load (its problems are reported already).
std::vector<std::string> gate_tree(const std::vector<bundle::Entry>& entries, const metadata::Metadata* meta,
                                   const oci::Platform& platform);

/// Problems with a prebuilt archive that exists: its receipt, if there is one, must name
/// `platform` and a package whose last path segment is `package_name` ("": not compared); when `meta` declares
/// binaries the archive is walked (bundle::check_archive, recorded as checked so the release only
/// hashes it again) and they are looked up in its listing.
std::vector<std::string> gate_archive(const std::filesystem::path& archive, const oci::Platform& platform,
                                      const std::string& package_name, const metadata::Metadata* meta,
                                      const bundle::UnpackLimits& limits);

/// The last path segment of a repository or identifier ("registry.example/acme/tool:1.0" -> "tool").
std::string package_name(std::string_view reference);

}  // namespace ocx::publish

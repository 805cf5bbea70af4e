#pragma once
// Picking the platform manifest of an image index the way OCX does (OCX 0.5.8, "select_best"):
// pure, values in and values out.
//
// `required` is the host (or the platform given with -p): its os.features are the capabilities the
// host offers (libc.glibc, libc.musl, …). An entry is compatible when
//   * it is `any` (a platform-agnostic package runs everywhere), or
//   * the requirement is not `any`, os and architecture are equal, the entry's variant is empty or
//     equal to the requirement's, and every os.feature of the entry is one the host offers.
// Among compatible entries the highest score wins, compared in order: a specific platform beats
// `any`; a declared variant beats none; more os.features beat fewer. A tie at the top is an
// "ambiguous" error listing the tied entries. Entries that are not platform candidates are
// ignored: no `platform` object, `unknown/unknown` (attestations and other referrers), and nested
// indexes.

#include <cstddef>
#include <tuple>

#include "oci/descriptor.hpp"
#include "oci/platform.hpp"
#include "util/result.hpp"

namespace ocx::install {

/// (specific, variant declared, number of os.features): higher wins.
using Score = std::tuple<bool, bool, std::size_t>;

/// True when a package built for `offered` can be used where `required` describes the host.
bool is_compatible(const oci::Platform& required, const oci::Platform& offered);

/// The ranking score of a compatible offered platform.
Score score(const oci::Platform& offered);

/// True for index entries that take part in selection (see the file comment).
bool is_candidate(const oci::IndexEntry& entry);

/// Position in `index.manifests` of the entry to install for `required`. No compatible entry:
/// ErrorKind::not_found listing the platforms the index has. A tie: ErrorKind::data ("ambiguous")
/// listing the tied platforms and digests.
Result<std::size_t> select_entry(const oci::ImageIndex& index, const oci::Platform& required);

}  // namespace ocx::install

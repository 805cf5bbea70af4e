#pragma once
// The seam between the stages of the bundle pipeline (tar -> xz -> file): each stage hands its output
// bytes to the next through a ByteSink; the first error stops the pipeline and is reported as is.

#include <cstddef>
#include <functional>

#include "util/result.hpp"

namespace ocx::bundle {

/// Receives a stage's output bytes, in order; returns the first error of the downstream stages.
using ByteSink = std::function<Status(const void* data, std::size_t size)>;

}  // namespace ocx::bundle

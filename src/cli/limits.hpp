#pragma once
// --max-unpacked-size / --max-entries (and OCX_RELEASE_MAX_UNPACKED / OCX_RELEASE_MAX_ENTRIES)
// for the commands that unpack or check archives: install, exec, push, release, verify --deep
// (bundle/limits.hpp has the defaults and why).

#include <boost/program_options.hpp>

#include <string>

#include "bundle/limits.hpp"
#include "util/result.hpp"

namespace ocx::cli {

struct LimitOptions {
    std::string max_unpacked;  // as given; "" when the flag is absent
    std::string max_entries;
};

/// Adds --max-unpacked-size SIZE and --max-entries N to `desc`, bound to `options`.
void add_limit_options(boost::program_options::options_description& desc, LimitOptions& options);

/// The limits: each flag when given, else its environment variable when set and non-empty, else
/// the default. A bad value is ErrorKind::usage naming the flag or the variable.
Result<bundle::UnpackLimits> unpack_limits(const LimitOptions& options);

}  // namespace ocx::cli

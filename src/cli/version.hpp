#pragma once
// `ocx-release --version`.

#include <string>

namespace ocx::cli {

/// What `--version` prints: the version (VERSION), the commit it was built from ("unknown" when
/// the source was not a git checkout) and the version of every library it runs with, as each
/// loaded library reports it, one `name: version` line each.
std::string version_text();

}  // namespace ocx::cli

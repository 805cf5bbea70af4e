#pragma once
// Pieces of metadata::parse shared between its files (not a public interface): each reads one
// section of the document, appending typed values and recording every problem with its path.

#include <boost/json.hpp>

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metadata/metadata.hpp"
#include "metadata/template.hpp"
#include "util/json.hpp"

namespace ocx::metadata::detail {

/// The names `${deps.NAME.installPath}` may use: each dependency's `name`, else its repository's
/// last component. `complete` is false when some dependency could not be read, so a token naming
/// it is not reported a second time as undeclared.
struct DependencyNames {
    std::vector<std::string> names;
    bool complete = true;
};

/// Records a problem at `path` for every bad token in `value`: grammar, a token not allowed in
/// `context`, ${self.env.KEY} with KEY not in `earlier_keys`, ${deps.NAME…} with NAME undeclared.
void check_template(std::string_view value, const std::string& path, TemplateContext context,
                    const std::set<std::string>& earlier_keys, const DependencyNames& deps, json::Diagnostics& diag);

/// `"x" is not one of a, b, c` plus a did-you-mean when one is close.
std::string not_one_of(std::string_view got, std::span<const std::string_view> allowed);

/// Reads `dependencies` (an array) into `out`.
DependencyNames parse_dependencies(const boost::json::value& value, json::Diagnostics& diag, std::vector<Dependency>& out);

/// Reads `env` (an array) into `out`; templates are checked against `deps`.
void parse_env(const boost::json::value& value, const DependencyNames& deps, json::Diagnostics& diag,
               std::vector<EnvVar>& out);

}  // namespace ocx::metadata::detail

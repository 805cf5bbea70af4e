#pragma once
// JSON helpers shared by the parsing modules (metadata, plan, oci, report):
//  * parse_json: text -> boost::json::value with a "file:line:col" error on bad syntax;
//  * Diagnostics + ObjectReader: read typed fields in one pass, collecting every problem with its
//    JSON Pointer path (RFC 6901) and a "did you mean" for misspelt keys;
//  * pretty: deterministic 2-space pretty printing (key order as inserted).
// boost::json::value stays inside the module that parses; nothing else takes it as a parameter.

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ocx::json {

/// Parses JSON text. `source` names the input in errors ("matrix.json"). Errors are ErrorKind::data.
/// Nesting deeper than `max_depth` is refused.
Result<boost::json::value> parse(std::string_view text, std::string_view source, std::size_t max_depth = 64);

/// Compact serialization (no whitespace), keys in insertion order.
std::string compact(const boost::json::value& v);
/// Two-space indented serialization ending in '\n', keys in insertion order.
std::string pretty(const boost::json::value& v);

/// Appends "/token" to a JSON Pointer, escaping '~' and '/'.
std::string child_path(std::string_view parent, std::string_view key);
std::string child_path(std::string_view parent, std::size_t index);

/// Closest candidate within a small edit distance, for "did you mean" hints; empty when none.
std::string closest(std::string_view word, std::span<const std::string_view> candidates);

/// Collected problems, each "path: message" (path omitted when empty).
class Diagnostics {
public:
    void add(std::string_view path, std::string message);
    bool empty() const { return items_.empty(); }
    const std::vector<std::string>& items() const { return items_; }
    /// All problems as one ErrorKind::data error, one per line, prefixed by `source` when non-empty.
    Error to_error(std::string_view source) const;

private:
    std::vector<std::string> items_;
};

/// Typed, path-aware access to one JSON object. Each getter records a problem in the
/// Diagnostics (and returns nullopt) when the field is missing/mistyped.
class ObjectReader {
public:
    /// `value` must outlive the reader. If it is not an object, a problem is recorded and every
    /// getter returns nullopt.
    ObjectReader(const boost::json::value& value, std::string path, Diagnostics& diag);

    bool valid() const { return obj_ != nullptr; }
    const std::string& path() const { return path_; }
    std::string path_of(std::string_view key) const { return child_path(path_, key); }
    bool has(std::string_view key) const;
    const boost::json::value* get(std::string_view key) const;

    std::optional<std::string> string(std::string_view key, bool required);
    std::optional<bool> boolean(std::string_view key, bool required);
    std::optional<std::int64_t> integer(std::string_view key, bool required);
    /// Records "unknown key" (with a did-you-mean) for every key not in `known`.
    void reject_unknown(std::span<const std::string_view> known);

private:
    const boost::json::object* obj_ = nullptr;
    std::string path_;
    Diagnostics& diag_;
};

/// JSON type name for messages ("string", "object", …).
std::string_view kind_name(const boost::json::value& v);

}  // namespace ocx::json

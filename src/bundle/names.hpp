#pragma once
// Archive member names: UTF-8 validation and quoting for messages (bundle/scan.cpp explains why
// names must be UTF-8).

#include <string>
#include <string_view>

namespace ocx::bundle {

/// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

/// `bytes` in double quotes for a message; bytes that are not printable UTF-8 (invalid sequences,
/// control characters) are shown as \xNN, and `"` and `\` are escaped.
std::string quote_name(std::string_view bytes);

}  // namespace ocx::bundle

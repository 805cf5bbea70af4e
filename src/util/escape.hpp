#pragma once
// Text from outside (registry and token-server answers, archive member names, matrix values,
// environment values) is shown escaped, so it can neither steer a terminal nor write a CI log
// line of its own. Two threats, one rule set:
//  * control characters: a newline starts a new log line, and a line starting "::" (or "##[",
//    after leading blanks, as the GitHub runner reads them) is a workflow command — `::error::`,
//    `::add-mask::`, `::stop-commands::` …; ESC starts an ANSI sequence; CR overwrites the line;
//  * bytes that are not UTF-8, and the C1 controls U+0080–U+009F (a terminal may read U+009B as
//    an escape sequence start).
// Each such character is written as an escape: \n \r \t \\ and \xNN for the others (C1 controls
// by their code point, \u{9b}); backslash is doubled so an escape cannot be faked.

#include <cstddef>
#include <string>
#include <string_view>

namespace ocx {

/// `text` as one safe line: every control character, invalid UTF-8 byte and backslash escaped, a
/// leading "::" / "##[" broken (its first character as \x3a / \x23), and at most `max_bytes` of
/// input shown ("…" marks the cut).
std::string escape_text(std::string_view text, std::size_t max_bytes = 1024);

/// A whole message of ours (it may hold newlines on purpose) made safe for a log: newline and tab
/// kept, every other control character and invalid UTF-8 byte escaped, and a line that would
/// start a workflow command ("::" or "##[" after blanks) broken as in escape_text. The last guard
/// before stderr (util/log.cpp); quoting outside text at the call site with escape_text comes first.
std::string escape_message(std::string_view message);

}  // namespace ocx

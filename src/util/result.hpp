#pragma once
// Errors are values. Every fallible function returns Result<T>; the ErrorKind decides the exit
// code at the CLI edge (docs/cli.md, "Exit codes": OCX's taxonomy).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ocx {

enum class ErrorKind {
    usage,        // 64: bad flags or arguments
    data,         // 65: bad matrix, metadata, archive, reference, platform, tag
    unavailable,  // 69: the service said no; retrying will not help
    io,           // 74: local file system or stream failure
    transient,    // 75: network or server trouble; retrying may help
    permission,   // 77: authenticated but not allowed
    not_found,    // 79: a tag, manifest, blob or file that should exist does not
    auth,         // 80: authentication failed
    internal,     // 70: a bug in ocx-release
};

/// Process exit code for an error kind (docs/cli.md, "Exit codes").
int exit_code(ErrorKind kind);

/// Short stable name ("usage", "data", …) used in reports.
std::string_view to_string(ErrorKind kind);

/// Inverse of to_string; nullopt for an unknown name.
std::optional<ErrorKind> error_kind_from_string(std::string_view name);

struct Error {
    ErrorKind kind = ErrorKind::internal;
    std::string message;

    /// The same error with "context: " put in front of the message.
    Error context(std::string_view what) const&;
    Error context(std::string_view what) &&;
};

inline Error make_error(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

/// Either a T or an Error; a small stand-in for std::expected (C++23).
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const& { return error_; }
    Error&& error() && { return std::move(error_); }

private:
    Error error_;
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace ocx

#include "util/result.hpp"

namespace ocx {

int exit_code(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::usage: return 64;
        case ErrorKind::data: return 65;
        case ErrorKind::unavailable: return 69;
        case ErrorKind::io: return 74;
        case ErrorKind::transient: return 75;
        case ErrorKind::permission: return 77;
        case ErrorKind::not_found: return 79;
        case ErrorKind::auth: return 80;
        case ErrorKind::internal: return 70;  // EX_SOFTWARE: not in OCX's list, a bug is a bug
    }
    return 70;
}

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::usage: return "usage";
        case ErrorKind::data: return "data";
        case ErrorKind::unavailable: return "unavailable";
        case ErrorKind::io: return "io";
        case ErrorKind::transient: return "transient";
        case ErrorKind::permission: return "permission";
        case ErrorKind::not_found: return "not_found";
        case ErrorKind::auth: return "auth";
        case ErrorKind::internal: return "internal";
    }
    return "internal";
}

std::optional<ErrorKind> error_kind_from_string(std::string_view name) {
    for (auto kind : {ErrorKind::usage, ErrorKind::data, ErrorKind::unavailable, ErrorKind::io, ErrorKind::transient,
                      ErrorKind::permission, ErrorKind::not_found, ErrorKind::auth, ErrorKind::internal})
        if (to_string(kind) == name) return kind;
    return std::nullopt;
}

Error Error::context(std::string_view what) const& { return Error{kind, std::string(what) + ": " + message}; }

Error Error::context(std::string_view what) && {
    message.insert(0, std::string(what) + ": ");
    return std::move(*this);
}

}  // namespace ocx

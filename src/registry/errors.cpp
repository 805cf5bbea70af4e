#include "registry/errors.hpp"

#include <boost/json.hpp>

#include "util/escape.hpp"

namespace ocx::registry {

namespace {

std::string string_field(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string first_line(std::string_view body) {
    std::size_t start = body.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return "";
    std::string_view line = body.substr(start);
    line = line.substr(0, line.find_first_of("\r\n"));
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.size() > 200) return std::string(line.substr(0, 200)) + "…";
    return std::string(line);
}

}  // namespace

namespace {

std::string describe_unescaped(std::string_view body) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return first_line(body);
    const auto& o = v.as_object();
    std::string out;
    if (const auto* errors = o.if_contains("errors"); errors && errors->is_array()) {
        for (const auto& e : errors->as_array()) {
            if (!e.is_object()) continue;
            const std::string code = string_field(e.as_object(), "code");
            const std::string message = string_field(e.as_object(), "message");
            if (code.empty() && message.empty()) continue;
            if (!out.empty()) out += "; ";
            out += code.empty() ? message : message.empty() ? code : code + ": " + message;
        }
        if (!out.empty()) return out;
    }
    // Token servers.
    const std::string error = string_field(o, "error");
    const std::string description = string_field(o, "error_description");
    if (!error.empty()) return description.empty() ? error : error + ": " + description;
    for (std::string_view key : {"details", "message"})
        if (std::string s = string_field(o, key); !s.empty()) return s;
    return first_line(body);
}

}  // namespace

// The registry's words are outside text: escaped (a message holding "\n::error::" stays on its
// line) and bounded.
std::string describe_error_body(std::string_view body) { return escape_text(describe_unescaped(body), 512); }

bool has_error_code(std::string_view body, std::string_view code) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return false;
    const auto* errors = v.as_object().if_contains("errors");
    if (errors == nullptr || !errors->is_array()) return false;
    for (const auto& e : errors->as_array())
        if (e.is_object() && string_field(e.as_object(), "code") == code) return true;
    return false;
}

bool is_transient_status(long status) { return status == 408 || status == 429 || (status >= 500 && status <= 599); }

ErrorKind error_kind_for_status(long status) {
    if (status == 401) return ErrorKind::auth;
    if (status == 403) return ErrorKind::permission;
    if (status == 404) return ErrorKind::not_found;
    if (is_transient_status(status)) return ErrorKind::transient;
    return ErrorKind::unavailable;
}

std::string_view reason_phrase(long status) {
    switch (status) {
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 415: return "Unsupported Media Type";
        case 416: return "Range Not Satisfiable";
        case 422: return "Unprocessable Content";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "";
    }
}

Error http_error(std::string_view action, const HttpResponse& response) {
    std::string message(action);
    message += ": HTTP ";
    message += std::to_string(response.status);
    if (const auto phrase = reason_phrase(response.status); !phrase.empty()) {
        message += ' ';
        message += phrase;
    }
    if (const std::string detail = describe_error_body(response.body); !detail.empty()) {
        message += ": ";
        message += detail;
    }
    return make_error(error_kind_for_status(response.status), std::move(message));
}

}  // namespace ocx::registry

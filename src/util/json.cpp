#include "util/json.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <set>

#include "util/escape.hpp"

namespace ocx::json {

namespace bj = boost::json;

namespace {
// "line:col" of byte offset `at` in `text`.
std::string position(std::string_view text, std::size_t at) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < std::min(at, text.size()); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return std::to_string(line) + ":" + std::to_string(col);
}

// A basic_parser handler that builds nothing and stops at the first key an object names twice.
// RFC 8259 leaves duplicate names to the reader, and Boost.JSON keeps the last one: a matrix with
// "metadata" twice would silently lose the first. `duplicate` is the JSON Pointer of the key.
class DuplicateKeyFinder {
public:
    constexpr static std::size_t max_object_size = std::size_t(-1);
    constexpr static std::size_t max_array_size = std::size_t(-1);
    constexpr static std::size_t max_key_size = std::size_t(-1);
    constexpr static std::size_t max_string_size = std::size_t(-1);

    std::string duplicate;

    bool on_document_begin(bj::error_code&) { return true; }
    bool on_document_end(bj::error_code&) { return true; }
    bool on_object_begin(bj::error_code&) { return open(true); }
    bool on_object_end(std::size_t, bj::error_code&) { return close(); }
    bool on_array_begin(bj::error_code&) { return open(false); }
    bool on_array_end(std::size_t, bj::error_code&) { return close(); }
    bool on_key_part(bj::string_view part, std::size_t, bj::error_code&) {
        key_.append(part.data(), part.size());
        return true;
    }
    bool on_key(bj::string_view part, std::size_t, bj::error_code& ec) {
        key_.append(part.data(), part.size());
        Frame& f = frames_.back();
        if (!f.keys.insert(key_).second) {
            duplicate = child_path(parent_pointer(), key_);
            ec = bj::error::syntax;  // stops the parser; `duplicate` says why
            return false;
        }
        f.key = std::move(key_);
        key_.clear();
        return true;
    }
    bool on_string_part(bj::string_view, std::size_t, bj::error_code&) { return true; }
    bool on_string(bj::string_view, std::size_t, bj::error_code&) { return scalar(); }
    bool on_number_part(bj::string_view, bj::error_code&) { return true; }
    bool on_int64(std::int64_t, bj::string_view, bj::error_code&) { return scalar(); }
    bool on_uint64(std::uint64_t, bj::string_view, bj::error_code&) { return scalar(); }
    bool on_double(double, bj::string_view, bj::error_code&) { return scalar(); }
    bool on_bool(bool, bj::error_code&) { return scalar(); }
    bool on_null(bj::error_code&) { return scalar(); }
    bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
    bool on_comment(bj::string_view, bj::error_code&) { return true; }

private:
    struct Frame {
        bool object = true;
        std::set<std::string> keys;
        std::string key;        // objects: the member being read
        std::size_t index = 0;  // arrays: the element being read
        bool any = false;
    };

    // A value starts: in an array, it is the next element.
    void element() {
        if (frames_.empty() || frames_.back().object) return;
        Frame& f = frames_.back();
        if (f.any) ++f.index;
        f.any = true;
    }
    bool scalar() {
        element();
        return true;
    }
    bool open(bool object) {
        element();
        frames_.push_back(Frame{object, {}, {}, 0, false});
        return true;
    }
    bool close() {
        frames_.pop_back();
        return true;
    }
    // Pointer of the innermost open object or array (the one the duplicate is in).
    std::string parent_pointer() const {
        std::string out;
        for (std::size_t i = 0; i + 1 < frames_.size(); ++i)
            out = frames_[i].object ? child_path(out, frames_[i].key) : child_path(out, frames_[i].index);
        return out;
    }

    std::vector<Frame> frames_;
    std::string key_;
};
}  // namespace

Result<bj::value> parse(std::string_view text, std::string_view source, std::size_t max_depth) {
    bj::parse_options opt;
    opt.max_depth = max_depth;
    bj::stream_parser p({}, opt);
    bj::error_code ec;
    std::size_t used = p.write_some(text.data(), text.size(), ec);
    if (!ec) p.finish(ec);
    if (!ec && p.done()) {
        // Syntax is fine; one more pass, building nothing, for names repeated within an object.
        bj::basic_parser<DuplicateKeyFinder> finder(opt);
        bj::error_code dup_ec;
        const std::size_t at = finder.write_some(false, text.data(), text.size(), dup_ec);
        if (!finder.handler().duplicate.empty())
            return make_error(ErrorKind::data, std::string(source) + ":" + position(text, at) + ": " +
                                                   finder.handler().duplicate + ": the key appears twice in its object");
        return p.release();
    }
    // Position of the failure: write_some stops where the parser gave up.
    std::string what = ec ? ec.message() : "incomplete JSON";
    if (ec == bj::error::too_deep) what = "nesting deeper than " + std::to_string(max_depth) + " levels";
    return make_error(ErrorKind::data, std::string(source) + ":" + position(text, used) + ": invalid JSON: " + what);
}

std::string compact(const bj::value& v) { return bj::serialize(v); }

namespace {
void pretty_into(std::string& out, const bj::value& v, int indent) {
    auto pad = [&](int n) { out.append(static_cast<std::size_t>(n) * 2, ' '); };
    switch (v.kind()) {
        case bj::kind::object: {
            const auto& o = v.get_object();
            if (o.empty()) {
                out += "{}";
                return;
            }
            out += "{\n";
            bool first = true;
            for (const auto& kv : o) {
                if (!first) out += ",\n";
                first = false;
                pad(indent + 1);
                out += bj::serialize(bj::value(kv.key()));
                out += ": ";
                pretty_into(out, kv.value(), indent + 1);
            }
            out += "\n";
            pad(indent);
            out += "}";
            return;
        }
        case bj::kind::array: {
            const auto& a = v.get_array();
            if (a.empty()) {
                out += "[]";
                return;
            }
            out += "[\n";
            bool first = true;
            for (const auto& e : a) {
                if (!first) out += ",\n";
                first = false;
                pad(indent + 1);
                pretty_into(out, e, indent + 1);
            }
            out += "\n";
            pad(indent);
            out += "]";
            return;
        }
        default: out += bj::serialize(v);
    }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}
}  // namespace

std::string pretty(const bj::value& v) {
    std::string out;
    pretty_into(out, v, 0);
    out += "\n";
    return out;
}

std::string child_path(std::string_view parent, std::string_view key) {
    std::string token;
    for (char c : key) {
        if (c == '~')
            token += "~0";
        else if (c == '/')
            token += "~1";
        else
            token += c;
    }
    // Keys come from the document: a path quoting one is shown escaped (util/escape.hpp).
    return std::string(parent) + "/" + escape_text(token);
}

std::string child_path(std::string_view parent, std::size_t index) {
    return std::string(parent) + "/" + std::to_string(index);
}

std::string closest(std::string_view word, std::span<const std::string_view> candidates) {
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (auto c : candidates) {
        std::size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = std::string(c);
        }
    }
    return best;
}

void Diagnostics::add(std::string_view path, std::string message) {
    items_.push_back(path.empty() ? std::move(message) : std::string(path) + ": " + message);
}

Error Diagnostics::to_error(std::string_view source) const {
    std::string msg;
    for (const auto& item : items_) {
        if (!msg.empty()) msg += '\n';
        if (!source.empty()) {
            msg += source;
            msg += ':';
            // "file:/json/path: message"; a problem without a path gets "file: message"
            if (item.empty() || item[0] != '/') msg += ' ';
        }
        msg += item;
    }
    return make_error(ErrorKind::data, std::move(msg));
}

std::string_view kind_name(const bj::value& v) {
    switch (v.kind()) {
        case bj::kind::null: return "null";
        case bj::kind::bool_: return "boolean";
        case bj::kind::int64:
        case bj::kind::uint64: return "integer";
        case bj::kind::double_: return "number";
        case bj::kind::string: return "string";
        case bj::kind::array: return "array";
        case bj::kind::object: return "object";
    }
    return "value";
}

ObjectReader::ObjectReader(const bj::value& value, std::string path, Diagnostics& diag)
    : path_(std::move(path)), diag_(diag) {
    if (value.is_object())
        obj_ = &value.get_object();
    else
        diag_.add(path_, "expected an object, got " + std::string(kind_name(value)));
}

bool ObjectReader::has(std::string_view key) const { return obj_ != nullptr && obj_->contains(key); }

const bj::value* ObjectReader::get(std::string_view key) const { return obj_ == nullptr ? nullptr : obj_->if_contains(key); }

std::optional<std::string> ObjectReader::string(std::string_view key, bool required) {
    const bj::value* v = get(key);
    if (v == nullptr) {
        if (required && obj_ != nullptr) diag_.add(path_of(key), "required key is missing");
        return std::nullopt;
    }
    if (!v->is_string()) {
        diag_.add(path_of(key), "expected a string, got " + std::string(kind_name(*v)));
        return std::nullopt;
    }
    return std::string(v->get_string());
}

std::optional<bool> ObjectReader::boolean(std::string_view key, bool required) {
    const bj::value* v = get(key);
    if (v == nullptr) {
        if (required && obj_ != nullptr) diag_.add(path_of(key), "required key is missing");
        return std::nullopt;
    }
    if (!v->is_bool()) {
        diag_.add(path_of(key), "expected true or false, got " + std::string(kind_name(*v)));
        return std::nullopt;
    }
    return v->get_bool();
}

std::optional<std::int64_t> ObjectReader::integer(std::string_view key, bool required) {
    const bj::value* v = get(key);
    if (v == nullptr) {
        if (required && obj_ != nullptr) diag_.add(path_of(key), "required key is missing");
        return std::nullopt;
    }
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->get_uint64());
    diag_.add(path_of(key), "expected an integer, got " + std::string(kind_name(*v)));
    return std::nullopt;
}

void ObjectReader::reject_unknown(std::span<const std::string_view> known) {
    if (obj_ == nullptr) return;
    for (const auto& kv : *obj_) {
        std::string_view key = kv.key();
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        std::string msg = "unknown key \"" + escape_text(key) + "\"";
        if (auto hint = closest(key, known); !hint.empty()) msg += "; did you mean \"" + hint + "\"?";
        diag_.add(path_of(key), std::move(msg));
    }
}

}  // namespace ocx::json

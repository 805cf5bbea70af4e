// Version tags for rolling tags (docs/wire-format.md §5); the grammar and the order are documented in
// version.hpp. A hand-written scanner instead of a regex: the grammar is small and the overflow and
// leading-zero rules are easier to state as code.

#include "plan/version.hpp"

#include <limits>

namespace ocx::plan {
namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z'); }

/// Reads left-to-right over a tag; each read_* consumes on success only.
class Scanner {
public:
    explicit Scanner(std::string_view text) : text_(text) {}

    bool done() const { return pos_ == text_.size(); }

    bool accept(char c) {
        if (done() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }

    /// "0" or [1-9][0-9]* fitting in 64 bits.
    std::optional<std::uint64_t> read_number() {
        std::size_t end = pos_;
        while (end < text_.size() && is_digit(text_[end])) ++end;
        std::string_view digits = text_.substr(pos_, end - pos_);
        if (digits.empty() || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
        std::uint64_t value = 0;
        constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
        for (char c : digits) {
            const auto d = static_cast<std::uint64_t>(c - '0');
            if (value > (max - d) / 10) return std::nullopt;
            value = value * 10 + d;
        }
        pos_ = end;
        return value;
    }

    /// [0-9A-Za-z]+
    std::optional<std::string> read_word() {
        std::size_t end = pos_;
        while (end < text_.size() && is_alnum(text_[end])) ++end;
        if (end == pos_) return std::nullopt;
        std::string word{text_.substr(pos_, end - pos_)};
        pos_ = end;
        return word;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

bool valid_variant(std::string_view v) {
    if (v.empty() || !is_lower(v[0]) || v == "latest") return false;
    for (char c : v) {
        if (!is_lower(c) && !is_digit(c) && c != '.') return false;
    }
    return true;
}

/// A shorter version (absent component) sorts above any present one: it rolls over all of them.
std::strong_ordering compare_rolling(const std::optional<std::uint64_t>& a, const std::optional<std::uint64_t>& b) {
    if (a && b) return *a <=> *b;
    if (!a && !b) return std::strong_ordering::equal;
    return a ? std::strong_ordering::less : std::strong_ordering::greater;
}

/// PRE and BUILD: present sorts below absent; two present ones compare as plain strings.
std::strong_ordering compare_suffix(const std::string& a, const std::string& b) {
    if (a.empty() != b.empty()) return a.empty() ? std::strong_ordering::greater : std::strong_ordering::less;
    const int c = a.compare(b);
    return c < 0 ? std::strong_ordering::less : c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal;
}

}  // namespace

std::optional<Version> parse_version(std::string_view tag) {
    Version v;
    if (!tag.empty() && is_lower(tag[0])) {
        // A variant cannot contain '-', so it ends at the first one (see version.hpp).
        const auto dash = tag.find('-');
        if (dash == std::string_view::npos || !valid_variant(tag.substr(0, dash))) return std::nullopt;
        v.variant = std::string{tag.substr(0, dash)};
        tag.remove_prefix(dash + 1);
    }
    Scanner s{tag};
    auto major = s.read_number();
    if (!major) return std::nullopt;
    v.major = *major;
    if (s.accept('.')) {
        v.minor = s.read_number();
        if (!v.minor) return std::nullopt;
        if (s.accept('.')) {
            v.patch = s.read_number();
            if (!v.patch) return std::nullopt;
            if (s.accept('-')) {
                auto pre = s.read_word();
                if (!pre) return std::nullopt;
                v.pre = std::move(*pre);
            }
            if (s.accept('_') || s.accept('+')) {
                auto build = s.read_word();
                if (!build) return std::nullopt;
                v.build = std::move(*build);
            }
        }
    }
    if (!s.done()) return std::nullopt;
    return v;
}

std::string to_tag(const Version& v) {
    std::string out;
    if (!v.variant.empty()) out += v.variant + "-";
    out += std::to_string(v.major);
    if (v.minor) out += "." + std::to_string(*v.minor);
    if (v.patch) out += "." + std::to_string(*v.patch);
    if (!v.pre.empty()) out += "-" + v.pre;
    if (!v.build.empty()) out += "_" + v.build;
    return out;
}

std::optional<Version> parent(const Version& v) {
    Version p = v;
    if (p.has_build()) {
        p.build.clear();
    } else if (p.is_prerelease()) {
        p.pre.clear();
    } else if (p.patch) {
        p.patch.reset();
    } else if (p.minor) {
        p.minor.reset();
    } else {
        return std::nullopt;
    }
    return p;
}

std::partial_ordering operator<=>(const Version& a, const Version& b) {
    if (a.variant != b.variant) return std::partial_ordering::unordered;
    if (auto c = a.major <=> b.major; c != 0) return c;
    if (auto c = compare_rolling(a.minor, b.minor); c != 0) return c;
    if (auto c = compare_rolling(a.patch, b.patch); c != 0) return c;
    if (auto c = compare_suffix(a.pre, b.pre); c != 0) return c;
    return compare_suffix(a.build, b.build);
}

bool names_a_release(std::string_view tag) {
    if (auto v = parse_version(tag)) return v->patch.has_value();
    // "X.Y.Z-<pre>" whose pre-release holds a '.': cut the pre-release and parse what is left.
    const auto dash = tag.find('-', tag.find_first_of("0123456789"));
    if (dash == std::string_view::npos || tag.find('.', dash) == std::string_view::npos) return false;
    auto base = parse_version(tag.substr(0, dash));
    return base && base->patch && !base->is_prerelease() && !base->has_build();
}

}  // namespace ocx::plan

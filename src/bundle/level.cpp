#include "bundle/bundle.hpp"

namespace ocx::bundle {

std::uint32_t xz_preset(Level level) {
    switch (level) {
        case Level::fast: return 0;
        case Level::default_: return 3;
        case Level::best: return 9;
    }
    return 3;
}

std::string_view to_string(Level level) {
    switch (level) {
        case Level::fast: return "fast";
        case Level::default_: return "default";
        case Level::best: return "best";
    }
    return "default";
}

std::optional<Level> parse_level(std::string_view text) {
    for (Level level : {Level::fast, Level::default_, Level::best})
        if (text == to_string(level)) return level;
    return std::nullopt;
}

}  // namespace ocx::bundle

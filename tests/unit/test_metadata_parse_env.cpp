// env[] of package metadata (docs/wire-format.md §4): table of documents and what the user sees,
// either the exact error text (with JSON paths) or "=" followed by the published compact form.

#include <doctest/doctest.h>

#include <string>

#include "metadata/metadata.hpp"

using namespace ocx;

namespace {

std::string doc(std::string_view members) { return "{\"type\":\"bundle\",\"version\":1," + std::string(members) + "}"; }

std::string outcome(const std::string& text) {
    auto r = metadata::parse(text, "m.json");
    if (!r) {
        CHECK(r.error().kind == ErrorKind::data);
        return r.error().message;
    }
    return "=" + metadata::to_compact(*r);
}

struct Case {
    const char* name;
    std::string json;
    std::string expected;
};

}  // namespace

TEST_CASE("metadata env entries: valid and invalid") {
    const Case cases[] = {
        {"path with defaults gets required:false and visibility:private",
         doc(R"("env":[{"value":"${installPath}/bin","type":"path","key":"PATH"}])"),
         "=" +
             doc(R"("env":[{"key":"PATH","type":"path","required":false,"value":"${installPath}/bin","visibility":"private"}])")},
        {"list keeps its separator, between type and value",
         doc(R"("env":[{"key":"JAVA_OPTS","type":"list","separator":" ","value":"-Xmx1g","visibility":"interface"}])"),
         "=" +
             doc(R"("env":[{"key":"JAVA_OPTS","type":"list","separator":" ","value":"-Xmx1g","visibility":"interface"}])")},
        {"constant keeps an escaped $${ as written",
         doc(R"("env":[{"key":"PS","type":"constant","value":"$${HOME} is literal","visibility":"public"}])"),
         "=" + doc(R"("env":[{"key":"PS","type":"constant","value":"$${HOME} is literal","visibility":"public"}])")},
        {"a constant may be empty", doc(R"("env":[{"key":"EMPTY","type":"constant","value":""}])"),
         "=" + doc(R"("env":[{"key":"EMPTY","type":"constant","value":"","visibility":"private"}])")},
        {"self.env names an earlier key; modifiers on install paths",
         doc(R"("env":[{"key":"HOME_DIR","type":"constant","value":"${self.installPath:posix}"},)"
             R"({"key":"LIB","type":"path","value":"${self.env.HOME_DIR}/lib:${installPath:native}/lib64"}])"),
         "=" +
             doc(R"("env":[{"key":"HOME_DIR","type":"constant","value":"${self.installPath:posix}","visibility":"private"},)"
                 R"({"key":"LIB","type":"path","required":false,"value":"${self.env.HOME_DIR}/lib:${installPath:native}/lib64","visibility":"private"}])")},
        {"env order is kept, keys may repeat",
         doc(R"("env":[{"key":"PATH","type":"path","value":"sbin"},{"key":"A","type":"constant","value":"1"},{"key":"PATH","type":"path","value":"bin"}])"),
         "=" + doc(R"("env":[{"key":"PATH","type":"path","required":false,"value":"sbin","visibility":"private"},)"
                   R"({"key":"A","type":"constant","value":"1","visibility":"private"},)"
                   R"({"key":"PATH","type":"path","required":false,"value":"bin","visibility":"private"}])")},
        {"empty env is omitted", doc(R"("env":[])"), R"(={"type":"bundle","version":1})"},
        {"a NUL byte in a value is refused, naming the variable (a C environment would cut it there)",
         doc(R"("env":[{"key":"TOOL_OPTS","type":"constant","value":"a\u0000b"}])"),
         R"(m.json:/env/0/value: the value of "TOOL_OPTS" holds a NUL byte (\u0000), which an environment variable cannot carry)"},
        {"required on a constant", doc(R"("env":[{"key":"A","type":"constant","required":true,"value":"x"}])"),
         R"(m.json:/env/0/required: only allowed when type is "path" (this entry is "constant"))"},
        {"required false on a list is refused too",
         doc(R"("env":[{"key":"A","type":"list","separator":",","required":false,"value":"x"}])"),
         R"(m.json:/env/0/required: only allowed when type is "path" (this entry is "list"))"},
        {"required must be a boolean", doc(R"("env":[{"key":"A","type":"path","required":"yes","value":"x"}])"),
         "m.json:/env/0/required: expected true or false, got string"},
        {"separator on a path", doc(R"("env":[{"key":"A","type":"path","separator":":","value":"x"}])"),
         R"(m.json:/env/0/separator: only allowed when type is "list" (this entry is "path"))"},
        {"list without a separator", doc(R"("env":[{"key":"A","type":"list","value":"x"}])"),
         "m.json:/env/0/separator: required key is missing"},
        {"empty separator", doc(R"("env":[{"key":"A","type":"list","separator":"","value":"x"}])"),
         "m.json:/env/0/separator: must not be empty"},
        {"separator with '='", doc(R"("env":[{"key":"A","type":"list","separator":"=","value":"x"}])"),
         "m.json:/env/0/separator: must not contain '='"},
        {"separator with a line break", doc(R"("env":[{"key":"A","type":"list","separator":",\n","value":"x"}])"),
         "m.json:/env/0/separator: must not contain a line break"},
        {"list value edged by its separator", doc(R"("env":[{"key":"A","type":"list","separator":",","value":"x,"}])"),
         R"(m.json:/env/0/value: must not start or end with its separator ",")"},
        {"empty path value", doc(R"("env":[{"key":"A","type":"path","value":""}])"),
         R"(m.json:/env/0/value: must not be empty for a "path" entry)"},
        {"unknown type with a hint", doc(R"("env":[{"key":"A","type":"paht","value":"x"}])"),
         R"(m.json:/env/0/type: "paht" is not one of path, constant or list; did you mean "path"?)"},
        {"key with a dash", doc(R"("env":[{"key":"MY-VAR","type":"constant","value":"x"}])"),
         R"(m.json:/env/0/key: "MY-VAR" is not a valid variable name: use letters, digits and '_', not starting with a digit)"},
        {"key with '='", doc(R"("env":[{"key":"A=B","type":"constant","value":"x"}])"),
         R"(m.json:/env/0/key: "A=B" is not a valid variable name: use letters, digits and '_', not starting with a digit)"},
        {"key with NUL is shown escaped", doc(R"("env":[{"key":"A\u0000B","type":"constant","value":"x"}])"),
         R"(m.json:/env/0/key: "A\u0000B" is not a valid variable name: use letters, digits and '_', not starting with a digit)"},
        {"empty key", doc(R"("env":[{"key":"","type":"constant","value":"x"}])"),
         R"(m.json:/env/0/key: "" is not a valid variable name: it is empty)"},
        {"misspelt key inside an entry", doc(R"("env":[{"key":"A","type":"path","requird":true,"value":"x"}])"),
         R"(m.json:/env/0/requird: unknown key "requird"; did you mean "required"?)"},
        {"sealed visibility on an entry", doc(R"("env":[{"key":"A","type":"constant","value":"x","visibility":"sealed"}])"),
         R"(m.json:/env/0/visibility: "sealed" is for dependencies; an env entry is private, public or interface)"},
        {"misspelt visibility", doc(R"("env":[{"key":"A","type":"constant","value":"x","visibility":"publik"}])"),
         R"(m.json:/env/0/visibility: "publik" is not one of private, public or interface; did you mean "public"?)"},
        {"foreign ${…} token", doc(R"("env":[{"key":"A","type":"constant","value":"${HOME}/x"}])"),
         R"(m.json:/env/0/value: unknown template "${HOME}"; expected ${installPath}, ${self.installPath}, ${self.env.KEY} or ${deps.NAME.installPath} (write $${ for a literal ${))"},
        {"miscased token gets a hint", doc(R"("env":[{"key":"A","type":"path","value":"${installpath}/bin"}])"),
         R"(m.json:/env/0/value: unknown template "${installpath}"; expected ${installPath}, ${self.installPath}, ${self.env.KEY} or ${deps.NAME.installPath}; did you mean "${installPath}"? (write $${ for a literal ${))"},
        {"unterminated token", doc(R"("env":[{"key":"A","type":"path","value":"${installPath/bin"}])"),
         R"(m.json:/env/0/value: unterminated template "${installPath/bin" (write $${ for a literal ${))"},
        {"modifier on self.env",
         doc(R"("env":[{"key":"A","type":"constant","value":"x"},{"key":"B","type":"constant","value":"${self.env.A:posix}"}])"),
         R"(m.json:/env/1/value: "${self.env.A:posix}": a :native or :posix modifier applies only to install-path tokens)"},
        {"unknown modifier", doc(R"("env":[{"key":"A","type":"path","value":"${installPath:POSIX}"}])"),
         R"(m.json:/env/0/value: unknown modifier ":POSIX" in "${installPath:POSIX}"; expected :native or :posix)"},
        {"self.env of a later key",
         doc(R"("env":[{"key":"A","type":"constant","value":"${self.env.B}"},{"key":"B","type":"constant","value":"x"}])"),
         R"(m.json:/env/0/value: "${self.env.B}" names B, which no earlier env entry declares)"},
        {"self.env of its own key in its first entry",
         doc(R"("env":[{"key":"PATH","type":"path","value":"${self.env.PATH}"}])"),
         R"(m.json:/env/0/value: "${self.env.PATH}" names PATH, which no earlier env entry declares)"},
        {"deps token without dependencies",
         doc(R"("env":[{"key":"A","type":"constant","value":"${deps.cmake.installPath}"}])"),
         R"(m.json:/env/0/value: "${deps.cmake.installPath}" names no declared dependency (none are declared))"},
        {"env not an array", doc(R"("env":{"PATH":"bin"})"), "m.json:/env: expected an array, got object"},
        {"entry not an object", doc(R"("env":["PATH=bin"])"), "m.json:/env/0: expected an object, got string"},
        {"entry missing everything, each reported", doc(R"("env":[{}])"),
         "m.json:/env/0/key: required key is missing\n"
         "m.json:/env/0/type: required key is missing\n"
         "m.json:/env/0/value: required key is missing"},
    };
    for (const auto& c : cases) {
        const std::string name = c.name;
        INFO(name);
        CHECK(outcome(c.json) == c.expected);
    }
}

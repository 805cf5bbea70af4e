// Top level, entrypoints, binaries and integrations of package metadata (docs/wire-format.md §4):
// a table of documents and what the user sees — the exact error text with JSON paths, or "=" and
// the published compact form — plus every-error-at-once and load().

#include <doctest/doctest.h>

#include <filesystem>
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

const std::string kBare = R"({"type":"bundle","version":1})";

}  // namespace

TEST_CASE("metadata top level: valid and invalid") {
    const Case cases[] = {
        {"smallest document", kBare, "=" + kBare},
        {"keys come out in canonical order; $schema and unknown keys are dropped",
         R"({"binaries":["b"],"strip_components":2,"$schema":"x","version":1,"x-note":{"a":1},"type":"bundle"})",
         R"(={"type":"bundle","version":1,"strip_components":2,"binaries":["b"]})"},
        {"strip_components 0 is written", doc(R"("strip_components":0)"),
         R"(={"type":"bundle","version":1,"strip_components":0})"},
        {"platform belongs in the index", doc(R"("platform":"linux/amd64")"),
         "m.json:/platform: not allowed here: the platform belongs in the image index, not the metadata "
         "(give it with --platform or in the release matrix)"},
        {"wrong type", R"({"type":"tool","version":1})", R"(m.json:/type: must be "bundle", got "tool")"},
        {"missing type and version", R"({})",
         "m.json:/type: required key is missing\nm.json:/version: required key is missing"},
        {"version 2", R"({"type":"bundle","version":2})",
         "m.json:/version: unsupported version 2; ocx-release reads version 1"},
        {"version as a string", R"({"type":"bundle","version":"1"})", "m.json:/version: expected an integer, got string"},
        {"negative strip_components", doc(R"("strip_components":-1)"),
         "m.json:/strip_components: must be between 0 and 255, got -1"},
        {"huge strip_components", doc(R"("strip_components":256)"),
         "m.json:/strip_components: must be between 0 and 255, got 256"},
        {"not an object", R"(["bundle"])", "m.json: expected an object, got array"},
        {"not JSON", "{\"type\":\"bundle\",\n  \"version\": 1,,}", "m.json:2:16: invalid JSON: syntax error"},
    };
    for (const auto& c : cases) {
        const std::string name = c.name;
        INFO(name);
        CHECK(outcome(c.json) == c.expected);
    }
}

TEST_CASE("metadata binaries: valid and invalid") {
    const Case cases[] = {
        {"sorted on output", doc(R"("binaries":["zed","Abc","mytool","a.b-c_d+e"])"),
         "=" + doc(R"("binaries":["Abc","a.b-c_d+e","mytool","zed"])")},
        {"[] is kept (absent and [] differ)", doc(R"("binaries":[])"), "=" + doc(R"("binaries":[])")},
        {"duplicates are refused", doc(R"("binaries":["a","b","a"])"),
         R"(m.json:/binaries/2: "a" is already listed at /binaries/0)"},
        {"a path is not a name", doc(R"("binaries":["bin/mytool"])"),
         R"(m.json:/binaries/0: "bin/mytool" is not a bare binary name: it contains '/' (a name, not a path))"},
        {"leading dash", doc(R"("binaries":["-rf"])"),
         R"(m.json:/binaries/0: "-rf" is not a bare binary name: it starts with '-')"},
        {"leading dot", doc(R"("binaries":[".."])"),
         R"(m.json:/binaries/0: ".." is not a bare binary name: it starts with '.')"},
        {"whitespace", doc(R"("binaries":["my tool"])"),
         R"(m.json:/binaries/0: "my tool" is not a bare binary name: it contains whitespace)"},
        {"Windows-reserved character", doc(R"("binaries":["a:b","c*"])"),
         "m.json:/binaries/0: \"a:b\" is not a bare binary name: it contains ':' (a name, not a path)\n"
         "m.json:/binaries/1: \"c*\" is not a bare binary name: it contains '*' (a name, not a path)"},
        {"non-ASCII", doc(R"("binaries":["outil\u00e9"])"),
         "m.json:/binaries/0: \"outil\xc3\xa9\" is not a bare binary name: use printable ASCII only"},
        {"empty and non-string", doc(R"("binaries":["",7])"),
         "m.json:/binaries/0: \"\" is not a bare binary name: it is empty\n"
         "m.json:/binaries/1: expected a string, got integer"},
        {"not an array", doc(R"("binaries":"mytool")"), "m.json:/binaries: expected an array, got string"},
    };
    for (const auto& c : cases) {
        const std::string name = c.name;
        INFO(name);
        CHECK(outcome(c.json) == c.expected);
    }
}

TEST_CASE("metadata entrypoints: valid and invalid") {
    const Case cases[] = {
        {"keys sorted, empty args dropped, command and args kept",
         doc(R"("entrypoints":{"zz":{"args":[]},"lsp":{"args":["--stdio","${installPath:posix}/etc"],"command":"mytool-lsp"},"a-1":{}})"),
         "=" +
             doc(R"("entrypoints":{"a-1":{},"lsp":{"command":"mytool-lsp","args":["--stdio","${installPath:posix}/etc"]},"zz":{}})")},
        {"name that is not a slug", doc(R"("entrypoints":{"My Tool":{}})"),
         R"(m.json:/entrypoints/My Tool: "My Tool" is not a valid entrypoint name: use lowercase letters, digits, '_' and '-', starting with a letter or digit)"},
        {"a '/' in a name is escaped in the path", doc(R"("entrypoints":{"bin/x":{}})"),
         R"(m.json:/entrypoints/bin~1x: "bin/x" is not a valid entrypoint name: use lowercase letters, digits, '_' and '-', starting with a letter or digit)"},
        {"command that is not a slug", doc(R"("entrypoints":{"x":{"command":"../sh"}})"),
         R"(m.json:/entrypoints/x/command: "../sh" is not a valid command: use lowercase letters, digits, '_' and '-', starting with a letter or digit)"},
        {"deps token in args", doc(R"("entrypoints":{"x":{"args":["${deps.py.installPath}"]}})"),
         R"(m.json:/entrypoints/x/args/0: "${deps.py.installPath}" is not allowed in entrypoint args; only ${installPath} and ${self.installPath} are)"},
        {"self.env token in args", doc(R"("entrypoints":{"x":{"args":["-v","${self.env.HOME}"]}})"),
         R"(m.json:/entrypoints/x/args/1: "${self.env.HOME}" is not allowed in entrypoint args; only ${installPath} and ${self.installPath} are)"},
        {"args must be strings", doc(R"("entrypoints":{"x":{"args":["-v",3]}})"),
         "m.json:/entrypoints/x/args/1: expected a string, got integer"},
        {"args must be an array", doc(R"("entrypoints":{"x":{"args":"-v"}})"),
         "m.json:/entrypoints/x/args: expected an array of strings, got string"},
        {"misspelt key", doc(R"("entrypoints":{"x":{"comand":"y"}})"),
         R"(m.json:/entrypoints/x/comand: unknown key "comand"; did you mean "command"?)"},
        {"an entrypoint is an object", doc(R"("entrypoints":{"x":"mytool"})"),
         "m.json:/entrypoints/x: expected an object, got string"},
        {"entrypoints is an object", doc(R"("entrypoints":["x"])"), "m.json:/entrypoints: expected an object, got array"},
    };
    for (const auto& c : cases) {
        const std::string name = c.name;
        INFO(name);
        CHECK(outcome(c.json) == c.expected);
    }
}

TEST_CASE("metadata integrations: valid and invalid") {
    const Case cases[] = {
        {"sorted by namespace, payload compact and opaque",
         doc(R"("integrations":{"org.example.b":{ "z" : [ 1 , 2 ] , "a" : null },"com.example.a":"${installPath}/share"})"),
         "=" + doc(R"("integrations":{"com.example.a":"${installPath}/share","org.example.b":{"z":[1,2],"a":null}})")},
        {"namespace with whitespace", doc(R"("integrations":{"org example":{}})"),
         R"(m.json:/integrations/org example: "org example" is not a valid integrations namespace: it contains whitespace)"},
        {"namespace with a control character", doc(R"("integrations":{"a\u0085b":{}})"),
         R"(m.json:/integrations/a\u{85}b: "a\u0085b" is not a valid integrations namespace: it contains a control character)"},
        {"empty namespace", doc(R"("integrations":{"":1})"),
         R"(m.json:/integrations/: "" is not a valid integrations namespace: it is empty)"},
        {"string leaves are templates: self.env refused, with the leaf's path",
         doc(R"("integrations":{"ns":{"list":["ok","${self.env.X}"]}})"),
         R"(m.json:/integrations/ns/list/1: "${self.env.X}" is not allowed in integrations; only ${installPath}, ${self.installPath} and ${deps.NAME.installPath} are)"},
        {"string leaves are templates: foreign tokens refused",
         doc(R"("integrations":{"ns":{"folder":"${workspaceFolder}"}})"),
         R"(m.json:/integrations/ns/folder: unknown template "${workspaceFolder}"; expected ${installPath}, ${self.installPath}, ${self.env.KEY} or ${deps.NAME.installPath} (write $${ for a literal ${))"},
        {"integrations is an object", doc(R"("integrations":[])"), "m.json:/integrations: expected an object, got array"},
    };
    for (const auto& c : cases) {
        const std::string name = c.name;
        INFO(name);
        CHECK(outcome(c.json) == c.expected);
    }
}

TEST_CASE("metadata integrations: size limits") {
    // A payload of exactly n compact bytes: a JSON string of n-2 characters.
    auto payload = [](std::size_t n) { return "\"" + std::string(n - 2, 'x') + "\""; };
    SUBCASE("8 KiB per namespace") {
        CHECK(metadata::parse(doc(R"("integrations":{"a":)" + payload(8192) + "}"), "m.json").ok());
        CHECK(outcome(doc(R"("integrations":{"a":)" + payload(8193) + "}")) ==
              "m.json:/integrations/a: payload is 8193 bytes compact; at most 8192 (8 KiB) per namespace");
    }
    SUBCASE("32 KiB in all, keys and punctuation included") {
        // {"a":P,"b":P,"c":P,"d":P}: 2 + 4*(4+8000) + 3 = 32021 bytes
        std::string members;
        for (char ns : std::string("abcd")) {
            if (!members.empty()) members += ",";
            members += std::string("\"") + ns + "\":" + payload(8000);
        }
        CHECK(metadata::parse(doc(R"("integrations":{)" + members + "}"), "m.json").ok());
        members += R"(,"e":)" + payload(800);  // +  1 + 4 + 800 = 32826
        CHECK(outcome(doc(R"("integrations":{)" + members + "}")) ==
              "m.json:/integrations: 32826 bytes compact; at most 32768 (32 KiB) in all");
    }
}

TEST_CASE("metadata: every problem is reported at once, in canonical order") {
    std::string text = R"({
  "type": "bundel",
  "version": 1,
  "platform": "linux/amd64",
  "integrations": {"ns": "${self.env.A}"},
  "binaries": ["mytool", "mytool"],
  "entrypoints": {"Run": {"command": "x"}},
  "dependencies": [{"identifier": "acme/cmake:3"}],
  "env": [
    {"key": "PATH", "type": "path", "required": "yes", "value": "${installPath}/bin", "visibilty": "public"},
    {"key": "1X", "type": "list", "value": "${nope}"}
  ]
})";
    auto r = metadata::parse(text, "packaging/metadata.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::data);
    CHECK(r.error().message ==
          "packaging/metadata.json:/type: must be \"bundle\", got \"bundel\"\n"
          "packaging/metadata.json:/platform: not allowed here: the platform belongs in the image index, not the "
          "metadata (give it with --platform or in the release matrix)\n"
          "packaging/metadata.json:/env/0/visibilty: unknown key \"visibilty\"; did you mean \"visibility\"?\n"
          "packaging/metadata.json:/env/0/required: expected true or false, got string\n"
          "packaging/metadata.json:/env/1/key: \"1X\" is not a valid variable name: use letters, digits and '_', not "
          "starting with a digit\n"
          "packaging/metadata.json:/env/1/separator: required key is missing\n"
          "packaging/metadata.json:/env/1/value: unknown template \"${nope}\"; expected ${installPath}, "
          "${self.installPath}, ${self.env.KEY} or ${deps.NAME.installPath} (write $${ for a literal ${)\n"
          "packaging/metadata.json:/dependencies/0/identifier: dependency \"acme/cmake:3\" is not pinned: append "
          "@sha256:<digest of its platform manifest>, as in registry.example/acme/cmake:3.28@sha256:<64 hex>\n"
          "packaging/metadata.json:/entrypoints/Run: \"Run\" is not a valid entrypoint name: use lowercase letters, "
          "digits, '_' and '-', starting with a letter or digit\n"
          "packaging/metadata.json:/binaries/1: \"mytool\" is already listed at /binaries/0\n"
          "packaging/metadata.json:/integrations/ns: \"${self.env.A}\" is not allowed in integrations; only "
          "${installPath}, ${self.installPath} and ${deps.NAME.installPath} are");
}

TEST_CASE("metadata load") {
    const std::filesystem::path dir = std::filesystem::path(OCX_TEST_DATA) / "metadata";
    SUBCASE("a file in authoring form") {
        auto r = metadata::load(dir / "mytool.json");
        REQUIRE(r.ok());
        REQUIRE(r->env.size() == 1);
        CHECK(r->env[0].required);
        CHECK(r->binaries == std::vector<std::string>{"mytool"});
    }
    SUBCASE("errors name the file") {
        auto r = metadata::load(dir / "broken.json");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::data);
        const std::string f = (dir / "broken.json").string();
        CHECK(r.error().message ==
              f +
                  ":/platform: not allowed here: the platform belongs in the image index, not the metadata (give it "
                  "with --platform or in the release matrix)\n" +
                  f + ":/env/0/visibilty: unknown key \"visibilty\"; did you mean \"visibility\"?\n" + f +
                  ":/binaries/0: \"bin/mytool\" is not a bare binary name: it contains '/' (a name, not a path)");
    }
    SUBCASE("missing file") {
        auto r = metadata::load(dir / "absent.json");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::not_found);
        CHECK(r.error().message == (dir / "absent.json").string() + ": metadata file not found");
    }
    SUBCASE("a directory") {
        auto r = metadata::load(dir);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::io);
        CHECK(r.error().message == dir.string() + ": is a directory, not a metadata file");
    }
}

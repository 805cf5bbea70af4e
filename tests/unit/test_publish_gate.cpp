// publish/gate.hpp, the pure half: a scanned tree against its metadata, and package names.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "publish/gate.hpp"

using namespace ocx;
using bundle::EntryType;

namespace {
bundle::Entry entry(std::string name, EntryType type, std::uint32_t mode = 0644, std::string link = {}) {
    bundle::Entry e;
    e.name = std::move(name);
    e.type = type;
    e.mode = mode;
    e.link_target = std::move(link);
    return e;
}

metadata::Metadata with_binaries(std::vector<std::string> names) {
    metadata::Metadata m;
    m.binaries = std::move(names);
    return m;
}

const oci::Platform kLinux = *oci::Platform::parse("linux/amd64");
const oci::Platform kWindows = *oci::Platform::parse("windows/amd64");
}  // namespace

TEST_CASE("gate: an empty tree is refused, whatever the metadata") {
    const std::vector<std::string> empty{"the content tree holds no file: an empty package would be published"};
    CHECK(publish::gate_tree({}, nullptr, kLinux) == empty);
    CHECK(publish::gate_tree({entry("a", EntryType::directory, 0755), entry("a/b", EntryType::directory, 0755)}, nullptr,
                             kLinux) == empty);
    CHECK(publish::gate_tree({entry("README", EntryType::file)}, nullptr, kLinux).empty());
}

TEST_CASE("gate: declared binaries in a tree, symlinks followed inside it") {
    const auto m = with_binaries({"tool"});
    const std::vector<bundle::Entry> linked{entry("bin", EntryType::directory, 0755),
                                            entry("bin/tool", EntryType::symlink, 0777, "../libexec/tool-1.0"),
                                            entry("libexec", EntryType::directory, 0755),
                                            entry("libexec/tool-1.0", EntryType::file, 0755)};
    CHECK(publish::gate_tree(linked, &m, kLinux).empty());
    const std::vector<bundle::Entry> dangling{entry("bin", EntryType::directory, 0755),
                                              entry("bin/tool", EntryType::symlink, 0777, "nowhere")};
    CHECK(publish::gate_tree(dangling, &m, kLinux) ==
          std::vector<std::string>{"binary \"tool\" is declared but not in the package's PATH (bin)"});
    const std::vector<bundle::Entry> plain{entry("bin/tool.exe", EntryType::file, 0644)};
    CHECK(publish::gate_tree(plain, &m, kWindows).empty());
    CHECK(publish::gate_tree(plain, &m, kLinux) ==
          std::vector<std::string>{"binary \"tool\" is declared but not in the package's PATH (bin)"});
}

TEST_CASE("gate: a symlinked directory on the way is followed, as the file system does") {
    const auto m = with_binaries({"tool"});
    const std::vector<bundle::Entry> usr{entry("bin", EntryType::symlink, 0777, "usr/bin"),
                                         entry("usr/bin/tool", EntryType::file, 0755)};
    CHECK(publish::gate_tree(usr, &m, kLinux).empty());
    const std::vector<bundle::Entry> loop{entry("bin", EntryType::symlink, 0777, "bin")};
    CHECK(publish::gate_tree(loop, &m, kLinux) ==
          std::vector<std::string>{"binary \"tool\" (bin/tool) is not an executable file"});
}

TEST_CASE("gate: names are looked up where install places them, after strip_components") {
    auto m = with_binaries({"tool"});
    m.strip_components = 1;
    const std::vector<bundle::Entry> upstream{entry("tool-1.0", EntryType::directory, 0755),
                                              entry("tool-1.0/bin/tool", EntryType::file, 0755)};
    CHECK(publish::gate_tree(upstream, &m, kLinux).empty());
    m.strip_components = 0;
    CHECK(publish::gate_tree(upstream, &m, kLinux) ==
          std::vector<std::string>{"binary \"tool\" is declared but not in the package's PATH (bin)"});
}

TEST_CASE("gate: package names are the repository's last segment") {
    CHECK(publish::package_name("registry.example/acme/tool:1.0") == "tool");
    CHECK(publish::package_name("registry.example:5000/acme/tool@sha256:00") == "tool");
    CHECK(publish::package_name("tool:1.0") == "tool");
    CHECK(publish::package_name("acme/tool") == "tool");
    CHECK(publish::package_name("registry.example:5000/tool") == "tool");
}

#include "cli/commands.hpp"

#include <algorithm>
#include <array>

#include "bundle/names.hpp"
#include "util/json.hpp"

namespace ocx::cli {

namespace {

// Registries in examples are placeholders (registry.example); 127.0.0.1 for a local one.
constexpr std::array kCommands{
    Command{"create", "bundle a directory into a deterministic .tar.xz plus its metadata sidecar",
            "create PATH -i REPO:TAG -p PLATFORM [options]", cmd_create,
            "  $ ocx-release create build/linux-amd64 -i mytool:1.4.0 -p linux/amd64 -m metadata.json -o dist\n"
            "  $ ocx-release create build/linux-amd64 -i mytool:1.4.0 -p linux/amd64 -l best -f\n"},
    Command{"push", "push one platform and merge it into the tag's index (OCX `package push`)",
            "push [LAYER...] -i REPO:TAG -p PLATFORM [options]", cmd_push,
            "  $ ocx-release push dist/mytool-1.4.0-linux-amd64.tar.xz -i registry.example/acme/mytool:1.4.0 "
            "-p linux/amd64 -c\n"
            "  $ ocx-release push -n -i 127.0.0.1:5000/acme/mytool:1.4.0 -p linux/amd64 -m metadata.json "
            "mytool.tar.xz\n"
            "  $ ocx-release push -i registry.example/acme/mytool:1.4.1 -p linux/amd64 -m metadata.json "
            "sha256:<hex>.tar.xz:strip=1,prefix=share mytool.tar.xz\n"},
    Command{"release", "bundle, push and tag every platform of a release matrix", "release MATRIX.json [options]",
            cmd_release,
            "  $ ocx-release release release.json --report report.json\n"
            "  $ ocx-release release release.json --tag \"${GITHUB_REF_NAME#v}\" --progress plain\n"
            "  $ ocx-release release release.json --dry-run --offline --format json\n"
            "  $ ocx-release release release.json --shard linux/amd64 --report part-linux-amd64.json\n"
            "  $ ocx-release release release.json --package registry.example/acme/mytool --tag 1.4.0-rc.1\n"},
    Command{"finalize", "merge the reports of sharded releases and write each tag once",
            "finalize MATRIX.json PART.json... [options]", cmd_finalize,
            "  $ ocx-release finalize release.json part-*.json --report report.json\n"
            "  $ ocx-release finalize release.json part-*.json --dry-run\n"
            "  $ ocx-release finalize release.json part-*.json --package registry.example/acme/mytool --replace\n"},
    Command{"verify", "read a release back and check it matches its report", "verify REPORT.json [options]", cmd_verify,
            "  $ ocx-release verify report.json\n"
            "  $ ocx-release verify report.json --deep --format json\n"
            "  $ ocx-release verify old-report.json --tags primary\n"},
    Command{"install", "install one platform of a package into a directory", "install REF -o DIR [options]", cmd_install,
            "  $ ocx-release install registry.example/acme/mytool:1.4.0 -o /opt/mytool\n"
            "  $ ocx-release install oci:./layout:1.4.0 -p linux/arm64 -o out --force\n"},
    Command{"env", "print the environment an installed package declares", "env DIR [options]", cmd_env,
            "  $ ocx-release env /opt/mytool\n"
            "  $ ocx-release env /opt/mytool --format json\n",
            SignalCleanup::none},
    Command{"exec", "run a command inside a package's environment", "exec REF [options] -- CMD [ARG...]", cmd_exec,
            "  $ ocx-release exec registry.example/acme/mytool:1.4.0 -- mytool --version\n"
            "  $ ocx-release exec oci:./layout:1.4.0 -p linux/amd64 -- sh -c 'echo $PATH'\n",
            SignalCleanup::none},
    Command{"ls", "list a package's versions, newest first, with their platforms and rolling tags", "ls REPO [options]",
            cmd_ls,
            "  $ ocx-release ls registry.example/acme/mytool\n"
            "  $ ocx-release ls oci:./layout --format json\n",
            SignalCleanup::none},
    Command{"cascade", "check the rolling tags against the published versions, or repair them",
            "cascade check|repair REPO... [options]", cmd_cascade,
            "  $ ocx-release cascade check registry.example/acme/mytool registry.example/acme/other\n"
            "  $ ocx-release cascade repair registry.example/acme/mytool --dry-run\n"
            "  $ ocx-release cascade repair oci:./layout --format json\n"},
    Command{"copy", "promote a release to another repository, registry or layout, byte for byte", "copy SRC DST [options]",
            cmd_copy,
            "  $ ocx-release copy registry.example/staging/mytool:1.4.0 registry.example/acme/mytool -c\n"
            "  $ ocx-release copy registry.example/acme/mytool:1.4.0 oci:./mirror -p linux/amd64 --dry-run\n"},
    Command{"describe", "write the package's description (README, logo, title) as OCX's __ocx.desc artifact",
            "describe REPO --readme FILE [options]", cmd_describe,
            "  $ ocx-release describe registry.example/acme/mytool --readme README.md --logo logo.svg "
            "--title MyTool --keywords cli,build\n"
            "  $ ocx-release describe oci:./layout --readme README.md --description \"Builds things\"\n"},
};

}  // namespace

std::span<const Command> command_table() { return kCommands; }

const Command* find_command(std::string_view name) {
    for (const auto& c : kCommands)
        if (c.name == name) return &c;
    return nullptr;
}

std::string top_level_help() {
    std::string out =
        "usage: ocx-release <command> [options]\n"
        "\n"
        "Publish multi-platform OCX packages to OCI registries.\n"
        "\n"
        "commands:\n";
    std::size_t width = 0;
    for (const auto& c : kCommands) width = std::max(width, c.name.size());
    for (const auto& c : kCommands) {
        out += "  ";
        out += c.name;
        out.append(width - c.name.size() + 3, ' ');
        out += c.summary;
        out += '\n';
    }
    out +=
        "\n"
        "global options:\n"
        "  -h, --help     show this help (`ocx-release <command> --help` for a command's options)\n"
        "  --version      print the version and exit\n"
        "  -v, -vv        more detail on stderr; -q: errors only (also after the command)\n"
        "\n"
        "`package create` and `package push` are accepted as OCX-style aliases.\n"
        "\n"
        "examples:\n"
        "  $ ocx-release release release.json --report report.json\n"
        "  $ ocx-release verify report.json\n"
        "  $ ocx-release release --help\n";
    return out;
}

std::string unknown_command_message(std::string_view name) {
    std::vector<std::string_view> names;
    names.reserve(kCommands.size());
    for (const auto& c : kCommands) names.push_back(c.name);
    std::string out = "unknown command " + bundle::quote_name(name);
    const std::string near = json::closest(name, names);
    if (near.empty()) return out + "; run `ocx-release --help` for the list";
    out += "; did you mean \"" + near + "\"? Run `ocx-release --help` for the list";
    return out;
}

}  // namespace ocx::cli

#!/usr/bin/env python3
"""Helpers of action/run.sh (standard library only, Python 3.8+ as on every hosted runner).

  summarize.py host MATRIX [--package PACKAGE]
      The registry host of the matrix's package (what OCX_AUTH_<HOST>_* is keyed by), or nothing
      for an oci: layout or an unreadable matrix (the binary reports those itself).

  summarize.py finish --matrix M --report R --stderr E --mode release|shard|finalize [--shard P] [--dry-run]
      After the binary ran: the step outputs (digest, tags, report, report-json) to $GITHUB_OUTPUT,
      a Markdown job summary to $GITHUB_STEP_SUMMARY, and workflow-command annotations on stdout:
      `::error file=<matrix>::<json path>: message` for every validation problem, one per report
      error otherwise, `::notice` for rolling tags a newer version kept in place. Without the
      GITHUB_* files (a plain shell, another CI) the outputs are printed as name=value lines.

  summarize.py json FILE
      For input `command` copy, cascade or ls: that command's --format json output in FILE as the
      step output `json`, compact (empty when FILE holds no JSON: the command failed early).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys

WRITTEN = ("created", "moved", "unchanged")


# -- registry host -------------------------------------------------------------------------------
def registry_host(package: str) -> str:
    """Mirrors oci::Reference::parse: the first path component is a host when it has a '.' or a
    ':' or is localhost or [ipv6]; otherwise OCX_DEFAULT_REGISTRY applies."""
    if not package or package.startswith("oci:"):
        return ""
    first, slash, _ = package.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        return first
    return os.environ.get("OCX_DEFAULT_REGISTRY", "")


def cmd_host(args) -> int:
    if args.package:  # the package input (--package) overrides the matrix's
        print(registry_host(args.package))
        return 0
    try:
        with open(args.matrix, encoding="utf-8") as f:
            package = json.load(f).get("package", "")
    except (OSError, ValueError, AttributeError):
        return 0
    if isinstance(package, str):
        print(registry_host(package))
    return 0


# -- workflow commands ---------------------------------------------------------------------------
def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props) -> str:
    shown = ",".join("%s=%s" % (k, escape_property(str(v))) for k, v in props.items() if v not in (None, ""))
    return "::%s%s::%s" % (name, " " + shown if shown else "", escape_data(message))


def validation_annotation(line: str, matrix: str) -> str | None:
    """`MATRIX:/json/pointer: message` or `MATRIX: message` (e.g. `MATRIX: 3:5: invalid JSON …`)
    as an error annotation on the matrix file; None for a line about something else."""
    if line.startswith("error: "):
        line = line[len("error: "):]
    if not line.startswith(matrix + ":"):
        return None
    rest = line[len(matrix) + 1:]
    props = {"file": matrix}
    if rest.startswith(" "):
        rest = rest[1:]
        m = re.match(r"^(\d+):(\d+): ", rest)
        if m:
            props["line"], props["col"] = m.group(1), m.group(2)
    return command("error", rest, **props)


def annotations(report: dict | None, stderr_text: str, matrix: str) -> list[str]:
    out: list[str] = []
    if report is not None:
        for e in report.get("errors", []):
            message = e.get("message", "")
            if e.get("step") == "validate":
                for line in message.splitlines():
                    a = validation_annotation(line, matrix)
                    out.append(a if a else command("error", line, title="ocx-release: validate"))
            else:
                out.append(command("error", "%s: %s" % (e.get("kind", ""), message),
                                   title="ocx-release: %s" % e.get("step", "")))
        for t in report.get("tags", []):
            if t.get("action") == "blocked":
                out.append(command("notice", "%s not moved: newer version %s holds %s" % (
                    t.get("tag"), ", ".join(t.get("blocked_by", [])) or "?",
                    ", ".join(t.get("platforms", [])) or "these platforms"), title="ocx-release: rolling tag"))
    else:
        # No report (usage error, finalize refusing its parts, …): stderr is all there is.
        current = False
        for line in stderr_text.splitlines():
            if line.startswith("error: "):
                current = True
                a = validation_annotation(line, matrix)
                out.append(a if a else command("error", line[len("error: "):], title="ocx-release"))
            elif current and line.startswith(matrix + ":"):
                out.append(validation_annotation(line, matrix))
            elif current and re.match(r"^[^\s:]+:(/\S*)?: ", line):
                # The next line of a multi-line error about another file ("part.json:/status: …").
                out.append(command("error", line, title="ocx-release"))
            else:
                current = False
    seen, unique = set(), []
    for a in out:
        if a not in seen:
            seen.add(a)
            unique.append(a)
    return unique


# -- outputs -------------------------------------------------------------------------------------
def written_tags(report: dict) -> list[str]:
    """Tags that hold (or, in a plan, would hold) this release; canonical sha256.* tags left out."""
    return [t["tag"] for t in report.get("tags", [])
            if t.get("action") in WRITTEN and t.get("kind") != "canonical"]


def write_outputs(outputs: dict, path: str | None) -> None:
    if not path:
        for k, v in outputs.items():
            if k != "report-json":
                print("%s=%s" % (k, v.replace("\n", ",")))
        return
    with open(path, "a", encoding="utf-8") as f:
        for k, v in outputs.items():
            if "\n" in v or "\r" in v:
                # Multi-line value: a random delimiter that cannot occur in the value.
                while True:
                    delim = "ghadelimiter_" + secrets.token_hex(16)
                    if delim not in v:
                        break
                f.write("%s<<%s\n%s\n%s\n" % (k, delim, v, delim))
            else:
                f.write("%s=%s\n" % (k, v))


# -- job summary ---------------------------------------------------------------------------------
# Cells hold text from outside (registry messages, tags, platform strings): nothing in them may
# become Markdown or HTML. Plain text gets &, <, >, " as entities and each character that means
# something inline (emphasis, code, links and images, strikethrough, math, the cell bar)
# backslash-escaped, as CommonMark allows for any ASCII punctuation; code spans get a fence
# longer than any backtick run inside. Line breaks become <br> (ours) or a space.
_MD_PUNCTUATION = set("!#$()*+[\\]^_`{|}~")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def cell(s) -> str:
    out = []
    for line in str(s).replace("\r", "").split("\n"):
        out.append("".join(_ENTITIES.get(c, "\\" + c if c in _MD_PUNCTUATION else c) for c in line))
    return "<br>".join(out)


def code(s) -> str:
    text = str(s).replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return "%s%s%s%s%s" % (fence, pad, text, pad, fence)


def fenced(lines: list[str]) -> list[str]:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *lines, fence]


def short(d: str | None) -> str:
    return code(d[:19]) if d else "—"


def human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return ("%d %s" % (size, unit)) if unit == "B" else ("%.1f %s" % (size, unit))
        size /= 1024
    return "%d B" % n


def attachment_lines(report: dict) -> list[str]:
    """The SBOMs, signatures and provenance the report lists (docs/cli.md "Supply chain")."""
    attachments = report.get("attachments") or []
    if not attachments:
        return []
    lines = ["| Attached | To | Signed | Referrer | Action |", "| --- | --- | --- | --- | --- |"]
    for a in attachments:
        lines.append("| %s | %s | %s | %s | %s |" % (cell(a.get("kind", "")), code(a.get("platform") or "index"),
                                                    "yes" if a.get("signed") else "no", short(a.get("digest")),
                                                    cell(a.get("action", ""))))
    return lines + [""]


def subjects(report: dict | None) -> list[str]:
    """`<registry>/<repo>@<digest>` of the index, then of every platform manifest: what
    actions/attest-build-provenance (subject-name, subject-digest) and `cosign sign` take."""
    if not report or not report.get("index") or report.get("dry_run"):
        return []
    name = report.get("package", "")
    out = ["%s@%s" % (name, report["index"]["digest"])]
    out += ["%s@%s" % (name, p["manifest"]["digest"]) for p in report.get("platforms", [])]
    return out


def summary(report: dict | None, args, rc: int, stderr_text: str) -> str:
    lines: list[str] = []
    if report is None:
        what = {"finalize": "finalize", "shard": "shard %s" % (args.shard or "")}.get(args.mode, "release")
        lines.append("## ocx-release %s: failed (exit %d)" % (what, rc))
        lines.append("")
        errs = [line for line in stderr_text.splitlines() if line.strip()][-20:]
        if errs:
            lines += fenced(errs)
        return "\n".join(lines) + "\n"

    # A matrix that could not be read leaves package (and maybe tag) empty: name the file instead.
    ref = "%s:%s" % (report["package"], report.get("tag", "")) if report.get("package") else args.matrix
    status = report.get("status", "?")
    if report.get("dry_run"):
        title = "Dry run"
        if args.mode == "shard":
            title += " (shard %s)" % args.shard
        elif args.mode == "finalize":
            title += " (finalize)"
        lines.append("## %s: %s — %s" % (cell(title), code(ref), cell(status)))
        lines.append("")
        lines.append("> Nothing was written%s. These are the digests and tag moves a release would make." %
                     (" and the registry was not read" if report.get("offline") else ""))
    else:
        what = {"shard": "shard %s" % args.shard, "finalize": "finalize"}.get(args.mode, "release")
        lines.append("## ocx-release %s: %s — %s" % (cell(what), code(ref), cell(status)))
    lines.append("")
    index = report.get("index")
    if index:
        lines.append("Index %s (%s)" % (code(index["digest"]), human(index["size"])))
        lines.append("")

    platforms = report.get("platforms", [])
    if platforms:
        lines += ["| Platform | Manifest digest | Size |", "| --- | --- | --- |"]
        for p in platforms:
            layers = p.get("layers") or ([p["archive"]] if p.get("archive") else [])
            size = human(sum(a["size"] for a in layers)) if layers else "—"
            lines.append("| %s | %s | %s |" % (code(p["platform"]), code(p["manifest"]["digest"]), size))
        lines.append("")

    tags = report.get("tags", [])
    if tags:
        lines += ["| Tag | Before → After | Action |", "| --- | --- | --- |"]
        for t in tags:
            action = t.get("action", "")
            if action == "blocked" and t.get("blocked_by"):
                action += " by " + ", ".join(t["blocked_by"])
            if t.get("reason"):
                action += " (%s)" % t["reason"]
            lines.append("| %s | %s → %s | %s |" % (code(t["tag"]), short(t.get("before")), short(t.get("after")),
                                                    cell(action)))
        lines.append("")

    lines += attachment_lines(report)

    errors = report.get("errors", [])
    if errors:
        lines += ["### Errors", "", "| Step | Kind | Message |", "| --- | --- | --- |"]
        for e in errors:
            lines.append("| %s | %s | %s |" % (cell(e.get("step", "")), cell(e.get("kind", "")),
                                               cell(e.get("message", ""))))
        lines.append("")
    return "\n".join(lines) + "\n"


def cmd_finish(args) -> int:
    report = None
    report_json = ""
    try:
        with open(args.report, encoding="utf-8") as f:
            report = json.load(f)
        report_json = json.dumps(report, separators=(",", ":"))
    except (OSError, ValueError):
        report = None
    try:
        with open(args.stderr, encoding="utf-8", errors="replace") as f:
            stderr_text = f.read()
    except OSError:
        stderr_text = ""

    for a in annotations(report, stderr_text, args.matrix):
        print(a)

    outputs = {
        "digest": (report or {}).get("index", {}).get("digest", "") if (report or {}).get("index") else "",
        "tags": "\n".join(written_tags(report)) if report else "",
        "report": args.report if report is not None else "",
        "report-json": report_json,
        "subject-name": (report or {}).get("package", "") if subjects(report) else "",
        "subject-digest": subjects(report)[0].rsplit("@", 1)[1] if subjects(report) else "",
        "subjects": "\n".join(subjects(report)),
    }
    write_outputs(outputs, os.environ.get("GITHUB_OUTPUT"))

    text = summary(report, args, args.rc, stderr_text)
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


def cmd_json(args) -> int:
    try:
        with open(args.file, encoding="utf-8") as f:
            value = json.dumps(json.load(f), separators=(",", ":"))
    except (OSError, ValueError):
        value = ""
    write_outputs({"json": value}, os.environ.get("GITHUB_OUTPUT"))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="summarize.py")
    sub = parser.add_subparsers(dest="command", required=True)
    h = sub.add_parser("host")
    h.add_argument("matrix")
    h.add_argument("--package", default="")
    f = sub.add_parser("finish")
    f.add_argument("--matrix", required=True)
    f.add_argument("--report", required=True)
    f.add_argument("--stderr", required=True)
    f.add_argument("--mode", choices=["release", "shard", "finalize"], default="release")
    f.add_argument("--shard", default="")
    f.add_argument("--rc", type=int, default=0)
    j = sub.add_parser("json")
    j.add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "json":
        return cmd_json(args)
    return cmd_host(args) if args.command == "host" else cmd_finish(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

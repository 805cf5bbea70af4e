"""The include graph between the folders of src/ keeps the direction docs/architecture.md states
(issue 18, item 2).

The rows are read from the "Dependency direction" table of docs/architecture.md itself, so the
page and this test cannot drift apart: a folder may include headers of folders in rows below its
own only. Every `#include "<folder>/..."` line under src/ is an edge; an edge to the same or a
higher row fails and is named by file and line, and so is any cycle among the folders (reported
on its own, so that a table edited into an inconsistent shape still shows the loop). A folder of
src/ missing from the table fails too: a new folder needs its row.

No binary is needed; the checks run on the source tree (OCX_SOURCE_DIR, else this checkout).
"""

from __future__ import annotations

import os
import re
import tempfile
import unittest
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("OCX_SOURCE_DIR") or Path(__file__).resolve().parents[2])

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_0-9]+)/')
SECTION = "## Dependency direction"


def read_rows(architecture_md: str, folders: set[str]) -> dict[str, int]:
    """Folder -> row number from the table under the "Dependency direction" heading. A row's
    cell names its folders in backticks; other backticked words in the cell (explanations) are
    not folders of src/ and are ignored."""
    start = architecture_md.find(SECTION)
    if start < 0:
        raise ValueError(f'docs/architecture.md: no "{SECTION}" section')
    rows: dict[str, int] = {}
    in_table = False
    for line in architecture_md[start:].splitlines()[1:]:
        if line.startswith("## "):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) == 2 and cells[0] == "row":
            in_table = True
            continue
        if not in_table:
            continue
        if not cells:
            break
        if not cells[0].isdigit():
            continue  # the |---|---| separator
        for name in re.findall(r"`([a-z_0-9]+)`", cells[1]):
            if name in folders:
                if name in rows:
                    raise ValueError(f"docs/architecture.md: folder {name!r} is in rows {rows[name]} and {cells[0]}")
                rows[name] = int(cells[0])
    if not rows:
        raise ValueError(f'docs/architecture.md: no rows table under "{SECTION}"')
    return rows


def src_folders(src: Path) -> set[str]:
    return {p.name for p in src.iterdir() if p.is_dir()}


def include_edges(src: Path) -> list[tuple[str, str, str, int]]:
    """(from folder, to folder, file relative to src/, line number) for every include of another
    folder's header."""
    edges = []
    for folder in sorted(src_folders(src)):
        for path in sorted((src / folder).rglob("*")):
            if path.suffix not in (".hpp", ".cpp", ".h"):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                m = INCLUDE.match(line)
                if m and m.group(1) != folder and (src / m.group(1)).is_dir():
                    edges.append((folder, m.group(1), path.relative_to(src).as_posix(), number))
    return edges


def wrong_way(edges, rows: dict[str, int]) -> list[str]:
    problems = []
    for source, target, file, line in edges:
        if source not in rows or target not in rows:
            continue  # reported by missing_rows
        if rows[target] <= rows[source]:
            problems.append(
                f"src/{file}:{line}: {source} (row {rows[source]}) includes {target} (row {rows[target]}); "
                f"a folder may include only folders in rows below its own (docs/architecture.md)")
    return problems


def missing_rows(folders: set[str], rows: dict[str, int]) -> list[str]:
    return [f"src/{f}/ has no row in the docs/architecture.md dependency table" for f in sorted(folders - rows.keys())]


def cycles(edges) -> list[str]:
    """Each strongly connected component of more than one folder (Tarjan), with the include
    lines that close it."""
    graph: dict[str, set[str]] = {}
    for source, target, _, _ in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    problems = []
    for component in components:
        lines = [f"src/{file}:{line} ({s} -> {t})" for s, t, file, line in edges if s in component and t in component]
        problems.append(f"folders {', '.join(sorted(component))} include each other: " + "; ".join(lines))
    return problems


def check(source_dir: Path) -> list[str]:
    src = source_dir / "src"
    folders = src_folders(src)
    rows = read_rows((source_dir / "docs" / "architecture.md").read_text(encoding="utf-8"), folders)
    edges = include_edges(src)
    return missing_rows(folders, rows) + wrong_way(edges, rows) + cycles(edges)


class TestFolderGraph(unittest.TestCase):
    def test_src_keeps_the_documented_direction(self):
        problems = check(SOURCE_DIR)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_the_table_names_every_row(self):
        text = (SOURCE_DIR / "docs" / "architecture.md").read_text(encoding="utf-8")
        rows = read_rows(text, src_folders(SOURCE_DIR / "src"))
        # The folders the page's prose relies on, at the ends of the order.
        self.assertEqual(rows["cli"], min(rows.values()))
        self.assertEqual(rows["util"], max(rows.values()))
        self.assertLess(rows["store"], rows["oci"])
        self.assertLess(rows["registry"], rows["store"])


ARCH = """# Architecture

## Dependency direction

| row | folders |
|---|---|
| 1 | `top` |
| 2 | `mid` (the `Thing` interface), `side` |
| 3 | `low` |

## Next
| row | folders |
| 1 | `low` |
"""


class TestChecker(unittest.TestCase):
    """The checker itself, on small trees: it must fail where the real tree would be wrong."""

    def tree(self, files: dict[str, str], arch: str = ARCH) -> Path:
        root = Path(self.enterContext(tempfile.TemporaryDirectory()))  # type: ignore[attr-defined]
        (root / "docs").mkdir()
        (root / "docs" / "architecture.md").write_text(arch, encoding="utf-8")
        for name, text in files.items():
            (root / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "src" / name).write_text(text, encoding="utf-8")
        return root

    def setUp(self):
        if not hasattr(self, "enterContext"):  # Python < 3.11
            def enter(cm):
                value = cm.__enter__()
                self.addCleanup(cm.__exit__, None, None, None)
                return value
            self.enterContext = enter

    def test_rows_come_from_the_section_only(self):
        rows = read_rows(ARCH, {"top", "mid", "side", "low"})
        self.assertEqual(rows, {"top": 1, "mid": 2, "side": 2, "low": 3})

    def test_downward_edges_pass(self):
        root = self.tree({"top/a.cpp": '#include "mid/b.hpp"\n#include "top/a.hpp"\n',
                          "mid/b.hpp": '#include "low/c.hpp"\n#include <vector>\n', "side/x.hpp": "",
                          "low/c.hpp": ""})
        self.assertEqual(check(root), [])

    def test_a_wrong_way_edge_is_named_by_file_and_line(self):
        root = self.tree({"top/a.cpp": "", "mid/b.hpp": "", "side/x.hpp": "",
                          "low/c.hpp": '// comment\n#include "mid/b.hpp"\n'})
        self.assertEqual(check(root), [
            "src/low/c.hpp:2: low (row 3) includes mid (row 2); a folder may include only folders in rows "
            "below its own (docs/architecture.md)"])

    def test_same_row_edge_fails(self):
        root = self.tree({"top/a.cpp": "", "mid/b.hpp": '#include "side/x.hpp"\n', "side/x.hpp": "",
                          "low/c.hpp": ""})
        self.assertEqual(check(root), [
            "src/mid/b.hpp:1: mid (row 2) includes side (row 2); a folder may include only folders in rows "
            "below its own (docs/architecture.md)"])

    def test_a_cycle_is_reported_with_its_lines(self):
        root = self.tree({"top/a.cpp": "", "mid/b.hpp": '#include "low/c.hpp"\n', "side/x.hpp": "",
                          "low/c.hpp": '#include "mid/b.hpp"\n'})
        problems = check(root)
        self.assertIn("folders low, mid include each other: src/low/c.hpp:1 (low -> mid); "
                      "src/mid/b.hpp:1 (mid -> low)", problems)
        self.assertIn("src/low/c.hpp:1: low (row 3) includes mid (row 2); a folder may include only folders "
                      "in rows below its own (docs/architecture.md)", problems)

    def test_a_folder_without_a_row_fails(self):
        root = self.tree({"top/a.cpp": "", "mid/b.hpp": "", "side/x.hpp": "", "low/c.hpp": "",
                          "extra/d.cpp": '#include "low/c.hpp"\n'})
        self.assertEqual(check(root), ["src/extra/ has no row in the docs/architecture.md dependency table"])

    def test_a_page_without_the_table_is_an_error(self):
        root = self.tree({"top/a.cpp": ""}, arch="# Architecture\n\nNo table.\n")
        with self.assertRaisesRegex(ValueError, 'no "## Dependency direction" section'):
            check(root)


if __name__ == "__main__":
    unittest.main()

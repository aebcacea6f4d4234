"""The book's chapters and their paired notebooks: listing, syncing and comparing.

Each chapter is written as a MyST Markdown notebook (``chapters/NN_name.md``, the source) and
paired with an output-free ``.ipynb`` beside it, for Colab and nbval. ``python tools/chapters.py
sync`` rewrites every ``.ipynb`` from its ``.md``; the tests use the same functions to check
that the pairs agree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent


def toc_files(root: Path = ROOT) -> list[str]:
    """Every file named in ``_toc.yml`` (without extension), in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
            files.extend(section["file"] for section in chapter.get("sections", []))
    return files


def chapter_sources(root: Path = ROOT) -> list[Path]:
    """The ``.md`` source of every chapter in ``_toc.yml`` that lives in ``chapters/``."""
    return [root / f"{name}.md" for name in toc_files(root) if name.startswith("chapters/")]


def repository_url(root: Path = ROOT) -> str:
    """The repository address, defined once in ``_config.yml``."""
    return yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"]


def notebook_from_source(source: Path) -> nbformat.NotebookNode:
    """The output-free notebook a chapter's ``.md`` defines, with stable cell ids."""
    notebook = jupytext.read(source)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:03d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def cell_contents(notebook: nbformat.NotebookNode) -> list[tuple[str, str, tuple[str, ...]]]:
    """What a reader and nbval see of each cell: its type, source and tags."""
    return [
        (cell.cell_type, cell.source.strip(), tuple(cell.metadata.get("tags", [])))
        for cell in notebook.cells
    ]


def sync(root: Path = ROOT) -> list[Path]:
    """Write every chapter's ``.ipynb`` from its ``.md``; return the notebooks written."""
    written = []
    for source in chapter_sources(root):
        target = source.with_suffix(".ipynb")
        nbformat.write(notebook_from_source(source), target)
        written.append(target)
    return written


def colab_url(source: Path, root: Path = ROOT) -> str:
    """The Colab address that opens a chapter's paired notebook from the repository."""
    repository = repository_url(root).removeprefix("https://github.com/")
    notebook = source.with_suffix(".ipynb").relative_to(root).as_posix()
    return f"https://colab.research.google.com/github/{repository}/blob/main/{notebook}"


def chapter_number(source: Path) -> int | None:
    """The number the chapter map gives a chapter, from its file name (``05_cyclical`` is 5);
    None for a page outside the numbered chapters (an appendix)."""
    match = re.match(r"(\d+)_", source.name)
    return int(match.group(1)) if match else None


def rendered_number(html: str) -> int | None:
    """The number Sphinx printed before a page's title, None if it printed none."""
    match = re.search(r'<h1><span class="section-number">(\d+)\. </span>', html)
    return int(match.group(1)) if match else None


def check_build(root: Path = ROOT) -> list[str]:
    """Problems in the built HTML: a chapter page missing, its Colab button not on its .ipynb,
    or its rendered number not the one of the chapter map (its file name)."""
    problems = []
    for source in chapter_sources(root):
        page = root / "_build" / "html" / source.relative_to(root).with_suffix(".html")
        if not page.exists():
            problems.append(f"{page.relative_to(root)} was not built")
            continue
        html = page.read_text()
        if colab_url(source, root) not in html:
            problems.append(f"{page.relative_to(root)}: no Colab button for its .ipynb")
        if rendered_number(html) != chapter_number(source):
            problems.append(
                f"{page.relative_to(root)} is numbered {rendered_number(html)}, "
                f"the chapter map says {chapter_number(source)}"
            )
    return problems


if __name__ == "__main__":
    command = sys.argv[1:]
    if command == ["sync"]:
        for path in sync():
            print(f"wrote {path.relative_to(ROOT)}")
    elif command == ["check-build"]:
        problems = check_build()
        for problem in problems:
            print(problem, file=sys.stderr)
        sys.exit(1 if problems else 0)
    else:
        sys.exit("usage: python tools/chapters.py sync | check-build")

"""The API reference (api.md): every public name has a docstring with a formula and an example
that runs, an entry on the page, and a link from the first chapter passage that uses it."""

from __future__ import annotations

import doctest
import inspect
import re
from pathlib import Path

import keras
import numpy as np
import pytest

import lrbook

ROOT = Path(__file__).resolve().parent.parent
API_PAGE = ROOT / "api.md"
PUBLIC = sorted(lrbook.__all__)
MATH = re.compile(r":math:`[^`]+`|^\s*\.\. math::", re.M)
EXAMPLE = re.compile(r"^\s*>>> ", re.M)
ROLE = re.compile(r"\{py:(\w+)\}`([^`]+)`")
CODE_SPAN = re.compile(r"(\{py:\w+\})?(`+)(.+?)\2")
CODE_DIRECTIVE = re.compile(r"\{(code-cell|code-block|code|eval-rst)\}")


# --- docstrings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_has_a_docstring_with_formula_and_example(name):
    doc = inspect.getdoc(getattr(lrbook, name)) or ""
    assert doc.strip(), f"lrbook.{name} has no docstring"
    assert MATH.search(doc), f"lrbook.{name}: the docstring states no formula (:math: or .. math::)"
    assert EXAMPLE.search(doc), f"lrbook.{name}: the docstring has no example (>>>)"


def _documented_members(entry: str) -> list[str]:
    """The members an ``autoclass`` entry of api.md lists in ``:members:``."""
    return API_ENTRIES.get(entry, [])


def _api_entries(text: str) -> dict[str, list[str]]:
    """Every ``auto*`` directive of a page: documented name -> members listed (``[]`` if none;
    ``["*"]`` for a bare ``:members:``)."""
    entries: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        directive = re.match(r"^\s*\.\. auto(?:function|class|module|data|method)::\s*(\S+)", line)
        if directive:
            current = directive.group(1)
            entries[current] = []
            continue
        members = re.match(r"^\s+:members:\s*(.*)$", line)
        if members and current is not None:
            listed = [m.strip() for m in members.group(1).split(",") if m.strip()]
            entries[current] = listed or ["*"]
        elif line.strip() and not line.startswith(" "):
            current = None
    return entries


API_ENTRIES = _api_entries(API_PAGE.read_text())


def _public_members(cls: type) -> list[str]:
    """The methods and properties a user calls: defined in the class itself, not private, with
    Keras' callback hooks and the serialisation protocol left out."""
    hooks = re.compile(r"^(on_\w+|set_model|set_params|get_config|from_config)$")
    return [
        name
        for name, value in vars(cls).items()
        if not name.startswith("_")
        and not hooks.match(name)
        and (callable(value) or isinstance(value, (property, classmethod, staticmethod)))
        and not isinstance(value, type)
    ]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_has_an_entry_in_the_api_page(name):
    assert f"lrbook.{name}" in API_ENTRIES, f"api.md has no autodoc entry for lrbook.{name}"
    obj = getattr(lrbook, name)
    if inspect.isclass(obj) and obj.__module__.startswith("lrbook"):
        listed = _documented_members(f"lrbook.{name}")
        missing = [m for m in _public_members(obj) if m not in listed and listed != ["*"]]
        assert not missing, f"api.md: lrbook.{name} does not list members {missing}"
        for member in listed:
            doc = inspect.getdoc(getattr(obj, member)) or ""
            assert doc.strip(), f"lrbook.{name}.{member} is listed in api.md but has no docstring"
            assert EXAMPLE.search(doc), f"lrbook.{name}.{member}: the docstring has no example"


def test_api_page_is_in_the_table_of_contents():
    from tools.chapters import toc_files

    assert "api" in toc_files()


def test_api_page_entries_import():
    """A name on the page that no longer exists would only show up as a build warning."""
    import importlib

    for entry in API_ENTRIES:
        module, _, attribute = entry.rpartition(".")
        try:
            importlib.import_module(entry)
        except ImportError:
            assert hasattr(importlib.import_module(module), attribute), f"api.md: no {entry}"


# --- the examples run -------------------------------------------------------------------------


def _example_groups() -> list[tuple[str, list[doctest.DocTest]]]:
    """Per public name, its doctests: the name's own first, then its members', which continue
    it (they share one namespace)."""
    finder = doctest.DocTestFinder()
    groups = []
    for name in PUBLIC:
        tests = [t for t in finder.find(getattr(lrbook, name), f"lrbook.{name}") if t.examples]
        tests.sort(key=lambda t: (t.name != f"lrbook.{name}", t.lineno or 0))
        groups.append((name, tests))
    return groups


@pytest.mark.parametrize(("name", "tests"), _example_groups(), ids=PUBLIC)
def test_docstring_examples_run(name, tests, tmp_path, monkeypatch):
    assert tests, f"lrbook.{name} has no example to run"
    monkeypatch.chdir(tmp_path)  # nothing an example writes lands in the repository
    globs = {"keras": keras, "np": np, "lrbook": lrbook}
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    report = []
    for test in tests:
        test.globs = globs
        runner.run(test, out=report.append, clear_globs=False)
    assert runner.failures == 0, "".join(report)


# --- chapter links --------------------------------------------------------------------------------


def prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines of a MyST chapter a reader reads as text: not the front matter, not code cells
    nor other code blocks (directives such as exercises and admonitions hold prose)."""
    lines = text.splitlines()
    start = lines.index("---", 1) + 1 if lines and lines[0] == "---" else 0
    prose, fence, directives = [], None, []
    for number, line in enumerate(lines[start:], start + 1):
        if fence is not None:  # inside code: only its closing fence matters
            fence = None if line.strip() == fence else fence
            continue
        if directives and line.strip() == directives[-1]:  # a directive's closing fence
            directives.pop()
            continue
        opening = re.match(r"^\s*(`{3,}|~{3,}|:{3,})(.*)$", line)
        if opening:
            info = opening.group(2).strip()
            if not info.startswith("{") or CODE_DIRECTIVE.match(info):
                fence = opening.group(1)
            else:
                directives.append(opening.group(1))
            continue
        prose.append((number, line))
    return prose


def first_uses(text: str) -> dict[str, tuple[int, str]]:
    """For each lrbook public name (and ``Name.member``) a chapter's prose uses as code, the
    first use: its line and the code span or role that holds it."""
    found: dict[str, tuple[int, str]] = {}
    for number, line in prose_lines(text):
        for span in CODE_SPAN.finditer(line):
            code = span.group(3)
            if span.group(1):  # a role: `title <target>` or `target`
                target = re.search(r"<([^>]+)>\s*$", code)
                code = target.group(1) if target else code.lstrip("~")
            for name in PUBLIC:
                use = re.search(rf"(?<![\w.])(?:lrbook\.)?{name}(\.\w+)?\b", code)
                if use and not re.search(rf"\w\.{name}\b", code.replace(f"lrbook.{name}", "")):
                    member = use.group(1)
                    for key in [name] + ([name + member] if member else []):
                        found.setdefault(key, (number, span.group(0)))
    return found


CHAPTER_PAGES = sorted((ROOT / "chapters").glob("*.md"))


@pytest.mark.parametrize("source", CHAPTER_PAGES, ids=[p.stem for p in CHAPTER_PAGES])
def test_chapters_link_the_first_use_of_each_name(source):
    """The first time a chapter's text names an lrbook class or function (as code), it is a
    link to its entry: a fully qualified ``{py:...}`` role."""
    unlinked = []
    for name, (line, span) in first_uses(source.read_text()).items():
        role = ROLE.match(span)
        target = None
        if role:
            target = re.search(r"<([^>]+)>\s*$", role.group(2))
            target = target.group(1) if target else role.group(2).lstrip("~")
        # a link to a member's entry also introduces its class: `SGDR.cycle_ends` -> SGDR
        linked = target == f"lrbook.{name}" or (
            "." not in name and str(target).startswith(f"lrbook.{name}.")
        )
        if not linked:
            unlinked.append(f"line {line}: {span}  (want {{py:...}}`lrbook.{name}`)")
    assert not unlinked, f"{source.name}, first uses not linked:\n" + "\n".join(unlinked)


@pytest.mark.parametrize("source", CHAPTER_PAGES, ids=[p.stem for p in CHAPTER_PAGES])
def test_chapter_links_point_at_documented_entries(source):
    kinds = {"func": "function", "class": "class", "meth": "method", "attr": "attribute"}
    for _, line in prose_lines(source.read_text()):
        for kind, body in ROLE.findall(line):
            target = re.search(r"<([^>]+)>\s*$", body)
            target = (target.group(1) if target else body).lstrip("~").removesuffix("()")
            if not target.startswith("lrbook."):
                continue
            assert kind in kinds, f"{source.name}: unknown role py:{kind} for {target}"
            parts = target.split(".")
            owner = f"lrbook.{parts[1]}"
            assert parts[1] in lrbook.__all__, f"{source.name}: {target} is not a public name"
            assert owner in API_ENTRIES, f"{source.name}: {target} has no entry in api.md"
            if len(parts) == 3:
                listed = _documented_members(owner)
                assert parts[2] in listed or listed == ["*"], (
                    f"{source.name}: {target} is not listed under {owner} in api.md"
                )


def test_prose_lines_skip_code():
    text = (
        "---\nfront: matter\n---\n# T\n\n```{code-cell} ipython3\nlrbook.SGDR\n```\n\nText.\n"
        ":::{admonition} A\nInside.\n:::\n```python\nlr_find\n```\nEnd.\n"
    )
    prose = ["# T", "", "", "Text.", "Inside.", "End."]
    assert [line for _, line in prose_lines(text)] == prose
    assert first_uses("Use `lrbook.SGDR(0, 1, 4)` and `x.SGDR`, then {py:class}`lrbook.SGDR`.") == {
        "SGDR": (1, "`lrbook.SGDR(0, 1, 4)`")
    }


def test_every_book_module_is_on_the_api_page():
    """The book's helpers are documented module by module (the library by its public names):
    a new module under lrbook/book, a plot module say, gets its line on the API page."""
    page = (ROOT / "api.md").read_text()
    for path in sorted((ROOT / "lrbook" / "book").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if module == "lrbook.book":
            continue
        assert f"automodule:: {module}\n" in page, f"api.md does not document {module}"

"""Checks on the book's sources: table of contents, paired notebooks, Colab cells, citations."""

import json
import re

import nbformat
import pytest

from tools.chapters import (
    ROOT,
    cell_contents,
    chapter_sources,
    colab_url,
    notebook_from_source,
    repository_url,
    toc_files,
)

CHAPTERS = chapter_sources()
CHAPTER_IDS = [path.stem for path in CHAPTERS]


def test_toc_lists_existing_pages():
    for name in toc_files():
        assert (ROOT / f"{name}.md").exists(), f"_toc.yml names {name}, which has no .md"


def test_every_chapter_file_is_in_the_toc():
    listed = {path.name for path in CHAPTERS}
    on_disk = {path.name for path in (ROOT / "chapters").glob("*.md")}
    assert on_disk == listed, f"chapters not in _toc.yml: {sorted(on_disk - listed)}"
    assert CHAPTERS, "the book has no chapters"


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_chapter_is_a_myst_notebook(source):
    front_matter = source.read_text().split("---")[1]
    assert "jupytext:" in front_matter, f"{source.name}: front matter lacks the jupytext block"
    assert "formats: ipynb,md:myst" in front_matter, f"{source.name} is not paired with ipynb"
    assert "kernelspec:" in front_matter


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_paired_notebook_matches_source(source):
    paired = source.with_suffix(".ipynb")
    assert paired.exists(), f"{paired.name} is missing: run `make sync`"
    notebook = nbformat.read(paired, as_version=4)
    assert cell_contents(notebook) == cell_contents(notebook_from_source(source)), (
        f"{paired.name} differs from {source.name}: run `make sync`"
    )


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_paired_notebook_has_no_outputs(source):
    notebook = json.loads(source.with_suffix(".ipynb").read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{source.stem}.ipynb holds outputs: run `make sync`"
            assert cell["execution_count"] is None
    assert "widgets" not in notebook["metadata"]


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_first_code_cell_installs_lrbook_only_in_colab(source):
    code = [cell for cell in notebook_from_source(source).cells if cell.cell_type == "code"]
    first = code[0].source
    assert 'if "google.colab" in sys.modules:' in first
    installs = [line.strip() for line in first.splitlines() if "pip install" in line]
    assert installs == [f'%pip install --quiet "lrbook[book] @ git+{repository_url()}"'], installs


def test_readme_uses_the_configured_repository():
    readme = (ROOT / "README.md").read_text()
    assert f"git+{repository_url()}" in readme
    for source in CHAPTERS:
        assert colab_url(source) in readme, f"README has no Colab link for {source.name}"


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_citations_exist_in_bibliography(source):
    keys = set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), re.M))
    cited = re.findall(r"\{cite[pt]?\}`([^`]+)`", source.read_text())
    assert cited, f"{source.name} cites nothing"
    for group in cited:
        for key in group.split(","):
            assert key.strip() in keys, f"{source.name} cites unknown key {key!r}"


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_chapter_has_summary_exercises_and_checked_claims(source):
    text = source.read_text()
    assert re.search(r"^## Summary", text, re.M), f"{source.name} has no Summary"
    assert re.search(r"^## Exercises", text, re.M), f"{source.name} has no Exercises"
    assert text.count("```{exercise}") >= 3, f"{source.name} has fewer than 3 exercises"
    assert text.count("```{solution-start}") == text.count("```{exercise}")
    hidden_checks = [
        cell
        for cell in notebook_from_source(source).cells
        if "remove-cell" in cell.metadata.get("tags", []) and "assert" in cell.source
    ]
    assert hidden_checks, f"{source.name} checks none of its claims"


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_training_is_quiet(source):
    """`fit` with verbose=1 writes a progress bar line per update into the rendered page."""
    for call in re.findall(r"\.fit\((.*?)\)\n", source.read_text(), re.S):
        assert re.search(r"verbose\s*=\s*[02]\b", call), f"{source.name}: fit without verbose=0/2"


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_visible_code_fits_the_page(source):
    """Code a reader sees is at most 76 characters wide, so the page never scrolls sideways."""
    for cell in notebook_from_source(source).cells:
        if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", []):
            for line in cell.source.splitlines():
                assert len(line) <= 76, f"{source.name}: code line over 76 characters: {line}"


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_headings_are_not_numbered_by_hand(source):
    """Jupyter Book numbers sections itself; a hand-written "1. " would print as "2.3.1. 1. "."""
    numbered = re.findall(r"^#+ \d+\.\s.*$", source.read_text(), re.M)
    assert not numbered, f"{source.name}: headings numbered by hand: {numbered}"


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_every_explorer_says_how_to_use_it_live(source):
    """An explorer's cell is tagged `explorer` (the HTML shows its default figure, and the
    browser test finds it by the tag), right after a "Live explorer" note with a link that opens
    this chapter in Colab."""
    cells = notebook_from_source(source).cells
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or not re.search(r"\w+_explorer\(", cell.source):
            continue
        assert "explorer" in cell.metadata.get("tags", []), (
            f"{source.name}: an explorer cell is not tagged explorer:\n{cell.source}"
        )
        before = cells[index - 1]
        assert before.cell_type == "markdown" and ":class: tip live-explorer" in before.source, (
            f"{source.name}: no Live explorer note right before:\n{cell.source}"
        )
        assert f"]({colab_url(source)})" in before.source, (
            f"{source.name}: the Live explorer note does not link to {colab_url(source)}"
        )


def test_readme_links_every_chapter_and_its_images_exist():
    readme = (ROOT / "README.md").read_text()
    for source in CHAPTERS:
        page = source.relative_to(ROOT).with_suffix(".html").as_posix()
        assert f"(_build/html/{page})" in readme, f"README.md does not link {page}"
        assert f"({colab_url(source)})" in readme, f"README.md does not link {colab_url(source)}"
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme):
        assert (ROOT / image).is_file(), f"README.md shows {image}, which does not exist"


def prose_blocks(markdown: str) -> list[str]:
    """The paragraphs and list items of a Markdown text: fenced code, directive fences, display
    maths and tables left out."""
    blocks, current, fences, in_maths = [], [], [], False
    for line in markdown.splitlines() + [""]:
        stripped = line.strip()
        if stripped.startswith("```"):  # a bare ``` closes the innermost fence, else one opens
            if stripped == "```" and fences:
                fences.pop()
            else:
                fences.append(stripped)
        # Inside a directive ({exercise}, {solution-start}) is prose; inside a code block is not.
        in_code = any(not fence.startswith("```{") for fence in fences)
        fence = stripped.startswith(("```", ":::", ":label:", ":class:", ":tags:", "#", "|"))
        if stripped == "$$" or (stripped.startswith("$$") and not stripped.endswith("$$")):
            in_maths = not in_maths
            fence = True
        item = re.match(r"([*-]|\d+\.) ", stripped)
        if not stripped or fence or in_code or in_maths or item:
            if current:
                blocks.append(" ".join(current))
            current = [stripped] if item and not (in_code or in_maths) else []
            continue
        current.append(stripped)
    return blocks


PAGES = [*CHAPTERS, ROOT / "intro.md"]


def markdown_of(page):
    if page.parent.name != "chapters":
        return page.read_text()
    cells = notebook_from_source(page).cells
    return "\n\n".join(cell.source for cell in cells if cell.cell_type == "markdown")


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_paragraphs_are_short(page):
    """A paragraph (or list item) a learner reads in one go: at most 130 words."""
    long = [
        f"{len(block.split())} words: {block[:70]}..."
        for block in prose_blocks(markdown_of(page))
        if len(block.split()) > 130
    ]
    assert not long, f"{page.name}: paragraphs over 130 words:\n" + "\n".join(long)


UNLINKED_CHAPTER = re.compile(
    r"\b(previous|next|last|first|earlier|later|following) chapter\b"
    r"|\bchapters? \d|\bchapter on\b|\bappendix\b",
    re.I,
)


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_other_chapters_are_named_by_links(page):
    """ "The next chapter", "chapter 6" or "the appendix" in the prose is a link to that page."""
    unlinked = []
    for block in prose_blocks(markdown_of(page)):
        text = re.sub(r"\{(doc|ref|numref)\}`[^`]*`|\[[^\]]*\]\([^)]*\)", "", block)
        unlinked += [
            f"{found.group(0)!r} in: {block[:90]}..." for found in UNLINKED_CHAPTER.finditer(text)
        ]
    assert not unlinked, f"{page.name}: not links:\n" + "\n".join(unlinked)


def test_prose_blocks_split_paragraphs_items_and_skip_code():
    text = "One two.\nThree.\n\n* item a\n* item b\ncontinued\n\n```python\nx = 1\n```\n$$\na\n$$\n"
    assert prose_blocks(text) == ["One two. Three.", "* item a", "* item b continued"]
    directive = "```{exercise}\n:label: e\n\nAsk.\n```\n\nAfter the exercise.\n"
    assert prose_blocks(directive) == ["Ask.", "After the exercise."]


def test_build_check_compares_rendered_numbers_with_the_chapter_map(tmp_path):
    from tools.chapters import chapter_number, check_build, rendered_number

    (tmp_path / "chapters").mkdir()
    (tmp_path / "_toc.yml").write_text(
        "root: intro\nparts:\n  - chapters:\n      - file: chapters/02_b\n"
        "      - file: chapters/appendix_a\n"
    )
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/o/r\n")
    html = tmp_path / "_build" / "html" / "chapters"
    html.mkdir(parents=True)
    colab = "https://colab.research.google.com/github/o/r/blob/main/chapters/"
    title = '<h1><span class="section-number">{}. </span>T</h1>'
    (html / "02_b.html").write_text(title.format(3) + colab + "02_b.ipynb")
    (html / "appendix_a.html").write_text("<h1>A</h1>" + colab + "appendix_a.ipynb")
    assert chapter_number(tmp_path / "chapters" / "02_b.md") == 2
    assert rendered_number(title.format(12)) == 12 and rendered_number("<h1>A</h1>") is None
    assert check_build(tmp_path) == [
        "_build/html/chapters/02_b.html is numbered 3, the chapter map says 2"
    ]
    (html / "02_b.html").write_text(title.format(2) + colab + "02_b.ipynb")
    assert check_build(tmp_path) == []


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_every_code_cell_is_followed_by_prose(source):
    """The rhythm of a lesson: a code cell, then a sentence on what it shows, never a second
    code cell or a new heading. The imports cell, the first visible one, is exempt."""
    cells = [
        cell
        for cell in notebook_from_source(source).cells
        if not (cell.cell_type == "code" and "remove-cell" in cell.metadata.get("tags", []))
    ]
    code = [index for index, cell in enumerate(cells) if cell.cell_type == "code"]
    for index in code[1:]:
        after = cells[index + 1] if index + 1 < len(cells) else None
        prose = after is not None and after.cell_type == "markdown"
        assert prose and not after.source.lstrip().startswith("#"), (
            f"{source.name}: no sentence after the code cell:\n{cells[index].source[:200]}"
        )

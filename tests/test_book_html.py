"""The Sphinx extension for the built pages: MathJax from the site itself, each script once."""

from types import SimpleNamespace

from sphinx.builders.html._assets import _JavaScript

from tools import book_html


def test_mathjax_comes_from_the_installed_package():
    source = book_html.mathjax_source()
    assert (source / book_html.ENTRY_POINT).stat().st_size > 100_000
    assert (source / "output" / "chtml" / "fonts" / "woff-v2").is_dir()  # the fonts it loads
    config = SimpleNamespace(mathjax_path="https://cdn.example/mathjax.js")
    book_html._use_local_mathjax(None, config)
    assert config.mathjax_path == "mathjax/tex-chtml.js"  # under _static/, no network


def test_a_script_added_twice_is_included_once():
    thebe = 'const THEBE_JS_URL = "x"'
    scripts = [
        _JavaScript("_static/a.js", priority=500),
        _JavaScript(None, priority=500, body=thebe),
        _JavaScript("_static/b.js", priority=500),
        _JavaScript("", priority=800, body=thebe),  # the same script, added again
        _JavaScript(None, priority=500, body="var other = 1"),
    ]
    context = {"script_files": scripts}
    book_html._include_each_script_once(None, "page", "page.html", context, None)
    assert context["script_files"] == [scripts[0], scripts[1], scripts[2], scripts[4]]
    assert len(scripts) == 5  # the builder's own list is left as it was


def test_the_favicon_is_also_served_from_the_site_root(tmp_path):
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "favicon.png").write_bytes(b"icon")
    app = SimpleNamespace(
        outdir=str(tmp_path),
        builder=SimpleNamespace(format="html"),
        config=SimpleNamespace(html_favicon="docs/favicon.png"),
    )
    book_html._copy_favicon_to_root(app, None)
    assert (tmp_path / "favicon.ico").read_bytes() == b"icon"

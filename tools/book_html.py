"""A Sphinx extension for the built book's pages (enabled in ``_config.yml``, local_extensions).

- **MathJax inside the site.** Sphinx (through Jupyter Book) loads MathJax from a CDN, so a
  reader without a network (on a train, or CI) sees raw TeX. This copies MathJax 3's browser
  build from the ``django-static-mathjax`` package (a wheel on PyPI holding MathJax's own files,
  pinned in requirements.txt; Django is not needed to use them) into
  ``_build/html/_static/mathjax/`` and points ``mathjax_path`` there.
- **Each script once.** Jupyter Book's extensions add some inline scripts to every page twice
  (sphinx-thebe's ``const THEBE_JS_URL = ...``, sphinx-togglebutton's selector); the second
  ``const`` is a SyntaxError in the browser's console. Each page keeps the first copy only.
- **An icon at the site's root.** A page that names no icon, like the redirect page
  ``index.html``, makes the browser ask for ``/favicon.ico``; the book's icon is copied there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

# tex-chtml: the TeX input the chapters use (with the AMS environments) and HTML-CSS output.
ENTRY_POINT = "tex-chtml.js"
TARGET = "mathjax"  # under _static/


def mathjax_source() -> Path:
    """The folder of MathJax's browser build (``es5/``) in the installed package."""
    try:
        import mathjax  # the django-static-mathjax package
    except ImportError as error:
        raise RuntimeError(
            "MathJax for offline formulas is missing: install requirements.txt "
            "(django-static-mathjax)"
        ) from error
    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (source / ENTRY_POINT).is_file():
        raise RuntimeError(f"{source / ENTRY_POINT} not found: reinstall django-static-mathjax")
    return source


def _use_local_mathjax(app, config) -> None:
    mathjax_source()  # fail at the start of the build, not after executing every chapter
    config.mathjax_path = f"{TARGET}/{ENTRY_POINT}"  # relative paths are relative to _static/


def _copy_mathjax(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / TARGET
        shutil.copytree(mathjax_source(), target, dirs_exist_ok=True)


def _copy_favicon_to_root(app, exception) -> None:
    if exception is None and app.builder.format == "html" and app.config.html_favicon:
        icon = Path(app.outdir) / "_static" / Path(app.config.html_favicon).name
        if icon.is_file():  # browsers read a PNG served under this name
            shutil.copyfile(icon, Path(app.outdir) / "favicon.ico")


def _script_key(script) -> tuple:
    """What makes two scripts the same: the file and the attributes (an inline script's body).
    An inline script's file name is None when added in one place and "" in another."""
    attributes = getattr(script, "attributes", {})
    return (getattr(script, "filename", script) or "", tuple(sorted(attributes.items())))


def _include_each_script_once(app, pagename, templatename, context, doctree) -> None:
    scripts, seen = [], set()
    for script in context.get("script_files", []):
        if _script_key(script) not in seen:
            seen.add(_script_key(script))
            scripts.append(script)
    context["script_files"] = scripts  # a new list: the builder's own is restored per page


def setup(app):
    app.connect("config-inited", _use_local_mathjax)
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _copy_favicon_to_root)
    app.connect("html-page-context", _include_each_script_once)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

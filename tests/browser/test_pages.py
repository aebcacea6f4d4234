"""The built book in a real browser: every page of ``_build/html`` in headless Chromium.

Run by ``make browser`` after ``make book`` (CI does both), not by ``make test``: it needs the
built site, and Debian's ``chromium`` and ``chromedriver`` (``make browser-deps`` installs them).
The site is served from a local HTTP server with no network behind it, as a reader on a plane
would have it. A page fails on:

- a console error, a failed request for one of the site's own files, or any request that
  leaves the site (the book must read the same offline);
- a broken image, or a chapter that shows fewer figures than its executed notebook drew;
- a figure wider than the text column it sits in, or a page that scrolls sideways;
- a reference left unresolved (a cross-reference without its link, a role MyST did not parse, a
  link to a page or anchor that does not exist);
- raw TeX in the text: a formula MathJax did not typeset, or typeset as an error;
- a chapter whose Colab links do not all open its own ``.ipynb``;
- an explorer without its default figure, or without the note that says how to use it live.

A screenshot of each page (the whole page, and its first screen) goes to ``_build/screenshots/``.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from tools.chapters import ROOT, chapter_sources, colab_url

BUILT = Path(os.environ.get("LRBOOK_BUILD_DIR", ROOT / "_build"))  # what `make book` wrote
BUILD = BUILT / "html"
EXECUTED = BUILT / "jupyter_execute"
SCREENSHOTS = BUILT / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WINDOW = (1280, 900)
HIDDEN_OUTPUT_TAGS = {"remove-output", "remove-cell"}


def site_pages() -> list[str]:
    """Every HTML page of the built site, relative to it (not the theme's own files)."""
    if not (BUILD / "index.html").exists():
        pytest.fail("_build/html/index.html is missing: run `make book` first", pytrace=False)
    skipped = {"_static", "_sources", "_images", "jupyter_execute"}
    return sorted(
        page.relative_to(BUILD).as_posix()
        for page in BUILD.rglob("*.html")
        if page.relative_to(BUILD).parts[0] not in skipped
    )


CHAPTERS = {
    source.relative_to(ROOT).with_suffix(".html").as_posix(): source for source in chapter_sources()
}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="session")
def site():
    """The built book served on a free local port; yields its base address."""
    handler = functools.partial(_QuietHandler, directory=str(BUILD))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every page, logging its console and its network traffic."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists():
            pytest.fail(f"{program} is missing: run `make browser-deps`", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


# Runs in the page once MathJax is done: everything the checks need, as one JSON-able object.
INSPECT_PAGE = r"""
const visible = (el) => el.offsetParent !== null;
const outsideCode = (node) => !node.parentElement.closest(
    "pre, code, script, style, textarea, mjx-container, .highlight, .sig");
const texPattern = /\\\(|\\\[|\$\$|\\begin\{|\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$/;
const rolePattern = /\{(cite|ref|numref|eq|doc|py:[a-z]+|term|download)(:[a-z]+)?\}`|\?\?/;
const rawTex = [], unparsedRoles = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!outsideCode(node)) continue;
    if (texPattern.test(node.textContent)) rawTex.push(node.textContent.trim().slice(0, 80));
    if (rolePattern.test(node.textContent)) {
        unparsedRoles.push(node.textContent.trim().slice(0, 80));
    }
}
const untypeset = [...document.querySelectorAll("span.math, div.math")]
    .filter((el) => !el.querySelector("mjx-container"))
    .map((el) => el.textContent.trim().slice(0, 80));
const explorers = [...document.querySelectorAll("div.cell.tag_explorer")].map((cell) => {
    let note = cell.previousElementSibling;
    while (note && !note.matches(".live-explorer") && !note.matches("div.cell")) {
        note = note.previousElementSibling;
    }
    const images = [...cell.querySelectorAll(".cell_output img")];
    return {
        note: note && note.matches(".live-explorer")
            ? [...note.querySelectorAll("a[href]")].map((a) => a.href) : null,
        figures: images.filter((img) => img.naturalWidth > 0 && visible(img)).length,
    };
});
return {
    mathElements: document.querySelectorAll("span.math, div.math").length,
    untypeset: untypeset,
    mathErrors: [...document.querySelectorAll("mjx-merror")].map((e) => e.textContent),
    rawTex: rawTex,
    unparsedRoles: unparsedRoles,
    unlinkedXrefs: [...document.querySelectorAll(".xref")]
        .filter((el) => !el.closest("a")).map((el) => el.textContent),
    brokenImages: [...document.images]
        .filter((img) => !(img.complete && img.naturalWidth > 0))
        .map((img) => img.getAttribute("src").slice(0, 80)),
    overflowingFigures: [...document.querySelectorAll("article img")]
        .filter((img) => {
            const column = img.closest("article").getBoundingClientRect();
            const box = img.getBoundingClientRect();
            return box.left < column.left - 1 || box.right > column.right + 1;
        })
        .map((img) => (img.getAttribute("src") || "").slice(0, 80)),
    scrollsSideways: document.documentElement.scrollWidth > window.innerWidth,
    outputFigures: [...document.querySelectorAll(".cell_output img")]
        .filter((img) => img.naturalWidth > 0).length,
    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
    colab: [...document.querySelectorAll("a[href*='colab.research.google.com']")]
        .map((a) => a.href),
    explorers: explorers,
    height: Math.max(document.body.scrollHeight, document.documentElement.scrollHeight),
};
"""

WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
const start = Date.now();
(function wait() {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        MathJax.startup.promise.then(() => done("typeset"), (e) => done("failed: " + e));
    } else if (Date.now() - start > 10000) {
        done("absent");
    } else {
        setTimeout(wait, 50);
    }
})();
"""


def expected_figures(page: str) -> int:
    """How many figures a chapter's executed notebook drew in cells whose output is shown."""
    executed = EXECUTED / Path(page).with_suffix(".ipynb")
    notebook = nbformat.read(executed, as_version=4)
    count = 0
    for cell in notebook.cells:
        if cell.cell_type != "code" or HIDDEN_OUTPUT_TAGS & set(cell.metadata.get("tags", [])):
            continue
        count += sum("image/png" in output.get("data", {}) for output in cell.outputs)
    return count


def explorer_calls(source: Path) -> int:
    """How many code cells of a chapter's source open an explorer (``..._explorer(``)."""
    notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    return sum(
        cell.cell_type == "code" and re.search(r"\w+_explorer\(", cell.source) is not None
        for cell in notebook.cells
    )


def network_problems(entries: list[dict], base: str) -> list[str]:
    """Failed requests for the site's files, and requests that leave the site, from the
    performance log of one page load."""
    problems, urls = [], {}
    for entry in entries:
        message = json.loads(entry["message"])["message"]
        method, params = message["method"], message.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            urls[params["requestId"]] = url
            if not url.startswith((base, "data:", "blob:", "about:")):
                problems.append(f"request leaves the site: {url}")
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            problems.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            url = urls.get(params["requestId"], "?")
            if url.startswith(base):
                problems.append(f"failed to load {url}: {params.get('errorText')}")
    return problems


@functools.cache
def _anchors(page: Path) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8")))


def link_problems(links: list[str], base: str) -> list[str]:
    """Links into the site that name a missing page or a missing anchor."""
    problems = []
    for link in links:
        if not link.startswith(base):
            continue
        parts = urlsplit(link)
        path = unquote(parts.path).lstrip("/") or "index.html"
        target = BUILD / path
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            problems.append(f"link to a missing page: {link}")
        elif parts.fragment and target.suffix == ".html":
            if unquote(parts.fragment) not in _anchors(target):
                problems.append(f"link to a missing anchor: {link}")
    return problems


def save_screenshots(driver, page: str, height: int) -> None:
    """The first screen and the whole page, as PNG files under _build/screenshots/."""
    stem = SCREENSHOTS / Path(page).with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(stem) + ".top.png")
    # The whole page: a viewport as tall as the page for one capture (a clip beyond the viewport
    # lays the page out again and cuts off its left side).
    width = driver.execute_script("return window.innerWidth")
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    Path(str(stem) + ".png").write_bytes(base64.b64decode(shot["data"]))


@pytest.mark.parametrize("page", site_pages())
def test_page(page, site, browser):
    browser.get_log("browser"), browser.get_log("performance")  # start from empty logs
    browser.get(site + page)
    mathjax = browser.execute_async_script(WAIT_FOR_MATHJAX)
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")  # lazy images
    browser.execute_script(
        "return Promise.all([...document.images].map((img) => img.decode().catch(() => null)))"
    )
    found = browser.execute_script(INSPECT_PAGE)

    problems = [
        f"console: {entry['message']}"
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE"
    ]
    problems += network_problems(browser.get_log("performance"), site)
    problems += [f"broken image: {src}" for src in found["brokenImages"]]
    problems += [f"figure wider than the text: {src}" for src in found["overflowingFigures"]]
    if found["scrollsSideways"]:
        problems.append("the page scrolls sideways")
    problems += [f"unresolved reference: {text}" for text in found["unlinkedXrefs"]]
    problems += [f"role or reference left as text: {text}" for text in found["unparsedRoles"]]
    problems += link_problems(found["links"], site)
    if found["mathElements"] and mathjax != "typeset":
        problems.append(f"{found['mathElements']} formulas, but MathJax {mathjax}")
    problems += [f"formula not typeset: {text}" for text in found["untypeset"]]
    problems += [f"MathJax error: {text}" for text in found["mathErrors"]]
    problems += [f"raw TeX in the text: {text}" for text in found["rawTex"]]

    if page in CHAPTERS:
        source = CHAPTERS[page]
        own = colab_url(source)
        if not found["colab"]:
            problems.append("no Colab link")
        problems += [
            f"Colab link to another notebook: {url}" for url in found["colab"] if url != own
        ]
        expected = expected_figures(page)
        if expected == 0 or found["outputFigures"] < expected:
            problems.append(f"{found['outputFigures']} figures shown, the notebook drew {expected}")
        if len(found["explorers"]) != explorer_calls(source):
            problems.append(
                f"{len(found['explorers'])} cells tagged explorer, "
                f"{explorer_calls(source)} explorers in the source"
            )
        for number, explorer in enumerate(found["explorers"], start=1):
            if not explorer["figures"]:
                problems.append(f"explorer {number} shows no default figure")
            if explorer["note"] is None:
                problems.append(f"explorer {number} has no note on how to use it live")
            elif own not in explorer["note"]:
                problems.append(f"explorer {number}: its note does not link to {own}")

    save_screenshots(browser, page, found["height"])
    assert not problems, f"{page}:\n" + "\n".join(problems)

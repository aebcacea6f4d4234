"""Checks for `make colab`: the environment still has Colab's versions after installing lrbook.

``python tools/colab.py check-versions requirements-colab.txt`` compares the installed version
of every package the chapters share with Colab (TensorFlow, Keras, ipywidgets) with the pin in
that file. Installing lrbook must not move any of them: in Colab, that would replace the
runtime's own TensorFlow, Keras or widgets with other versions.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

COLAB_OWNED = ("tensorflow", "keras", "ipywidgets")


def pinned_versions(requirements: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file, as a dict."""
    pins = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, pinned = line.split("==")
            pins[name.strip().lower()] = pinned.strip()
    return pins


def version_problems(requirements: Path) -> list[str]:
    """Every Colab-owned package whose installed version differs from its pin."""
    pins = pinned_versions(requirements)
    problems = []
    for name in COLAB_OWNED:
        if name not in pins:
            problems.append(f"{requirements} does not pin {name}")
        elif version(name) != pins[name]:
            problems.append(f"{name} is {version(name)}, Colab has {pins[name]}")
    return problems


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "check-versions":
        sys.exit("usage: python tools/colab.py check-versions REQUIREMENTS")
    problems = version_problems(Path(sys.argv[2]))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        sys.exit(1)
    print("Colab's versions are unchanged:", ", ".join(f"{n} {version(n)}" for n in COLAB_OWNED))

"""lrbook as a package: what ``pip install lrbook`` brings, and what ``import lrbook`` loads.

The library needs Keras and NumPy only; the book's helpers (``lrbook.book``) and plotting are
extras. Keras itself imports matplotlib and scikit-learn when they happen to be installed, so
"lrbook imports no matplotlib" is checked where they are not: in a fresh virtual environment
with ``pip install .`` and a backend, as a user of the library would have it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("matplotlib", "tensorflow", "ipywidgets", "sklearn", "mnist1d", "lrbook.book")

# Imports lrbook on the backend in $KERAS_BACKEND, uses it without plotting, and prints what
# it loaded of HEAVY.
USE_THE_LIBRARY = """
import sys
import numpy as np
import keras
import lrbook

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
model.compile(optimizer=keras.optimizers.SGD(lrbook.OneCycle(0.1, total_steps=20)),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
y = (x[:, 0] > 0).astype("int32")
result = lrbook.lr_find(model, x, y, batch_size=8, num_steps=12)
assert result.losses.size == 12, result.losses
model.fit(x, y, batch_size=8, epochs=1, verbose=0)
print(keras.backend.backend(), sorted(m for m in {heavy!r} if m in sys.modules))
"""


def test_the_library_depends_on_keras_and_numpy_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!\[ ;]", requirement)[0] for requirement in project["dependencies"]}
    assert names == {"keras", "numpy"}
    assert {"matplotlib", "ipywidgets"} <= {
        re.split(r"[<>=!\[ ;]", requirement)[0]
        for requirement in project["optional-dependencies"]["book"]
    }


def _pinned(name: str) -> str:
    """``name==version`` as requirements.txt pins it."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith(f"{name}=="):
            return line.strip()
    raise AssertionError(f"{name} is not pinned in requirements.txt")


@pytest.fixture(scope="module")
def fresh_environment(tmp_path_factory) -> Path:
    """A new virtual environment with ``pip install .`` and the jax and torch CPU builds."""
    location = tmp_path_factory.mktemp("fresh") / "venv"
    venv.create(location, with_pip=True)
    python = location / "bin" / "python"
    backends = [_pinned("jax"), _pinned("jaxlib"), _pinned("torch")]
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(ROOT), *backends],
        check=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return python


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_import_lrbook_loads_neither_matplotlib_nor_tensorflow(fresh_environment, backend):
    environment = {**os.environ, "KERAS_BACKEND": backend}
    run = subprocess.run(
        [fresh_environment, "-c", USE_THE_LIBRARY.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=fresh_environment.parent,  # not the checkout: the installed package is imported
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split("\n")[-2] == f"{backend} []"
    missing = subprocess.run(
        [fresh_environment, "-c", "import matplotlib"], capture_output=True, env=environment
    )
    assert missing.returncode != 0  # the check above means something: it is not installed


def test_plotting_says_what_to_install_when_matplotlib_is_missing(fresh_environment):
    code = (
        "import lrbook, numpy as np\n"
        "from lrbook.finder import LRFinderResult\n"
        "lrs = np.geomspace(1e-5, 1, 50)\n"
        "r = LRFinderResult(lrs, np.ones(50), np.ones(50), False, None, None, None,\n"
        "                   1e-5, 1.0, 50, 'exponential', 0.98, 4.0)\n"
        "r.plot()\n"
    )
    run = subprocess.run(
        [fresh_environment, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "jax"},
        cwd=fresh_environment.parent,
    )
    assert run.returncode != 0
    assert "pip install matplotlib" in run.stderr


def test_the_book_helpers_are_not_imported_by_the_library():
    code = "import sys, lrbook; print('lrbook.book' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.stdout.strip() == "False", run.stderr[-2000:]


LOAD = """
import sys
import keras
if sys.argv[1] == "import lrbook":
    import lrbook
for path in sys.argv[2:]:
    try:
        schedule = keras.saving.load_model(path).optimizer._learning_rate
    except Exception as error:
        print("failed", repr(str(error)))
    else:
        print(type(schedule).__module__, type(schedule).__name__, float(schedule(7)))
"""


def test_a_saved_model_with_a_schedule_loads_in_a_new_process_after_import_lrbook(tmp_path):
    """Keras finds a saved schedule's class in its registry, which ``import lrbook`` fills."""
    import keras

    import lrbook

    schedules = (
        lrbook.SGDR(0.001, 0.1, cycle_length=10, t_mul=2.0),
        lrbook.CyclicalLR(0.01, 0.1, step_size=5),
        lrbook.OneCycle(0.1, total_steps=30),
        lrbook.StepDecay(0.1, drop=0.5, step_size=4),
    )
    paths = []
    for schedule in schedules:
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
        paths.append(str(tmp_path / f"{type(schedule).__name__}.keras"))
        model.save(paths[-1])

    def load(first: str) -> list[str]:
        run = subprocess.run(
            [sys.executable, "-c", LOAD, first, *paths], capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr[-2000:]
        return run.stdout.splitlines()

    for line, schedule in zip(load("nothing"), schedules, strict=True):
        assert line.startswith("failed") and f"lrbook>{type(schedule).__name__}" in line
    for line, schedule in zip(load("import lrbook"), schedules, strict=True):
        module, name, rate = line.split()
        assert (module, name) == ("lrbook.schedules", type(schedule).__name__)
        assert float(rate) == pytest.approx(float(schedule(7)), rel=1e-6)


def test_the_installed_package_holds_the_book_records(fresh_environment):
    """The chapters draw recorded benchmarks offline: the JSON files are installed package data."""
    run = subprocess.run(
        [
            fresh_environment,
            "-c",
            "from importlib.metadata import files; "
            "print(sorted(str(f) for f in files('lrbook') if f.suffix == '.json'))",
        ],
        capture_output=True,
        text=True,
        cwd=fresh_environment.parent,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "lrbook/book/records/schedules.json" in run.stdout

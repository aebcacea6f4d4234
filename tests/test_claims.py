"""check_claim asserts a measured value is within its bounds, and logs it for make robust."""

import json

import pytest

from lrbook.book.claims import check_claim
from tools.claims import read_log, table
from tools.colab import pinned_versions, version_problems


def test_a_value_inside_its_bounds_passes_and_is_returned():
    assert check_claim("gain", 0.03, above=0.01, below=0.05) == 0.03
    assert check_claim("only a lower bound", 5, above=1) == 5.0
    assert check_claim("only an upper bound", -5, below=1) == -5.0


@pytest.mark.parametrize(
    "value, above, below", [(0.01, 0.01, None), (0.06, None, 0.05), (float("nan"), None, None)]
)
def test_a_value_outside_its_bounds_fails_with_the_claim_named(value, above, below):
    with pytest.raises(AssertionError, match="claim 'gain': measured"):
        check_claim("gain", value, above=above, below=below)


def test_checks_are_logged_only_when_asked(tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.delenv("LRBOOK_CLAIMS_LOG", raising=False)
    check_claim("not logged", 1.0)
    assert not log.exists()
    monkeypatch.setenv("LRBOOK_CLAIMS_LOG", str(log))
    monkeypatch.setenv("LRBOOK_SEED", "3")
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    check_claim("gain", 0.02, above=0.0)
    check_claim("gain", 0.04, above=0.0)
    with pytest.raises(AssertionError):
        check_claim("gain", -0.01, above=0.0)  # a failed check is logged too
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["value"] for r in records] == [0.02, 0.04, -0.01]
    assert records[0]["seed"] == "3" and records[0]["onednn"] == "1"
    assert records[0]["above"] == 0.0 and records[0]["below"] is None
    rows = table(read_log(log)).splitlines()
    assert len(rows) == 3  # header, rule, one claim
    assert "| gain | 3 | 3 | 1 | -0.01 .. 0.04 | > 0 |" == rows[2]


def test_colab_pins_are_read_and_compared(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# comment\nkeras==0.0.1  # too old\nipywidgets==7.7.1\n")
    assert pinned_versions(requirements) == {"keras": "0.0.1", "ipywidgets": "7.7.1"}
    problems = version_problems(requirements)
    assert any(p.startswith("keras is ") and p.endswith("Colab has 0.0.1") for p in problems)
    assert any("does not pin tensorflow" in p for p in problems)


def test_a_bar_in_a_claim_does_not_break_the_table():
    records = [
        {
            "claim": "|r| above",
            "value": 0.9,
            "above": 0.5,
            "below": None,
            "seed": "0",
            "onednn": "1",
        }
    ]
    row = table({"|r| above": records}).splitlines()[-1]
    assert row.startswith(r"| \|r\| above | 1 | 0 | 1 | 0.9 .. 0.9 | > 0.5 |")

"""The table of claims checked by ``make robust``: for each claim, its runs and measured range.

Every :func:`lrbook.book.claims.check_claim` in a chapter appends a JSON line to the file named by
``LRBOOK_CLAIMS_LOG``. ``python tools/claims.py table LOG`` groups those lines by claim and
prints a Markdown table: how many runs checked the claim (seeds x oneDNN settings), the
smallest and largest value measured, and the bounds the chapter asserts.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def read_log(path: Path) -> dict[str, list[dict]]:
    """The records of a claims log, grouped by claim, in the order claims first appear."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            grouped[record["claim"]].append(record)
    return dict(grouped)


def _bounds(record: dict) -> str:
    above, below = record["above"], record["below"]
    if above is not None and below is not None:
        return f"({above:g}, {below:g})"
    if above is not None:
        return f"> {above:g}"
    return f"< {below:g}" if below is not None else "finite"


def table(grouped: dict[str, list[dict]]) -> str:
    """A Markdown table with one row per claim."""
    rows = [
        "| claim | runs | seeds | oneDNN | measured range | asserted |",
        "|---|---|---|---|---|---|",
    ]
    for claim, records in grouped.items():
        values = [record["value"] for record in records]
        seeds = sorted({record["seed"] for record in records}, key=str)
        onednn = sorted({record["onednn"] for record in records})
        name = claim.replace("|", r"\|")  # a "|" in a claim would end its Markdown cell
        rows.append(
            f"| {name} | {len(records)} | {','.join(seeds)} | {','.join(onednn)} "
            f"| {min(values):.4g} .. {max(values):.4g} | {_bounds(records[0])} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "table":
        sys.exit("usage: python tools/claims.py table LOG")
    print(table(read_log(Path(sys.argv[2]))))

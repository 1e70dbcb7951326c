"""Shared fixtures: the repository's test data and the `tp` binary (when built)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TESTDATA = ROOT / "testdata"


def tp_binary() -> Path | None:
    """The `tp` binary: $TP_BIN, else target/release/tp or target/debug/tp, else one on PATH."""
    env = os.environ.get("TP_BIN")
    if env:
        return Path(env)
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "tp"
        if p.exists():
            return p
    found = shutil.which("tp")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def hillstrom_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 2,000 customers of the Hillstrom RCT, lines copied unchanged."""
    src = TESTDATA / "uplift" / "hillstrom.csv"
    out = tmp_path_factory.mktemp("data") / "hillstrom_2k.csv"
    with open(src) as f, open(out, "w") as g:
        for i, line in enumerate(f):
            if i > 2000:
                break
            g.write(line)
    return out

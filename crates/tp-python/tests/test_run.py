"""tp.run: the pipeline from a config path or a dict, equal to `tp run`."""

from __future__ import annotations

import json
import subprocess

import pytest

import tp
from conftest import ROOT, tp_binary


def test_run_returns_the_summary_tp_run_writes(tmp_path):
    binary = tp_binary()
    if binary is None:
        pytest.skip("no tp binary: build it with `cargo build -p tp-cli` or set TP_BIN")
    world = tmp_path / "world"
    subprocess.run(
        [str(binary), "simulate", "--preset", "retail", "--customers", "400", "--seed", "7", "--out", str(world)],
        check=True,
        capture_output=True,
    )
    config = tmp_path / "retail.toml"
    config.write_text((ROOT / "examples" / "retail.toml").read_text())
    summary = tp.run(str(config), out=str(tmp_path / "py"))
    assert (tmp_path / "py" / "report.html").exists()
    on_disk = json.loads((tmp_path / "py" / "summary.json").read_text())
    assert summary == on_disk
    subprocess.run([str(binary), "run", str(config), "--out", str(tmp_path / "cli")], check=True, capture_output=True)
    cli = json.loads((tmp_path / "cli" / "summary.json").read_text())
    # the same decision and the same numbers (timings and output paths aside)
    for key in ("uplift", "policy", "ope"):
        if key in cli:
            assert summary[key] == cli[key], key
    # the same keys as a dict, relative paths from the current directory
    import tomllib

    as_dict = tomllib.loads(config.read_text())
    for k, v in as_dict["data"].items():
        if isinstance(v, str) and v.startswith("world/"):
            as_dict["data"][k] = str(tmp_path / v)
    again = tp.run(as_dict, out=str(tmp_path / "dict"))
    for key in ("uplift", "policy", "ope"):
        if key in cli:
            assert again[key] == cli[key], key
    with pytest.raises(ValueError, match="cannot read the config"):
        tp.run(str(tmp_path / "missing.toml"), out=str(tmp_path / "x"))

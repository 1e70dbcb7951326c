"""tp.profiles: the numbers of `tp profile` bit for bit, every table kind in and out, the CLI's errors."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import tp
from conftest import TESTDATA, tp_binary

EVENTS = TESTDATA / "profile" / "events.csv"
CATALOG = TESTDATA / "profile" / "catalog.csv"


def read(path):
    """A CSV file as pandas, every float parsed exactly as tp's reader does (Arrow's parser)."""
    return pacsv.read_csv(path).to_pandas()


def cli(tmp_path, extra, events=EVENTS, catalog=CATALOG, out_name="profiles.parquet"):
    """`tp profile` on the files: the process and its output table (pandas, exact floats)."""
    binary = tp_binary()
    if binary is None:
        pytest.skip("no tp binary: build it with `cargo build -p tp-cli` or set TP_BIN")
    out = tmp_path / out_name
    cmd = [str(binary), "profile", "--events", str(events), "--catalog", str(catalog), "--out", str(out), *extra]
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        return run, None
    table = pq.read_table(out).to_pandas() if out_name.endswith(".parquet") else read(out)
    return run, table


def assert_same_bits(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for c in want.columns:
        a, b = got[c].to_numpy(), want[c].to_numpy()
        assert a.dtype == b.dtype, (c, a.dtype, b.dtype)
        if a.dtype.kind == "f":
            # the same bits: equal as integers (NaN included, -0.0 told from 0.0)
            np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64), err_msg=c)
        else:
            np.testing.assert_array_equal(a, b, err_msg=c)


def test_defaults_equal_tp_profile_bit_for_bit(tmp_path):
    run, want = cli(tmp_path, [])
    assert run.returncode == 0, run.stderr
    got = tp.profiles(read(EVENTS), read(CATALOG))
    assert isinstance(got, pd.DataFrame)
    assert_same_bits(got, want)
    # a real profile: one row per customer, shares and behavior columns filled
    assert len(got) == read(EVENTS)["customer_id"].nunique()
    assert got.shape[1] > 30
    assert got["l3.recency_days"].min() == 0.0  # as of the last event day


def test_every_cli_parameter_and_the_chunking_equal_tp_profile(tmp_path):
    """Non-default half-life, shrinkage, weight and chunk size; no as_of, so later chunks rescale the
    sums to their later day (the chunking is part of the result), read back from the CLI's CSV."""
    flags = ["--half-life-days", "30", "--shrinkage", "2.5", "--weight", "count", "--chunk-rows", "4000"]
    run, want = cli(tmp_path, flags, out_name="profiles.csv")
    assert run.returncode == 0, run.stderr
    events, catalog = read(EVENTS), read(CATALOG)
    got = tp.profiles(events, catalog, half_life_days=30, shrinkage=2.5, weight="count", chunk_rows=4000)
    assert_same_bits(got, want)
    # one chunk differs from five only by the rescaling's rounding
    whole = tp.profiles(events, catalog, half_life_days=30, shrinkage=2.5, weight="count")
    for c in whole.columns:
        np.testing.assert_allclose(whole[c].to_numpy(), got[c].to_numpy(), rtol=1e-12, atol=1e-12, err_msg=c)
    # and a fixed reference day
    run, want = cli(tmp_path, ["--as-of", "600.5"])
    assert run.returncode == 0, run.stderr
    got = tp.profiles(events, catalog, as_of=600.5)
    assert_same_bits(got, want)
    assert got["l3.recency_days"].min() > 0.0


def test_every_table_kind_in_gives_the_same_table_out_of_that_kind():
    events, catalog = read(EVENTS), read(CATALOG)
    want = tp.profiles(events, catalog)
    kinds = {
        "polars": (pl.from_pandas(events), pl.from_pandas(catalog), pl.DataFrame),
        "pyarrow": (pa.Table.from_pandas(events), pa.Table.from_pandas(catalog), pa.Table),
        "numpy": (events.to_records(index=False), catalog.to_records(index=False), np.ndarray),
        "dict": ({c: events[c].to_numpy() for c in events}, {c: catalog[c].to_numpy() for c in catalog}, dict),
    }
    for name, (ev, cat, typ) in kinds.items():
        got = tp.profiles(ev, cat)
        assert isinstance(got, typ), name
        if name == "polars":
            got = got.to_pandas()
        elif name == "pyarrow":
            got = got.to_pandas()
        elif name == "numpy":
            assert got.dtype.names == tuple(want.columns)
            got = pd.DataFrame({c: got[c] for c in got.dtype.names})
        else:
            got = pd.DataFrame(got)
        assert_same_bits(got, want)


def test_bad_input_raises_the_cli_message(tmp_path):
    events, catalog = read(EVENTS), read(CATALOG)
    # a missing column: the CLI's sentence, after the table's name instead of the file's
    no_value = events.drop(columns=["value"])
    path = tmp_path / "no_value.csv"
    no_value.to_csv(path, index=False)
    run, _ = cli(tmp_path, [], events=path)
    assert run.returncode != 0
    with pytest.raises(ValueError, match=r"^events: .*'value'") as err:
        tp.profiles(no_value, catalog)
    cli_message = run.stderr.strip().split(f"{path}: ", 1)[1]
    assert str(err.value) == f"events: {cli_message}"
    # text in a numeric column names the column
    bad = events.assign(day=events["day"].astype(str).where(events.index != 7, "soon"))
    with pytest.raises(ValueError, match="events: .*'day'"):
        tp.profiles(bad, catalog)
    # a NaN day names the column and the row
    nan_day = events.assign(day=events["day"].astype(float).where(events.index != 11, np.nan))
    with pytest.raises(ValueError, match=r"events: .*'day'.*11"):
        tp.profiles(nan_day, catalog)
    # a catalog without item_id
    with pytest.raises(ValueError, match="catalog: .*item_id"):
        tp.profiles(events, catalog.drop(columns=["item_id"]))
    # a missing category names the column and row
    holes = catalog.astype({"department": object})
    holes.loc[3, "department"] = None
    with pytest.raises(ValueError, match="catalog: column 'department' row 3 is missing"):
        tp.profiles(events, holes)
    with pytest.raises(ValueError, match="no rows"):
        tp.profiles(events.head(0), catalog)
    with pytest.raises(ValueError, match="weight='spent'"):
        tp.profiles(events, catalog, weight="spent")
    with pytest.raises(ValueError, match="half_life_days"):
        tp.profiles(events, catalog, half_life_days=0)
    with pytest.raises(TypeError, match="expected a table"):
        tp.profiles([1, 2, 3], catalog)

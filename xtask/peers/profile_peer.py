"""Peer of `tp profile` for `cargo xtask bench profile`: the same L1 shares and RFM with pandas.

Two modes:

    python profile_peer.py files --events E.csv|.parquet --catalog C.csv|.parquet --out P.csv
    python profile_peer.py synthetic --events 10000000 --customers 10000 --lines 10 --json-out R.json

`files` reads the events and the catalog (pandas; pyarrow for Parquet), joins them on item_id, and
computes per customer: time-decayed spend shares of every value of department, commodity,
sub_commodity, price_tier and brand_type (decay 2^{-(as_of - day)/90}, as_of = the last event
day — the same weights as `tp profile`'s shares before shrinkage), the decayed-spend-weighted mean of
every numeric catalog column, and RFM (recency in days, distinct visit days, decayed and total
spend, promotion share of decayed lines). It writes one wide row per customer, and prints one JSON
line: events, customers, columns, read_s, aggregate_s.

`synthetic` builds an in-memory log with numpy shaped like the `profile_stream` example (untimed),
then times the same groupby aggregation on it: the peer of the in-memory aggregation rate.
"""

import argparse
import json
import time

import numpy as np
import pandas as pd

HALF_LIFE = 90.0
CATEGORICAL = ["department", "commodity", "sub_commodity", "price_tier", "brand_type"]


def read(path: str) -> pd.DataFrame:
    if path.endswith(".parquet"):
        return pd.read_parquet(path, engine="pyarrow")
    return pd.read_csv(path)


def aggregate(ev: pd.DataFrame, cat: pd.DataFrame, categorical, numeric) -> pd.DataFrame:
    """Decayed spend shares per categorical value, weighted means, RFM; one row per customer."""
    as_of = float(ev["day"].max())
    d = np.exp2(-(as_of - ev["day"].to_numpy(dtype=float)) / HALF_LIFE)
    value = ev["value"].to_numpy(dtype=float)
    df = pd.DataFrame(
        {"customer_id": ev["customer_id"].to_numpy(), "item_id": ev["item_id"].to_numpy(), "w": d * value, "d": d}
    )
    df = df.merge(cat, on="item_id", how="inner")
    g = df.groupby("customer_id", sort=True)
    total = g["w"].sum()
    parts = []
    for col in categorical:
        s = df.groupby(["customer_id", col], sort=False)["w"].sum().unstack(fill_value=0.0)
        s = s.div(total, axis=0)
        s.columns = [f"l1.{col}.{v}" for v in s.columns]
        parts.append(s)
    for col in numeric:
        m = (df["w"] * df[col]).groupby(df["customer_id"]).sum() / total
        parts.append(m.rename(f"num.{col}"))
    days = ev["day"].to_numpy()
    visits = pd.DataFrame({"customer_id": ev["customer_id"].to_numpy(), "day": np.floor(days)})
    vg = visits.groupby("customer_id", sort=True)["day"]
    promo = ev["promo"].to_numpy(dtype=bool) if "promo" in ev.columns else np.zeros(len(ev), dtype=bool)
    lines = pd.DataFrame({"customer_id": ev["customer_id"].to_numpy(), "d": d, "pd": d * promo, "v": value})
    lg = lines.groupby("customer_id", sort=True)
    rfm = pd.DataFrame(
        {
            "l3.recency_days": as_of - vg.max(),
            "l3.visits": vg.nunique(),
            "l3.monetary": total,
            "l3.total_spend": lg["v"].sum(),
            "l3.promo_share": lg["pd"].sum() / lg["d"].sum(),
        }
    )
    parts.append(rfm)
    return pd.concat(parts, axis=1).fillna(0.0)


def files(args) -> None:
    t0 = time.perf_counter()
    ev = read(args.events)
    cat = read(args.catalog)
    read_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    categorical = [c for c in CATEGORICAL if c in cat.columns]
    numeric = [c for c in cat.columns if c not in categorical and c != "item_id"]
    out = aggregate(ev, cat[["item_id", *categorical, *numeric]], categorical, numeric)
    aggregate_s = time.perf_counter() - t1
    out.to_csv(args.out)
    print(
        json.dumps(
            {
                "events": len(ev),
                "customers": len(out),
                "columns": out.shape[1] + 1,
                "read_s": read_s,
                "aggregate_s": aggregate_s,
            }
        )
    )


def synthetic(args) -> None:
    n_items = 1000
    days = -(-args.events // (args.customers * args.lines))
    n = args.customers * days * args.lines
    rng = np.random.default_rng(7)
    r = np.arange(n, dtype=np.int64)
    per_day = args.lines * args.customers
    cust = (r % per_day) // args.lines
    day = r // per_day
    item = (cust * 37 + rng.integers(0, 200, n)) % n_items
    qty = 1 + rng.integers(0, 3, n)
    i = np.arange(n_items)
    price = 1.0 + (i % 17) * 0.5
    ev = pd.DataFrame(
        {
            "customer_id": cust,
            "item_id": item,
            "day": day,
            "quantity": qty.astype(float),
            "value": qty * price[item],
            "promo": rng.random(n) < 0.2,
        }
    )
    cat = pd.DataFrame(
        {
            "item_id": i,
            "department": [f"D{k % 200 // 20}" for k in i],
            "commodity": [f"C{k % 200 // 4}" for k in i],
            "sub_commodity": [f"S{k % 200}" for k in i],
            "price_tier": [["budget", "mid", "premium"][k % 3] for k in i],
            "brand_type": [f"B{k % 20}" for k in i],
            "price": price,
            "healthy": (i % 5 == 0).astype(float),
            "indulgent": (i % 7 == 0).astype(float),
            "fresh": (i % 3 == 0).astype(float),
        }
    )
    t0 = time.perf_counter()
    out = aggregate(ev, cat, CATEGORICAL, ["price", "healthy", "indulgent", "fresh"])
    secs = time.perf_counter() - t0
    result = {"mode": "rate", "events": n, "customers": len(out), "seconds": secs, "events_per_s": n / secs}
    with open(args.json_out, "w") as f:
        f.write(json.dumps(result) + "\n")
    print(json.dumps(result))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    f = sub.add_parser("files")
    f.add_argument("--events", required=True)
    f.add_argument("--catalog", required=True)
    f.add_argument("--out", required=True)
    s = sub.add_parser("synthetic")
    s.add_argument("--events", type=int, default=10_000_000)
    s.add_argument("--customers", type=int, default=10_000)
    s.add_argument("--lines", type=int, default=10)
    s.add_argument("--json-out", required=True)
    args = p.parse_args()
    files(args) if args.mode == "files" else synthetic(args)


if __name__ == "__main__":
    main()

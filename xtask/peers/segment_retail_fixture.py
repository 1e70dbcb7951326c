"""Behavioral features of the simulated retail world, for tp-segment's archetype-recovery test.

tp-segment may not depend on tp-sim (not even as a dev-dependency: xtask/src/layers.rs counts dev
edges), so the test reads a fixture made from `tp simulate` output:

    tp simulate --preset retail --customers 2500 --seed S --out DIR --format csv
    python xtask/peers/segment_retail_fixture.py DIR testdata/segment/retail_seedS.csv

One row per customer: `customer_id`, `archetype` (from `truth`, the label to recover, never a
feature) and non-negative pre-period features a modeler could build from `customers`, `events` and
`catalog` (weeks 1..=94, before the mailing; nothing from the outcome window):

- from `customers`: pre_visits, pre_items, pre_spend, pre_avg_basket, pre_promo_share,
  pre_weeks_active;
- from `events` x `catalog`: spend share per department (10), line share per L2 tag (7), line share
  of the budget and premium price tiers and of private-label items, mean units per line.

Standard library only. Values are rounded to 4 significant digits to keep the file small.
"""

import csv
import sys
from collections import defaultdict

MAILING_WEEK = 94


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    with open(f"{src}/catalog.csv") as f:
        catalog = {r["item_id"]: r for r in csv.DictReader(f)}
    departments = sorted({r["department"] for r in catalog.values()})
    tags = ["healthy", "indulgent", "convenient", "premium", "family", "fresh", "bulk"]
    spend = defaultdict(lambda: defaultdict(float))
    lines = defaultdict(lambda: defaultdict(float))
    with open(f"{src}/events.csv") as f:
        for e in csv.DictReader(f):
            if int(e["week"]) > MAILING_WEEK:
                continue
            c, item = e["customer_id"], catalog[e["item_id"]]
            value = float(e["value"])
            spend[c]["total"] += value
            spend[c][item["department"]] += value
            n = lines[c]
            n["total"] += 1
            n["units"] += int(e["quantity"])
            for t in tags:
                n[t] += int(item[t])
            n["tier_" + item["price_tier"]] += 1
            n["private"] += item["brand_type"] == "private"
    with open(f"{src}/truth.csv") as f:
        archetype = {r["customer_id"]: r["archetype"] for r in csv.DictReader(f)}
    base = ["pre_visits", "pre_items", "pre_spend", "pre_avg_basket", "pre_promo_share", "pre_weeks_active"]
    header = (["customer_id", "archetype"] + base + [f"dept_{d.lower().replace(' & ', '_').replace(' ', '_')}" for d in departments]
              + [f"tag_{t}" for t in tags] + ["tier_budget", "tier_premium", "private_label", "units_per_line"])
    with open(f"{src}/customers.csv") as f, open(out, "w", newline="") as g:
        w = csv.writer(g)
        w.writerow(header)
        for r in csv.DictReader(f):
            c = r["customer_id"]
            s, n = spend[c], lines[c]
            ts, tn = s["total"] or 1.0, n["total"] or 1.0
            row = [float(r[b]) for b in base]
            row += [s[d] / ts for d in departments]
            row += [n[t] / tn for t in tags]
            row += [n["tier_budget"] / tn, n["tier_premium"] / tn, n["private"] / tn, n["units"] / tn]
            w.writerow([c, archetype[c]] + [f"{v:.4g}" for v in row])


if __name__ == "__main__":
    main()

"""Read back a world written by `tp simulate` or by simulate_criteo.py and print one JSON line.

    python simulate_quality.py DIR

Reads every .parquet / .csv file directly in DIR with pyarrow and reports
`{"files": {stem: rows}, "rows": total, "treated_share": x, "mean_tau": y}`, where
`treated_share` is the mean of the first 0/1 column named `treatment` / `treated` found, and
`mean_tau` the mean of the column `tau` (else the first starting with `tau`) in the first file
that has one; either is
null when no file has such a column. Untimed: the harness runs it after the timed command.
"""

import json
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq

TREATMENT = ("treatment", "treated")


def read(path: Path):
    if path.suffix == ".parquet":
        return pq.read_table(path)
    return pv.read_csv(path)


def mean(column) -> float:
    return pc.mean(pc.cast(column, "float64")).as_py()


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(sys.argv[1])
    files, rows, treated, tau = {}, 0, None, None
    for path in sorted(p for p in root.iterdir() if p.suffix in (".parquet", ".csv")):
        table = read(path)
        files[path.stem] = table.num_rows
        rows += table.num_rows
        names = table.column_names
        if treated is None:
            for name in names:
                if name in TREATMENT:
                    treated = mean(table[name])
                    break
        if tau is None:
            taus = [name for name in names if name.startswith("tau")]
            if taus:
                tau = mean(table["tau" if "tau" in taus else taus[0]])
    print(json.dumps({"files": files, "rows": rows, "treated_share": treated, "mean_tau": tau}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Quality probe of `cargo xtask bench ope` and `bench policy`: reads the JSON line a side printed.

The sides (`crates/tp-ope/examples/dr_bootstrap.rs` and `ope_peer.py`;
`crates/tp-policy/examples/policy_tree_timing.rs` and `policy_peer.py`) end their stdout with one
JSON object (value, interval or tree figures, seconds); the harness saves it as
`bench-out/<case>/<side>.stdout`. This prints that object again, so the harness can format it.

    python ope_quality.py bench-out/ope-dr-bootstrap/ours.stdout
"""

import json
import sys


def main() -> int:
    with open(sys.argv[1]) as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    if not lines:
        print(json.dumps({"error": f"{sys.argv[1]} is empty"}))
        return 0
    print(json.dumps(json.loads(lines[-1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

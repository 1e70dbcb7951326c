"""Quality probe of `cargo xtask bench profile`: print the last JSON line a side wrote.

    python profile_probe.py FILE

Both `tp profile --json` / the `profile_stream` example and `profile_peer.py` end their output with
one JSON object (events, customers, timings or rates); the bench reads it back through this probe.
Standard library only.
"""

import json
import sys


def main() -> int:
    with open(sys.argv[1]) as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    print(json.dumps(json.loads(lines[-1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Read the `summary.json` that `tp demo` wrote and print its truth block as one JSON line.

    python demo_quality.py DIR

Prints `{"policy_profit": …, "oracle_profit": …, "treat_all_profit": …,
"current_practice_profit": …}` (true expected profits from the simulation's truth). Standard
library only. Untimed: the harness runs it after the timed command.
"""

import json
import sys
from pathlib import Path

summary = json.loads((Path(sys.argv[1]) / "summary.json").read_text())
print(json.dumps(summary["truth"]))

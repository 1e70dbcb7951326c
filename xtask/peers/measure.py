"""Run one command in a fresh process; print its wall time and peak RSS as one JSON line.

Used by `cargo xtask bench` for both sides (ours and the peer), so both are measured the same way:

    python measure.py --stdout OUT --stderr ERR -- PROGRAM [ARGS...]

Wall time is `time.perf_counter()` around the child; peak RSS is `ru_maxrss` of
`resource.getrusage(RUSAGE_CHILDREN)` (KiB on Linux). This wrapper runs exactly one child, so the
figure is that child's peak (or the peak of its own waited-for children, whichever is larger).
Standard library only, so it works before any package is installed.
"""

import argparse
import json
import resource
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", required=True, help="file that receives the child's stdout")
    parser.add_argument("--stderr", required=True, help="file that receives the child's stderr")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- PROGRAM [ARGS...]")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given after --")
    with open(args.stdout, "wb") as out, open(args.stderr, "wb") as err:
        start = time.perf_counter()
        try:
            code = subprocess.call(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        except OSError as e:
            print(json.dumps({"exit": 127, "error": f"could not start {command[0]}: {e}"}))
            return 0
        wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "exit": code,
                "wall_s": wall,
                "max_rss_kib": usage.ru_maxrss,
                "user_s": usage.ru_utime,
                "sys_s": usage.ru_stime,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

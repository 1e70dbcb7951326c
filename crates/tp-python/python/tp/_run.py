"""``tp.run``: the whole pipeline (profile, segment, uplift, policy, off-policy check, A/B design)."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Dict, Mapping, Union

from . import _native


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"config value {v!r}: expected a bool, number, string or list")


def _toml(config: Mapping[str, Any], prefix: str = "") -> str:
    lines = [f"{k} = {_toml_value(v)}" for k, v in config.items() if not isinstance(v, Mapping)]
    for k, v in config.items():
        if isinstance(v, Mapping):
            name = f"{prefix}.{k}" if prefix else str(k)
            lines.append(f"\n[{name}]")
            lines.append(_toml(v, name))
    return "\n".join(lines)


def run(config: Union[str, os.PathLike, Mapping[str, Any]], out: Union[str, os.PathLike], verbose: bool = False) -> Dict[str, Any]:
    """Runs the pipeline as ``tp run CONFIG --out OUT`` and returns ``summary.json`` as a dict.

    Parameters
    ----------
    config : str, path or dict
        A TOML config file (``docs/config.md``; relative paths start at its folder), or the same
        keys as a dict (relative paths start at the current directory).
    out : str or path
        Output folder: profiles, segments, CATE, policy, OPE files, ``summary.json`` and
        ``report.html``.
    verbose : bool, default=False
        Print one line per pipeline step to stderr.

    Returns
    -------
    dict
        The run's summary (the content of ``summary.json``).
    """
    if isinstance(config, Mapping):
        fd, path = tempfile.mkstemp(suffix=".toml", prefix=".tp-run-", dir=os.getcwd())
        try:
            with os.fdopen(fd, "w") as f:
                f.write(_toml(config) + "\n")
            return json.loads(_native.run_config(path, os.fspath(out), bool(verbose)))
        finally:
            os.unlink(path)
    return json.loads(_native.run_config(os.fspath(config), os.fspath(out), bool(verbose)))

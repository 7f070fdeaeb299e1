"""Inspecting segments from Python: zeroipc-inspect's JSON as Python objects, and the table through the C library.

Two views, for two needs:

- :func:`inspect` runs the ``zeroipc-inspect`` tool (the C++ reader of SPECIFICATION.md: read-only,
  it never attaches or locks, and describes hostile or corrupt segments field by field) with
  ``--json`` and returns its document (schema ``zeroipc-inspect/1``) as dicts and lists::

      doc = zeroipc.inspect("show", "/sensor_data")
      [s["name"] for s in doc["structures"]]

  The tool is found through ``$ZEROIPC_INSPECT``, then ``PATH``, then the repository's build tree
  (``build/bin/zeroipc-inspect``).
- :func:`table_rows` opens the segment through the C library and reads its table (zeroipc.Table): it
  works where the tool is not installed, for segments that are well formed.

``python3 -m zeroipc inspect ARGS...`` and ``python3 -m zeroipc table SEGMENT`` are the same from the shell.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Sequence

from .memory import Memory
from .table import Table

__all__ = ["inspect", "inspect_tool", "table_rows", "InspectToolMissing"]


class InspectToolMissing(FileNotFoundError):
    """zeroipc-inspect is neither named by $ZEROIPC_INSPECT, on PATH, nor in the build tree."""


def inspect_tool() -> str:
    """The path of the zeroipc-inspect program this module runs (InspectToolMissing if none)."""
    env = os.environ.get("ZEROIPC_INSPECT")
    if env:
        if not os.access(env, os.X_OK):
            raise InspectToolMissing(f"ZEROIPC_INSPECT={env} is not an executable file")
        return env
    tried = []
    on_path = shutil.which("zeroipc-inspect")
    if on_path:
        return on_path
    tried.append("zeroipc-inspect on PATH")
    in_tree = Path(__file__).resolve().parents[3] / "build" / "bin" / "zeroipc-inspect"
    if os.access(in_tree, os.X_OK):
        return str(in_tree)
    tried.append(str(in_tree))
    raise InspectToolMissing("zeroipc-inspect not found (tried $ZEROIPC_INSPECT, " + ", ".join(tried) +
                             "): build the target zeroipc-inspect or install the C++ package")


def inspect(*args: str) -> Dict[str, Any]:
    """Runs ``zeroipc-inspect ARGS --json`` and returns its JSON document.

    ``inspect("list")``, ``inspect("show", "/seg")``, ``inspect("show", "/seg", "orders")``,
    ``inspect("dump", "/seg", "--size", "256")``. A failing command (exit status other than 0, e.g. a
    missing segment) raises RuntimeError with the tool's own message.
    """
    argv = [inspect_tool(), *map(str, args)]
    if "--json" not in argv:
        argv.append("--json")
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip() or proc.stdout.strip()}")
    return json.loads(proc.stdout)


def table_rows(segment: str) -> List[Dict[str, Any]]:
    """Every structure of ``segment`` as a dict (name, kind, variant, dtype, element_size, capacity,
    offset, size, creator_pid), read through the C library (the segment is opened, so it must be
    well formed and this user's, as for any open)."""
    with Memory(segment) as mem:
        return [s._asdict() for s in Table(mem)]


def main_inspect(args: Sequence[str]) -> int:
    """``python3 -m zeroipc inspect ...``: zeroipc-inspect's output (JSON unless --text is given)."""
    args = list(args)
    if "--text" in args:  # the tool's own human-readable output
        args.remove("--text")
        return subprocess.run([inspect_tool(), *args], stdin=subprocess.DEVNULL).returncode
    print(json.dumps(inspect(*args), indent=2))
    return 0

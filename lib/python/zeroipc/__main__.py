"""``python3 -m zeroipc``: inspect segments from the shell.

    python3 -m zeroipc inspect list                  # zeroipc-inspect's JSON (any of its subcommands)
    python3 -m zeroipc inspect show /seg [STRUCT]
    python3 -m zeroipc inspect show /seg --text      # the tool's own text
    python3 -m zeroipc table /seg [--json]           # the table through the C library: name, kind, variant, ...
"""

from __future__ import annotations

import json
import sys
from typing import List, Optional

from .errors import Error
from .inspection import InspectToolMissing, main_inspect, table_rows

USAGE = __doc__


def _table(args: List[str]) -> int:
    as_json = "--json" in args
    rest = [a for a in args if a != "--json"]
    if len(rest) != 1:
        print("usage: python3 -m zeroipc table SEGMENT [--json]", file=sys.stderr)
        return 2
    rows = table_rows(rest[0])
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'name':<32} {'kind':<8} {'variant':<16} {'dtype':<7} {'elem':>6} {'capacity':>10} {'offset':>10}")
    for r in rows:
        print(f"{r['name']:<32} {r['kind']:<8} {r['variant'] or '-':<16} {r['dtype']:<7} {r['element_size']:>6} "
              f"{r['capacity']:>10} {r['offset']:>10}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE.strip())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    try:
        if command == "inspect":
            return main_inspect(rest)
        if command == "table":
            return _table(rest)
    except Error as e:  # the library's message, which names itself ("zeroipc: ...")
        print(e, file=sys.stderr)
        return 1
    except (InspectToolMissing, RuntimeError) as e:
        print(f"zeroipc: {e}", file=sys.stderr)
        return 1
    print(f"zeroipc: unknown command '{command}' (expected inspect or table)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

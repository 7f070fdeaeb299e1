"""What the Python package's tests (test_python_*.py) share: where the package and the C++ interop
program are, a fresh segment name per test, and child processes that must exit 0 (Debian's Python
with the package importable, tests/interop/interop_cpp).

The C library comes from $ZEROIPC_C_LIBRARY (ctest sets it), else the package's own search (the
Release build tree); the C++ program from $ZEROIPC_INTEROP_CPP, else the Release build's. Importing
this module puts lib/python first on sys.path, so that `import zeroipc` in a test finds the
repository's package; this module itself imports the package only when a `seg` fixture runs.

Use in a test module:

    from zeroipc_testkit import CPP_SEGMENT_SIZE, cpp, finish, needs_cpp, run_child, segment_fixture
    import zeroipc
    seg = segment_fixture("pylazy")   # the `seg` fixture: /zeroipc_pylazy_<pid>_<n>
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "lib" / "python"
sys.path.insert(0, str(PACKAGE_DIR))

INTEROP_CPP = Path(os.environ.get("ZEROIPC_INTEROP_CPP", ROOT / "build" / "tests" / "interop" / "interop_cpp"))
CPP_SEGMENT_SIZE = 4 << 20  # interop_cpp's kSegmentSize: a segment it opens with a size must be at least this big

needs_cpp = pytest.mark.skipif(not INTEROP_CPP.exists(), reason=f"{INTEROP_CPP} not built (target interop_cpp)")
"""Marks a test (or, as `pytestmark = needs_cpp`, a module) skipped when interop_cpp is not built."""

_counter = itertools.count()


def segment_fixture(tag: str) -> Callable[..., Any]:
    """A `seg` fixture for a test module (assign it to the module's `seg`): each test gets a fresh
    segment name /zeroipc_<tag>_<pid>_<n>, unlinked before the test and at its end, failed or not."""

    @pytest.fixture(name="seg")
    def seg() -> Iterator[str]:
        import zeroipc  # here, not at import: a module that only needs the paths does not load the library

        name = f"/zeroipc_{tag}_{os.getpid()}_{next(_counter)}"
        zeroipc.unlink(name)
        yield name
        zeroipc.unlink(name)

    return seg


def run_child(code: str, *args: object) -> subprocess.Popen:
    """Starts Debian's Python (this interpreter) on `code` (dedented; numpy as np and zeroipc already
    imported) with the package importable; args in sys.argv[1:]; stdout/stderr piped as text."""
    prelude = f"import sys; sys.path.insert(0, {str(PACKAGE_DIR)!r})\nimport numpy as np, zeroipc\n"
    return subprocess.Popen([sys.executable, "-c", prelude + textwrap.dedent(code), *map(str, args)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=os.environ.copy())


def cpp(*args: object) -> subprocess.Popen:
    """Starts interop_cpp with the arguments (the test is skipped when it is not built); stdout/stderr
    piped as text, for first_line / finish."""
    if not INTEROP_CPP.exists():
        pytest.skip(f"{INTEROP_CPP} not built (target interop_cpp)")
    return subprocess.Popen([str(INTEROP_CPP), *map(str, args)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_cpp(*args: object, timeout: float = 60) -> str:
    """Runs interop_cpp to its end; it must exit 0. Returns its stdout."""
    r = subprocess.run([str(INTEROP_CPP), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"interop_cpp {args} exited {r.returncode}: {r.stderr.strip()}"
    return r.stdout


def finish(proc: subprocess.Popen, timeout: float = 30) -> str:
    """Waits for a child (killed after `timeout` s, and the test fails); it must exit 0. Returns its
    stdout (what first_line has not read yet)."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"child timed out; stdout: {out!r} stderr: {err!r}")
    assert proc.returncode == 0, f"child exited {proc.returncode}; stdout: {out!r} stderr: {err!r}"
    return out

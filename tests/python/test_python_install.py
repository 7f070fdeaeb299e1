"""The Python package installed as a user would, and its command line.

- ``pip install --no-build-isolation --no-index lib/python`` into a fresh venv of Debian's Python (with its
  system site-packages, for NumPy), offline: the install compiles the package's own copy of the C
  library (setup.py). From a folder outside the repository, with no ZEROIPC_C_LIBRARY and no PYTHONPATH,
  the installed package must load that copy and talk to a C++ process.
- ``python3 -m zeroipc table`` and ``python3 -m zeroipc inspect`` on a segment made from Python.

The install works on a copy of lib/ in a temporary folder (pip builds in the source tree: the checkout
stays clean, and parallel runs do not share a build folder).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from zeroipc_testkit import INTEROP_CPP, PACKAGE_DIR, ROOT, needs_cpp

INSPECT = os.environ.get("ZEROIPC_INSPECT", str(ROOT / "build" / "bin" / "zeroipc-inspect"))


def run(argv, **kw):
    proc = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=kw.pop("timeout", 300), **kw)
    return proc


def clean_env():
    """This environment without what would point Python at the repository's copy."""
    env = {k: v for k, v in os.environ.items() if k not in ("ZEROIPC_C_LIBRARY", "PYTHONPATH", "PYTHONHOME")}
    env["PIP_NO_INPUT"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def missing_modules():
    probes = (["-c", "import venv, ensurepip, setuptools, wheel"], ["-m", "pip", "--version"])
    return any(run([sys.executable, *probe]).returncode != 0 for probe in probes)


@pytest.fixture
def seg():
    """A segment name holding the pid, removed before and after; not zeroipc_testkit's fixture, which
    loads the library into this process (here only the children use the package)."""
    name = f"/zeroipc_pyinstall_{os.getpid()}"
    subprocess.run(["rm", "-f", f"/dev/shm{name}"])
    yield name
    subprocess.run(["rm", "-f", f"/dev/shm{name}"])


@pytest.mark.skipif(missing_modules(), reason="python3-venv, -pip, -setuptools or -wheel missing (scripts/setup)")
@needs_cpp
def test_pip_install_offline_then_use_across_processes(tmp_path, seg):
    src = tmp_path / "src" / "lib"
    for part in ("python", "c", "include"):
        shutil.copytree(ROOT / "lib" / part, src / part, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                                      "__pycache__"))
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", "--system-site-packages", venv], env=clean_env())
    assert made.returncode == 0, made.stderr
    py = venv / "bin" / "python"
    inst = run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index", src / "python"], env=clean_env(),
               cwd=tmp_path)
    assert inst.returncode == 0, f"pip install failed:\n{inst.stdout[-3000:]}\n{inst.stderr[-3000:]}"
    assert "Successfully installed zeroipc" in inst.stdout

    # A C++ process produces 1000 items; the installed package consumes them in order.
    producer = subprocess.Popen([str(INTEROP_CPP), "queue-produce", seg, "q", "vyukov_bounded", "64", "1000", "1"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    user = textwrap.dedent(f"""
        import time, numpy as np, zeroipc
        print(zeroipc.library_path)
        deadline = time.monotonic() + 60
        while not zeroipc.exists({seg!r}):
            assert time.monotonic() < deadline, "no segment"
            time.sleep(0.01)
        mem = None
        while mem is None or "q" not in mem:
            mem = mem or zeroipc.Memory({seg!r})
            time.sleep(0.01)
        q = zeroipc.Queue(mem, "q", dtype=np.uint64)
        got = []
        while len(got) < 1000:
            item = q.pop()
            if item is None:
                assert time.monotonic() < deadline, f"only {{len(got)}} items"
                continue
            got.append(int(item))
        assert got == [1 << 40 | i for i in range(1000)], got[:5]
        print("consumed", len(got), mem.table.kinds())
    """)
    consumer = run([py, "-c", user], env=clean_env(), cwd=tmp_path, timeout=120)
    out, err = producer.communicate(timeout=60)
    assert producer.returncode == 0, err
    assert consumer.returncode == 0, consumer.stderr
    library, result = consumer.stdout.strip().splitlines()
    assert Path(library).parent == Path(venv / "lib").glob("python3*/site-packages/zeroipc").__next__(), library
    assert Path(library).name.startswith("_libzeroipc_c")
    assert result == "consumed 1000 {'q': 'queue'}"


def make_segment(seg):
    code = textwrap.dedent(f"""
        import numpy as np, zeroipc
        mem = zeroipc.Memory({seg!r}, 1 << 20)
        zeroipc.Queue(mem, "orders", dtype=np.uint64, capacity=8, variant="spsc_ring")
        a = zeroipc.Array(mem, "temps", dtype=np.float32, capacity=5); a[:] = 1.5
    """)
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_DIR))
    made = run([sys.executable, "-c", code], env=env)
    assert made.returncode == 0, made.stderr
    return env


def test_module_table_command(seg):
    env = make_segment(seg)
    text = run([sys.executable, "-m", "zeroipc", "table", seg], env=env)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["name", "kind", "variant", "dtype", "elem", "capacity", "offset"]
    assert lines[1].split()[:6] == ["orders", "queue", "spsc_ring", "u64", "8", "8"]
    assert lines[2].split()[:6] == ["temps", "array", "-", "f32", "4", "5"]
    rows = json.loads(run([sys.executable, "-m", "zeroipc", "table", seg, "--json"], env=env).stdout)
    assert [(r["name"], r["kind"], r["variant"]) for r in rows] == [("orders", "queue", "spsc_ring"),
                                                                    ("temps", "array", "")]
    missing = run([sys.executable, "-m", "zeroipc", "table", seg + "_none"], env=env)
    assert missing.returncode == 1
    assert f"segment '{seg}_none' does not exist" in missing.stderr
    bad = run([sys.executable, "-m", "zeroipc", "frobnicate"], env=env)
    assert bad.returncode == 2 and "unknown command 'frobnicate' (expected inspect or table)" in bad.stderr


@pytest.mark.skipif(not os.access(INSPECT, os.X_OK), reason=f"{INSPECT} not built")
def test_module_inspect_reuses_zeroipc_inspect_json(seg):
    env = make_segment(seg)
    env["ZEROIPC_INSPECT"] = INSPECT
    shown = run([sys.executable, "-m", "zeroipc", "inspect", "show", seg], env=env)
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["schema"] == "zeroipc-inspect/1" and doc["command"] == "show"
    direct = json.loads(run([INSPECT, "show", seg, "--json"]).stdout)
    assert doc["segment"]["structures"] == direct["segment"]["structures"]
    assert [s["name"] for s in doc["segment"]["structures"]] == ["orders", "temps"]
    # The Python API returns the same document.
    code = f"import zeroipc, json; print(json.dumps(zeroipc.inspect('show', {seg!r})['segment']['structures']))"
    api = run([sys.executable, "-c", code], env=env)
    assert api.returncode == 0, api.stderr
    assert json.loads(api.stdout) == direct["segment"]["structures"]
    gone = run([sys.executable, "-m", "zeroipc", "inspect", "show", seg + "_none"], env=env)
    assert gone.returncode == 1 and "does not exist" in gone.stderr

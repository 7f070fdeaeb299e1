"""The README's Python sample, run as a user would: the ```python block of the section
"## Python" is extracted from README.md and run in a fresh interpreter with the package importable.
A README whose sample no longer runs (a renamed call, a changed default) fails here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def python_section_sample() -> str:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Python.*?(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Python' section"
    block = re.search(r"```python\n(.*?)```", section.group(0), re.S)
    assert block, "the README's Python section has no ```python block"
    return block.group(1)


def test_readme_python_sample_runs():
    code = python_section_sample()
    segment = re.search(r'zeroipc\.Memory\("(/[^"]+)"', code).group(1)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "lib" / "python"))
    subprocess.run(["rm", "-f", f"/dev/shm{segment}"])
    proc = subprocess.run([sys.executable, "-c", code], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # What the sample's comments promise.
    assert lines[0] == "20.45"
    assert lines[1:4] == ["2.5", "42", str(1 / 3)]
    assert lines[4:7] == ["0.0 True", "[1, 2] closed", "(True, 1)"]
    assert lines[7].startswith("{'temperature': 'array', 'orders': 'queue'")
    assert not os.path.exists(f"/dev/shm{segment}"), "the sample leaves its segment behind"

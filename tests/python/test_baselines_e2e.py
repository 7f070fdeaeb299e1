"""The baselines (issue 5) through the harness end to end: transports measured on the same work as
zeroipc's queues, every message verified, the redis-server started and stopped by the harness, and
nothing left behind — after a normal run, after Ctrl-C, after the harness is SIGKILLed.

The harness binary comes from $ZEROIPC_HARNESS (ctest sets it), else build/harness/zeroipc-harness.
"""

import functools
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import HARNESS, ROOT, harness, results_dir, run_script
import zeroipc_results as zr

pytestmark = pytest.mark.skipif(not HARNESS.exists(), reason=f"harness not built at {HARNESS}")

TINY = """
[experiment]
name = "tiny-baselines"
repetitions = 1
[matrix]
workloads = ["pingpong", "streaming"]
structures = ["transport"]
transports = [{transports}]
message_sizes = [8, 4096]
skip_impossible = true
[pingpong]
round_trips = 300
warmup_round_trips = 30
[streaming]
messages = 3000
warmup_messages = 300
capacity = 64
[floor]
cacheline_round_trips = 2000
cacheline_warmup = 200
memcpy_bytes = 1048576
shm_read_bytes = 262144
passes = 2
futex = true
"""


def experiment(tmp_path, transports, **extra):
    text = TINY.format(transports=", ".join(f'"{t}"' for t in transports))
    path = tmp_path / "tiny-baselines.toml"
    path.write_text(text)
    return path


@functools.lru_cache(maxsize=None)
def baselines_plan():
    """The plan of experiments/ipc-baselines.toml (asked once: several checks read it)."""
    r = harness(ROOT / "experiments" / "ipc-baselines.toml", "--plan")
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def built(transport):
    """Whether this build has the transport: the baselines plan notes the ones that are off."""
    return f"transport {transport} is off" not in baselines_plan()


def processes_mentioning(text):
    """pids of live processes whose command line contains `text`."""
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmdline = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next((l for l in (p / "status").read_text().splitlines() if l.startswith("State:")), "")
        except OSError:
            continue
        if text in cmdline and "zombie" not in state:
            out.append(int(p.name))
    return out


def harness_leftovers(pid):
    """What the harness `pid` may leave: segments, queues, link directories."""
    found = [str(p) for d in ("/dev/shm", "/dev/mqueue", "/tmp") for p in Path(d).glob(f"zeroipc-harness-{pid}-*")]
    return found + [f"process {p}" for p in processes_mentioning(f"zeroipc-harness-{pid}-")]


def redis_left(doc):
    """The harness's redis-server, if anything of it survives: a process with its address in its title
    (redis-server names itself "redis-server 127.0.0.1:<port>"), its directory."""
    server = doc["context"].get("redis_server") or {}
    assert "error" not in server, server
    directory = str(Path(server["unix_socket"]).parent)
    return (processes_mentioning(f"redis-server 127.0.0.1:{server['port']}") +
            ([directory] if Path(directory).exists() else []))


def test_transports_measured_and_verified_like_the_queues(tmp_path):
    transports = ["pipe", "unix_stream", "unix_seqpacket", "tcp", "posix_mq", "zeroipc_spsc_ring",
                  "zeroipc_vyukov_bounded", "zeroipc_c_vyukov_bounded"]
    transports += [t for t in ("boost_mq", "zmq_ipc", "zmq_ipc_reqrep", "redis_unix", "redis_tcp") if built(t)]
    r = harness(experiment(tmp_path, transports), "--results", tmp_path / "out", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    out = results_dir(tmp_path)
    doc = zr.load_results(out)
    cases = {c["id"]: c for c in doc["cases"] if c["structure"] == "transport"}
    for t in transports:
        for w in ("pingpong", "streaming"):
            cid = f"{w}/transport/{t}/8B/1p1c/different-cores"
            if t == "zmq_ipc_reqrep" and w == "streaming":
                assert cid not in cases
                continue
            c = cases[cid]
            assert c["status"] == "ok", (cid, c["error"])
            rep = c["repetitions"][0]
            v = rep["verification"]
            assert v["sent"] == v["received"] and v["multiset_hash_match"] and v["corrupt"] == 0, v
            assert v["out_of_order"] == 0, v
            assert isinstance(rep["link"]["client"], dict) and isinstance(rep["link"]["server"], dict), rep["link"]
            m = c["metrics"][c["primary_metric"]]
            assert m["best_zeroipc_ratio"] > 0 and c["best_zeroipc_case"].startswith(f"{w}/transport/zeroipc_")
    futex = {c["id"]: c for c in doc["cases"]}["floor-futex/different-cores"]
    assert futex["status"] == "ok" and futex["metrics"]["round_trip_ns_p50"]["median"] > 0, futex["error"]
    # The best zeroipc queue is 1x itself.
    best = cases[cases["pingpong/transport/pipe/8B/1p1c/different-cores"]["best_zeroipc_case"]]
    assert best["metrics"]["round_trip_ns_p50"]["best_zeroipc_ratio"] == 1.0
    assert "x best zeroipc" in (out / "summary.txt").read_text()

    plots = run_script("plot.py", out)
    assert plots.returncode == 0, plots.stdout + plots.stderr
    assert (out / "plots" / "transport_latency.png").stat().st_size > 10000
    tables = (out / "plots" / "transport_tables.md").read_text()
    assert "| unix_stream |" in tables and "1.00x" in tables, tables

    if "redis_unix" in transports:
        assert redis_left(doc) == []


def test_no_leftovers_after_a_run(tmp_path):
    proc = subprocess.Popen([str(HARNESS), str(experiment(tmp_path, ["pipe", "unix_stream", "posix_mq",
                                                                     "zeroipc_lcrq"])),
                             "--results", str(tmp_path / "out")], text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stdout + stderr
    assert harness_leftovers(proc.pid) == []


def redis_run(tmp_path):
    """A harness running Redis cases for a long while, in its own process group; returns it once its
    redis-server is up (the first Redis case has started)."""
    exp = experiment(tmp_path, ["redis_unix"])
    proc = subprocess.Popen([str(HARNESS), str(exp), "repetitions=500", "--results", str(tmp_path / "out")],
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        servers = [p for p in processes_mentioning("redis-server")
                   if Path(f"/proc/{p}/status").exists() and
                   f"PPid:\t{proc.pid}" in Path(f"/proc/{p}/status").read_text()]
        if servers:
            return proc, servers[0]
        time.sleep(0.1)
    proc.kill()
    pytest.fail("the harness's redis-server did not show up within 30 s")


def wait_gone(pid, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not HARNESS.exists() or not built("redis_unix"), reason="Redis baselines not built")
def test_ctrl_c_stops_the_redis_server(tmp_path):
    proc, server = redis_run(tmp_path)
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert wait_gone(server), f"redis-server {server} still runs after Ctrl-C"
    doc = zr.load_results(results_dir(tmp_path))
    assert redis_left(doc) == []
    assert harness_leftovers(proc.pid) == []


@pytest.mark.skipif(not HARNESS.exists() or not built("redis_unix"), reason="Redis baselines not built")
def test_killed_harness_takes_its_redis_server_along(tmp_path):
    proc, server = redis_run(tmp_path)
    server_dirs = list(Path("/tmp").glob(f"zeroipc-redis-{proc.pid}-*"))
    assert len(server_dirs) == 1, server_dirs
    os.killpg(proc.pid, signal.SIGKILL)  # harness and workers die at once; nobody runs a destructor
    proc.communicate(timeout=60)
    assert wait_gone(server), f"redis-server {server} outlived its SIGKILLed harness"
    # The next harness removes what the dead one left (segments, queues, link and server directories).
    r = harness(experiment(tmp_path, ["pipe"]), "--results", tmp_path / "out2")
    assert r.returncode == 0, r.stdout + r.stderr
    assert harness_leftovers(proc.pid) == []
    assert not server_dirs[0].exists(), f"{server_dirs[0]} of the dead harness's server was not removed"


def python_run(tmp_path, env=None):
    """A tiny run of zeroipc_python_vyukov_bounded beside its C and C++ twins; (process, stdout, stderr)."""
    proc = subprocess.Popen([str(HARNESS), str(experiment(tmp_path, ["zeroipc_vyukov_bounded",
                                                                     "zeroipc_c_vyukov_bounded",
                                                                     "zeroipc_python_vyukov_bounded"])),
                             "--results", str(tmp_path / "out")], text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    stdout, stderr = proc.communicate(timeout=300)
    return proc, stdout, stderr


def test_python_server_measured_beside_c_and_cxx(tmp_path):
    """zeroipc_python_<variant>: the C client, a Python process echoing (ping-pong) or sinking
    (streaming) on the server worker's PU; every message verified by the harness, the languages of
    both sides recorded, no one-way latency (the worker sees Python's messages in batches)."""
    proc, stdout, stderr = python_run(tmp_path)
    assert proc.returncode == 0, stdout + stderr
    doc = zr.load_results(results_dir(tmp_path))
    cases = {c["id"]: c for c in doc["cases"] if c["structure"] == "transport"}
    languages = {"zeroipc_vyukov_bounded": ("C++", "C++"), "zeroipc_c_vyukov_bounded": ("C", "C"),
                 "zeroipc_python_vyukov_bounded": ("C", "Python")}
    for t, (client, server) in languages.items():
        for w in ("pingpong", "streaming"):
            for size in (8, 4096):
                c = cases[f"{w}/transport/{t}/{size}B/1p1c/different-cores"]
                assert c["status"] == "ok", (c["id"], c["error"])
                assert c["languages"] == {"client": client, "server": server}, c["languages"]
                rep = c["repetitions"][0]
                v = rep["verification"]
                assert v["sent"] == v["received"] > 0 and v["multiset_hash_match"], v
                assert v["corrupt"] == 0 and v["out_of_order"] == 0 and v["left_in_structure"] == 0, v
                m = c["metrics"][c["primary_metric"]]
                assert m["median"] > 0 and m["best_zeroipc_ratio"] > 0, m
                if t != "zeroipc_python_vyukov_bounded":
                    continue
                assert not any(k.startswith("one_way_ns") for k in rep["values"]), rep["values"]
                link = rep["link"]["server"]
                assert link["language"] == "Python" and link["frame_bytes"] == size, link
                server_pu = next(wk["pu"] for wk in rep["workers"] if wk["role"] in ("responder", "consumer"))
                assert link["peer_cpus"] == [server_pu], (link, rep["workers"])
                assert rep["link"]["client"]["implementation"].startswith("C "), rep["link"]["client"]
    assert harness_leftovers(proc.pid) == []


@pytest.mark.parametrize("env, expected", [
    ({"ZEROIPC_PYTHON": "/nonexistent/python3"},
     "cannot run the Python interpreter /nonexistent/python3: No such file or directory"),
    ({"ZEROIPC_PYTHON_PEER_KILL_AFTER": "100"}, "was killed by signal 9 while the harness waited for a message"),
], ids=["no-interpreter", "peer-killed"])
def test_python_server_failures_are_errors_not_hangs(tmp_path, env, expected):
    """No interpreter, or the Python process dying mid-run: the Python cases fail with the reason
    (bounded waits, never a hang), the C and C++ ones still pass, nothing is left behind."""
    proc, stdout, stderr = python_run(tmp_path, env)
    assert proc.returncode == 1, stdout + stderr
    doc = zr.load_results(results_dir(tmp_path))
    for c in doc["cases"]:
        if c["structure"] != "transport":
            continue
        if "zeroipc_python_" in c["id"]:
            assert c["status"] == "failed" and expected in c["error"], (c["id"], c["error"])
        else:
            assert c["status"] == "ok", (c["id"], c["error"])
    assert harness_leftovers(proc.pid) == []

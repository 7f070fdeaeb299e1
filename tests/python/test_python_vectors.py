"""The Python side of the golden vectors (tests/vectors/MANIFEST.txt, written by the C++
implementation; tests/vectors/golden.h says what each operation does), as tests/c/vectors_test.c
is the C side.

1. Layout, in pure Python + NumPy (no C library): the §2 segment header, the §3 name-table entry
   and the §6 common structure header as NumPy structured dtypes with explicit offsets, checked
   against SPECIFICATION.md's own tables; every structure vector's header says what the manifest
   says, and its total_size is the file's size and what §7's formula gives for its kind and
   variant; every segment vector's header and name table are consistent with its structures.
2. Replay, through the Python package (ctypes over libzeroipc-c.so): the "core" structures are
   created in a fresh segment with the same operations, in the same order, and the segment's
   header and table, and every structure, must equal the golden bytes outside the masked
   (process-dependent) ranges. The stack goes through zeroipc.Stack, or the C library directly
   (ctypes, a handle of its own) where the package has no Stack.

The library comes from $ZEROIPC_C_LIBRARY (ctest sets it), else the package's own search;
$ZEROIPC_VECTORS_DIR points the tests at another copy of tests/vectors (to see them fail on a
changed byte). The replayed segment's name holds the pid; it is unlinked at the end, failed or not.
"""

import ctypes
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lib" / "python"))
VECTORS = Path(os.environ.get("ZEROIPC_VECTORS_DIR", ROOT / "tests" / "vectors"))
SPEC = ROOT / "SPECIFICATION.md"

# ------------------------------------------------------------------ the format (SPECIFICATION.md)


def _dtype(fields, itemsize):
    """A little-endian structured dtype from (name, offset, format) rows."""
    return np.dtype({"names": [f[0] for f in fields], "offsets": [f[1] for f in fields],
                     "formats": [f[2] for f in fields], "itemsize": itemsize})


# §2 segment header, 128 bytes at offset 0.
SEGMENT_HEADER = _dtype([
    ("magic", 0, "S4"), ("format_version", 4, "<u2"), ("header_size", 6, "<u2"),
    ("segment_size", 8, "<u8"), ("table_offset", 16, "<u8"), ("table_capacity", 24, "<u4"),
    ("attach_capacity", 28, "<u4"), ("data_offset", 32, "<u8"), ("created_ns", 40, "<u8"),
    ("creator_pid", 48, "<u4"), ("table_lock", 64, "<u4"), ("table_count", 68, "<u4"),
    ("alloc_cursor", 72, "<u8"), ("lock_holder_pid", 80, "<u8"), ("table_generation", 88, "<u8"),
    ("attach_overflow", 96, "<u4"),
], 128)

# §3 name-table entry, 64 bytes.
TABLE_ENTRY = _dtype([
    ("name", 0, "S32"), ("offset", 32, "<u8"), ("size", 40, "<u8"), ("state", 48, "<u4"),
    ("creator_pid", 52, "<u4"), ("creator_key", 56, "<u4"),
], 64)

# §6 common structure header, 64 bytes at the structure's offset.
STRUCT_HEADER = _dtype([
    ("magic", 0, "S4"), ("kind", 4, "<u2"), ("variant", 6, "<u2"), ("element_size", 8, "<u4"),
    ("layout_version", 12, "<u2"), ("dtype", 14, "u1"), ("capacity", 16, "<u8"),
    ("total_size", 24, "<u8"), ("kind_specific", 32, "V32"),
], 64)

SEGMENT_MAGIC, STRUCT_MAGIC = b"ZIPM", b"ZIPS"
FORMAT_VERSION, LAYOUT_VERSION = 1, 1
HEADER_SIZE, ATTACH_CAPACITY, TABLE_OFFSET = 128, 64, 1152
FREE, RESERVED, READY = 0, 1, 2

ARRAY, QUEUE, STACK, MAP, SET, POOL, RING, FUTURE, LAZY, STREAM, CHANNEL = range(1, 12)
VYUKOV_BOUNDED, LCRQ, SCQ, SPSC_RING, LOCKED_RING, LCRQ_NODES, SCQ_INDICES = 1, 2, 3, 4, 5, 6, 7
TREIBER_TAGGED, ELIMINATION_BACKOFF = 1, 2


def align8(n):
    return (n + 7) & ~7


def align64(n):
    return (n + 63) & ~63


def bit_ceil(n):
    """The power of two at or above n (n >= 1)."""
    return 1 << (n - 1).bit_length()


def total_size(header):
    """§7: the bytes a structure of this header's kind, variant, capacity and element size
    occupies, header included."""
    kind, variant = int(header["kind"]), int(header["variant"])
    c, es = int(header["capacity"]), int(header["element_size"])
    if kind == ARRAY:  # §7.1
        return 64 + c * es
    if kind == QUEUE:  # §7.2: 64 + body_size, R = bit_ceil(max(c, 2))
        r = bit_ceil(max(c, 2))
        stride = align8(8 + es)
        if variant == VYUKOV_BOUNDED:
            return 64 + 128 + r * stride
        if variant in (LCRQ, LCRQ_NODES):
            ring_r = min(r, 1024)
            rings = r // ring_r + 3
            ring_bytes = 192 + 16 * ring_r
            nodes_at = 320 + 8256 + rings * ring_bytes
            if variant == LCRQ and es <= 8:
                return 64 + nodes_at  # direct cells: the elements are in the rings, no data nodes
            return 64 + nodes_at + c * stride
        if variant in (SCQ, SCQ_INDICES):
            if variant == SCQ and es <= 8:
                return 64 + 8256 + 192 + 2 * r * 16  # direct cells: one ring of 2n 16-byte cells, no data
            ring_bytes = 192 + 16 * r
            return 64 + 8256 + 2 * ring_bytes + c * es
        if variant == SPSC_RING:
            return 64 + 192 + r * es
        if variant == LOCKED_RING:
            return 64 + 128 + r * es
        raise ValueError(f"unknown queue variant {variant}")
    if kind == STACK:  # §7.3
        nodes_at = {TREIBER_TAGGED: 8384, ELIMINATION_BACKOFF: 9408}[variant]
        return 64 + nodes_at + c * align8(8 + es)
    if kind in (MAP, SET):  # §7.8.1: key_size in kind-specific bytes 32-35
        key_size = int(np.frombuffer(header["kind_specific"].tobytes()[:4], "<u4")[0])
        value_size = es if kind == MAP else 0
        slots = bit_ceil(c + (c + 2) // 3)
        stride = 8 + align8(key_size) + align8(value_size)
        journal_end = 128 + align64(value_size)
        return 64 + journal_end + 2 * slots * stride
    if kind == POOL:  # §7.9.1
        states_at = 128 + align64(4 * c)
        objects_at = states_at + align64(8 * c)
        return 64 + objects_at + c * es
    if kind == RING:  # §7.10.1
        return 64 + 4224 + c * es
    if kind in (FUTURE, LAZY):  # §7.4
        assert c == 1
        return 384 + align8(es)
    if kind == STREAM:  # §7.5: capacity a power of two
        assert c & (c - 1) == 0
        return 4352 + c * (8 + align8(es))
    if kind == CHANNEL:  # §7.6: capacity = cells
        return 448 + bit_ceil(c) * es
    raise ValueError(f"unknown kind {kind}")


# ------------------------------------------------------------------ the manifest


def _ranges(text):
    if text == "-":
        return []
    return [tuple(int(x) for x in r.split(":")) for r in text.split(",")]


def read_manifest():
    """[segment dicts], each with its structures (dicts) in manifest order."""
    segments = []
    for line in (VECTORS / "MANIFEST.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        words = line.split()
        what, segment = words[0], words[1]
        rest = words[2:] if what == "segment" else words[3:]
        v = dict(w.split("=", 1) for w in rest)
        for key in ("segment_size", "table_capacity", "kind", "variant", "element_size", "dtype", "capacity",
                    "requested"):
            if key in v:
                v[key] = int(v[key])
        v["mask"] = _ranges(v["mask"])
        v["segment"] = segment
        if what == "segment":
            v["structures"] = []
            segments.append(v)
        else:
            assert segments and segments[-1]["segment"] == segment, line
            v["name"] = words[2]
            segments[-1]["structures"].append(v)
    return segments


SEGMENTS = read_manifest()
STRUCTURES = [s for seg in SEGMENTS for s in seg["structures"]]
CORE = next(seg for seg in SEGMENTS if seg["segment"] == "core")


def golden(file):
    return (VECTORS / file).read_bytes()


def masked(data, mask):
    out = bytearray(data)
    for offset, size in mask:
        if offset + size <= len(out):
            out[offset:offset + size] = bytes(size)
    return bytes(out)


def first_difference(a, b):
    """The first offset where a and b differ (a length difference counts), or None."""
    x = np.frombuffer(a, np.uint8)
    y = np.frombuffer(b, np.uint8)
    n = min(len(x), len(y))
    diff = np.flatnonzero(x[:n] != y[:n])
    if diff.size:
        return int(diff[0])
    return None if len(x) == len(y) else n


def masked_difference(built, gold, mask, what):
    """None when equal outside `mask`, else a message naming the first differing offset."""
    a, b = masked(built, mask), masked(gold, mask)
    at = first_difference(a, b)
    if at is None:
        return None
    got = a[at] if at < len(a) else None
    want = b[at] if at < len(b) else None
    return (f"{what} differs at offset {at}: built {got}, golden {want} "
            f"(built {a[at:at + 16].hex()}, golden {b[at:at + 16].hex()}; {len(a)} vs {len(b)} bytes)")


# ------------------------------------------------------------------ 1. layout, without the C library


def _spec_table(section_start, section_end):
    """{field: (offset, size)} of the backquoted fields with numeric offset and size in the first
    field table of a SPECIFICATION.md section."""
    text = SPEC.read_text()
    start = text.index(section_start)
    body = text[start:text.index(section_end, start)]
    rows = {}
    for m in re.finditer(r"^\|\s*(\d+)\s*\|\s*(\d+)\s*\|[^|]*\|\s*`(\w+)`\s*\|", body, re.M):
        rows[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return rows


@pytest.mark.parametrize("dtype, start, end", [
    (SEGMENT_HEADER, "## 2. Segment header", "## 3. Name table"),
    (TABLE_ENTRY, "## 3. Name table", "### 3.1"),
    (STRUCT_HEADER, "## 6. Common structure header", "### 6.1"),
], ids=["segment_header", "table_entry", "struct_header"])
def test_dtypes_are_the_spec_tables(dtype, start, end):
    spec = _spec_table(start, end)
    assert spec, f"no field rows found in SPECIFICATION.md section {start!r}"
    ours = {name: (off, dtype.fields[name][0].itemsize) for name, (_, off) in
            ((n, dtype.fields[n][:2]) for n in dtype.names)}
    named = {k: v for k, v in ours.items() if k != "kind_specific"}  # a plain row, no backquotes
    assert named == spec
    assert dtype.itemsize == {"## 2": 128, "## 3": 64, "## 6": 64}[start[:4]]
    # §6: bytes 32-63 are the kind-specific area.
    if dtype is STRUCT_HEADER:
        assert dtype.fields["kind_specific"][1:] == (32,) and dtype.fields["kind_specific"][0].itemsize == 32


def test_manifest_lists_the_vectors():
    assert [s["segment"] for s in SEGMENTS] == ["core", "full"]
    assert len(STRUCTURES) == 21
    assert len(CORE["structures"]) == 10
    for v in STRUCTURES:
        assert (VECTORS / v["file"]).is_file(), v["file"]


@pytest.mark.parametrize("v", STRUCTURES, ids=[s["name"] for s in STRUCTURES])
def test_structure_header(v):
    data = golden(v["file"])
    assert len(data) >= STRUCT_HEADER.itemsize
    h = np.frombuffer(data, STRUCT_HEADER, count=1)[0]
    assert h["magic"] == STRUCT_MAGIC
    assert int(h["kind"]) == v["kind"]
    assert int(h["variant"]) == v["variant"]
    assert int(h["element_size"]) == v["element_size"]
    assert int(h["dtype"]) == v["dtype"]
    assert int(h["capacity"]) == v["capacity"]
    assert int(h["layout_version"]) == LAYOUT_VERSION
    assert data[15] == 0  # reserved
    assert int(h["total_size"]) == len(data)
    assert total_size(h) == len(data), f"§7 formula for kind {v['kind']} variant {v['variant']}"
    if v["kind"] == CHANNEL:  # §7.6: kind-specific bytes 32-39 hold the requested capacity
        assert int(np.frombuffer(data, "<u8", count=1, offset=32)[0]) == v["requested"]
        assert v["capacity"] == max(v["requested"], 1)
    elif v["kind"] in (MAP, SET):  # §7.8: key_size (u64 keys here)
        assert int(np.frombuffer(data, "<u4", count=1, offset=32)[0]) == 8
    elif v["kind"] in (ARRAY, QUEUE, STACK, FUTURE, LAZY):
        assert data[32:64] == bytes(32), "kind-specific bytes not zero"


def check_segment_bytes(seg, data, struct_sizes):
    """§2/§3/§5 on the bytes [0, data_offset) of a segment holding `struct_sizes` (name ->
    total_size, in creation order)."""
    h = np.frombuffer(data, SEGMENT_HEADER, count=1)[0]
    cap = seg["table_capacity"]
    assert h["magic"] == SEGMENT_MAGIC
    assert int(h["format_version"]) == FORMAT_VERSION
    assert int(h["header_size"]) == HEADER_SIZE
    assert int(h["segment_size"]) == seg["segment_size"]
    assert int(h["table_capacity"]) == cap
    assert int(h["attach_capacity"]) == ATTACH_CAPACITY
    assert int(h["table_offset"]) == TABLE_OFFSET
    data_offset = align64(TABLE_OFFSET + 64 * cap)
    assert int(h["data_offset"]) == data_offset
    assert len(data) >= data_offset
    assert int(h["table_lock"]) == 0 and int(h["lock_holder_pid"]) == 0
    assert int(h["table_count"]) == len(struct_sizes)
    cursor = int(h["alloc_cursor"])
    assert data_offset <= cursor <= seg["segment_size"] and cursor % 64 == 0
    assert int(h["table_generation"]) == len(struct_sizes)  # one READY per creation, none reclaimed
    table = np.frombuffer(data, TABLE_ENTRY, count=cap, offset=TABLE_OFFSET)
    ready = [e for e in table[:int(h["table_count"])] if int(e["state"]) == READY]
    assert [e["name"].decode() for e in ready] == list(struct_sizes)
    assert all(int(e["state"]) == FREE and e.tobytes() == bytes(64) for e in table[int(h["table_count"]):])
    end = data_offset
    for e in ready:
        name, offset, size = e["name"].decode(), int(e["offset"]), int(e["size"])
        assert offset % 64 == 0, name
        assert offset >= end, f"{name} at {offset} overlaps the one before (ends at {end})"
        assert size >= struct_sizes[name] and size >= 64, name
        assert size == align64(struct_sizes[name]), name  # §3.1 step 3: need = align64(request)
        end = offset + size
    assert end <= cursor
    return {e["name"].decode(): (int(e["offset"]), int(e["size"])) for e in ready}


@pytest.mark.parametrize("seg", SEGMENTS, ids=[s["segment"] for s in SEGMENTS])
def test_segment_header_and_table(seg):
    data = golden(seg["file"])
    assert len(data) == align64(TABLE_OFFSET + 64 * seg["table_capacity"])
    sizes = {v["name"]: len(golden(v["file"])) for v in seg["structures"]}
    entries = check_segment_bytes(seg, data, sizes)
    # The heap is bump-allocated in creation order from data_offset.
    offsets = [entries[v["name"]][0] for v in seg["structures"]]
    assert offsets[0] == len(data) and offsets == sorted(offsets)


# ------------------------------------------------------------------ 2. replay through the package


RECORD = np.dtype({"names": ["id", "price", "qty"], "formats": ["<u8", "<f8", "<i4"], "offsets": [0, 8, 16],
                   "itemsize": 24})


def _ops(text, pattern):
    m = re.fullmatch(pattern, text)
    assert m, f"ops {text!r} not {pattern!r}"
    return [int(g) for g in m.groups()]


class _CStack:
    """The C library's Stack (zeroipc.h), through a ctypes handle of its own (the package's
    prototypes stay untouched): for a package without zeroipc.Stack."""

    def __init__(self, zeroipc, mem, name, variant, capacity, element_size, dtype):
        from zeroipc.errors import check
        lib = ctypes.CDLL(zeroipc.library_path)
        P = ctypes.c_void_p
        lib.zeroipc_stack_create.restype = ctypes.c_int
        lib.zeroipc_stack_create.argtypes = [P, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_uint32,
                                             ctypes.c_uint8, ctypes.POINTER(P)]
        lib.zeroipc_stack_push.restype = lib.zeroipc_stack_pop.restype = ctypes.c_int
        lib.zeroipc_stack_push.argtypes = lib.zeroipc_stack_pop.argtypes = [P, P]
        lib.zeroipc_stack_close.restype = None
        lib.zeroipc_stack_close.argtypes = [P]
        self._lib, self._check = lib, check
        out = P()
        check(lib.zeroipc_stack_create(mem._handle(), name.encode(), variant, capacity, element_size, dtype,
                                       ctypes.byref(out)))
        self._ptr = out.value

    def push(self, value):
        v = ctypes.c_uint64(value)
        return self._check(self._lib.zeroipc_stack_push(self._ptr, ctypes.byref(v))) == 0

    def pop(self):
        v = ctypes.c_uint64()
        return v.value if self._check(self._lib.zeroipc_stack_pop(self._ptr, ctypes.byref(v))) == 0 else None

    def close(self):
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            self._lib.zeroipc_stack_close(ptr)


def replay(zeroipc, mem, v):
    """Creates structure `v` in `mem` and applies its ops (golden.h); returns what to close."""
    name, ops, kind = v["name"], v["ops"], v["kind"]
    dtype = RECORD if v["dtype"] == 0 else np.uint64
    assert v["dtype"] in (0, 8) and np.dtype(dtype).itemsize == v["element_size"]
    if kind == ARRAY:
        a = zeroipc.Array(mem, name, dtype=dtype, capacity=v["requested"])
        i = np.arange(1, v["requested"] + 1)
        if ops == "fill":
            a[:] = i.astype(np.uint64)
        else:
            assert ops == "fill_record"
            a["id"] = i
            a["price"] = 1.5 * i
            a["qty"] = -i
        return a
    if kind == QUEUE:
        n, m = _ops(ops, r"push:(\d+),pop:(\d+)")
        q = zeroipc.Queue(mem, name, dtype=dtype, capacity=v["requested"], variant=v["variant"])
        for k in range(1, n + 1):
            assert q.push(k)
        assert [int(q.pop()) for _ in range(m)] == list(range(1, m + 1))
        return q
    if kind == STACK:
        n, m = _ops(ops, r"push:(\d+),pop:(\d+)")
        if hasattr(zeroipc, "Stack"):  # the package's, when it has one
            s = zeroipc.Stack(mem, name, dtype=dtype, capacity=v["requested"], variant=v["variant"])
        else:
            s = _CStack(zeroipc, mem, name, v["variant"], v["requested"], v["element_size"], v["dtype"])
        for k in range(1, n + 1):
            assert s.push(k)
        assert [int(s.pop()) for _ in range(m)] == list(range(n, n - m, -1))
        return s
    if kind == FUTURE:
        f = zeroipc.Future(mem, name, dtype=dtype, create=True)
        if ops.startswith("set:"):
            f.set(int(ops[4:]))
        else:
            assert ops.startswith("error:")
            f.set_error(ops[len("error:"):])
        return f
    if kind == CHANNEL:
        c = zeroipc.Channel(mem, name, dtype=dtype, capacity=v["requested"])
        if ops != "none":
            n, m = _ops(ops, r"send:(\d+),receive:(\d+)")
            for k in range(1, n + 1):
                c.send(k, timeout=0)
            assert [int(c.receive(timeout=0)) for _ in range(m)] == list(range(1, m + 1))
        return c
    raise AssertionError(f"{name}: kind {kind} is not in the core segment")


def test_replay_core_segment():
    import zeroipc

    name = f"/zeroipc_py_vectors_{os.getpid()}"
    zeroipc.unlink(name)
    handles = []
    mem = None
    try:
        mem = zeroipc.Memory(name, CORE["segment_size"], table_capacity=CORE["table_capacity"])
        for v in CORE["structures"]:
            handles.append(replay(zeroipc, mem, v))
        built = Path("/dev/shm", name.lstrip("/")).read_bytes()
        assert len(built) == CORE["segment_size"]
        gold = golden(CORE["file"])
        differences = [masked_difference(built[:len(gold)], gold, CORE["mask"], "core segment header and table")]
        # Find each structure through the table, parsed here (not the library's lookup).
        sizes = {v["name"]: len(golden(v["file"])) for v in CORE["structures"]}
        entries = check_segment_bytes(CORE, built[:len(gold)], sizes)
        for v in CORE["structures"]:
            offset, size = entries[v["name"]]
            gold = golden(v["file"])
            assert size >= len(gold), v["name"]
            differences.append(masked_difference(built[offset:offset + len(gold)], gold, v["mask"], v["name"]))
        differences = [d for d in differences if d]
        assert not differences, "\n".join(differences)
        print(f"replayed {len(handles)} core structures through the Python package")
        assert len(handles) == 10
    finally:
        for h in handles:
            if hasattr(h, "close"):
                h.close()
        handles.clear()
        if mem is not None:
            mem.close()
        zeroipc.unlink(name)
    assert not zeroipc.exists(name)

"""Builds the package's own copy of the C library (lib/c) at install time.

The Python package is a ctypes binding of libzeroipc-c (see zeroipc/_lib.py for why ctypes): installing
it compiles lib/c/src/*.c into ``zeroipc/_libzeroipc_c*.so`` inside the package, so an installed
``zeroipc`` needs neither the repository nor a system-wide library. The sources are the same files CMake
builds, with the same flags that matter (C99, _GNU_SOURCE, hidden visibility: the .so exports zeroipc.h
only). The .so is not a CPython extension module (it has no PyInit_ function): ctypes loads it.

Offline, with Debian's packages only (python3-pip, python3-setuptools, python3-wheel; no PyPI):

    /usr/bin/python3 -m pip install --no-build-isolation --no-index lib/python   # in a venv, or
    /usr/bin/python3 -m pip install --no-build-isolation --no-index --break-system-packages lib/python
"""

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# setuptools takes paths relative to this file's folder (the directory pip runs setup.py in).
HERE = Path(__file__).resolve().parent
LIB = Path("..")  # lib/: c/ and include/ beside python/
C_SOURCES = sorted(str(LIB / "c" / "src" / p.name) for p in (HERE.parent / "c" / "src").glob("*.c"))
if not C_SOURCES:
    raise SystemExit(f"zeroipc: no C sources under {HERE.parent / 'c' / 'src'}: install from the repository's lib/python")


class BuildSharedLibrary(build_ext):
    """build_ext for a plain shared library: no PyInit_ export is asked of it."""

    def get_export_symbols(self, ext):
        return []

    def build_extension(self, ext):
        # The sources are ../c/src/*.c: their objects land in build/c/src/, which distutils does not make.
        for obj in self.compiler.object_filenames(ext.sources, output_dir=self.build_temp):
            Path(obj).parent.mkdir(parents=True, exist_ok=True)
        super().build_extension(ext)


setup(
    ext_modules=[
        Extension(
            "zeroipc._libzeroipc_c",
            sources=C_SOURCES,
            include_dirs=[str(LIB / "c" / "include"), str(LIB / "c" / "src"), str(LIB / "include")],
            define_macros=[("_GNU_SOURCE", None), ("ZEROIPC_C_BUILDING", None)],
            extra_compile_args=["-std=c99", "-O2", "-fvisibility=hidden"],
            libraries=["pthread", "rt"],
        )
    ],
    cmdclass={"build_ext": BuildSharedLibrary},
)

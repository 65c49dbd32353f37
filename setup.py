"""Builds and installs the Python package `wick`: `pip install .`

The extension module wick._C is built by CMake (CMakeLists.txt, option
WICK_BUILD_PYTHON) against Debian's pybind11-dev; nothing is downloaded.
Environment:
  WICK_CUDA=OFF|AUTO|ON   build the CUDA backend (default OFF)
  WICK_BUILD_JOBS=N       parallel compile jobs (default: all cores)
  WICK_BUILD_TYPE=...     CMake build type (default Release)
  WICK_BUILD_DIR=DIR      build the module in this existing CMake build directory
                          (scripts/test.sh passes its own, so the library is built once)
The CMake build directory is build-python/<interpreter tag>/ in the source
tree, kept between installs so that a rebuild only compiles what changed.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        shared_dir = os.environ.get("WICK_BUILD_DIR")
        if shared_dir:
            # Someone else's configured build: add the module, change nothing else.
            build_dir = Path(shared_dir).resolve()
            configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-DWICK_BUILD_PYTHON=ON",
                         f"-DPython_EXECUTABLE={sys.executable}"]
        else:
            build_dir = ROOT / "build-python" / sys.implementation.cache_tag
            configure = [
                "cmake", "-S", str(ROOT), "-B", str(build_dir),
                f"-DCMAKE_BUILD_TYPE={os.environ.get('WICK_BUILD_TYPE', 'Release')}",
                "-DWICK_BUILD_PYTHON=ON",
                "-DWICK_BUILD_TESTS=OFF",
                f"-DWICK_CUDA={os.environ.get('WICK_CUDA', 'OFF')}",
                f"-DPython_EXECUTABLE={sys.executable}",
            ]
        # The generator of an existing build directory cannot change.
        if shutil.which("ninja") and not (build_dir / "CMakeCache.txt").exists():
            configure += ["-G", "Ninja"]
        jobs = os.environ.get("WICK_BUILD_JOBS", str(os.cpu_count() or 1))
        subprocess.check_call(configure)
        subprocess.check_call(["cmake", "--build", str(build_dir), "--target", "wick_python", "-j", jobs])

        built = sorted(build_dir.glob("_C.*.so")) + sorted(build_dir.glob("_C.so"))
        if not built:
            raise RuntimeError(f"the CMake build did not produce _C*.so in {build_dir}")
        dest = Path(self.get_ext_fullpath(ext.name))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], dest)


setup(
    name="wick",
    version="0.1.0",
    description="A PyTorch-style tensor library with a dynamic autograd graph, in C++20",
    python_requires=">=3.8",
    packages=find_packages("python"),
    package_dir={"": "python"},
    ext_modules=[CMakeExtension("wick._C")],
    cmdclass={"build_ext": CMakeBuild},
    # setuptools' own scratch space, away from the CMake build/ of scripts/test.sh.
    options={"build": {"build_base": "build-python/setuptools"}, "egg_info": {"egg_base": "build-python"}},
    zip_safe=False,
)

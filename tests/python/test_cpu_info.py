"""wick.backends.cpu.info(), wick.__config__, and OpenBLAS's kernels chosen by
the CPU's instruction sets (Note [Choosing OpenBLAS's kernels]): each case
that depends on the environment OpenBLAS loads under runs in a fresh process."""
import json
import os
import subprocess
import sys

import pytest

import wick

# Loads OpenBLAS with a product, then prints what wick says and the warnings it gave.
PROBE = r"""
import ctypes, json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import wick
    a = wick.ones(64, 64)
    (a @ a).sum().item()
    info = wick.backends.cpu.info()
libc = ctypes.CDLL(None)
libc.getenv.restype = ctypes.c_char_p
print(json.dumps({"info": info, "warnings": [str(w.message) for w in caught],
                  "env_after": (libc.getenv(b"OPENBLAS_CORETYPE") or b"").decode()}))
"""


def probe(coretype):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype is not None:
        env["OPENBLAS_CORETYPE"] = coretype
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_info_describes_cpu_blas_and_threads():
    info = wick.backends.cpu.info()
    assert set(info) == {"cpu", "loop_kernels", "blas", "threads"}
    cpu = info["cpu"]
    assert cpu["vendor"] and cpu["family"] > 0
    assert "sse3" in cpu["instruction_sets"] or cpu["level"] == "x86-64"
    assert cpu["kernel_isa"] in {"SSE", "AVX", "AVX2", "AVX-512"}
    assert info["loop_kernels"] == (cpu["level"] if cpu["level"] != "x86-64-v2" else "x86-64")
    assert info["blas"]["library"] == "OpenBLAS" and info["blas"]["version"].startswith("0.")
    assert info["threads"] == wick.get_num_threads()
    with open("/proc/cpuinfo") as f:
        flags = next(line for line in f if line.startswith("flags")).split(":")[1].split()
    assert ("avx512f" in flags) == ("avx512f" in cpu["instruction_sets"])
    assert ("avx2" in flags) == ("avx2" in cpu["instruction_sets"])


def test_config_show_and_parallel_info():
    text = wick.__config__.show()
    info = wick.backends.cpu.info()
    assert info["cpu"]["vendor"] in text and info["blas"]["core"] in text and "CUDA backend" in text
    assert f"{wick.get_num_threads()} threads" in wick.__config__.parallel_info()
    expected = {"x86-64-v4": "AVX512", "x86-64-v3": "AVX2"}.get(wick.backends.cpu.info()["loop_kernels"], "DEFAULT")
    assert wick.backends.cpu.get_cpu_capability() == expected


def test_unset_environment_gets_the_strongest_kernels_and_no_warning():
    got = probe(None)
    info = got["info"]
    if info["cpu"]["kernel_isa"] == "SSE":
        assert info["blas"]["chosen_by"] == "OpenBLAS, by the CPU's model"
    else:
        assert info["blas"]["chosen_by"] == "wick, by the CPU's instruction sets"
        assert info["blas"]["core_isa"] == info["cpu"]["kernel_isa"], info["blas"]
    assert got["warnings"] == []
    assert got["env_after"] == "", "wick left OPENBLAS_CORETYPE in the environment"


def test_forced_weaker_kernels_are_kept_and_warned_about_once():
    got = probe("Prescott")
    info = got["info"]
    assert info["blas"]["core"] == "Prescott"
    assert info["blas"]["chosen_by"] == "the environment (OPENBLAS_CORETYPE=Prescott)"
    assert got["env_after"] == "Prescott"
    relevant = [w for w in got["warnings"] if "OPENBLAS_CORETYPE" in w]
    if info["cpu"]["kernel_isa"] == "SSE":
        assert relevant == []
    else:
        assert len(relevant) == 1, got["warnings"]
        assert "Prescott kernels (SSE)" in relevant[0] and info["cpu"]["kernel_isa"] in relevant[0]


def test_forced_kernels_as_strong_as_the_cpu_give_no_warning():
    best = wick.backends.cpu.info()["cpu"]["kernel_isa"]
    core = {"AVX-512": "SkylakeX", "AVX2": "Haswell", "AVX": "Sandybridge"}.get(best)
    if core is None:
        pytest.skip("this CPU has no AVX: no OpenBLAS core to force")
    got = probe(core)
    assert got["info"]["blas"]["core"] == core
    assert got["warnings"] == []


# Note [One thread pool]: matrix products, convolutions and wick's loops share
# one OpenMP pool, so a process never runs more threads than it asked for.
THREADS_PROBE = r"""
import os, sys, wick
counts = []
for n in (1, 3, 2):
    wick.set_num_threads(n)
    a = wick.randn(512, 512)
    (a @ a).sum().item()
    x = wick.randn(16, 8, 32, 32, requires_grad=True)
    wick.nn.functional.conv2d(x, wick.randn(16, 8, 3, 3)).sum().backward()
    wick.randn(1 << 20).exp().sum().item()
    counts.append(len(os.listdir("/proc/self/task")))
print(counts)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through /proc")
def test_one_thread_pool_at_any_thread_count():
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    out = subprocess.run([sys.executable, "-c", THREADS_PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    # Never more threads than asked for (a second pool, such as OpenBLAS's
    # pthreads, would add its own), and the 3 asked for are used.
    assert counts[0] == 1 and counts[1] == 3 and counts[2] <= 3, counts

"""wick against PyTorch, each framework in its own process (two OpenMP
runtimes in one process distort both): training steps of the main job's
models, a 1024 sgemm, the tiny-op overhead and peak memory, at 1 and 2
threads, in alternating rounds, reported as medians with the ratio
PyTorch / wick (above 1: wick is faster; for GFLOP/s, wick / PyTorch).

    build/venv/bin/python bench/versus.py --torch-python /path/to/torch-venv/bin/python

The PyTorch side runs under --torch-python (a venv with the current torch from
PyPI: `python3 -m venv bench-venv && bench-venv/bin/pip install torch numpy`;
not part of CI). The first lines name the CPU and the kernels each framework
chose, so that a table is never read without the machine it came from.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURES = ["mlp", "cnn", "lstm", "charlstm", "sgemm1024_gflops", "tiny_us", "peak_rss_mb"]

# Floating-point work of one cnn training step, batch 64, in multiply-adds:
# conv 1->32 3x3 on 28x28 (64*32*784*9 = 14.45M) forward and weight gradient
# (the images need no gradient); conv 32->64 3x3 on 14x14 (64*64*196*288 =
# 231.2M) forward, input and weight gradients; Linear 3136->128 (25.69M) and
# 128->10 (0.08M), three products each. Pooling, ReLU, loss and Adam are
# memory-bound and not counted.
CNN_FLOPS = 2 * (2 * 14.45e6 + 3 * 231.2e6 + 3 * 25.69e6 + 3 * 0.082e6)


def fma_peak():
    """One core's float32 FMA peak in GFLOP/s from bench/fma_peak.cpp, or None without g++."""
    gxx = shutil.which("g++")
    if gxx is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "fma_peak")
        subprocess.run([gxx, "-O3", os.path.join(HERE, "fma_peak.cpp"), "-o", exe], check=True)
        runs = [float(subprocess.run([exe], capture_output=True, text=True, check=True).stdout.split()[0])
                for _ in range(3)]
    return max(runs)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line and not line.startswith("flags"))
        name = fields.get("model name\t", "").strip()
        fam, model = fields.get("cpu family\t", "?").strip(), fields.get("model\t\t", "?").strip()
        return f"{name} (family {fam}, model {model})"
    except OSError:
        return "unknown CPU"


def run_one(python, framework, threads, args):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [python, os.path.join(HERE, "step_time.py"), "--framework", framework, "--threads", str(threads),
           "--models", args.models, "--repeats", str(args.repeats), "--steps", str(args.steps)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"{framework} at {threads} threads failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--wick-python", default=sys.executable)
    p.add_argument("--torch-python", required=True)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--models", default="mlp,cnn,lstm,charlstm")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--json", help="also write every round's raw results here")
    args = p.parse_args()

    results = {}  # (framework, threads) -> list of rounds
    for threads in [int(t) for t in args.threads.split(",")]:
        for r in range(args.rounds):
            # Alternate which framework goes first, so neither always runs on a warmer machine.
            order = [("wick", args.wick_python), ("torch", args.torch_python)]
            for framework, python in order if r % 2 == 0 else order[::-1]:
                results.setdefault((framework, threads), []).append(run_one(python, framework, threads, args))

    print(f"CPU: {cpu_name()}")
    env_core = os.environ.get("OPENBLAS_CORETYPE")
    print(f"OPENBLAS_CORETYPE: {env_core if env_core else 'unset'}")
    for (framework, threads), rounds in sorted(results.items()):
        if threads == 1:
            print(f"{framework} {rounds[0]['version']}: {rounds[0]['kernels']}")
    print(f"medians of {args.rounds} alternating rounds, each of {args.repeats} timed runs\n")
    print("| measure | threads | wick | PyTorch | PyTorch / wick |")
    print("| --- | --- | --- | --- | --- |")
    for threads in sorted({t for _, t in results}):
        for m in MEASURES:
            w = [r[m] for r in results[("wick", threads)] if m in r]
            t = [r[m] for r in results[("torch", threads)] if m in r]
            if not w or not t:
                continue
            wm, tm = statistics.median(w), statistics.median(t)
            ratio = wm / tm if m == "sgemm1024_gflops" else tm / wm
            unit = {"sgemm1024_gflops": " GFLOP/s", "tiny_us": " µs", "peak_rss_mb": " MB"}.get(m, " ms")
            label = {"sgemm1024_gflops": "sgemm 1024", "tiny_us": "(a*b).sum().backward(), 1 element",
                     "peak_rss_mb": "peak RSS of the process"}.get(m, f"{m} training step")
            print(f"| {label} | {threads} | {wm:.3g}{unit} | {tm:.3g}{unit} | {ratio:.2f} |")
    wick_cnn = [r["cnn"] for r in results.get(("wick", 1), []) if "cnn" in r]
    peak = fma_peak() if wick_cnn else None
    if peak:
        gflops = CNN_FLOPS / (statistics.median(wick_cnn) / 1e3) / 1e9
        print(f"\nwick's cnn step at 1 thread: {CNN_FLOPS / 1e9:.2f} GFLOP in {statistics.median(wick_cnn):.3g} ms = "
              f"{gflops:.1f} GFLOP/s, {100 * gflops / peak:.0f}% of one core's float32 FMA peak "
              f"({peak:.1f} GFLOP/s, measured by bench/fma_peak.cpp)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{fw}@{t}": rs for (fw, t), rs in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()

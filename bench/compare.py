#!/usr/bin/env python3
"""Joins Google Benchmark JSON files from bench_wick, bench_torch and bench_blas
into one Markdown table: benchmark | wick | libtorch | ratio | OpenBLAS | allocs.

Each benchmark's time is the best of all its repetitions across all files given
for a framework (several runs on a shared machine: the minimum is the estimate
least disturbed by other load). Benchmarks whose name ends in /real_time are
wall-clock (multi-threaded); the others report CPU time of the calling thread.
ratio = wick time / libtorch time: below 1, wick is faster.

Usage: compare.py --wick W.json... [--torch T.json...] [--blas B.json...]
"""

import argparse
import json
import math
import sys

NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(paths):
    """run_name -> {"ns": best time, "counters": {...}}, plus the first file's context."""
    best, context = {}, {}
    for path in paths:
        with open(path) as f:
            text = f.read()
        if not text.strip():  # a --benchmark_filter that matched nothing in this binary
            continue
        doc = json.loads(text)
        context = context or doc.get("context", {})
        for run in doc.get("benchmarks", []):
            if run.get("run_type", "iteration") != "iteration" or run.get("error_occurred"):
                continue
            name = run.get("run_name", run["name"])
            field = "real_time" if name.endswith("/real_time") else "cpu_time"
            ns = run[field] * NS_PER_UNIT[run.get("time_unit", "ns")]
            entry = best.setdefault(name, {"ns": math.inf, "counters": {}})
            if ns < entry["ns"]:
                entry["ns"] = ns
                entry["counters"] = {k: v for k, v in run.items() if k in ("allocs", "sys_allocs")}
    return best, context


def fmt_time(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def gflops(name, ns):
    # gemm/<n>/real_time: 2 n^3 flops.
    n = int(name.split("/")[1])
    return 2.0 * n**3 / ns


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wick", nargs="+", required=True)
    parser.add_argument("--torch", nargs="*", default=[])
    parser.add_argument("--blas", nargs="*", default=[])
    args = parser.parse_args()

    wick, wick_ctx = load(args.wick)
    torch, torch_ctx = load(args.torch)
    blas, blas_ctx = load(args.blas)

    def ctx(c, key):
        return c.get(key, "?")

    print(f"wick vs {ctx(torch_ctx, 'framework') if torch else 'libtorch (not built)'}: "
          f"{ctx(wick_ctx, 'num_cpus')} CPUs at {ctx(wick_ctx, 'mhz_per_cpu')} MHz, "
          f"threads wick={ctx(wick_ctx, 'threads')} libtorch={ctx(torch_ctx, 'threads')}, "
          f"OpenBLAS core wick={ctx(blas_ctx, 'openblas_core')} libtorch={ctx(torch_ctx, 'openblas_core')}, "
          f"load average at start {ctx(wick_ctx, 'load_avg')}")
    load_avg, cpus = wick_ctx.get("load_avg", [0])[0], wick_ctx.get("num_cpus", 1)
    if load_avg > cpus:
        print(f"WARNING: load average {load_avg:.1f} on {cpus} CPUs: other processes compete for the cores, so the "
              "multi-threaded /real_time rows time the OS scheduler more than the code.")
    print("Times: best repetition; /real_time rows are wall-clock, the others CPU time of the calling thread.")
    print("ratio = wick time / libtorch time (< 1: wick is faster). allocs: wick allocator requests per "
          "iteration (of which system mallocs).")
    print()
    header = ["benchmark", "wick", "libtorch", "ratio", "OpenBLAS direct", "wick allocs (malloc)"]
    rows = []
    for name, w in wick.items():
        t = torch.get(name)
        ratio = f"{w['ns'] / t['ns']:.2f}" if t else "-"
        c = w["counters"]
        allocs = f"{c['allocs']:.3g} ({c['sys_allocs']:.2g})" if "allocs" in c else ""
        b = blas.get(name)
        rows.append([name, fmt_time(w["ns"]), fmt_time(t["ns"]) if t else "-", ratio,
                     fmt_time(b["ns"]) if b else "", allocs])
        if name.startswith("gemm/"):
            rows.append([name.replace("/real_time", " GFLOP/s"), f"{gflops(name, w['ns']):.1f}",
                         f"{gflops(name, t['ns']):.1f}" if t else "-", ratio,
                         f"{gflops(name, b['ns']):.1f}" if b else "", ""])
    for name in torch.keys() - wick.keys():
        print(f"note: {name} ran only in libtorch", file=sys.stderr)

    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    def line(cells):
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


if __name__ == "__main__":
    main()

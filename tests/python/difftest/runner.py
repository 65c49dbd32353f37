"""Cases made from (seed, index), run in worker processes that may crash or hang.

A worker is a fresh Python process (`python -m difftest --worker`) that reads
jobs (seed, first index, last index) from stdin and writes one line per case
it starts ("s INDEX") and one JSON line per case that found a difference. The
parent hands out jobs; when a worker dies, the case it had started is a
crash; when a case runs past the timeout, the worker is killed and the case
is a hang. Either way a new worker goes on from the next case.
"""
import json
import os
import re
import selectors
import subprocess
import sys
import time
from collections import defaultdict

import numpy as np

from .compare import form_callable
from .inputs import Gen, TensorSpec
from .ops import OPS, Case

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def available(op, form, lib):
    try:
        return form_callable(lib, op, form) is not None
    except AttributeError:
        return False


_FORMS = None


def torch_forms():
    """Each op's forms that PyTorch has (the same list in every process: case ids depend on it)."""
    global _FORMS
    if _FORMS is None:
        import torch
        _FORMS = [(op, tuple(f for f in op.forms if available(op, f, torch))) for op in OPS]
        _FORMS = [(op, forms) for op, forms in _FORMS if forms]
    return _FORMS


def make_case(seed, index):
    """Case number `index` of `seed`: the same everywhere, whatever wick has."""
    g = Gen(np.random.default_rng([seed, index]))
    op, forms = g.pick(torch_forms())
    form = g.pick(forms)
    args, kwargs = op.make(g)
    case = Case(seed, index, op, form, list(args), dict(kwargs))
    if form == "out":
        for s in case.tensor_specs():
            if g.chance(0.85):
                s.requires_grad = False
        if g.chance(0.15):
            case.out_dtype = g.pick(("float32", "float64", "int64", "bool"))
    if (form == "inplace" or form.endswith("=") and form[-2] not in "=!<>") and isinstance(args[0], TensorSpec):
        if args[0].requires_grad and g.chance(0.7):
            args[0].through_clone = True
    return case


def worker_main(oracle_both=False, fuzz=False):
    """The worker loop (in its own process). With `fuzz`, the API fuzzer's
    cases (difftest/fuzz.py) in wick alone."""
    import resource

    import torch
    torch.set_num_threads(1)
    from .compare import run_case
    from .fuzz import make_fuzz_case, run_fuzz_case
    lib_w = torch if oracle_both else __import__("wick")
    if fuzz and os.environ.get("DIFFTEST_DEVICE", "cpu") == "cpu":
        # A call that allocates gigabytes fails at once (MemoryError) rather than paging (difftest/fuzz.py).
        # Not with CUDA, whose start-up reserves more address space than this allows.
        with open("/proc/self/status") as f:
            vm_kib = int(next(line for line in f if line.startswith("VmSize:")).split()[1])
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        limit = vm_kib * 1024 + (3 << 30)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    out = sys.stdout
    for line in sys.stdin:
        seed, first, last, pattern = line.split(" ", 3)
        pattern = re.compile(pattern.strip())
        for index in range(int(first), int(last)):
            case = (make_fuzz_case if fuzz else make_case)(int(seed), index)
            if not pattern.search(case.op.key + " " + case.form):
                continue
            if not available(case.op, case.form, lib_w):
                out.write(json.dumps({"i": index, "op": case.op.key, "form": case.form, "missing": 1}) + "\n")
                continue
            lacking = sorted({s.dtype for s in case.tensor_specs() if not hasattr(lib_w, s.dtype)})
            if lacking:
                out.write(json.dumps({"i": index, "op": "dtype " + lacking[0], "form": "-", "missing": 1}) + "\n")
                continue
            out.write(f"s {index}\n")
            out.flush()
            try:
                found = run_fuzz_case(case, lib_w) if fuzz else run_case(case, lib_w, torch)
            except Exception as e:  # noqa: BLE001 (a bug of the tester's: named, and the run goes on)
                found = [("tester-error", f"{type(e).__name__}: {e}"[:300])]
            if found:
                out.write(json.dumps({"i": index, "op": case.op.key, "form": case.form, "d": found}) + "\n")
        # The worker's peak memory so far (KiB), for the report: a leak shows as a growing peak.
        out.write(f"done {last} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\n")
        out.flush()


class Worker:
    def __init__(self, oracle_both, fuzz=False):
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=_HERE + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   PYTHONFAULTHANDLER="")
        args = [sys.executable, "-m", "difftest", "--worker"] + (["--oracle-both"] if oracle_both else []) + \
            (["--fuzz"] if fuzz else [])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, text=True, bufsize=1)
        self.job = None
        self.current = None   # the case started and not yet finished
        self.started_at = None
        self.buffer = ""

    def give(self, job):
        self.job = job
        self.current, self.started_at = None, time.monotonic()
        self.proc.stdin.write(" ".join(str(x) for x in job) + "\n")
        self.proc.stdin.flush()

    def kill(self):
        try:
            self.proc.kill()
        except ProcessLookupError:
            pass
        self.proc.wait()


class Results:
    def __init__(self):
        self.calls = 0          # cases run in both libraries
        self.missing = defaultdict(int)
        self.groups = {}        # (kind, op, form) -> [count, first case id, first message]
        self.cases_with_differences = 0
        self.peak_rss_kib = 0   # the largest peak memory of a worker

    def add(self, seed, record):
        if record.get("missing"):
            self.missing[(record["op"], record["form"])] += 1
            return
        self.cases_with_differences += 1
        seen = set()
        for kind, message in record["d"]:
            key = (kind, record["op"], record["form"])
            if key in seen:
                continue
            seen.add(key)
            group = self.groups.setdefault(key, [0, f"{seed}:{record['i']}", message])
            group[0] += 1

    def kinds(self):
        counts = defaultdict(lambda: [0, 0])
        for (kind, _, _), (n, _, _) in self.groups.items():
            counts[kind][0] += 1
            counts[kind][1] += n
        return dict(counts)


def run(seed, start, calls, workers, pattern=".", timeout=30.0, oracle_both=False, progress=None, fuzz=False):
    """Runs cases start..start+calls of `seed` (the API fuzzer's with `fuzz`); the Results."""
    results = Results()
    chunk = 200
    jobs = [(seed, i, min(i + chunk, start + calls), pattern) for i in range(start, start + calls, chunk)]
    jobs.reverse()
    sel = selectors.DefaultSelector()
    pool = []

    def spawn():
        w = Worker(oracle_both, fuzz)
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)
        pool.append(w)
        return w

    def retire(w):
        sel.unregister(w.proc.stdout)
        w.kill()
        pool.remove(w)

    for _ in range(min(workers, len(jobs))):
        spawn().give(jobs.pop())
    last_report = time.monotonic()
    while pool:
        events = sel.select(timeout=1.0)
        now = time.monotonic()
        for key, _ in events:
            w = key.data
            data = os.read(w.proc.stdout.fileno(), 1 << 16)
            if not data:  # the worker died: the case it had started crashed
                code = w.proc.wait()
                if w.current is None:
                    raise RuntimeError(f"a difftest worker exited ({code}) before its first case")
                _record(results, seed, w.current, "crash", f"the process ended (exit status {code})", fuzz)
                job = w.job
                retire(w)
                if w.current + 1 < job[2]:
                    spawn().give((job[0], w.current + 1, job[2], job[3]))
                continue
            w.buffer += data.decode()
            *lines, w.buffer = w.buffer.split("\n")
            for line in lines:
                if line.startswith("s "):
                    w.current, w.started_at = int(line[2:]), now
                    results.calls += 1
                elif line.startswith("done "):
                    w.current = None
                    parts = line.split()
                    if len(parts) > 2:
                        results.peak_rss_kib = max(results.peak_rss_kib, int(parts[2]))
                    if jobs:
                        w.give(jobs.pop())
                    else:
                        retire(w)
                else:
                    results.add(seed, json.loads(line))
        for w in list(pool):
            if w.current is not None and now - w.started_at > timeout:
                _record(results, seed, w.current, "hang", f"still running after {timeout:g} s", fuzz)
                job = w.job
                retire(w)
                if w.current + 1 < job[2]:
                    spawn().give((job[0], w.current + 1, job[2], job[3]))
        if progress and now - last_report > 10:
            progress(results)
            last_report = now
    return results


def _record(results, seed, index, kind, message, fuzz=False):
    from .fuzz import make_fuzz_case
    case = (make_fuzz_case if fuzz else make_case)(seed, index)
    results.add(seed, {"i": index, "op": case.op.key, "form": case.form, "d": [[kind, message]]})

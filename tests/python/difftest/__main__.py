"""python -m difftest (from tests/python): see difftest/__init__.py."""
import argparse
import os
import platform
import sys
import time


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def replay(case_id, oracle_both):
    import torch

    from .compare import case_code, run_case
    from .runner import make_case
    seed, index = (int(x) for x in case_id.split(":"))
    case = make_case(seed, index)
    print(f"case {case.id}: {case.op.key} ({case.form}), family {case.op.family}")
    print("    " + case_code(case))
    found = run_case(case, torch if oracle_both else __import__("wick"), torch)
    for kind, message in found:
        print(f"  {kind}: {message}")
    if not found:
        print("  no difference")
    return 1 if found else 0


def report(results, seconds, args, known=None):
    from .known import split_known
    lines = []
    groups = sorted(results.groups.items(), key=lambda kv: (kv[0][0], -kv[1][0]))
    new, documented = split_known(groups) if known is None else known
    lines.append(f"{results.calls} calls in {seconds:.0f} s ({results.calls / max(seconds, 1e-9):.0f}/s, "
                 f"{args.workers} workers, seed {args.seed}, cases {args.start}..{args.start + args.calls - 1}, "
                 f"{'API fuzzer, wick alone' if getattr(args, 'fuzz', False) else 'PyTorch on both sides' if args.oracle_both else 'wick vs PyTorch'} "
                 f"{'(wick on ' + os.environ['DIFFTEST_DEVICE'] + ') ' if os.environ.get('DIFFTEST_DEVICE', 'cpu') != 'cpu' else ''}"
                 f"{__import__('torch').__version__}, {_cpu()})")
    lines.append(f"{results.cases_with_differences} cases {'with findings' if getattr(args, 'fuzz', False) else 'differ'}: "
                 f"{len(new)} groups new, {len(documented)} groups documented in difftest/known.py; "
                 f"the largest worker peaked at {results.peak_rss_kib / 1024:.0f} MiB")
    for title, items in (("New differences", new), ("Documented differences (difftest/known.py)", documented)):
        if not items:
            continue
        lines.append("")
        lines.append(f"{title}: (class, op, form): cases, first case, first message")
        for (kind, op, form), (n, first, message) in items:
            lines.append(f"  {kind:18} {op:42} {form:16} {n:6}  {first:>12}  {message[:160]}")
    if results.missing:
        lines.append("")
        names = sorted({f"{op} ({form})" for op, form in results.missing})
        lines.append(f"Not in wick ({len(names)} op forms, {sum(results.missing.values())} cases skipped): " +
                     ", ".join(names))
    return "\n".join(lines), new


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m difftest", description=__doc__)
    p.add_argument("--calls", type=int, default=20000, help="how many cases to run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="the first case index")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--ops", default=".", help="a regex: only cases whose 'ns.op form' matches")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds before a case counts as a hang")
    p.add_argument("--oracle-both", action="store_true", help="PyTorch on both sides (checks the tester)")
    p.add_argument("--replay", metavar="SEED:INDEX", help="run one case in this process and explain it")
    p.add_argument("--write-results", metavar="FILE", help="also write the report to FILE")
    p.add_argument("--device", default=None, help="the device of wick's tensors (cpu or cuda; PyTorch stays on the "
                   "CPU); default $DIFFTEST_DEVICE or cpu")
    p.add_argument("--fuzz", action="store_true", help="the API fuzzer (difftest/fuzz.py): hostile arguments, wick "
                   "alone; finds crashes, hangs and C++ messages")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.device:
        # Before .inputs is imported here, and inherited by the workers.
        os.environ["DIFFTEST_DEVICE"] = args.device
    if os.environ.get("DIFFTEST_DEVICE", "cpu") != "cpu" and not args.worker:
        import wick
        if not wick.cuda.is_available():
            print(f"--device {os.environ['DIFFTEST_DEVICE']}: no CUDA device: {wick._C._cuda_unavailable_reason()}",
                  file=sys.stderr)
            return 2
    if args.worker:
        from .runner import worker_main
        worker_main(args.oracle_both, args.fuzz)
        return 0
    if args.replay:
        if args.fuzz:
            from .fuzz import replay as fuzz_replay
            return fuzz_replay(args.replay)
        return replay(args.replay, args.oracle_both)
    from .runner import run
    t0 = time.monotonic()
    results = run(args.seed, args.start, args.calls, args.workers, args.ops, args.timeout, args.oracle_both,
                  progress=lambda r: print(f"  ... {r.calls} calls, {r.cases_with_differences} "
                                           f"{'with findings' if args.fuzz else 'differ'}", file=sys.stderr, flush=True),
                  fuzz=args.fuzz)
    text, new = report(results, time.monotonic() - t0, args)
    print(text)
    if args.write_results:
        command = "python -m difftest " + " ".join(argv if argv is not None else sys.argv[1:])
        with open(args.write_results, "w") as f:
            title, replay_form = (("The API fuzzer's last long run", "--fuzz --replay") if args.fuzz else
                                  ("The differential tester's last long run", "--replay"))
            f.write(f"# {title}\n\n"
                    f"`{command}` (from tests/python), {time.strftime('%Y-%m-%d')}. Replay any case with "
                    f"`python -m difftest {replay_form} SEED:INDEX`.\n\n```\n" + text + "\n```\n")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())

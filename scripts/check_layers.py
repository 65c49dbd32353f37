#!/usr/bin/env python3
"""Fails on an #include that runs upward through wick's layers.

Every `#include "..."` in the sources of a layer directory must name a header
of that layer or of one the layer is allowed to include (LAYERS below, the one
copy of the table; README.md shows it too). Run by scripts/test.sh before the
build:

  scripts/check_layers.py              check this tree
  scripts/check_layers.py --root DIR   check another tree laid out the same way
  scripts/check_layers.py --self-test  prove the check fails: copy the tree,
                                       add an upward include, expect a failure

Exit status 0 when clean, 1 with one line per violation (file:line, the
include, the rule) otherwise.
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Layer -> the layers its files may include (besides its own). Listed bottom up.
# backends/cpu and backends/cuda are peers: each sees core and the headers
# shared by all backends directly in backends/ ("backends"), not the other.
LAYERS = {
    "core": [],
    "backends": ["core"],
    "backends/cpu": ["core", "backends"],
    "backends/cuda": ["core", "backends"],
    "autograd": ["core"],
    "ops": ["core", "autograd"],
    "nn": ["core", "autograd", "ops"],
    "data": ["core", "autograd", "ops"],
    "io": ["core", "ops"],
    "optim": ["core", "autograd", "ops", "io"],
}
# Paths every layer may include: vendored headers with no wick code in them.
EXTERNAL = ("third_party/",)
# Everything else (python/, examples/, tests/, bench/ and the umbrella header
# wick.h at the top) sits above every layer and may include anything; only
# those directories may include wick.h.
# Upward includes tolerated for now, each with its reason. Listed ones print a
# note; one that is gone prints a reminder to delete its entry.
SOURCE_SUFFIXES = {".h", ".hpp", ".cpp", ".cc", ".cu", ".cuh"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(rel: str) -> str | None:
    """The layer of a path relative to the root ("backends/cpu/x.h" -> "backends/cpu")."""
    parts = rel.split("/")
    if parts[0] == "backends":
        if len(parts) == 2:
            return "backends"
        key = "backends/" + parts[1]
        return key if key in LAYERS else None
    return parts[0] if parts[0] in LAYERS and len(parts) > 1 else None


def rule(layer: str) -> str:
    allowed = [layer] + LAYERS[layer]
    return f"{layer}/ may include only " + ", ".join(a + ("/*.h" if a == "backends" else "/") for a in allowed)


def check(root: Path) -> list[str]:
    problems = []
    for layer in LAYERS:
        base = root / layer
        if not base.is_dir():
            continue
        files = base.glob("*") if layer == "backends" else base.rglob("*")
        for path in sorted(files):
            if not path.is_file() or path.suffix not in SOURCE_SUFFIXES:
                continue
            rel_file = path.relative_to(root).as_posix()
            for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                if inc.startswith(EXTERNAL):
                    continue
                if "/" not in inc and (path.parent / inc).is_file():
                    target = layer_of((path.parent / inc).relative_to(root).as_posix())  # next to the file
                else:
                    target = layer_of(inc)
                if target == layer or target in LAYERS[layer]:
                    continue
                what = "an upward include" if target else "an include outside the layers"
                problems.append(f'{rel_file}:{lineno}: {what}: #include "{inc}" ({rule(layer)})')
    return problems


def self_test(root: Path) -> int:
    """The check must fail on a deliberate violation: a core header including nn/."""
    with tempfile.TemporaryDirectory(prefix="wick-layers-") as tmp:
        copy = Path(tmp)
        for layer in ("core", "autograd", "ops", "nn", "backends"):
            shutil.copytree(root / layer, copy / layer)
        victim = copy / "core" / "tensor.h"
        text = victim.read_text()
        victim.write_text(text.replace("#pragma once\n", '#pragma once\n#include "nn/module.h"\n', 1))
        clean = subprocess.run([sys.executable, __file__, "--root", str(root)], capture_output=True, text=True)
        bad = subprocess.run([sys.executable, __file__, "--root", str(copy)], capture_output=True, text=True)
    print("check_layers self-test: the check on a copy of the tree with core/tensor.h including nn/module.h:")
    print("  exit status", bad.returncode)
    for line in (bad.stdout + bad.stderr).splitlines():
        print("  |", line)
    ok = (clean.returncode == 0 and bad.returncode != 0 and
          'core/tensor.h:' in bad.stdout and '#include "nn/module.h"' in bad.stdout)
    print("check_layers self-test:", "passed (the check fails on the violation)" if ok else "FAILED")
    if clean.returncode != 0:
        print("  (the unmodified tree does not pass the check)")
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test(args.root)
    problems = check(args.root)
    for p in problems:
        print(p)
    if problems:
        print(f"check_layers: {len(problems)} include(s) run upward through the layers "
              "(the table is LAYERS in scripts/check_layers.py and in README.md's Layout)")
        return 1
    print(f"check_layers: no upward includes ({', '.join(LAYERS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

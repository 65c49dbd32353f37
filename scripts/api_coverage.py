#!/usr/bin/env python3
"""How much of PyTorch's public API wick has, namespace by namespace.

  python scripts/api_coverage.py --dump FILE   (with PyTorch) store PyTorch's public names
  python scripts/api_coverage.py               (with wick) print wick has / PyTorch has per namespace
      [--names FILE]      the stored names (default: docs/pytorch-2.15-public-names.json)
      [--markdown]        the table in Markdown, as README.md shows it
      [--missing NS]      instead, the names of namespace NS that wick lacks, one a line

What "public" means. One rule, `public_names` below, lists the public names of
a namespace of either library; wick's count is how many of PyTorch's stored
names the same rule finds in wick. A name is public when:

  1. it is in dir() of the namespace and has no leading underscore (so no
     dunders and no private helpers);
  2. its value is not a module (submodules are namespaces of their own);
  3. its value is what the namespace's row counts (NAMESPACES): functions
     (callables that are not classes), classes, or any of the two; plain data
     (bools, dicts of docstring snippets, torch.pi) never counts, except dtypes
     at the top level;
  4. it belongs to the library: a function's __module__ lies in the library
     (torch, torch._C._linalg, ...), which drops the typing and standard
     library helpers modules import (Any, cast, partial, Counter); a class's
     __module__ lies in the namespace itself, which also drops classes
     imported from elsewhere (torch.Tensor in torch.fft, Optimizer in
     torch.optim.lr_scheduler, the C++ profiler enums in torch.autograd);
  5. it is not one of the helpers every module imports for __torch_function__
     dispatch and TorchScript (DISPATCH_HELPERS).

For Tensor it is every attribute of the class without a leading underscore:
methods, in-place methods (add_), properties (T, shape, grad).

__all__ is not used: PyTorch's is incomplete (torch.__all__ lacks unique,
from_dlpack and set_grad_enabled; torch.fft.__all__ lacks hfft2), and
torch.nn, torch.nn.functional and torch.linalg define none.
"""
import argparse
import importlib
import json
import sys
import types
from pathlib import Path

DEFAULT_NAMES = Path(__file__).resolve().parent.parent / "docs" / "pytorch-2.15-public-names.json"

# Namespace -> (what counts: "function", "class", "any" of the two, or every
# "attribute"; the base class its classes must derive from, as a path in the
# library, or None). "torch" is the library's top level, "Tensor" its tensor class.
NAMESPACES = {
    "torch": ("any", None),
    "Tensor": ("attribute", None),
    "nn": ("class", "nn.Module"),
    "nn.functional": ("function", None),
    "nn.init": ("function", None),
    "optim": ("class", "optim.Optimizer"),
    "optim.lr_scheduler": ("class", None),
    "linalg": ("function", None),
    "fft": ("function", None),
    "special": ("function", None),
    "distributions": ("class", None),
    "autograd": ("any", None),
    "utils.data": ("any", None),
    "cuda": ("function", None),
}

DISPATCH_HELPERS = {"has_torch_function", "has_torch_function_unary", "has_torch_function_variadic",
                    "handle_torch_function", "is_tensor_like", "boolean_dispatch"}


def lies_in(module, package):
    """Whether the module named `module` is `package` or inside it."""
    return module == package or module.startswith(package + ".")


def resolve(lib, path):
    """lib.<path> ("nn.Module", "nn.functional"), importing submodules; None where it does not exist."""
    obj = lib
    for part in path.split("."):
        if not hasattr(obj, part):
            try:
                importlib.import_module(f"{obj.__name__}.{part}")
            except ModuleNotFoundError as e:
                if e.name and lies_in(f"{obj.__name__}.{part}", e.name):
                    return None  # the namespace is missing, not something it imports
                raise
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def counts(value, kind, home, lib, base):
    """Rules 2 to 4 for one value of namespace `home` (a module name) of the library `lib`."""
    if isinstance(value, types.ModuleType):
        return False
    if isinstance(value, type):
        return (kind in ("class", "any") and lies_in(value.__module__, home)
                and (base is None or issubclass(value, base)))
    if callable(value):
        return kind in ("function", "any") and lies_in(getattr(value, "__module__", None) or "", lib.__name__)
    return home == lib.__name__ and isinstance(value, lib.dtype)


def public_names(lib, namespace):
    """The public names of `namespace` of the library `lib` (torch or wick); empty if it has none."""
    kind, base_path = NAMESPACES[namespace]
    ns = lib if namespace == "torch" else resolve(lib, namespace)
    if ns is None:
        return set()
    names = {n for n in dir(ns) if not n.startswith("_")}
    if kind == "attribute":
        return names
    base = resolve(lib, base_path) if base_path else None
    if base_path and base is None:
        return set()
    return {n for n in names - DISPATCH_HELPERS if counts(getattr(ns, n), kind, ns.__name__, lib, base)}


def dump(path):
    import torch
    data = {"torch_version": torch.__version__.split("+")[0],
            "namespaces": {ns: sorted(public_names(torch, ns)) for ns in NAMESPACES}}
    Path(path).write_text(json.dumps(data, indent=1) + "\n")
    for ns, names in data["namespaces"].items():
        print(f"{ns}: {len(names)}")


def coverage(stored):
    """namespace -> (names wick has, names it lacks), for the stored PyTorch names."""
    import wick
    result = {}
    for ns, names in stored["namespaces"].items():
        has = public_names(wick, ns) & set(names)
        result[ns] = (sorted(has), sorted(set(names) - has))
    return result


def print_table(stored, result, markdown):
    version = stored["torch_version"]
    rows = [(ns, len(has), len(has) + len(lacks)) for ns, (has, lacks) in result.items()]
    if markdown:
        print(f"| namespace | wick has | PyTorch {version} has | coverage |")
        print("| --- | --- | --- | --- |")
        for ns, has, total in rows:
            print(f"| `{ns}` | {has} | {total} | {100 * has / total:.0f}% |")
    else:
        print(f"{'namespace':<20} {'wick has':>8} {'PyTorch ' + version + ' has':>18} {'coverage':>8}")
        for ns, has, total in rows:
            print(f"{ns:<20} {has:>8} {total:>18} {100 * has / total:>7.1f}%")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", metavar="FILE", help="store PyTorch's public names in FILE (run with PyTorch)")
    parser.add_argument("--names", metavar="FILE", default=DEFAULT_NAMES, help="the stored names")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    parser.add_argument("--missing", metavar="NAMESPACE", help="list the names of NAMESPACE that wick lacks")
    args = parser.parse_args()
    if args.dump:
        dump(args.dump)
        return
    stored = json.loads(Path(args.names).read_text())
    result = coverage(stored)
    if args.missing:
        if args.missing not in result:
            sys.exit(f"no namespace {args.missing!r}; there are: {', '.join(result)}")
        print("\n".join(result[args.missing][1]))
    else:
        print_table(stored, result, args.markdown)


if __name__ == "__main__":
    main()

"""The API fuzzer: difftest's cases with hostile arguments, run in wick alone.

Fuzz case (seed, index) is difftest's case (seed, index) with one to three
changes: an argument or keyword replaced by an odd value (None, a string,
huge and negative ints, NaN and inf, empty and ragged lists, a dtype or a
device where a tensor belongs, a tensor of another dtype or shape), the last
argument dropped, or a keyword added. Only wick runs it, in difftest's worker
processes (runner.py), which catch a crash or a hang per case. Any Python
exception is a good answer but these:

  internal-message   the message comes from inside C++ (a standard library
                     exception's what(), a pybind11 cast failure): the user
                     learns nothing about their call
  system-error       SystemError: a C-API contract broken inside wick
  unreadable-result  what came back cannot be read (tolist, repr)

A MemoryError with wick's own message is a good answer to a call that asks
for more than the machine has: workers run with their address space limited
to 3 GiB past what they start with, so such calls fail at once instead of
paging for minutes.

    python -m difftest --fuzz --calls 1000000         # from tests/python; the long form
    python -m difftest --fuzz --replay 0:1234         # one case, as code, in detail
"""
import math
import re

import numpy as np

from .compare import Outcome, case_code
from .inputs import Gen

# What C++ says when wick did not translate an error (libstdc++'s what() texts, pybind11's own).
_INTERNAL = re.compile(
    r"std::|vector::|basic_string|_M_\w+|bad_alloc|bad_variant_access|bad_optional_access|bad_function_call|"
    r"\bstoi\b|\bstol\b|\bstod\b|map::at|unordered_map|Unable to cast|return_value_policy|pybind11::|"
    r"^\s*$")

# Keywords that many ops take, for the "bogus keyword" change.
_KEYWORDS = ("dim", "keepdim", "dtype", "out", "alpha", "device", "requires_grad", "p", "min", "max", "value",
             "index", "correction", "bogus")


def _odd_value(g):
    """One odd argument, drawn from g (the same in every process)."""
    kind = g.integer(0, 9)
    if kind == 0:
        return g.pick((None, "abc", "", "cpu", "cuda:7", "lib.float16", "lib.int64", "lib.bool", b"x", Ellipsis))
    if kind == 1:
        return g.pick((2**62, -2**63, 2**63, 2**64, 10**30, 2**40, 2**31, -2**31 - 1, -1, -7, 0, 1))
    if kind == 2:
        return g.pick((math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324, 3.5, -2.5))
    if kind == 3:
        return g.pick(((), [], [[1, 2], [3]], [[[]]], (2**40,), (2**31, 2**31, 2**31), (-1,), (0, -5), [1.5, "x"],
                       (1, None), (2**62, 2**62), [True, False]))
    if kind == 4:
        return g.pick((True, False, complex(1, 2), {"a": 1}, slice(None), slice(1, None, -1)))
    # A tensor of an odd shape or dtype.
    shape = g.pick(((), (0,), (0, 3), (1,), (2, 1, 3), (1, 1, 1, 1, 1), (7,), (3, 0, 2)))
    dtype = g.pick(("float32", "float64", "int64", "int32", "uint8", "bool"))
    return g.tensor(shape=shape, dtype=dtype)


def mutate(case, g):
    """Changes case's arguments in place (one to three changes)."""
    callable_form = case.form in ("function", "method", "inplace", "out")
    # A method's self stays a tensor (four times in five): changing it only finds Python's AttributeError.
    first = 0 if case.form in ("function", "out") or g.chance(0.2) else 1
    for _ in range(g.integer(1, 3)):
        action = g.integer(0, 9)
        if action <= 4 and len(case.args) > first:
            case.args[g.integer(first, len(case.args) - 1)] = _odd_value(g)
        elif action <= 6 and case.kwargs:
            case.kwargs[g.pick(sorted(case.kwargs))] = _odd_value(g)
        elif action == 7 and callable_form:
            case.args.append(_odd_value(g))
        elif action == 8 and len(case.args) > max(first, 1) and callable_form:
            case.args.pop()
        elif callable_form:
            case.kwargs[g.pick(_KEYWORDS)] = _odd_value(g)
    return case


def make_fuzz_case(seed, index):
    from .runner import make_case
    case = make_case(seed, index)
    return mutate(case, Gen(np.random.default_rng([seed, index, 0xF022])))


def _touch(value, lib):
    """Reads what came back (every element of a tensor), so that a bad result is found here."""
    if isinstance(value, lib.Tensor):
        if value.numel() <= 1 << 16:
            value.tolist()
        repr(value)
    elif isinstance(value, (tuple, list)):
        for v in value[:16]:
            _touch(v, lib)


def run_fuzz_case(case, lib):
    """The findings of one fuzz case: [(kind, message)]."""
    o = Outcome(lib, case, case.out_dtype)
    if o.input_error is not None:
        return []  # wick could not even make the inputs (a view of an odd tensor): nothing was called
    e = o.error
    if e is None:
        try:
            _touch(o.result, lib)
        except MemoryError as t:  # reading a huge (expanded) result may rightly need too much
            return [("unreadable-result", f"MemoryError: {t}"[:300])] if classify(t) or not str(t) else []
        except Exception as t:  # noqa: BLE001 (any other failure to read a result is a finding)
            return [("unreadable-result", f"{type(t).__name__}: {t}"[:300])]
        return []
    return classify(e)


def classify(e):
    """The findings an exception raised by wick is: [] when it is a good answer."""
    message = str(e)
    if isinstance(e, SystemError):
        return [("system-error", f"SystemError: {message}"[:300])]
    if _INTERNAL.search(message):
        return [("internal-message", f"{type(e).__name__}: {message}"[:300])]
    return []


def replay(case_id):
    import wick
    seed, index = (int(x) for x in case_id.split(":"))
    case = make_fuzz_case(seed, index)
    print(f"fuzz case {case.id}: {case.op.key} ({case.form}), family {case.op.family}")
    print("    " + case_code(case))
    o = Outcome(wick, case, case.out_dtype)
    if o.input_error is not None:
        print(f"  the inputs could not be made: {type(o.input_error).__name__}: {o.input_error}")
    elif o.error is not None:
        print(f"  raised {type(o.error).__name__}: {o.error}")
    else:
        print(f"  returned {type(o.result).__name__}")
    found = run_fuzz_case(case, wick)
    for kind, message in found:
        print(f"  {kind}: {message}")
    if not found:
        print("  no finding")
    return 1 if found else 0

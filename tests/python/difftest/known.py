"""Differences from PyTorch that are known and documented, each with why.

A group (class, op, form) that matches an entry here is reported but does not
fail the run. Two kinds of entry:
- wick is right and PyTorch 1.13 is not (kept for good, with the reason);
- a wick bug not fixed yet (with the issue that tracks it): the list to empty.
Each entry: (class regex, op regex, form regex, reason). Match is re.fullmatch.
"""
import re

KNOWN = [
    ("oracle-unstable", ".*", ".*", "PyTorch 1.13 answers the same call differently from run to run (it reads "
                                    "uninitialized memory, e.g. nanmedian of an expanded tensor): no oracle"),
]


def split_known(groups):
    """(new, documented) lists of the ((kind, op, form), stats) groups."""
    new, documented = [], []
    for key, stats in groups:
        kind, op, form = key
        for k, o, f, _ in KNOWN:
            if re.fullmatch(k, kind) and re.fullmatch(o, op) and re.fullmatch(f, form):
                documented.append((key, stats))
                break
        else:
            new.append((key, stats))
    return new, documented

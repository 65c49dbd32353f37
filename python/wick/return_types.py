"""The named tuples that ops returning several tensors give back, e.g.
``wick.return_types.max(values=..., indices=...)`` from ``x.max(dim)``."""
from collections import namedtuple


def _return_type(name, fields):
    base = namedtuple(name, fields)

    def __repr__(self):
        inner = ", ".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"wick.return_types.{name}({inner})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})


max = _return_type("max", ["values", "indices"])
min = _return_type("min", ["values", "indices"])
cummax = _return_type("cummax", ["values", "indices"])
cummin = _return_type("cummin", ["values", "indices"])
sort = _return_type("sort", ["values", "indices"])
topk = _return_type("topk", ["values", "indices"])
kthvalue = _return_type("kthvalue", ["values", "indices"])
median = _return_type("median", ["values", "indices"])
nanmedian = _return_type("nanmedian", ["values", "indices"])
aminmax = _return_type("aminmax", ["min", "max"])
mode = _return_type("mode", ["values", "indices"])

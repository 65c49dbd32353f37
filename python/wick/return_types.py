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

# torch.linalg's results.
linalg_lu_factor = _return_type("linalg_lu_factor", ["LU", "pivots"])
linalg_lu_factor_ex = _return_type("linalg_lu_factor_ex", ["LU", "pivots", "info"])
linalg_lu = _return_type("linalg_lu", ["P", "L", "U"])
linalg_solve_ex = _return_type("linalg_solve_ex", ["result", "info"])
linalg_inv_ex = _return_type("linalg_inv_ex", ["inverse", "info"])
linalg_slogdet = _return_type("linalg_slogdet", ["sign", "logabsdet"])
linalg_cholesky_ex = _return_type("linalg_cholesky_ex", ["L", "info"])
linalg_ldl_factor = _return_type("linalg_ldl_factor", ["LD", "pivots"])
linalg_ldl_factor_ex = _return_type("linalg_ldl_factor_ex", ["LD", "pivots", "info"])
linalg_qr = _return_type("linalg_qr", ["Q", "R"])
linalg_eigh = _return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
linalg_svd = _return_type("linalg_svd", ["U", "S", "Vh"])
linalg_lstsq = _return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
linalg_polar = _return_type("linalg_polar", ["U", "H"])
# The torch.* forms of the same routines.
slogdet = _return_type("slogdet", ["sign", "logabsdet"])
qr = _return_type("qr", ["Q", "R"])
svd = _return_type("svd", ["U", "S", "V"])
lu_unpack = _return_type("lu_unpack", ["P", "L", "U"])
triangular_solve = _return_type("triangular_solve", ["solution", "cloned_coefficient"])
geqrf = _return_type("geqrf", ["a", "tau"])

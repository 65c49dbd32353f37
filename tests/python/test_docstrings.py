"""Every example in wick's docstrings runs, and prints what the docstring says
(doctest, one test per docstring): `help(wick.exp)` never shows a stale
example."""
import doctest
import inspect

import numpy
import pytest

import wick
import wick.nn
import wick.nn.functional
import wick.optim
import wick.linalg
import wick.special
import wick.distributions
import wick.func
import wick.nn.utils.stateless
import wick.utils.checkpoint
import wick.utils.data

MODULES = [wick, wick.nn, wick.nn.functional, wick.nn.utils, wick.nn.utils.rnn, wick.nn.utils.stateless, wick.optim, wick.optim.lr_scheduler,
           wick.utils.data, wick.utils.checkpoint, wick.autograd, wick.autograd.functional, wick.linalg, wick.special,
           wick.distributions, wick.func]


def _documented():
    """(name, docstring) of every public function, class, method and Tensor
    method whose docstring holds an example; each docstring once."""
    seen, out = set(), []

    def add(name, obj):
        if not getattr(obj, "__module__", "wick").startswith("wick"):
            return  # imported from elsewhere (collections.Counter in lr_scheduler)
        doc = getattr(obj, "__doc__", None)
        if isinstance(doc, str) and ">>>" in doc and doc not in seen:
            seen.add(doc)
            out.append((name, doc))

    for mod in MODULES:
        for name in sorted(dir(mod)):
            if name.startswith("_"):
                continue
            obj = getattr(mod, name)
            add(f"{mod.__name__}.{name}", obj)
            if inspect.isclass(obj):
                for member in sorted(vars(obj)):
                    if not member.startswith("_") or member in ("__init__", "__call__"):
                        add(f"{mod.__name__}.{name}.{member}", getattr(obj, member))
    for name in sorted(dir(wick.Tensor)):
        if not name.startswith("_") or name == "__dlpack__":
            add(f"wick.Tensor.{name}", getattr(wick.Tensor, name))
    return out


DOCUMENTED = _documented()


def test_examples_are_found():
    # A floor that catches the finder silently going blind (e.g. a renamed module).
    assert len(DOCUMENTED) >= 70, [name for name, _ in DOCUMENTED]


@pytest.mark.parametrize("name,doc", DOCUMENTED, ids=[name for name, _ in DOCUMENTED])
def test_docstring_example(name, doc):
    globs = {"wick": wick, "numpy": numpy, "np": numpy}
    test = doctest.DocTestParser().get_doctest(doc, globs, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    result = runner.run(test, out=report.append)
    assert result.failed == 0, "".join(report)

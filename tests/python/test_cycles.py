"""Reference cycles through wick's C++ objects are freed by Python's collector.

Note [Python's cycle collector] (python/csrc/autograd.cpp): Tensor and Node
objects show the collector the Python objects they own through C++ (hooks, a
custom Function's ctx), and only those they own alone, so a cycle is freed
once nothing outside holds it and never while something does. Each case here
leaked every byte before (40-160 MB per 100 rounds).
"""
import gc
import subprocess
import sys
import weakref

import pytest

import wick
from wick import _C

N = 1 << 18  # 1 MiB of float32 per tensor


def allocated():
    return _C.memory_allocated(wick.device("cpu"))


def leaked_bytes(make, rounds=5):
    """Bytes still allocated after `rounds` calls of make() and a collection."""
    gc.collect()
    before = allocated()
    for _ in range(rounds):
        make()
    gc.collect()
    return allocated() - before


def hook_uses_its_own_leaf():
    x = wick.randn(N, requires_grad=True)
    x.register_hook(lambda g: g * x.sum())


def hook_uses_its_own_non_leaf():
    x = wick.randn(N, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g + y.sum())


def retain_grad_tensor_in_its_hook():
    x = wick.randn(N, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g + 0 * y)
    y.sum().backward()


class KeepOutput(wick.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = x * 2
        ctx.out = out  # the ctx is the output's grad_fn: output -> node -> ctx -> output
        return out

    @staticmethod
    def backward(ctx, g):
        return g * 2


def function_ctx_keeps_its_output():
    x = wick.randn(N, requires_grad=True)
    KeepOutput.apply(x)


def grad_fn_kept_in_a_closure():
    x = wick.randn(N, requires_grad=True)
    y = x * 2
    fn = y.grad_fn
    y.register_hook(lambda g: g if fn else None)


def post_accumulate_grad_hook_uses_its_tensor():
    x = wick.randn(N, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: x.sum())


def parameter_kept_in_its_own_attribute():
    p = wick.nn.Parameter(wick.randn(N))
    p.history = [p]


def tensor_kept_through_a_list_in_its_hook():
    x = wick.randn(N, requires_grad=True)
    keep = [x]
    x.register_hook(lambda g: keep and g)
    (x * 2).sum().backward()


@pytest.mark.parametrize(
    "make",
    [
        hook_uses_its_own_leaf,
        hook_uses_its_own_non_leaf,
        retain_grad_tensor_in_its_hook,
        function_ctx_keeps_its_output,
        grad_fn_kept_in_a_closure,
        post_accumulate_grad_hook_uses_its_tensor,
        parameter_kept_in_its_own_attribute,
        tensor_kept_through_a_list_in_its_hook,
    ],
    ids=lambda f: f.__name__,
)
def test_cycle_is_freed_by_gc_collect(make):
    assert leaked_bytes(make) == 0


def test_the_tensor_object_itself_is_collected():
    x = wick.randn(4, requires_grad=True)
    x.register_hook(lambda g: g + x)
    ref = weakref.ref(x)
    del x
    gc.collect()
    assert ref() is None


# ---- soundness: nothing that something outside the cycle holds is freed or cleared ----


def test_a_hook_on_a_leaf_a_graph_holds_survives_collection():
    seen = []

    def graph():
        x = wick.ones(3, requires_grad=True)
        x.register_hook(lambda g: seen.append(x.shape) or g * 2)
        return x, (x * 3).sum()  # the graph holds x's TensorImpl too

    x_ref, y = graph()
    x_ref = weakref.ref(x_ref)  # x's object now lives only in its hook's closure: a cycle
    gc.collect()
    y.backward()
    assert seen == [wick.Size([3])]
    assert x_ref().grad.tolist() == [6.0, 6.0, 6.0]


def test_a_ctx_whose_output_lives_survives_collection():
    x = wick.ones(3, requires_grad=True)
    y = KeepOutput.apply(x)
    gc.collect()
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    assert y.grad_fn.out is y


def test_a_non_leaf_hook_survives_collection_while_its_graph_is_used():
    x = wick.ones(3, requires_grad=True)
    calls = []

    def graph():
        y = x * 2
        y.register_hook(lambda g: calls.append(y.shape) or g)
        return (y * y).sum()  # z's node holds y's node: y's grad_fn is shared

    z = graph()  # y's object now lives only in its hook's closure: a cycle
    gc.collect()
    z.backward()
    assert len(calls) == 1
    assert x.grad.tolist() == [8.0, 8.0, 8.0]


def test_backward_with_create_graph_warns_about_its_cycle_once():
    # Note [create_graph cycles]: the warning is once per process, so it runs in its own.
    code = (
        "import warnings, wick\n"
        "warnings.simplefilter('always')\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    for _ in range(3):\n"
        "        x = wick.ones(2, requires_grad=True)\n"
        "        (x * x).sum().backward(create_graph=True)\n"
        "    wick.autograd.grad((x * x).sum(), x, create_graph=True)\n"
        "print(sum('reference cycle' in str(m.message) for m in w))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"

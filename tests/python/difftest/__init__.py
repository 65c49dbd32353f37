"""wick's differential tester: random calls, the same in wick and in PyTorch.

Every case is one call of one public op (a function, a method, an operator,
an in-place or an out= form, an nn.functional) on inputs drawn from one seeded
generator: broadcast, 0-d and zero-size shapes; contiguous, transposed,
stepped, offset, expanded and overlapping views; every dtype and dtype mixes;
Python scalars; inf, NaN, huge, tiny and extreme integer values. The call runs
in both libraries on the same data and the tester compares what came back:
the exception (both refuse, or neither), the result's type, shape, dtype and
values, requires_grad, the identity of an in-place result, every input after
the call, and the gradients of every floating input.

    python -m difftest --calls 100000                 # from tests/python
    python -m difftest --replay 0:1234                # one case, as code, in detail
    python -m difftest --calls 20000 --oracle-both    # the tester checked: PyTorch on both sides

The op descriptions live in difftest/ops.py (one per op family), the input
generator in difftest/inputs.py, the comparison in difftest/compare.py and
the worker processes (which catch crashes and hangs per case) in
difftest/runner.py. RESULTS.md holds the figures of the last long run.
"""

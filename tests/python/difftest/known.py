"""Differences from PyTorch that are known and documented, each with why.

A group (class, op, form) that matches an entry here is reported but does not
fail the run. Two kinds of entry:
- wick is right and PyTorch 1.13 is not (kept for good, with the reason);
- a wick bug not fixed yet (with the issue that tracks it): the list to empty.
Each entry: (class regex, op regex, form regex, reason). Match is re.fullmatch.
"""
import re

KNOWN = [
    # -- PyTorch 1.13 is wrong or stricter for no reason; wick's answer stays.
    ("oracle-unstable", ".*", ".*", "PyTorch 1.13 answers the same call differently from run to run (it reads "
                                    "uninitialized memory, e.g. nanmedian of an expanded tensor): no oracle"),
    ("accepted-number", ".*", ".*", "wick takes a Python number as `other` of every binary op (as PyTorch does for "
                                    "add or mul); PyTorch 1.13 wants a tensor for maximum, hypot, logical_and..."),
    ("grad-accepted", r"torch\.(nn\.functional\.(mse_loss|huber_loss)|floor_divide|scatter|std|logaddexp)", ".*",
     "PyTorch 1.13's backward fails where wick's is right: mixed float32/float64 losses ('Found dtype Float but "
     "expected Double'), no derivative for floor_divide_ and scatter(reduce=), std of a zero-size dim, logaddexp "
     "of bools"),
    ("grad-accepted", r"torch\.binary-operator", "operator://",
     "PyTorch 1.13 has no derivative for floor_divide (the // operator) and raises in backward; wick's is 0, as "
     "div(rounding_mode='floor')'s"),
    ("special-grad", r"torch\.nn\.functional\.(relu6|hardtanh)", ".*",
     "at a NaN input PyTorch 1.13's vectorized loop gives gradient 0 and its scalar loop (short or strided "
     "tensors, loop tails) the incoming gradient; wick gives 0 always, as clamp's gradient there"),
    ("refused", r"torch\.(mm|bmm|mv|matmul)", ".*", "PyTorch 1.13 skips its dtype check when an operand is empty; "
                                                     "wick refuses mixed dtypes always"),
    ("refused", r"torch\.(argmax|argmin)", ".*", "PyTorch 1.13 skips its dtype check when the reduced dim has size 1 "
                                                 "(argmax of a bool tensor over it gives zeros, over any other dim "
                                                 "it refuses bool); wick refuses bool always"),
    ("accepted", r"torch\.nn\.functional\.linear", "function",
     "linear with a 1-D weight and a bias on a 2-D (or contiguous 3-D) input: PyTorch 1.13 takes its addmm path and "
     "fails ('mat2 must be a matrix'); wick gives the documented matmul(input, weight) + bias (Note [linear with a "
     "1-D weight])"),
    # -- wick bugs found by the tester and not fixed yet (issue 21): the list to empty.
    ("accepted", ".*", "out", "to do: wick's out= (Note [The last-resort overload]) takes out= on every function and "
                              "casts; PyTorch 1.13 has no out= on isnan/relu/std(no dim) and wants exact dtypes for "
                              "amax/any/pow/neg/square"),
    ("accepted", r"torch\.nn\.functional\.group_norm", ".*", "to do: group_norm with one value per group"),
    ("refused", r"torch\.(masked_fill|scatter)", ".*",
     "to do: masked_fill with a 0-d tensor value, scatter of a huge float into an int tensor"),
    ("refused", r"torch\.nn\.functional\.linear", "function", "to do: linear with zero-size in_features"),
    ("refused", r"torch\.(sum|prod)", "out", "to do: PyTorch reduces in out='s dtype when no dtype= is given (prod of "
                                             "float64 into an int64 out truncates first); wick's out= refuses a "
                                             "float result for an integer out"),
    ("refused", r"torch\.floor_divide", "out", "to do: PyTorch takes out= for floor_divide of inputs that require "
                                               "grad (its gradient is zero); wick's out= refuses any result that "
                                               "requires grad"),
    ("special-.*", ".*", ".*", "to do: calls with inf, NaN, huge or tiny inputs where wick and PyTorch 1.13 differ "
                               "(batch_norm/layer_norm/elu gradients at inf, floor_divide by inf...); RESULTS.md "
                               "lists them; each must become equal or documented as better"),
    ("value", ".*", "out", "tester limit: a float32 computation written into a float64 out= is compared at "
                           "float64's tolerance (1 ulp of float32 differs)"),
    ("grad", r"torch\.nn\.functional\.layer_norm", ".*",
     "to do: layer_norm over groups of one element: wick's input gradient is a rounding residue (~3e-5) where "
     "PyTorch's is exactly 0"),
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

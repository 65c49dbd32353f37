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
    ("grad-accepted", r"torch\.(nn\.functional\.(mse_loss|huber_loss)|floor_divide|scatter|std|logaddexp2?)", ".*",
     "PyTorch 1.13's backward fails where wick's is right: mixed float32/float64 losses ('Found dtype Float but "
     "expected Double'), no derivative for floor_divide_ and scatter(reduce=), std of a zero-size dim, logaddexp "
     "(and logaddexp2) of bools"),
    ("refused", r"torch\.(tril|triu)", "inplace",
     "tril_/triu_ of an expanded tensor (several elements in one memory location): PyTorch 1.13 writes through "
     "the overlap and returns a wrong triangle (ones(1, 3).expand(3, 3).triu_() gives three rows [0, 0, 1]); "
     "wick refuses, as its other in-place ops do ('more than one element of the written-to tensor refers to a "
     "single memory location')"),
    ("accepted", r"torch\.(addcmul|addcdiv)", "inplace",
     "in-place addcmul_/addcdiv_ whose tensor1/tensor2 have another dtype than self: PyTorch 1.13 fails an internal "
     "assert ('!needs_dynamic_casting<func_t>::check(iter) INTERNAL ASSERT FAILED ... please report a bug'); wick "
     "computes in the common dtype and writes the result into self, as its other in-place ops do"),
    ("accepted", r"torch\.(nanmean|nansum)", "method|function",
     "nanmean/nansum of an integer input with dtype=float32: PyTorch 1.13 checks the input's dtype before "
     "converting it to dtype= and refuses; wick converts first (the meaning of dtype=, as sum and mean have it)"),
    ("accepted", r"torch\.inner", "method|function",
     "inner of operands of different dtypes: PyTorch 1.13 refuses a float with an integer operand ('expected "
     "scalar type Float but found Long') yet promotes int32 with int64; wick promotes as mul does"),
    ("accepted", r"torch\.float_power", "inplace",
     "float_power_ of a float32 tensor: PyTorch 1.13 refuses ('the base given to float_power_ has dtype Float but the "
     "operation's result requires dtype Double'); wick computes in float64 and writes the result into self, as its "
     "other in-place ops cast"),
    ("accepted", r"torch\.ldexp", "inplace",
     "ldexp_ of a tensor that requires grad: PyTorch 1.13 fails ('mul(): functions with out=... arguments don't "
     "support automatic differentiation'); wick records it as its other in-place forms"),
    ("accepted", r"torch\.(sum|cumsum|cumprod|prod|nansum)", "function|method",
     "dtype= an integer type on a tensor that requires grad: PyTorch refuses (1.13 with an internal assert, 2.x "
     "'Autograd not support dtype: Long'); wick converts, as x.long() does, and returns the integer result cut from "
     "the graph"),
    ("accepted", r"torch\.nn\.functional\.soft_margin_loss", "function",
     "a target that requires grad: PyTorch refuses ('not differentiable with respect to argument target'); wick "
     "differentiates -logsigmoid(target * input) in the target too"),
    ("grad", r"torch\.nn\.functional\.hardsigmoid", "function",
     "PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, also for float64 (gradients off by "
     "~3e-8 relatively); wick's 1/6 is the dtype's"),
    ("dtype|value", r"torch\.nn\.functional\.cosine_similarity", "function",
     "PyTorch 2.x's formula, which wick follows: each operand divided by its own norm (clamped to eps) before the "
     "product, in the operand's dtype, and the result in the dtype of the broadcast operands (float32 with a "
     "0-dim float64 gives float64); 1.13 divided the product by the clamped product of the norms"),
    ("refused", r"torch\.nn\.functional\.max_pool1d", "function",
     "a pooling window that gives an output of size 0: PyTorch 1.13 returns an empty tensor, 2.x refuses "
     "('Invalid computed output size: 0'), as wick does"),
    ("grad", r"torch\.sgn", "function|method",
     "sgn of real inputs: PyTorch 1.13's SgnBackward0 returns +-1 in some cases (1:3706), where the derivative of the "
     "sign is 0 (sign's gradient in both libraries, and PyTorch's sgn on other inputs)"),
    ("grad-accepted", r"torch\.addcdiv", "function|method",
     "addcdiv of an integer self with floating tensors: PyTorch 1.13's backward fails ('result type Float can't be "
     "cast to the desired output type Long'); wick's gradients of tensor1 and tensor2 are right"),
    ("grad", r"torch\.addcmul", ".*",
     "an integer tensor1 or tensor2: PyTorch 1.13's backward multiplies the integer tensor by value as a float32 "
     "number (value=-0.8 becomes -0.800000011920929), so its gradients are off by ~1e-8 relatively in float64; "
     "wick's are exact"),
    ("value", r"torch\.(median|nanmedian)", "function|method",
     "median/nanmedian along a dim of an expanded input that requires grad: PyTorch 1.13 returns numbers that are "
     "not in the input (median([-0.018].expand(4), dim=-1) gives 4.6e-41, the same on every run, so the "
     "oracle-unstable check misses it); wick returns the median. Positions among equal values are checked by "
     "the values they point at (compare.py: _TIE_POSITIONS)"),
    ("grad-accepted", r"torch\.(asinh|acosh|atanh|arcsinh|arccosh|arctanh|erfinv)", "inplace",
     "PyTorch 1.13 has no derivative for these in-place forms ('the derivative for inplace version of asinh is not "
     "implemented'); wick's is the out-of-place op's, at the value before the write"),
    ("grad-accepted", r"torch\.binary-operator", "operator://=?",
     "PyTorch 1.13 has no derivative for floor_divide (the // and //= operators) and raises in backward; wick's is "
     "0, as div(rounding_mode='floor')'s"),
    ("accepted", r"torch\.nn\.functional\.pad", "function",
     "constant padding whose negative values leave a dim of size 0: PyTorch 1.13 refuses it as 'a negative output "
     "size' (its check is > 0); newer PyTorch (constant_pad_nd: output_size >= 0) and wick give the empty tensor "
     "and refuse only a negative size"),
    ("grad-accepted", r"torch\.nn\.functional\.pad", "function",
     "the backward of a constant pad is the negated pad of the gradient: where that leaves a dim of size 0 (the "
     "input had one), PyTorch 1.13 refuses it (its check is > 0, newer PyTorch's >= 0)"),
    ("accepted", r"torch\.(var|std)", "function|method",
     "var/std with correction= and no dim: PyTorch 1.13's signatures want dim (var(input, dim, *, correction)); "
     "newer PyTorch's var(input, dim=None, *, correction=1, keepdim=False) and wick take it"),
    ("grad", r"torch\.(var|var_mean|std_mean)", "function|method",
     "var's gradient where n - correction <= 0 (a 0-d input, or one element with unbiased=True): PyTorch 1.13 "
     "gives inf or 0 ((2 / (n - c)) * g * 0 in its own order); newer PyTorch (var_backward: "
     "grad * where(self == mean, nan, inf)) and wick give nan where x equals the mean"),
    ("grad-accepted", r"torch\.var", "function|method",
     "var of a one-element 1-D tensor with unbiased=True: PyTorch 1.13's VarBackward0 returns a 0-d gradient and "
     "its engine refuses it ('got [] but expected shape compatible with [1]'); wick's has the input's shape"),
    ("grad-accepted", r"torch\.nn\.functional\.nll_loss", "function",
     "nll_loss of a non-contiguous (e.g. transposed) 4-D input: PyTorch 1.13's nll_loss2d backward raises "
     "'grad_input must be contiguous'; wick's gradient is right (the same as for the contiguous input)"),
    ("input-changed", r"torch\.(div|divide|remainder|scatter|scatter_add)", "inplace",
     "an in-place call that fails (integer division by zero, an index out of range): PyTorch 1.13 raises from "
     "inside its kernel and leaves self partly written; wick checks first and leaves self unchanged"),
    ("input-changed", r"torch\.binary-operator", "operator:(%|//)=",
     "x %= y (or //=) with an integer zero in y: PyTorch 1.13 raises ZeroDivisionError from inside its kernel and "
     "leaves x partly written; wick checks first and leaves x unchanged"),
    ("input-changed", r"torch\.setitem", "operator:setitem",
     "x[index] = v with an index out of range: PyTorch 1.13 raises from inside its kernel with x partly written "
     "(the indices before the bad one); wick checks the indices first and leaves x unchanged"),
    ("grad", r"torch\.pow", "function|method|inplace",
     "x ** False (a bool exponent): PyTorch's pow backward tests exponent == 0.0 with Scalar::equal, which is never "
     "true for a bool, and computes 0 * x ** -1 = nan at x = 0; x ** False is 1 everywhere and wick's gradient is "
     "0, as PyTorch's for x ** 0"),
    ("refused", r"torch\.(var|std)", "out",
     "var/std with an integer out=: PyTorch 1.13 writes the float result truncated; newer PyTorch (std_var_out: "
     "canCast(self, result)) and wick refuse ('result type float64 can't be cast to the desired output type')"),
    ("refused", r"torch\.norm", "function|method",
     "the inf or -inf norm of an empty tensor: PyTorch 1.13 returns 0; max/min over nothing has no identity, and "
     "newer PyTorch (torch.norm is linalg.vector_norm) refuses it as wick does"),
    ("refused", r"torch\.(softmax|log_softmax)", "function|method",
     "softmax of an empty integer or bool tensor (no floating dtype=): PyTorch 1.13 returns an empty tensor of the "
     "integer dtype because its kernel, which refuses 'Long' for any non-empty input, is never reached; wick "
     "refuses integer inputs always"),
    ("refused", r"torch\.expand", "method",
     "expand of a 0-d (or smaller) tensor with -1 in a new leading dim: PyTorch 1.13 returns a tensor of shape "
     "(0, -1) (a negative size) when another size is 0; wick refuses -1 there always, as PyTorch does otherwise"),
    ("value", r"torch\.nn\.functional\.layer_norm", "function",
     "float64 layer_norm of rows of equal values: the exact answer is the bias (x - mean is 0); PyTorch 1.13's "
     "mean has a rounding residue that 1 / sqrt(eps) and the weight magnify (-0.16728586536 for the bias "
     "-0.16728586539); wick's mean is exact for equal values and it gives the bias"),
    ("grad", r"torch\.nn\.functional\.batch_norm", "function",
     "batch_norm with a non-contiguous weight (e.g. a stride-2 view): PyTorch 1.13's backward reads the weight "
     "as if it were contiguous and its input gradient is wrong; wick's matches the float64 computation. (Also "
     "the tester limit of the group_norm entry: a channel of equal values has an exactly-zero input "
     "gradient, which both leave as a float32 residue of ~3e-5)"),
    ("grad", r"torch\.masked_select", "function|method",
     "masked_select with a non-contiguous self or mask: PyTorch 1.13's backward (masked_scatter of the gradient) "
     "puts the values at the wrong positions; wick's matches the float64 computation"),
    ("grad", r"torch\.nn\.functional\.smooth_l1_loss", "function",
     "smooth_l1_loss with beta=0 (the L1 loss): at x == y PyTorch 1.13's slope is -1 (to input and target), a bug "
     "newer versions fix by calling l1_loss; wick's is sign(0) = 0, as l1_loss's (ops/loss.cpp, "
     "SmoothL1LossBackward0)"),
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
    ("requires-grad", r"torch\.(eq|ne|lt|le|gt|ge|greater|greater_equal|less|less_equal|not_equal)", "inplace",
     "an integer or bool self compared in place with a float tensor that requires grad: PyTorch 1.13 marks the "
     "integer result as requiring grad (EqBackward1...), which no integer tensor can otherwise (requires_grad_ "
     "refuses them); wick's stays an integer tensor without grad, and a floating self records the zero gradient "
     "as PyTorch does"),
    # -- wick bugs found by the tester and not fixed yet (issue 21): the list to empty.
    ("accepted", ".*", "out", "to do: wick's out= (Note [The last-resort overload]) takes out= on every function and "
                              "casts; PyTorch 1.13 has no out= on isnan/relu/std(no dim) and wants exact dtypes for "
                              "amax/pow/neg/square"),
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
    ("grad", r"torch\.nn\.functional\.(group_norm|layer_norm|normalize)", "function",
     "tester limit: an exactly-zero gradient (a group or row of equal values, or of one element; normalize over a "
     "dim of size 1) is a sum of terms of size |g| / std (|g| / sqrt(eps) = 316 |g| where the variance is 0) that "
     "cancel; float32 leaves a residue of about 1 ulp of those terms (1e-5 to 3e-5) in wick and in PyTorch (which "
     "one is exactly 0 is luck), beyond the referee's absolute tolerance 1e-5"),
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

"""Autograd from Python: grad_fn, hooks, grad modes, autograd.grad, gradcheck, anomaly mode."""
import threading

import pytest
import torch

import wick


def test_requires_grad_property_and_leaves():
    x = wick.ones(2)
    assert not x.requires_grad and x.is_leaf and x.grad_fn is None
    x.requires_grad = True
    assert x.requires_grad and x.is_leaf
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    assert x.requires_grad_(False) is x and not x.requires_grad
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.data_ptr() == y.data_ptr()


def test_grad_can_be_set_and_cleared():
    x = wick.ones(2, requires_grad=True)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    assert x.grad is None
    x.grad = wick.zeros(2)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match="assigned grad has shape"):
        x.grad = wick.zeros(3)


def test_grad_fn_graph_walk():
    x = wick.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    names = []
    fn = y.grad_fn
    while fn is not None:
        names.append(fn.name())
        fn = fn.next_functions[0][0] if fn.next_functions else None
    assert names == ["SumBackward0", "MulBackward0", "ExpBackward0", "AccumulateGrad"]
    assert repr(y.grad_fn).startswith("<SumBackward0 object at 0x")
    assert y.grad_fn is y.grad_fn


def test_backward_arguments():
    x = wick.tensor([1.0, 2.0], requires_grad=True)
    y = x**3
    y.backward(wick.tensor([1.0, 1.0]), retain_graph=True)
    assert x.grad.tolist() == [3.0, 12.0]
    x.grad = None
    y.sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad  # the backward was recorded
    x.grad = None
    g.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]
    with pytest.raises(ValueError, match="Mismatch in shape"):
        (x * 2).backward(wick.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        wick.ones(2).sum().backward()


def test_autograd_backward_several_roots():
    x = wick.tensor([1.0, 2.0], requires_grad=True)
    a, b = x * 2, x.sum()
    wick.autograd.backward([a, b], [wick.tensor([1.0, 10.0]), None])
    assert x.grad.tolist() == [3.0, 21.0]
    with pytest.raises(ValueError, match="got 1 gradients for 2 tensors"):
        wick.autograd.backward([x * 1, x * 1], [wick.ones(2)])


def test_autograd_grad():
    x = wick.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = wick.tensor([1.0], requires_grad=True)
    out = (x**3).sum()
    (g,) = wick.autograd.grad(out, x, create_graph=True)
    assert g.tolist() == [3.0, 12.0, 27.0] and x.grad is None
    (gg,) = wick.autograd.grad(g.sum(), [x])
    assert gg.tolist() == [6.0, 12.0, 18.0]
    gx, gy = wick.autograd.grad([(x * 2).sum()], [x, y], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0, 2.0] and gy is None
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        wick.autograd.grad((x * 2).sum(), [x, y])
    (gv,) = wick.autograd.grad(x * 2, x, grad_outputs=wick.tensor([1.0, 0.0, 3.0]))
    assert gv.tolist() == [2.0, 0.0, 6.0]
    with pytest.raises(TypeError):
        wick.autograd.grad(out, [1.0])


def test_hooks_see_and_replace_gradients():
    seen = []
    x = wick.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    h1 = y.register_hook(lambda g: seen.append(g.tolist()))
    h2 = x.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    assert seen == [[4.0, 8.0]]
    assert x.grad.tolist() == [80.0, 160.0]
    h1.remove()
    h2.remove()
    x.grad = None
    y = x * 2
    (y * y).sum().backward()
    assert x.grad.tolist() == [8.0, 16.0] and seen == [[4.0, 8.0]]
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        wick.ones(1).register_hook(lambda g: g)


def test_hook_errors_propagate():
    x = wick.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        y.sum().backward()
    z = x * 2
    z.register_hook(lambda g: "not a tensor")
    with pytest.raises(TypeError, match="a tensor hook must return a Tensor or None"):
        z.sum().backward()


def test_hook_runs_in_a_gil_free_backward_from_another_thread():
    # backward releases the GIL; the Python hook must take it back, and
    # another Python thread must keep running meanwhile.
    x = wick.randn(200, 200, requires_grad=True)
    calls = []
    result = {}

    def work():
        y = x @ x
        y.register_hook(lambda g: calls.append(threading.get_ident()) or g * 2)
        (y * y).sum().backward()
        result["grad"] = x.grad

    t = threading.Thread(target=work)
    t.start()
    counter = 0
    while t.is_alive():
        counter += 1
    t.join()
    assert calls and result["grad"].shape == (200, 200)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    yt = xt @ xt
    yt.register_hook(lambda g: g * 2)
    (yt * yt).sum().backward()
    torch.testing.assert_close(torch.from_numpy(result["grad"].numpy()), xt.grad, rtol=1e-3, atol=1e-2)


def test_no_grad_as_context_and_decorator():
    x = wick.ones(2, requires_grad=True)
    with wick.no_grad():
        assert not wick.is_grad_enabled()
        y = x * 2
        with wick.enable_grad():
            z = x * 2
    assert wick.is_grad_enabled() and not y.requires_grad and z.requires_grad

    @wick.no_grad()
    def f(a):
        return a * 2

    @wick.no_grad
    def g(a):
        return a * 2

    @wick.enable_grad()
    def h(a):
        return a * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    with wick.no_grad():
        assert h(x).requires_grad
    assert f.__name__ == "f"

    @wick.no_grad()
    def gen():
        yield (x * 2).requires_grad
        yield wick.is_grad_enabled()

    assert list(gen()) == [False, False] and wick.is_grad_enabled()
    with wick.inference_mode():
        assert not (x * 2).requires_grad


def test_set_grad_enabled():
    x = wick.ones(1, requires_grad=True)
    wick.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        wick.set_grad_enabled(True)
    assert (x * 2).requires_grad
    with wick.set_grad_enabled(False):
        assert not wick.is_grad_enabled()
    assert wick.is_grad_enabled()

    @wick.set_grad_enabled(False)
    def f():
        return wick.is_grad_enabled()

    assert wick.is_grad_enabled() and f() is False and wick.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with wick.no_grad():
            raise KeyError
    assert wick.is_grad_enabled()


def test_gradcheck():
    x = wick.randn(3, 4, dtype=wick.float64, requires_grad=True)
    w = wick.randn(4, 2, dtype=wick.float64, requires_grad=True)
    assert wick.autograd.gradcheck(lambda a, b: (a @ b).tanh(), (x, w))
    assert wick.autograd.gradcheck(lambda a, k: a * k, (x, 3.0))  # non-tensor inputs pass through
    assert wick.autograd.gradcheck(lambda a: (a.exp(), a.sum(1)), x)  # several outputs
    assert wick.autograd.gradgradcheck(lambda a, b: (a @ b).sigmoid(), (x, w))

    def wrong(a):
        y = a * 2
        if y.requires_grad:  # not in the finite-difference evaluations
            y.register_hook(lambda g: g * 3)  # corrupts the analytical gradient
        return y

    with pytest.raises(wick.autograd.GradcheckError, match="Jacobian mismatch"):
        wick.autograd.gradcheck(wrong, x)
    assert wick.autograd.gradcheck(wrong, x, raise_exception=False) is False
    with pytest.raises(TypeError, match="float64"):
        wick.autograd.gradcheck(lambda a: a * 2, wick.ones(2, requires_grad=True))
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        wick.autograd.gradcheck(lambda a: a * 2, wick.ones(2, dtype=wick.float64))


def test_detect_anomaly_names_the_op():
    x = wick.tensor([0.0], requires_grad=True)
    with wick.autograd.detect_anomaly():
        assert wick.is_anomaly_enabled()
        y = (x.sqrt() * 0).sum()
        with pytest.raises(RuntimeError, match="returned nan or inf values"):
            y.backward()
    assert not wick.is_anomaly_enabled()
    wick.autograd.set_detect_anomaly(True)
    assert wick.is_anomaly_enabled()
    wick.autograd.set_detect_anomaly(False)
    assert not wick.is_anomaly_enabled()
    (x.sqrt() * 0).sum().backward()  # without anomaly mode: NaN gradient, no error
    assert x.grad.isnan().all().item()


def test_version_counter_catches_inplace_modification():
    x = wick.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y  # saves y
    y.add_(1)
    assert y._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# ---- Variable._execution_engine.queue_callback (PyTorch 1.13 has it) --------------------------


def _callback_log(lib):
    """What hooks, a custom Function's backward and the callbacks they queue see, in order."""
    engine = lib.autograd.Variable._execution_engine
    log = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)

    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            log.append("Twice.backward")
            engine.queue_callback(lambda: log.append(("Twice's callback", x.grad.tolist())))
            return g * 2

    def second():
        log.append("second")
        engine.queue_callback(lambda: log.append("queued by second"))

    def hook(g):
        log.append(("hook", x.grad is None))
        engine.queue_callback(lambda: log.append(("first", x.grad.tolist(), lib.is_grad_enabled())))
        engine.queue_callback(second)

    y = Twice.apply(x) * 3
    y.register_hook(hook)
    y.sum().backward()
    log.append("returned")
    return log


def test_queue_callback_runs_after_the_graph_as_in_pytorch():
    log = _callback_log(wick)
    assert log == _callback_log(torch)
    assert log == [("hook", True), "Twice.backward", ("first", [6.0, 6.0], False), "second",
                   ("Twice's callback", [6.0, 6.0]), "queued by second", "returned"]


def test_queue_callback_outside_backward_is_an_error():
    for lib in (torch, wick):
        with pytest.raises(RuntimeError, match="Final callbacks can only be installed during backward pass."):
            lib.autograd.Variable._execution_engine.queue_callback(lambda: None)


def _nested_log(lib):
    engine = lib.autograd.Variable._execution_engine
    log = []
    x = lib.ones(3, requires_grad=True)
    w = lib.ones(2, requires_grad=True)

    def outer_hook(g):
        with lib.enable_grad():
            z = w * 3
            z.register_hook(lambda gg: engine.queue_callback(lambda: log.append("inner")))
            (gw,) = lib.autograd.grad(z.sum(), w)
        log.append(("inner grad returned", gw.tolist()))
        engine.queue_callback(lambda: log.append(("outer", x.grad.tolist())))

    y = x * 2
    y.register_hook(outer_hook)
    y.sum().backward(create_graph=False)
    return log


def test_queue_callback_in_a_nested_backward_as_in_pytorch():
    log = _nested_log(wick)
    assert log == _nested_log(torch)
    assert log == ["inner", ("inner grad returned", [3.0, 3.0]), ("outer", [2.0, 2.0, 2.0])]


def test_queue_callback_errors_propagate_as_in_pytorch():
    for lib in (torch, wick):
        engine = lib.autograd.Variable._execution_engine
        ran = []
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: engine.queue_callback(lambda: 1 / 0))
        with pytest.raises(ZeroDivisionError):
            y.sum().backward()

        def failing_hook(g):
            engine.queue_callback(lambda: ran.append("should not run"))
            raise ValueError("node fails")

        z = x * 2
        z.register_hook(failing_hook)
        with pytest.raises(ValueError, match="node fails"):
            z.sum().backward()
        (x * 3).sum().backward()
        assert ran == [], lib.__name__


def test_variable_is_the_deprecated_constructor_as_in_pytorch():
    for lib in (torch, wick):
        Variable = lib.autograd.Variable
        t = lib.tensor([1.0, 2.0], requires_grad=True)
        v = Variable(t)
        assert type(v) is lib.Tensor and v is not t and v.data_ptr() == t.data_ptr()
        assert not v.requires_grad and v.is_leaf
        r = Variable(lib.ones(2) * 2, requires_grad=True)
        assert r.requires_grad and r.is_leaf and r.tolist() == [2.0, 2.0]
        e = Variable()
        assert tuple(e.shape) == (0,) and e.dtype == lib.float32
        assert isinstance(t, Variable) and not isinstance([1.0], Variable)
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            Variable([1.0])


def test_new_autograd_api_is_documented():
    for obj in (wick.autograd.Variable, wick.autograd.Variable._execution_engine.queue_callback,
                wick.Tensor.register_post_accumulate_grad_hook):
        assert obj.__doc__ and "Example" in obj.__doc__, obj


# ---- Tensor.register_post_accumulate_grad_hook (PyTorch 2.x; not in PyTorch 1.13) ----------


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    x = wick.tensor([1.0, 2.0], requires_grad=True)
    b = wick.tensor([3.0], requires_grad=True)
    seen = []

    def hook(t):
        assert t is x  # the tensor itself
        seen.append(t.grad.tolist())

    handle = x.register_post_accumulate_grad_hook(hook)
    b.register_post_accumulate_grad_hook(lambda t: seen.append(("b", t.grad.tolist())))
    y = (x * x).sum() + (x * b).sum()  # two paths into x: one call per backward
    y.backward(retain_graph=True)
    assert sorted(seen, key=str) == sorted([[5.0, 7.0], ("b", [3.0])], key=str)
    y.backward()
    assert [s for s in seen if s[0] != "b"] == [[5.0, 7.0], [10.0, 14.0]]
    handle.remove()
    seen.clear()
    (x * 2).sum().backward()
    assert seen == [] and x.grad.tolist() == [12.0, 16.0]


def test_post_accumulate_grad_hook_outlives_the_python_object():
    seen = []
    x = wick.ones(2, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: seen.append((type(t).__name__, t.grad.tolist())))
    y = (x * 3).sum()
    del x  # the graph still holds the tensor: the hook gets a new Python object for it
    y.backward()
    assert seen == [("Tensor", [3.0, 3.0])]


def test_post_accumulate_grad_hook_runs_after_the_tensor_hook_and_not_for_grad():
    x = wick.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: g * 10)
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (x * 2).sum().backward()
    assert seen == [[20.0, 20.0]]
    wick.autograd.grad((x * 2).sum(), x)  # grad() writes no .grad, so no call
    assert seen == [[20.0, 20.0]]


def test_post_accumulate_grad_hook_refusals_and_errors():
    x = wick.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        wick.ones(2).register_post_accumulate_grad_hook(lambda t: None)
    h = x.register_post_accumulate_grad_hook(lambda t: t.grad)
    with pytest.raises(RuntimeError, match="Tensor post accumulate grad hooks should return None."):
        (x * 2).sum().backward()
    h.remove()
    x.register_post_accumulate_grad_hook(lambda t: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        (x * 2).sum().backward()


def test_post_accumulate_grad_hooks_with_a_final_callback_as_data_parallel_uses_them():
    # Each parameter's gradient is "reduced" as soon as it is ready; one final
    # callback waits for all of them before backward returns.
    model = wick.nn.Linear(3, 2)
    ready, reduced = [], []

    def on_grad(p):
        if not ready:
            engine = wick.autograd.Variable._execution_engine
            engine.queue_callback(lambda: reduced.extend(tuple(q.shape) for q in ready))
        ready.append(p)
        with wick.no_grad():
            p.grad.mul_(0.5)  # the "all-reduce": average over two replicas holding the same gradient

    for p in model.parameters():
        p.register_post_accumulate_grad_hook(on_grad)
    model(wick.ones(4, 3)).sum().backward()
    assert sorted(reduced) == [(2,), (2, 3)]
    assert all(isinstance(p, wick.nn.Parameter) for p in ready) and {id(p) for p in ready} == {
        id(p) for p in model.parameters()}
    assert model.bias.grad.tolist() == [2.0, 2.0] and model.weight.grad.tolist() == [[2.0] * 3] * 2


@pytest.mark.parametrize("make_input, sizes, strides, offset, inside", [
    (lambda lib, b: b, (3, 3), (1, 1), None, True),                # a view that overlaps itself
    (lambda lib, b: b.reshape(3, 4).t(), (2, 2), (2, 1), 1, True),  # a non-contiguous input
    (lambda lib, b: b[:1].expand(5), (2, 2), (0, 1), None, False),  # an input that overlaps itself
    (lambda lib, b: b[2:], (3,), (1,), 0, False),                   # a view that starts before its input
])
def test_as_strided_backward_in_general_as_pytorch(make_input, sizes, strides, offset, inside):
    # Note [as_strided's backward in general]: before, wick raised NotImplementedError for all of these.
    import torch
    grads = []
    for lib in (wick, torch):
        base = lib.arange(12.0, dtype=lib.float64).requires_grad_()
        view = make_input(lib, base).as_strided(sizes, strides, offset)
        cotangent = lib.arange(float(view.numel()), dtype=lib.float64).reshape(view.shape) + 1
        (view * cotangent).sum().backward()
        grads.append(base.grad.tolist())
    assert grads[0] == grads[1]
    if not inside:
        return  # the view reads memory outside its input, which gets no gradient (as in PyTorch): no gradcheck
    x = wick.randn(12, dtype=wick.float64, requires_grad=True)
    fn = lambda x: make_input(wick, x).as_strided(sizes, strides, offset)
    assert wick.autograd.gradcheck(fn, (x,)) and wick.autograd.gradgradcheck(fn, (x,))

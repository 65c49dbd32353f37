"""The recording machinery behind wick.profiler.

wick's ops are C++ functions bound in wick._C and reached from Python as
``wick.<name>``, ``wick.nn.functional.<name>`` and ``wick.Tensor.<method>``.
While at least one recording is active (and only then) every such entry point
is replaced by a thin Python wrapper that opens an event, calls the original and
closes the event; when the last recording stops every replaced attribute is put
back, so that ``wick.relu is wick._C.relu`` again and nothing is left on the
call path.

What is replaced (``_patch``):

* the ops: the public functions of wick._C, of the ``wick`` package, of
  wick.nn.functional, wick.linalg ("linalg_" names) and wick.special
  ("special_" names), less the global-state and predicate functions
  (manual_seed, memory_allocated, is_tensor ...). Every reference to one of
  these objects held by a module of the wick package is replaced, so that the
  Python composites (wick.nn.functional.normalize calling ``_C.norm`` ...)
  record their inner ops as children;
* the methods of wick.Tensor (operators included: ``a + b`` is "add"), less
  the metadata ones (size, dim, stride, is_* ...);
* the step and zero_grad of wick.optim's optimizers (subclasses included), as
  ranges named as PyTorch's: "Optimizer.step#SGD.step", and their fused
  per-parameter updates (wick._C._optim) as "optim::sgd" ...;
* the autograd engine's entry points (Tensor.backward, wick.autograd.backward,
  wick.autograd.grad) as one "autograd::engine::evaluate_function" event per
  call: the engine is C++, so the nodes it runs are not seen one by one.

A call of an op from inside an op of the same name (the Python form of relu
calling the C++ relu) is one event, not a parent and a child.

Events are shared by the recordings that were active when they began; each
recording keeps the ones that ended before it stopped.
"""
import functools
import itertools
import os
import sys
import threading
import time

from wick import _C

OP, USER, BACKWARD = "cpu_op", "user_annotation", "autograd"
BACKWARD_NAME = "autograd::engine::evaluate_function"

_perf_ns = time.perf_counter_ns
_memory_allocated = _C.memory_allocated
_Tensor = _C.Tensor

# Wall-clock origin of the trace timestamps: perf_counter_ns() = _T0_NS is time.time() = _EPOCH_US.
_T0_NS = _perf_ns()
_EPOCH_US = time.time_ns() / 1000.0

_lock = threading.RLock()
_tls = threading.local()
_ids = itertools.count(1)

# What the wrappers read on every call, each replaced whole (never mutated) under _lock:
# the active recordings, and what they want measured.
_active = ()
_want = (False, False, False, False)  # (shapes, cpu memory, cuda memory, python stack)

_installs = 0       # how many holders want the wrappers in place (recordings and warming-up profiles)
_patches = []       # (owner, attribute, original, wrapper) of what is replaced now
_wrappers = {}      # id(original) -> (original, wrapper): one wrapper per object, made once

_WICK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Event:
    """One recorded call (an op, a record_function range or a backward)."""
    __slots__ = ("id", "name", "kind", "tid", "start", "end", "parent", "children", "shapes", "stack", "mem0",
                 "mem1", "cmem0", "cmem1", "args")

    def __init__(self, name, kind, tid, parent):
        self.id = next(_ids)
        self.name = name
        self.kind = kind
        self.tid = tid
        self.parent = parent
        self.children = []
        self.start = self.end = None
        self.shapes = self.stack = self.args = None
        self.mem0 = self.mem1 = self.cmem0 = self.cmem1 = None


def _thread_stack():
    try:
        return _tls.stack
    except AttributeError:
        _tls.stack = []
        _tls.tid = threading.get_native_id()
        return _tls.stack


def _shape_of(x):
    if isinstance(x, _Tensor):
        return list(x.shape)
    if isinstance(x, (list, tuple)) and x and all(isinstance(t, _Tensor) for t in x):
        return [list(t.shape) for t in x]
    return []


def _python_stack(limit=32):
    """The caller's Python frames outside the wick package, innermost first, as "file(line): function"."""
    out = []
    frame = sys._getframe(1)  # the profiler's own frames are in the wick package too
    while frame is not None and len(out) < limit:
        code = frame.f_code
        if not code.co_filename.startswith(_WICK_DIR):
            out.append(f"{code.co_filename}({frame.f_lineno}): {code.co_name}")
        frame = frame.f_back
    return out


def begin(name, kind, args=(), kwargs=None, stack=None):
    """Opens an event on this thread and hands it to the active recordings; None when none is active."""
    recordings = _active
    if not recordings:
        return None
    if stack is None:
        stack = _thread_stack()
    shapes, mem, cmem, pystack = _want
    ev = Event(name, kind, _tls.tid, stack[-1] if stack else None)
    if ev.parent is not None:
        ev.parent.children.append(ev)
    if shapes and kind != USER:
        ev.shapes = [_shape_of(a) for a in args]
        if kwargs:
            ev.shapes += [_shape_of(v) for v in kwargs.values()]
    if pystack:
        ev.stack = _python_stack()
    for rec in recordings:
        rec.events.append(ev)
    stack.append(ev)
    if mem:
        ev.mem0 = _memory_allocated()
    if cmem:
        ev.cmem0 = _cuda_memory()
    ev.start = _perf_ns()
    return ev


def end(ev, stack=None):
    """Closes ev (opened by begin) and takes it off its thread's stack."""
    t = _perf_ns()
    if ev.mem0 is not None:
        ev.mem1 = _memory_allocated()
    if ev.cmem0 is not None:
        ev.cmem1 = _cuda_memory()
    ev.end = t
    if stack is None:
        stack = _thread_stack()
    if stack and stack[-1] is ev:
        stack.pop()
    elif ev in stack:  # closed out of order (a record_function exited late): take it and what it left open
        del stack[stack.index(ev):]


def _cuda_memory():
    global _cuda_memory_allocated
    if _cuda_memory_allocated is None:
        from wick import cuda
        _cuda_memory_allocated = cuda.memory_allocated
    return _cuda_memory_allocated()


_cuda_memory_allocated = None


def _wrap(fn, name, kind=OP):
    """The wrapper that records fn's calls under name (made once per object)."""
    entry = _wrappers.get(id(fn))
    if entry is not None and entry[0] is fn:
        return entry[1]

    def recorded(*args, **kwargs):
        if not _active:
            return fn(*args, **kwargs)
        stack = _thread_stack()
        if stack:
            top = stack[-1]
            if top.name == name and top.kind == kind:  # a wrapper of the same op calling it: one event
                return fn(*args, **kwargs)
        ev = begin(name, kind, args, kwargs, stack)
        try:
            return fn(*args, **kwargs)
        finally:
            if ev is not None:
                end(ev, stack)

    try:
        functools.update_wrapper(recorded, fn)
    except (AttributeError, TypeError):
        pass
    recorded.__wick_profiler_name__ = name
    _wrappers[id(fn)] = (fn, recorded)
    return recorded


# ---- what is an op --------------------------------------------------------------------------------------------

_FUNCTION_TYPES = (type(len), type(_wrap))
_NOT_OPS = {
    "broadcast_shapes", "empty_cache", "get_default_dtype", "get_num_threads", "get_rng_state", "initial_seed",
    "manual_seed", "max_memory_allocated", "memory_allocated", "memory_reserved", "memory_stats",
    "reset_peak_memory_stats", "seed", "set_default_dtype", "set_num_threads", "set_rng_state", "save", "load",
    "numel", "set_default_tensor_type", "assert_int_or_pair", "compile", "typename",
}
_NOT_TENSOR_OPS = {
    "size", "dim", "ndimension", "nelement", "numel", "stride", "storage_offset", "data_ptr", "element_size",
    "get_device", "tolist", "numpy", "storage", "untyped_storage", "register_hook", "retain_grad", "requires_grad_",
    "backward", "dim_order", "has_names", "type", "__init__", "__new__",
}
# The operators of wick.Tensor, under the op names they run.
_DUNDERS = {
    "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub", "__rsub__": "rsub",
    "__isub__": "sub_", "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul_", "__truediv__": "div",
    "__rtruediv__": "div", "__itruediv__": "div_", "__floordiv__": "floor_divide", "__rfloordiv__": "floor_divide",
    "__ifloordiv__": "floor_divide_", "__mod__": "remainder", "__rmod__": "remainder", "__imod__": "remainder_",
    "__pow__": "pow", "__rpow__": "pow", "__ipow__": "pow_", "__matmul__": "matmul", "__rmatmul__": "matmul",
    "__neg__": "neg", "__pos__": "positive", "__abs__": "abs", "__invert__": "bitwise_not",
    "__and__": "bitwise_and", "__rand__": "bitwise_and", "__iand__": "bitwise_and_", "__or__": "bitwise_or",
    "__ror__": "bitwise_or", "__ior__": "bitwise_or_", "__xor__": "bitwise_xor", "__rxor__": "bitwise_xor",
    "__ixor__": "bitwise_xor_", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt",
    "__ge__": "ge", "__getitem__": "__getitem__", "__setitem__": "__setitem__",
}


def _is_op_name(name):
    return not (name.startswith("_") or name.startswith("is_") or name in _NOT_OPS)


def _is_function(obj):
    return isinstance(obj, _FUNCTION_TYPES) or type(obj).__name__ == "instancemethod"


def _op_objects():
    """id(object) -> (object, event name, kind) of every op object, found through its public names."""
    import wick
    ops = {}

    def add(obj, name, kind=OP):
        if _is_function(obj) and id(obj) not in ops:
            ops[id(obj)] = (obj, name, kind)

    autograd = sys.modules.get("wick.autograd")
    if autograd is not None:
        add(getattr(autograd, "backward", None), BACKWARD_NAME, BACKWARD)
        add(getattr(autograd, "grad", None), BACKWARD_NAME, BACKWARD)
    for name in dir(_C):
        if _is_op_name(name):
            add(getattr(_C, name), name)
    for name in getattr(wick, "__all__", ()):
        if _is_op_name(name) and hasattr(wick, name):
            add(getattr(wick, name), name)
    for modname, prefix in (("wick.nn.functional", ""), ("wick.linalg", "linalg_"), ("wick.special", "special_")):
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        for name, obj in list(vars(mod).items()):
            if _is_op_name(name) and getattr(obj, "__module__", "") and str(
                    getattr(obj, "__module__", "")).startswith("wick"):
                add(obj, prefix + name)
    return ops


def _tensor_methods():
    """(attribute, original, event name, kind) of the wick.Tensor methods to record."""
    out = []
    for attr, obj in list(vars(_Tensor).items()):
        if attr in _DUNDERS:
            name = _DUNDERS[attr]
        elif attr == "backward":
            out.append((attr, obj, BACKWARD_NAME, BACKWARD))
            continue
        elif attr.startswith("_") or attr.startswith("is_") or attr in _NOT_TENSOR_OPS:
            continue
        else:
            name = attr
        if _is_function(obj):
            out.append((attr, obj, name, OP))
    return out


def _wrap_optimizer_method(fn, attr):
    """The wrapper of an optimizer's step or zero_grad: a range named as PyTorch's,
    "Optimizer.step#SGD.step", after the class of the optimizer it is called on."""
    entry = _wrappers.get(id(fn))
    if entry is not None and entry[0] is fn:
        return entry[1]

    def recorded(self, *args, **kwargs):
        if not _active:
            return fn(self, *args, **kwargs)
        name = f"Optimizer.{attr}#{type(self).__name__}.{attr}"
        stack = _thread_stack()
        if stack and stack[-1].name == name:  # an override calling super().step(): one range
            return fn(self, *args, **kwargs)
        ev = begin(name, USER, stack=stack)
        try:
            return fn(self, *args, **kwargs)
        finally:
            if ev is not None:
                end(ev, stack)

    functools.update_wrapper(recorded, fn)
    _wrappers[id(fn)] = (fn, recorded)
    return recorded


def _optimizer_classes():
    optimizer = sys.modules.get("wick.optim.optimizer")
    base = getattr(optimizer, "Optimizer", None)
    if base is None:
        return []
    out, todo = [], [base]
    while todo:
        cls = todo.pop()
        if cls not in out:
            out.append(cls)
            todo.extend(cls.__subclasses__())
    return out


def _patch():
    ops = _op_objects()
    fused = getattr(_C, "_optim", None)  # the optimizers' fused updates (wick._C._optim.sgd ...)
    for attr, fn in list(vars(fused).items()) if fused is not None else ():
        if not attr.startswith("_") and _is_function(fn):
            wrapper = _wrap(fn, f"optim::{attr}")
            setattr(fused, attr, wrapper)
            _patches.append((fused, attr, fn, wrapper))
    for cls in _optimizer_classes():
        for attr in ("step", "zero_grad"):
            fn = vars(cls).get(attr)
            if isinstance(fn, type(_wrap)):
                wrapper = _wrap_optimizer_method(fn, attr)
                setattr(cls, attr, wrapper)
                _patches.append((cls, attr, fn, wrapper))
    for attr, obj, name, kind in _tensor_methods():
        wrapper = _wrap(obj, name, kind)
        setattr(_Tensor, attr, wrapper)
        _patches.append((_Tensor, attr, obj, wrapper))
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname == "wick" or modname.startswith("wick.")):
            continue
        if modname.startswith("wick.profiler") or modname == "wick.autograd.profiler":
            continue
        try:
            items = list(vars(mod).items())
        except TypeError:
            continue
        for attr, obj in items:
            entry = ops.get(id(obj))
            if entry is None or entry[0] is not obj:
                continue
            wrapper = _wrap(obj, entry[1], entry[2])
            setattr(mod, attr, wrapper)
            _patches.append((mod, attr, obj, wrapper))


def _unpatch():
    while _patches:
        owner, attr, original, wrapper = _patches.pop()
        if vars(owner).get(attr) is wrapper:  # left alone if something else was put there meanwhile
            setattr(owner, attr, original)


def acquire():
    """Puts the wrappers in place (counted; release() takes them out when the count is back at zero)."""
    global _installs
    with _lock:
        if _installs == 0:
            try:
                _patch()
            except BaseException:
                _unpatch()
                raise
        _installs += 1


def release():
    global _installs
    with _lock:
        if _installs <= 0:
            return
        _installs -= 1
        if _installs == 0:
            _unpatch()


def is_patched():
    """Whether any wrapper is in place now."""
    return bool(_patches)


class Recording:
    """One recording window: the events that begin while it is active."""

    def __init__(self, record_shapes=False, profile_memory=False, cuda_memory=False, with_stack=False):
        self.want = (bool(record_shapes), bool(profile_memory), bool(profile_memory and cuda_memory),
                     bool(with_stack))
        self.events = []
        self.start_ns = self.stop_ns = None
        self._acquired = False

    def start(self):
        global _active, _want
        acquire()
        self._acquired = True
        with _lock:
            self.start_ns = _perf_ns()
            _active = _active + (self,)
            _want = _union(_active)

    def stop(self):
        global _active, _want
        with _lock:
            if self in _active:
                _active = tuple(r for r in _active if r is not self)
                _want = _union(_active)
            self.stop_ns = _perf_ns()
        if self._acquired:
            self._acquired = False
            release()


def _union(recordings):
    return tuple(any(r.want[i] for r in recordings) for i in range(4))


def epoch_us(ns):
    """perf_counter_ns() as microseconds since the Unix epoch."""
    return _EPOCH_US + (ns - _T0_NS) / 1000.0

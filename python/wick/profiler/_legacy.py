"""record_function and the autograd profiler (torch.autograd.profiler.profile):
the one-window profile that wick.profiler.profile runs once per recorded cycle."""
import functools
import warnings

from wick.profiler import _events, _record


class record_function:
    """Marks a range of code as one event named name in the active profiles (a
    no-op when none is active); the ops called inside are its children. A
    context manager, or a decorator that records each call of a function:

        with wick.profiler.record_function("model_inference"):
            model(x)

        @wick.profiler.record_function("preprocess")
        def preprocess(batch): ...

    args (a string) is kept as the event's args in the Chrome trace."""

    def __init__(self, name, args=None):
        if not isinstance(name, str):
            raise TypeError(f"record_function: name must be a string, not {type(name).__name__}")
        if args is not None and not isinstance(args, str):
            raise TypeError(f"record_function: args must be a string or None, not {type(args).__name__}")
        self.name = name
        self.args = args
        self._event = None
        self._stack = None

    def __enter__(self):
        if self._event is not None:
            raise RuntimeError(f"record_function({self.name!r}) is already entered; it is not reentrant")
        if _record._active:
            self._stack = _record._thread_stack()
            self._event = _record.begin(self.name, _record.USER, stack=self._stack)
            if self._event is not None and self.args is not None:
                self._event.args = self.args
        return self

    def __exit__(self, *exc):
        ev, self._event = self._event, None
        if ev is not None:
            _record.end(ev, self._stack)
        self._stack = None
        return False

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError(f"record_function: can decorate a callable only, not {type(fn).__name__}")
        name, args = self.name, self.args

        @functools.wraps(fn)
        def recorded(*a, **kw):
            with record_function(name, args):
                return fn(*a, **kw)
        return recorded


class profile:
    """The autograd profiler (torch.autograd.profiler.profile): records the
    wick ops called inside the ``with`` block.

        with wick.autograd.profiler.profile(record_shapes=True) as prof:
            model(x)
        print(prof.key_averages().table(sort_by="self_cpu_time_total"))

    use_cuda and profile_memory on CUDA record CUDA memory only (wick has no
    kernel timing); with_flops and with_modules are accepted and ignored."""

    def __init__(self, enabled=True, *, use_cuda=False, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpp=True,
                 experimental_config=None):
        self.enabled = bool(enabled)
        self.use_cuda = bool(use_cuda)
        self.record_shapes = bool(record_shapes)
        self.with_flops = bool(with_flops)
        self.profile_memory = bool(profile_memory)
        self.with_stack = bool(with_stack)
        self.with_modules = bool(with_modules)
        self.metadata = {}
        self.function_events = None
        self._recording = None
        self._entered = False
        self._cuda_memory = False
        if self.use_cuda:
            from wick import cuda
            if not cuda.is_available():
                warnings.warn("wick.profiler: CUDA is not available; only CPU activity is recorded")
            else:
                self._cuda_memory = True

    def __enter__(self):
        if not self.enabled:
            return self
        if self._entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self._entered = True
        self.function_events = None
        self._recording = _record.Recording(self.record_shapes, self.profile_memory, self._cuda_memory,
                                            self.with_stack)
        self._recording.start()
        return self

    def __exit__(self, *exc):
        if not self.enabled or not self._entered:
            return False
        self._entered = False
        rec, self._recording = self._recording, None
        rec.stop()
        self.function_events = _events.build_events(rec, self.record_shapes, self.profile_memory,
                                                    self._cuda_memory, self.with_stack, self.metadata)
        return False

    def _check(self):
        if self.function_events is None:
            raise RuntimeError("wick.profiler: no results yet; the profile has not been run (or is still running)")
        return self.function_events

    def events(self):
        return self._check()

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False):
        return self._check().table(sort_by, row_limit, max_src_column_width, max_name_column_width,
                                   max_shapes_column_width, header, top_level_events_only)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        return self._check().key_averages(group_by_input_shape, group_by_stack_n)

    def total_average(self):
        return self._check().total_average()

    def export_chrome_trace(self, path):
        return self._check().export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        return self._check().export_stacks(path, metric)

    @property
    def self_cpu_time_total(self):
        return self._check().self_cpu_time_total

    def __str__(self):
        return self.table() if self.function_events is not None else "<unfinished wick.autograd.profiler.profile>"

    __repr__ = __str__

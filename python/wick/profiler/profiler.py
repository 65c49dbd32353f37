"""torch.profiler's profile, schedule and trace handler over wick's recorder."""
import enum
import json
import os
import socket
import time
import warnings

from wick.profiler import _legacy, _record


class ProfilerActivity(enum.Enum):
    """What a profile records: CPU (the ops' calls) or CUDA (wick records CUDA memory only, no kernel times)."""
    CPU = 0
    CUDA = 1


class ProfilerAction(enum.Enum):
    """What a schedule asks of a profile at a step."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities():
    """The activities this build can record: CPU, and CUDA where a GPU is available."""
    from wick import cuda
    return {ProfilerActivity.CPU} | ({ProfilerActivity.CUDA} if cuda.is_available() else set())


def schedule(*, wait, warmup, active, repeat=0, skip_first=0):
    """The schedule of torch.profiler: after skip_first steps, cycles of wait
    steps that record nothing, warmup steps (the wrappers are in place but
    nothing is kept) and active steps that record, the last of which ends the
    cycle's trace (RECORD_AND_SAVE: on_trace_ready runs); repeat cycles, or
    without end when repeat is 0. Returns the function step -> ProfilerAction."""
    for name, value in (("wait", wait), ("warmup", warmup), ("active", active), ("repeat", repeat),
                        ("skip_first", skip_first)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"schedule: {name} must be a non-negative int, not {value!r}")
    if active < 1:
        raise ValueError("schedule: active must be at least 1")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results")
    cycle = wait + warmup + active

    def schedule_fn(step):
        if step < 0:
            raise ValueError(f"schedule: step must be non-negative, not {step}")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if repeat > 0 and step >= repeat * cycle:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD_AND_SAVE if pos == cycle - 1 else ProfilerAction.RECORD
    return schedule_fn


def _always_record(step):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An on_trace_ready that writes each finished cycle's Chrome trace to
    dir_name/<worker_name>.<milliseconds>.pt.trace.json[.gz], the layout
    TensorBoard's profiler plugin reads; worker_name defaults to
    "<host>_<pid>"."""
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        suffix = ".pt.trace.json" + (".gz" if use_gzip else "")
        stamp = int(time.time() * 1000)
        while os.path.exists(os.path.join(dir_name, f"{worker}.{stamp}{suffix}")):
            stamp += 1  # two cycles within a millisecond: one file each
        prof.export_chrome_trace(os.path.join(dir_name, f"{worker}.{stamp}{suffix}"))
    return handler


class profile:
    """torch.profiler.profile: records the wick ops called while it is active.

        with wick.profiler.profile(record_shapes=True, profile_memory=True) as prof:
            with wick.profiler.record_function("model_inference"):
                model(x)
        print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
        prof.export_chrome_trace("trace.json")

    activities: a collection of ProfilerActivity (default: supported_activities()).
    schedule: step -> ProfilerAction (see schedule()); without one every step
    records and the whole run is one trace. on_trace_ready(prof) runs at the end
    of each recorded cycle (and at stop() if a cycle is recording). step() ends
    a step; with a schedule each step is also a "ProfilerStep#<n>" range.
    record_shapes keeps the input shapes, profile_memory the change of
    wick.memory_allocated() across each op (and of wick.cuda.memory_allocated()
    with the CUDA activity), with_stack the caller's Python frames.
    with_flops and with_modules are accepted and ignored (no FLOP counts);
    the CUDA activity records no kernel times."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, use_cuda=None):
        if activities is None:
            activities = supported_activities()
        try:
            activities = set(activities)
        except TypeError:
            raise TypeError(f"profile: activities must be a collection of ProfilerActivity, not "
                            f"{type(activities).__name__}") from None
        for a in activities:
            if not isinstance(a, ProfilerActivity):
                raise TypeError(f"profile: activities must hold ProfilerActivity values, not {a!r}")
        if use_cuda:
            warnings.warn("profile: use_cuda is deprecated; use activities", DeprecationWarning)
            activities.add(ProfilerActivity.CUDA)
        if not activities:
            raise ValueError("profile: no profiler activities given")
        if schedule is not None and not callable(schedule):
            raise TypeError(f"profile: schedule must be callable (step -> ProfilerAction), not "
                            f"{type(schedule).__name__}")
        if on_trace_ready is not None and not callable(on_trace_ready):
            raise TypeError(f"profile: on_trace_ready must be callable, not {type(on_trace_ready).__name__}")
        self.activities = activities
        self.record_shapes = bool(record_shapes)
        self.profile_memory = bool(profile_memory)
        self.with_stack = bool(with_stack)
        self.with_flops = bool(with_flops)
        self.with_modules = bool(with_modules)
        self.experimental_config = experimental_config
        self.on_trace_ready = on_trace_ready
        self.schedule = schedule if schedule is not None else _always_record
        self.record_steps = schedule is not None
        self.step_num = 0
        self.current_action = self._action(0)
        self.profiler = None      # the autograd profile of the current (or last) recorded cycle
        self._prepared = False    # the wrappers are held (warmup or recording)
        self._step_range = None
        self._running = False
        self._metadata = {}

    # ---- the context manager and the step ----

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        if self._running:
            raise RuntimeError("profile.start(): this profile is already running")
        self._running = True
        try:
            self._transit(ProfilerAction.NONE, self.current_action)
        except BaseException:
            self._running = False
            self._abort()
            raise
        self._enter_step()

    def stop(self):
        if not self._running:
            return
        self._running = False
        self._exit_step()
        try:
            self._transit(self.current_action, None)
        finally:
            self._abort()

    def step(self):
        """Ends the current step: moves the schedule on, which may end a cycle (and call on_trace_ready)."""
        if not self._running:
            raise RuntimeError("profile.step(): the profile is not running (use it as a context manager, or "
                               "call start() first)")
        self._exit_step()
        previous = self.current_action
        self.step_num += 1
        self.current_action = self._action(self.step_num)
        try:
            self._transit(previous, self.current_action)
        except BaseException:
            self._running = False
            self._abort()
            raise
        self._enter_step()

    def _action(self, step):
        action = self.schedule(step)
        if not isinstance(action, ProfilerAction):
            raise TypeError(f"profile: the schedule returned {action!r} for step {step}, not a ProfilerAction")
        return action

    def _enter_step(self):
        if self.record_steps:
            self._step_range = _legacy.record_function(f"ProfilerStep#{self.step_num}")
            self._step_range.__enter__()

    def _exit_step(self):
        if self._step_range is not None:
            r, self._step_range = self._step_range, None
            r.__exit__(None, None, None)

    def _abort(self):
        """Whatever is still held goes back: the recording is stopped, the wrappers are released."""
        if self.profiler is not None and self.profiler._entered:
            self.profiler.__exit__(None, None, None)
        if self._prepared:
            self._prepared = False
            _record.release()

    # ---- the transitions of torch.profiler's state machine ----

    def _transit(self, prev, cur):
        A = ProfilerAction
        recording = (A.RECORD, A.RECORD_AND_SAVE)
        if (prev == cur and prev != A.RECORD_AND_SAVE) or (prev == A.RECORD and cur == A.RECORD_AND_SAVE):
            return
        if prev == A.NONE:
            if cur == A.WARMUP:
                self._prepare()
            elif cur in recording:
                self._prepare()
                self._start_trace()
            return
        if prev == A.WARMUP:
            if cur is None:
                self._start_trace()
                self._stop_trace()
            elif cur == A.NONE:
                warnings.warn("Incorrect schedule: WARMUP followed by NONE")
                self._start_trace()
                self._stop_trace()
            elif cur in recording:
                self._start_trace()
            return
        if prev == A.RECORD:
            if cur is None:
                self._stop_trace()
                self._trace_ready()
            else:
                warnings.warn(f"Incorrect schedule: RECORD followed by {cur.name}")
                self._stop_trace()
            return
        # prev == RECORD_AND_SAVE: the cycle ends here
        self._stop_trace()
        self._trace_ready()
        if cur in (A.WARMUP,) + recording:
            self._prepare()
        if cur in recording:
            self._start_trace()

    def _prepare(self):
        if not self._prepared:
            _record.acquire()
            self._prepared = True
        self.profiler = _legacy.profile(use_cuda=ProfilerActivity.CUDA in self.activities,
                                        record_shapes=self.record_shapes, profile_memory=self.profile_memory,
                                        with_stack=self.with_stack, with_flops=self.with_flops,
                                        with_modules=self.with_modules)
        self.profiler.metadata = self._metadata

    def _start_trace(self):
        if self.profiler is None or self.profiler.function_events is not None:
            self._prepare()
        self.profiler.__enter__()

    def _stop_trace(self):
        if self.profiler is not None and self.profiler._entered:
            self.profiler.__exit__(None, None, None)
        if self._prepared:
            self._prepared = False
            _record.release()

    def _trace_ready(self):
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    # ---- results (of the last recorded cycle) ----

    def _results(self):
        if self.profiler is None or self.profiler.function_events is None:
            raise RuntimeError("wick.profiler: no trace has been recorded yet (results are ready once a "
                               "recording cycle ends, at step() or stop())")
        return self.profiler.function_events

    def events(self):
        """The recorded FunctionEvents (an EventList) of the last finished cycle."""
        return self._results()

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """The events grouped by name (and by input shapes, and by the innermost group_by_stack_n Python frames);
        .table(sort_by=..., row_limit=...) prints them."""
        return self._results().key_averages(group_by_input_shape, group_by_stack_n)

    def total_average(self):
        return self._results().total_average()

    def export_chrome_trace(self, path):
        """Writes the last cycle's events as a Chrome trace (JSON; gzipped if path ends in .gz)."""
        return self._results().export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        return self._results().export_stacks(path, metric)

    def add_metadata(self, key, value):
        """A string (key, value) added to the top of the traces exported from now on."""
        self._metadata[str(key)] = str(value)

    def add_metadata_json(self, key, value):
        """A (key, JSON text) pair added to the top of the traces exported from now on."""
        self._metadata[str(key)] = json.loads(value)


__all__ = ["profile", "schedule", "ProfilerAction", "ProfilerActivity", "supported_activities",
           "tensorboard_trace_handler"]

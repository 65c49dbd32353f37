"""The results of a profile: FunctionEvent (one call), FunctionEventAvg (calls
grouped by name), EventList (with table(), key_averages(), total_average() and
export_chrome_trace()), as torch.autograd.profiler_util has them. Times are
microseconds (floats), memory bytes."""
import gzip
import json
import os
import threading

from wick.profiler import _record

SORT_KEYS = ("cpu_time", "cuda_time", "cpu_time_total", "cuda_time_total", "self_cpu_time_total",
             "self_cuda_time_total", "cpu_memory_usage", "cuda_memory_usage", "self_cpu_memory_usage",
             "self_cuda_memory_usage", "count")


class Interval:
    """A time range in microseconds."""

    def __init__(self, start, end):
        self.start = start
        self.end = end

    def elapsed_us(self):
        return self.end - self.start

    def __repr__(self):
        return f"Interval(start={self.start:.3f}, end={self.end:.3f})"


class FunctionEvent:
    """One recorded call: an op, a record_function range or a backward.

    time_range is relative to the start of its recording; cpu_time_total is
    its duration, self_cpu_time_total that less its children's."""

    def __init__(self, id, name, thread, start_us, end_us, kind, input_shapes=None, stack=None,
                 cpu_memory_usage=0, cuda_memory_usage=0, trace_start_us=0.0):
        self.id = id
        self.name = name
        self.thread = thread
        self.time_range = Interval(start_us, end_us)
        self.kind = kind
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.cpu_memory_usage = cpu_memory_usage
        self.cuda_memory_usage = cuda_memory_usage
        self.cpu_children = []
        self.cpu_parent = None
        self.count = 1
        self.node_id = -1
        self.is_async = False
        self.is_remote = False
        self.is_legacy = False
        self.device_type = "CPU"
        self.flops = 0
        self.cuda_time_total = self.self_cuda_time_total = 0.0
        self.trace_start_us = trace_start_us
        self.trace_name = name

    key = property(lambda self: self.name)
    cpu_time_total = property(lambda self: self.time_range.elapsed_us())
    cpu_time = cpu_time_total
    cuda_time = property(lambda self: 0.0)

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    @property
    def self_cuda_memory_usage(self):
        return self.cuda_memory_usage - sum(c.cuda_memory_usage for c in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} thread={self.thread} "
                f"cpu_time_total={_fmt_time(self.cpu_time_total)} "
                f"self_cpu_time_total={_fmt_time(self.self_cpu_time_total)} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage} children={[c.id for c in self.cpu_children]}>")


class FunctionEventAvg:
    """The sum of the events that share a key (a name, and with grouping, input shapes or a stack)."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.node_id = -1
        self.is_async = self.is_remote = self.is_legacy = False
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cuda_time_total = self.self_cuda_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.cuda_memory_usage = self.self_cuda_memory_usage = 0
        self.input_shapes = None
        self.stack = None
        self.flops = 0
        self.device_type = "CPU"
        self.is_top_level = False

    def add(self, other):
        if self.key is None:
            self.key = other.key
            self.input_shapes = other.input_shapes
            self.stack = other.stack
        self.count += other.count
        for field in ("cpu_time_total", "self_cpu_time_total", "cuda_time_total", "self_cuda_time_total",
                      "cpu_memory_usage", "self_cpu_memory_usage", "cuda_memory_usage", "self_cuda_memory_usage"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.is_top_level = self.is_top_level or getattr(other, "cpu_parent", 1) is None or getattr(
            other, "is_top_level", False)
        return self

    __iadd__ = add

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    @property
    def cuda_time(self):
        return self.cuda_time_total / max(self.count, 1)

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} count={self.count} cpu_time_total={_fmt_time(self.cpu_time_total)} "
                f"self_cpu_time_total={_fmt_time(self.self_cpu_time_total)} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class EventList(list):
    """A list of FunctionEvent (or of FunctionEventAvg, from key_averages)."""

    def __init__(self, events=(), profile_memory=False, cuda_memory=False, with_stack=False, metadata=None,
                 trace_start_us=0.0):
        super().__init__(events)
        self._profile_memory = profile_memory
        self._cuda_memory = cuda_memory
        self._with_stack = with_stack
        self._metadata = dict(metadata or {})
        self._trace_start_us = trace_start_us

    def _like(self, events):
        return EventList(events, self._profile_memory, self._cuda_memory, self._with_stack, self._metadata,
                         self._trace_start_us)

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """The events grouped by name (and input shapes, and the innermost group_by_stack_n frames of their
        Python stacks), in the order each key first appears."""
        groups = {}
        for ev in self:
            key = (ev.key,)
            if group_by_input_shape:
                key += (str(ev.input_shapes),)
            if group_by_stack_n > 0:
                key += tuple(ev.stack[:group_by_stack_n])
            avg = groups.get(key)
            if avg is None:
                avg = groups[key] = FunctionEventAvg()
            avg.add(ev)
        out = self._like(groups.values())
        out._group_by_input_shape = group_by_input_shape
        out._group_by_stack_n = group_by_stack_n
        if group_by_stack_n > 0:
            for avg in out:
                avg.stack = list(avg.stack[:group_by_stack_n])
        return out

    def total_average(self):
        """All the events summed into one FunctionEventAvg (key "Total")."""
        total = FunctionEventAvg()
        for ev in self:
            total.add(ev)
        total.key = "Total"
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False):
        """The events as a text table with PyTorch's columns, sorted descending by sort_by (one of
        SORT_KEYS; None keeps their order), at most row_limit rows (all if row_limit <= 0)."""
        return _table(self, sort_by, row_limit, max_src_column_width, max_name_column_width,
                      max_shapes_column_width, header, top_level_events_only)

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        """Writes the events in the Chrome trace event format (chrome://tracing, Perfetto): one complete
        ("X") event per call, ts and dur in microseconds, args with the input shapes. A path ending in
        ".gz" is gzipped."""
        events = [e for e in self if isinstance(e, FunctionEvent)]
        if len(events) != len(self):
            raise RuntimeError("export_chrome_trace: this list holds averages (from key_averages), not events")
        write_trace(path, events, self._metadata)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Writes each event's Python stack (outermost frame first, ";"-joined) and its metric per line, the
        input of flamegraph.pl. Needs with_stack=True."""
        if metric not in ("self_cpu_time_total", "self_cuda_time_total"):
            raise ValueError(f"export_stacks: metric must be 'self_cpu_time_total' or 'self_cuda_time_total', "
                             f"not {metric!r}")
        with open(path, "w") as f:
            for ev in self:
                if ev.stack:
                    value = int(getattr(ev, metric))
                    if value > 0:
                        f.write(";".join(reversed(ev.stack)) + ";" + ev.name + " " + str(value) + "\n")


def build_events(recording, record_shapes, profile_memory, cuda_memory, with_stack, metadata=None):
    """The FunctionEvents of a stopped Recording: the events that began while it was active and ended before
    it stopped, sorted by start time, with their parents and children among them."""
    t0 = recording.start_ns
    done = [e for e in recording.events if e.end is not None and e.end <= recording.stop_ns]
    by_raw = {}
    out = []
    for e in done:
        mem = (e.mem1 - e.mem0) if (profile_memory and e.mem0 is not None and e.mem1 is not None) else 0
        cmem = (e.cmem1 - e.cmem0) if (cuda_memory and e.cmem0 is not None and e.cmem1 is not None) else 0
        # PyTorch's events name every step range "ProfilerStep*" (one row in the table); the trace keeps the number.
        name = "ProfilerStep*" if e.kind == _record.USER and e.name.startswith("ProfilerStep#") else e.name
        fe = FunctionEvent(e.id, name, e.tid, (e.start - t0) / 1000.0, (e.end - t0) / 1000.0, e.kind,
                           input_shapes=(e.shapes or []) if record_shapes else [],
                           stack=(e.stack or []) if with_stack else [], cpu_memory_usage=mem,
                           cuda_memory_usage=cmem, trace_start_us=_record.epoch_us(t0))
        fe.trace_name = e.name
        by_raw[id(e)] = fe
        out.append(fe)
    for e in done:
        fe = by_raw[id(e)]
        parent = by_raw.get(id(e.parent)) if e.parent is not None else None
        if parent is not None:
            fe.cpu_parent = parent
            parent.cpu_children.append(fe)
    out.sort(key=lambda fe: (fe.time_range.start, fe.id))
    for fe in out:
        fe.cpu_children.sort(key=lambda c: (c.time_range.start, c.id))
    return EventList(out, profile_memory, cuda_memory, with_stack, metadata, _record.epoch_us(t0))


def write_trace(path, events, metadata=None):
    pid = os.getpid()
    trace = []
    for ev in events:
        args = {"External id": ev.id}
        if ev.input_shapes:
            args["Input Dims"] = ev.input_shapes
        if ev.cpu_memory_usage:
            args["CPU Mem"] = ev.cpu_memory_usage
        if ev.cuda_memory_usage:
            args["CUDA Mem"] = ev.cuda_memory_usage
        if ev.stack:
            args["Call stack"] = ";".join(ev.stack)
        trace.append({"ph": "X", "cat": ev.kind, "name": ev.trace_name, "pid": pid, "tid": ev.thread,
                      "ts": round(ev.trace_start_us + ev.time_range.start, 3),
                      "dur": round(ev.cpu_time_total, 3), "args": args})
    trace.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": f"python {pid}"}})
    names = {t.native_id: t.name for t in threading.enumerate()}
    for tid in sorted({ev.thread for ev in events}):
        trace.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                      "args": {"name": names.get(tid, f"thread {tid}")}})
    doc = {"schemaVersion": 1, "displayTimeUnit": "ms", "traceName": "wick.profiler", "traceEvents": trace}
    for key, value in (metadata or {}).items():
        doc[key] = value
    data = json.dumps(doc)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wt") as f:
            f.write(data)
    else:
        with open(path, "w") as f:
            f.write(data)


# ---- the table ---------------------------------------------------------------------------------------------------

def _fmt_time(us):
    if abs(us) >= 1e6:
        return f"{us / 1e6:.3f}s"
    if abs(us) >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _fmt_memory(nbytes):
    for unit, size in (("Gb", 1 << 30), ("Mb", 1 << 20), ("Kb", 1 << 10)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{int(nbytes)} b"


def _fmt_pct(part, whole):
    return f"{100.0 * part / whole:.2f}%" if whole else "0.00%"


def _clip(text, width):
    return text if len(text) <= width else text[:max(width - 3, 0)] + "..."


def _table(events, sort_by, row_limit, max_src_column_width, max_name_column_width, max_shapes_column_width,
           header, top_level_events_only):
    if sort_by is not None and sort_by not in SORT_KEYS:
        raise ValueError(f"table: sort_by must be None or one of {', '.join(SORT_KEYS)}; got {sort_by!r}")
    rows = list(events)
    total_self = sum(e.self_cpu_time_total for e in rows)
    if top_level_events_only:
        rows = [e for e in rows if getattr(e, "cpu_parent", 1) is None or getattr(e, "is_top_level", False)]
    if sort_by is not None:
        rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
    if row_limit is not None and row_limit > 0:
        rows = rows[:row_limit]

    raw = bool(events) and isinstance(events[0], FunctionEvent)
    show_shapes = any(e.input_shapes for e in rows) and (raw or getattr(events, "_group_by_input_shape", False))
    show_stack = any(e.stack for e in rows) and (raw or getattr(events, "_group_by_stack_n", 0) > 0)
    name_width = min(max([len(e.key) for e in rows] + [4]) + 4, max_name_column_width)

    columns = [("Name", name_width, lambda e: _clip(e.key, name_width)),
               ("Self CPU %", 12, lambda e: _fmt_pct(e.self_cpu_time_total, total_self)),
               ("Self CPU", 12, lambda e: _fmt_time(e.self_cpu_time_total)),
               ("CPU total %", 12, lambda e: _fmt_pct(e.cpu_time_total, total_self)),
               ("CPU total", 12, lambda e: _fmt_time(e.cpu_time_total)),
               ("CPU time avg", 12, lambda e: _fmt_time(e.cpu_time_total / max(e.count, 1)))]
    if events._profile_memory:
        columns += [("CPU Mem", 12, lambda e: _fmt_memory(e.cpu_memory_usage)),
                    ("Self CPU Mem", 12, lambda e: _fmt_memory(e.self_cpu_memory_usage))]
        if events._cuda_memory:
            columns += [("CUDA Mem", 12, lambda e: _fmt_memory(e.cuda_memory_usage)),
                        ("Self CUDA Mem", 13, lambda e: _fmt_memory(e.self_cuda_memory_usage))]
    columns.append(("# of Calls", 12, lambda e: str(e.count)))
    if show_shapes:
        w = min(max(len(str(e.input_shapes)) for e in rows) + 2, max_shapes_column_width)
        columns.append(("Input Shapes", max(w, 12), lambda e: _clip(str(e.input_shapes), w)))
    if show_stack:
        columns.append(("Source Location", max_src_column_width, None))

    rule = "  ".join("-" * w for _, w, _ in columns)
    lines = []
    if header:
        lines += ["=" * len(rule), header]
    lines += [rule, _row([(title, w, fmt is None) for title, w, fmt in columns]), rule]
    for e in rows:
        cells = []
        for title, w, fmt in columns:
            if fmt is None:  # the source location: the first frame on the row, the others on lines below
                frames = e.stack or [""]
                cells.append((_clip(frames[0], w), w, True))
            else:
                cells.append((fmt(e), w, False))
        lines.append(_row(cells))
        if show_stack:
            for frame in (e.stack or [])[1:]:
                lines.append(_row([("", w, False) for _, w, _ in columns[:-1]] + [(_clip(frame, max_src_column_width),
                                                                                   max_src_column_width, True)]))
    lines.append(rule)
    lines.append(f"Self CPU time total: {_fmt_time(total_self)}")
    return "\n".join(lines) + "\n"


def _row(cells):
    return "  ".join(text.ljust(w) if left else text.rjust(w) for text, w, left in cells)

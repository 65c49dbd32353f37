"""wick.profiler (torch.profiler): what is recorded, the table, self and total
times, record_function ranges, the Chrome trace, schedules against PyTorch
1.13's, and that every wrapped entry point is put back when profiling stops."""
import gzip
import json
import os
import threading
import warnings

import pytest
import torch

import wick
import wick.nn.functional as F
from wick.profiler import (ProfilerAction, ProfilerActivity, profile, record_function, schedule,
                           tensorboard_trace_handler)
from wick.profiler import _record

# (owner, attribute) of a sample of the entry points the profiler wraps.
ENTRY_POINTS = [(wick, "relu"), (wick, "add"), (wick, "matmul"), (wick._C, "relu"), (wick._C, "linear"),
                (F, "relu"), (F, "linear"), (F, "normalize"), (wick.autograd, "backward"), (wick.autograd, "grad"),
                (wick.Tensor, "relu"), (wick.Tensor, "__add__"), (wick.Tensor, "__getitem__"),
                (wick.Tensor, "backward"), (wick.Tensor, "sum")]


def _snapshot():
    return {(id(o), a): vars(o)[a] for o, a in ENTRY_POINTS}


def _assert_restored(before):
    assert not _record.is_patched()
    for (o, a) in ENTRY_POINTS:
        assert vars(o)[a] is before[(id(o), a)], f"{getattr(o, '__name__', o)}.{a} was not restored"
    assert wick.relu is wick._C.relu and F.linear is wick._C.linear


def _model():
    wick.manual_seed(0)
    return wick.nn.Sequential(wick.nn.Linear(4, 3), wick.nn.ReLU())


def _counts(prof):
    return {e.key: e.count for e in prof.key_averages()}


def test_both_import_forms():
    import wick.profiler as p
    from wick import profiler
    assert p is profiler and wick.profiler.profile is profile
    assert wick.autograd.profiler.record_function is record_function


def test_linear_relu_forward_backward_table():
    model, x = _model(), wick.randn(2, 4)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, profile_memory=True) as prof:
        for _ in range(3):
            with record_function("model_inference"):
                y = model(x)
            y.sum().backward()
    counts = _counts(prof)
    assert counts == {"model_inference": 3, "linear": 3, "relu": 3, "sum": 3,
                      "autograd::engine::evaluate_function": 3}
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    lines = table.splitlines()
    header = lines[1].split("  ")
    header = [h.strip() for h in header if h.strip()]
    assert header == ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "CPU Mem",
                      "Self CPU Mem", "# of Calls"]
    rows = {line.split()[0]: line.split() for line in lines[3:-2]}
    assert set(rows) == set(counts)
    assert all(rows[name][-1] == str(n) for name, n in counts.items())
    assert rows["model_inference"][3] == "100.00%" or float(rows["model_inference"][3][:-1]) > 50
    assert lines[-1].startswith("Self CPU time total: ")
    # sorted by CPU total, descending: the range holding the forward comes first
    assert lines[3].split()[0] == "model_inference"
    # row_limit; the shapes column with group_by_input_shape
    assert len(prof.key_averages().table(row_limit=2).splitlines()) == 3 + 2 + 2
    shaped = prof.key_averages(group_by_input_shape=True).table()
    assert "Input Shapes" in shaped and "[[2, 4], [3, 4], [3]]" in shaped
    assert "Input Shapes" not in table


def test_self_and_total_times_are_consistent():
    model, x = _model(), wick.randn(8, 4)
    with profile() as prof:
        with record_function("outer"):
            F.normalize(model(x))
    events = prof.events()
    for e in events:
        assert 0 <= e.self_cpu_time_total <= e.cpu_time_total
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - sum(c.cpu_time_total
                                                                             for c in e.cpu_children))
        for c in e.cpu_children:
            assert c.cpu_parent is e
            assert e.time_range.start <= c.time_range.start <= c.time_range.end <= e.time_range.end
    top = [e for e in events if e.cpu_parent is None]
    assert [e.name for e in top] == ["outer"]
    assert sum(e.self_cpu_time_total for e in events) == pytest.approx(sum(e.cpu_time_total for e in top))
    # the Python composite records its inner ops as children
    normalize = next(e for e in events if e.name == "normalize")
    assert normalize.cpu_children and "norm" in [c.name for c in normalize.cpu_children]
    avg = prof.key_averages()
    total = prof.total_average()
    assert total.key == "Total" and total.count == len(events)
    assert total.self_cpu_time_total == pytest.approx(sum(e.self_cpu_time_total for e in avg))
    lin = next(e for e in avg if e.key == "linear")
    assert lin.cpu_time == pytest.approx(lin.cpu_time_total / lin.count)


def test_same_op_through_its_python_form_is_one_event():
    x = wick.randn(3)
    with profile() as prof:
        F.relu(x)          # Python function calling the C++ relu
        x.relu()
        wick.relu(x)
    assert _counts(prof) == {"relu": 3}
    assert all(not e.cpu_children for e in prof.events())


def test_operators_and_methods_are_recorded():
    a, b = wick.ones(2, 2), wick.ones(2, 2)
    with profile() as prof:
        a + b
        a @ b
        a[0]
        a.t().sum()
        -a
    assert _counts(prof) == {"add": 1, "matmul": 1, "__getitem__": 1, "t": 1, "sum": 1, "neg": 1}


def test_record_function_ranges_nest():
    x = wick.randn(4)

    @record_function("decorated")
    def f(t):
        return t.exp()

    with profile() as prof:
        with record_function("outer"):
            with record_function("inner", args="note"):
                x.sin()
            f(x)
            f(x)
        x.cos()
    events = prof.events()
    outer = next(e for e in events if e.name == "outer")
    assert [c.name for c in outer.cpu_children] == ["inner", "decorated", "decorated"]
    inner = outer.cpu_children[0]
    assert [c.name for c in inner.cpu_children] == ["sin"]
    assert [c.name for c in outer.cpu_children[1].cpu_children] == ["exp"]
    assert next(e for e in events if e.name == "cos").cpu_parent is None
    assert f.__name__ == "f"
    # outside a profile: a no-op
    with record_function("nothing"):
        x.sin()
    assert f(x) is not None


def test_chrome_trace(tmp_path):
    model, x = _model(), wick.randn(2, 4)
    with profile(record_shapes=True) as prof:
        with record_function("model_inference"):
            model(x).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    doc = json.loads(path.read_text())
    spans = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    names = [e["name"] for e in spans]
    assert names == ["model_inference", "linear", "relu", "sum", "autograd::engine::evaluate_function"]
    for e in spans:
        assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float)) and e["dur"] >= 0
        assert e["pid"] == os.getpid() and e["tid"] == threading.get_native_id()
    outer, linear = spans[0], spans[1]
    assert outer["ts"] <= linear["ts"] and linear["ts"] + linear["dur"] <= outer["ts"] + outer["dur"] + 1e-3
    assert linear["args"]["Input Dims"] == [[2, 4], [3, 4], [3]]
    assert outer["cat"] == "user_annotation" and linear["cat"] == "cpu_op"
    # durations are the events' microseconds
    assert outer["dur"] == pytest.approx(prof.events()[0].cpu_time_total, abs=1e-3)
    gz = tmp_path / "trace.json.gz"
    prof.export_chrome_trace(str(gz))
    with gzip.open(gz, "rt") as f:
        assert [e["name"] for e in json.load(f)["traceEvents"] if e["ph"] == "X"] == names


@pytest.mark.parametrize("args", [dict(wait=1, warmup=1, active=2), dict(wait=1, warmup=1, active=2, repeat=2),
                                  dict(wait=0, warmup=0, active=1), dict(wait=2, warmup=0, active=3, repeat=1),
                                  dict(wait=1, warmup=2, active=1, repeat=3, skip_first=3),
                                  dict(wait=0, warmup=1, active=1, skip_first=1)])
def test_schedule_matches_pytorch(args):
    ours, theirs = schedule(**args), torch.profiler.schedule(**args)
    assert [ours(s).name for s in range(40)] == [theirs(s).name for s in range(40)]


@pytest.mark.parametrize("args,steps", [(dict(wait=1, warmup=1, active=2), 10),
                                        (dict(wait=1, warmup=1, active=2, repeat=2), 10),
                                        (dict(wait=0, warmup=0, active=1), 4),
                                        (dict(wait=1, warmup=1, active=3, repeat=1, skip_first=2), 5),
                                        (dict(wait=1, warmup=1, active=3, repeat=1, skip_first=2), 20)])
def test_schedule_cycles_call_on_trace_ready(args, steps):
    x = wick.randn(3)
    seen = []

    def ready(p):
        seen.append(sorted({e.trace_name for e in p.events() if e.name == "ProfilerStep*"}))
        assert {e.name for e in p.events()} <= {"exp", "ProfilerStep*"}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "won't be using warmup", as PyTorch's
        with profile(schedule=schedule(**args), on_trace_ready=ready) as prof:
            for _ in range(steps):
                x.exp()
                prof.step()
    # expected, from PyTorch's own schedule: a cycle ends at each RECORD_AND_SAVE step, and at stop()
    # when the last action was RECORD (or RECORD_AND_SAVE)
    actions = [torch.profiler.schedule(**args)(s).name for s in range(steps + 1)]
    expected = [[]]
    cycles = []
    for s, a in enumerate(actions[:steps]):
        if a in ("RECORD", "RECORD_AND_SAVE"):
            expected[-1].append(f"ProfilerStep#{s}")
        if a == "RECORD_AND_SAVE":
            cycles.append(sorted(expected[-1]))
            expected.append([])
    if actions[steps] in ("RECORD", "RECORD_AND_SAVE"):
        cycles.append(sorted(expected[-1] + [f"ProfilerStep#{steps}"]))
    assert seen == [c for c in cycles]
    assert prof.step_num == steps


def _steps_per_trace(lib, args, steps):
    counts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU],
                                  schedule=lib.profiler.schedule(**args),
                                  on_trace_ready=lambda p: counts.append(
                                      sum(e.name == "ProfilerStep*" for e in p.events()))) as prof:
            for _ in range(steps):
                lib.ones(3).exp()
                prof.step()
    return counts


@pytest.mark.parametrize("args,steps", [(dict(wait=1, warmup=1, active=2), 10),
                                        (dict(wait=0, warmup=0, active=1), 3),
                                        (dict(wait=1, warmup=0, active=2, repeat=2, skip_first=1), 9)])
def test_schedule_cycles_as_pytorch_profiles_them(args, steps):
    # the number of traces, and of steps in each, of PyTorch's own profiler on the same schedule
    assert _steps_per_trace(wick, args, steps) == _steps_per_trace(torch, args, steps)


def test_schedule_idle_steps_leave_nothing_wrapped():
    before = _snapshot()
    with profile(schedule=schedule(wait=2, warmup=1, active=1)) as prof:
        assert not _record.is_patched()           # step 0: wait
        prof.step()
        assert not _record.is_patched()           # step 1: wait
        prof.step()
        assert _record.is_patched()               # step 2: warmup
        prof.step()
        assert _record.is_patched()               # step 3: record
        prof.step()
        assert not _record.is_patched()           # step 4: wait again
    _assert_restored(before)


def test_tensorboard_trace_handler(tmp_path):
    x = wick.randn(3)
    with profile(schedule=schedule(wait=0, warmup=1, active=1, repeat=3),
                 on_trace_ready=tensorboard_trace_handler(str(tmp_path / "tb"), worker_name="w")) as prof:
        for _ in range(8):
            x.exp()
            prof.step()
    files = sorted(os.listdir(tmp_path / "tb"))
    assert len(files) == 3 and all(f.startswith("w.") and f.endswith(".pt.trace.json") for f in files)
    for f in files:
        doc = json.loads((tmp_path / "tb" / f).read_text())
        assert "exp" in [e["name"] for e in doc["traceEvents"] if e["ph"] == "X"]


def test_everything_is_restored_after_exit_and_on_errors():
    before = _snapshot()
    x = wick.randn(3, requires_grad=True)
    with profile():
        assert _record.is_patched()
        assert wick.relu is not before[(id(wick), "relu")] and wick.relu.__wrapped__ is before[(id(wick), "relu")]
        assert vars(wick.Tensor)["relu"] is not before[(id(wick.Tensor), "relu")]
    _assert_restored(before)
    with pytest.raises(ZeroDivisionError):
        with profile():
            x.relu()
            1 / 0
    _assert_restored(before)
    # an op that raises inside a profile: the event is closed, the stack stays balanced
    a = wick.ones(2, 3)
    with profile() as prof:
        with pytest.raises(Exception):
            wick.matmul(a, a)
        x.exp()
    assert [e.name for e in prof.events()] == ["matmul", "exp"]
    assert prof.events()[1].cpu_parent is None
    _assert_restored(before)


def test_nested_profiles():
    before = _snapshot()
    x = wick.randn(3)
    outer = profile()
    outer.start()
    x.exp()
    with profile() as inner:
        x.sin()
    assert _record.is_patched()
    x.cos()
    outer.stop()
    _assert_restored(before)
    assert [e.name for e in inner.events()] == ["sin"]
    assert [e.name for e in outer.events()] == ["exp", "sin", "cos"]
    # stopped out of order
    a, b = profile(), profile()
    a.start()
    b.start()
    a.stop()
    assert _record.is_patched()
    x.tan()
    b.stop()
    _assert_restored(before)
    assert [e.name for e in b.events()] == ["tan"] and len(a.events()) == 0


def test_threads_are_recorded_with_their_ids():
    x = wick.randn(100)
    ids = {}

    def work():
        ids["worker"] = threading.get_native_id()
        with record_function("in_thread"):
            x.exp()

    with profile() as prof:
        x.sin()
        t = threading.Thread(target=work)
        t.start()
        t.join()
    events = prof.events()
    by_name = {e.name: e for e in events}
    assert by_name["sin"].thread == threading.get_native_id()
    assert by_name["in_thread"].thread == by_name["exp"].thread == ids["worker"]
    assert by_name["exp"].cpu_parent is by_name["in_thread"]


def test_profile_memory_counts_bytes():
    with profile(profile_memory=True) as prof:
        keep = wick.zeros(1000)  # noqa: F841 (float32: 4000 bytes, alive at the end)
        wick.ones(500).sum()     # the ones are freed on the spot
    events = prof.events()
    assert events[0].name == "zeros" and events[0].cpu_memory_usage == 4000
    assert events[1].name == "ones" and events[1].cpu_memory_usage == 2000
    assert "CPU Mem" in prof.key_averages().table()


def test_backward_and_grad_are_events():
    x = wick.randn(3, requires_grad=True)
    with profile() as prof:
        (x * x).sum().backward()
        wick.autograd.grad((x * 2).sum(), x)
        wick.autograd.backward((x + 1).sum())
    assert _counts(prof)["autograd::engine::evaluate_function"] == 3


def test_optimizer_steps_are_ranges():
    model, x = _model(), wick.randn(2, 4)
    opt = wick.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    step, zero_grad = vars(wick.optim.SGD).get("step"), vars(wick.optim.Optimizer)["zero_grad"]
    with profile() as prof:
        for _ in range(2):
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()
    counts = _counts(prof)
    assert counts["Optimizer.step#SGD.step"] == 2 and counts["Optimizer.zero_grad#SGD.zero_grad"] == 2
    steps = [e for e in prof.events() if e.name == "Optimizer.step#SGD.step"]
    # the fused update of each parameter is its child
    assert all([c.name for c in e.cpu_children] == ["optim::sgd", "optim::sgd"] for e in steps)
    assert vars(wick.optim.SGD).get("step") is step and vars(wick.optim.Optimizer)["zero_grad"] is zero_grad


def test_with_stack_records_the_callers_frames(tmp_path):
    x = wick.randn(3)
    with profile(with_stack=True) as prof:
        x.exp()
    ev = prof.events()[0]
    assert ev.stack and "test_profiler.py" in ev.stack[0] and "test_with_stack" in ev.stack[0]
    assert "Source Location" in prof.key_averages(group_by_stack_n=2).table()
    prof.export_stacks(str(tmp_path / "stacks.txt"))


def test_autograd_profiler_alias():
    x = wick.randn(3)
    with wick.autograd.profiler.profile(record_shapes=True) as prof:
        with wick.autograd.profiler.record_function("r"):
            x.exp()
    assert [e.name for e in prof.function_events] == ["r", "exp"]
    assert "exp" in prof.key_averages().table(sort_by="self_cpu_time_total")
    with wick.autograd.profiler.profile(enabled=False) as off:
        x.exp()
    assert not _record.is_patched()
    with pytest.raises(RuntimeError, match="no results"):
        off.key_averages()


def test_errors_are_clear():
    with pytest.raises(TypeError, match="ProfilerActivity"):
        profile(activities=["cpu"])
    with pytest.raises(ValueError, match="no profiler activities"):
        profile(activities=[])
    with pytest.raises(ValueError, match="active must be at least 1"):
        schedule(wait=1, warmup=1, active=0)
    with pytest.raises(ValueError, match="wait must be a non-negative int"):
        schedule(wait=-1, warmup=1, active=1)
    with pytest.raises(RuntimeError, match="no trace has been recorded"):
        profile().key_averages()
    with pytest.raises(RuntimeError, match="not running"):
        profile().step()
    with pytest.raises(TypeError, match="name must be a string"):
        record_function(3)
    with profile() as prof:
        wick.ones(2).exp()
    with pytest.raises(ValueError, match="sort_by must be None or one of"):
        prof.key_averages().table(sort_by="cpu_time_totl")
    with pytest.raises(TypeError, match="not a ProfilerAction"):
        with profile(schedule=lambda step: "RECORD"):
            pass
    assert not _record.is_patched()
    p = profile()
    with p:
        with pytest.raises(RuntimeError, match="already running"):
            p.start()
    assert not _record.is_patched()


def test_import_wick_as_torch_spelling():
    import wick as torch_like
    with torch_like.profiler.profile(activities=[torch_like.profiler.ProfilerActivity.CPU]) as prof:
        torch_like.ones(2).exp()
    assert ProfilerAction.RECORD_AND_SAVE.name == "RECORD_AND_SAVE"
    assert _counts(prof) == {"ones": 1, "exp": 1}

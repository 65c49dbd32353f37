"""wick.multiprocessing (issue 22): CPU tensors cross processes through shared
memory, with PyTorch's torch.multiprocessing semantics.

The framework is selectable so that these tests can be validated against
PyTorch itself:

    WICK_DL_ORACLE=torch python -m pytest tests/python/test_multiprocessing.py

Every test here holds for PyTorch 1.13 as well (the file_system strategy's
files are named after the framework: wick_*, torch_*). Children run functions defined at module level, so
that 'spawn' children can import them; most tests fork, which is cheap.
"""
import contextlib
import gc
import importlib
import os
import signal

import pytest
from helpers import fail_after

fw = importlib.import_module(os.environ.get("WICK_DL_ORACLE", "wick"))
mp = importlib.import_module(fw.__name__ + ".multiprocessing")

FORK = mp.get_context("fork")
REPLY_TIMEOUT = 20  # seconds a child gets to answer; a lost message fails the test instead of hanging it


@pytest.fixture(autouse=True)
def deadline():
    """Fail a test that hangs (a lost worker, a message never sent) instead of hanging the suite."""
    with fail_after(40):
        yield


@pytest.fixture
def strategy():
    """Sets a sharing strategy for one test and restores the previous one."""
    previous = mp.get_sharing_strategy()
    yield mp.set_sharing_strategy
    mp.set_sharing_strategy(previous)


# ---- two-way links between the test and one child ---------------------------------------------------------------

class Link:
    """Both directions between the test and a child over one kind of transport: a Queue or SimpleQueue each
    way, or one duplex Pipe. Made before the fork, so the child inherits it."""

    def __init__(self, kind):
        self.kind = kind
        if kind == "pipe":
            self.parent_end, self.child_end = FORK.Pipe()
        else:
            make = FORK.Queue if kind == "queue" else FORK.SimpleQueue
            self.to_child, self.to_parent = make(), make()

    def send(self, obj):  # from the test
        if self.kind == "pipe":
            self.parent_end.send(obj)
        else:
            self.to_child.put(obj)

    def recv(self):  # in the test
        if self.kind == "pipe":
            assert self.parent_end.poll(REPLY_TIMEOUT), "no reply from the child"
            return self.parent_end.recv()
        if self.kind == "queue":
            return self.to_parent.get(timeout=REPLY_TIMEOUT)
        return self.to_parent.get()  # SimpleQueue has no timeout; the deadline fixture guards it

    def child_send(self, obj):
        if self.kind == "pipe":
            self.child_end.send(obj)
        else:
            self.to_parent.put(obj)

    def child_recv(self):
        return self.child_end.recv() if self.kind == "pipe" else self.to_child.get()


@contextlib.contextmanager
def child(target, *args, ctx=FORK):
    """Runs target(*args) in a child process; on leaving, waits for it and checks that it exited cleanly."""
    proc = ctx.Process(target=target, args=args)
    proc.start()
    try:
        yield proc
        proc.join(REPLY_TIMEOUT)
        assert proc.exitcode == 0, f"child exit code {proc.exitcode}"
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join()


def describe(t):
    return {"values": t.tolist(), "dtype": str(t.dtype), "shape": tuple(t.shape), "stride": tuple(t.stride()),
            "offset": t.storage_offset(), "shared": t.is_shared(), "requires_grad": t.requires_grad,
            "is_leaf": t.is_leaf, "type": type(t).__name__, "is_parameter": isinstance(t, fw.nn.Parameter)}


# ---- children ----------------------------------------------------------------------------------------------------

def describe_what_arrives(link):
    link.child_send(describe(link.child_recv()))


def write_then_read(link):
    t = link.child_recv()
    t[0] = 1
    link.child_send("written")
    assert link.child_recv() == "read now"
    link.child_send(t[1].item())


def send_own_tensor_then_read(link):
    t = fw.zeros(4)
    link.child_send(t)
    assert link.child_recv() == "read now"
    link.child_send(t[0].item())


def write_through_one_view(link):
    a, b = link.child_recv()
    a[3] = 7  # a[3] and b[1] are the same element of the storage
    link.child_send(b[1].item())


def hogwild_step(model):
    # One SGD step in the child, on the parameters the parent shares: the update lands in the parent's memory.
    loss = model(fw.ones(1, 3)).sum()
    loss.backward()
    fw.optim.SGD(model.parameters(), lr=0.1).step()


def receive_and_drop(link, rounds):
    for i in range(rounds):
        t = link.child_recv()
        ok = bool((t == i).all().item())  # reads every page, so that a kept mapping would show in the RSS
        del t  # no reference cycle: the storage is released here
        link.child_send((ok, rss_kb(), len(os.listdir("/proc/self/fd"))))


def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


# ---- tensors through Queue, SimpleQueue and Pipe -----------------------------------------------------------------

def sample(name):
    if name == "float32":
        return fw.tensor([[1.5, -2.0, 3.25], [0.0, 4.0, -1.0]])
    if name == "int64":
        return fw.tensor([1, -2, 2 ** 40], dtype=fw.int64)
    if name == "bool":
        return fw.tensor([True, False, True])
    if name == "float64":
        return fw.tensor([1e-300, 2.5, -3.0], dtype=fw.float64)
    if name == "zero-size":
        return fw.zeros(0, 3)
    if name == "scalar":
        return fw.tensor(3.5)
    if name == "view":  # non-contiguous, with a storage offset
        return fw.arange(24, dtype=fw.float32).reshape(4, 6)[1:, ::2].t()
    raise ValueError(name)


@pytest.mark.parametrize("kind", ["queue", "simplequeue", "pipe"])
@pytest.mark.parametrize("name", ["float32", "int64", "bool", "float64", "zero-size", "scalar", "view"])
def test_tensor_arrives_with_values_dtype_shape_and_layout(kind, name):
    t = sample(name)
    link = Link(kind)
    with child(describe_what_arrives, link):
        link.send(t)
        got = link.recv()
    assert got["values"] == t.tolist()
    assert got["dtype"] == str(t.dtype)
    assert got["shape"] == tuple(t.shape)
    # A view arrives as the same view of the (shared) storage, not as a contiguous copy.
    assert got["stride"] == tuple(t.stride()) and got["offset"] == t.storage_offset()
    if t.numel() > 0:  # PyTorch sends an empty storage without sharing anything
        assert got["shared"]
        assert t.is_shared()  # the sender's tensor was moved into shared memory in place


@pytest.mark.parametrize("kind", ["queue", "pipe"])
def test_child_writes_into_the_parents_tensor_and_reads_its_writes(kind):
    writes_seen_both_ways(Link(kind))


def writes_seen_both_ways(link):
    """The child writes into a tensor this process sent, this process sees it; then the other way round."""
    t = fw.zeros(4)
    with child(write_then_read, link):
        link.send(t)
        assert link.recv() == "written"
        assert t[0].item() == 1
        t[1] = 2
        link.send("read now")
        assert link.recv() == 2


def test_parent_writes_into_a_tensor_the_child_sent():
    link = Link("queue")
    with child(send_own_tensor_then_read, link):
        t = link.recv()
        t[0] = 5
        link.send("read now")
        assert link.recv() == 5


def test_share_memory_moves_the_storage_in_place():
    t = fw.arange(6, dtype=fw.float32)
    view = t[2:]  # made before sharing: it must follow the storage into shared memory
    assert not t.is_shared()
    assert t.share_memory_() is t
    assert t.is_shared() and view.is_shared()
    assert t.tolist() == [0, 1, 2, 3, 4, 5]
    view[0] = 9
    assert t[2].item() == 9
    assert t.share_memory_() is t  # sharing again is a no-op
    assert t.tolist() == [0, 1, 9, 3, 4, 5]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_module_share_memory_lets_a_child_train_the_parents_parameters(method):
    # Hogwild: with 'spawn' the model is pickled as a Process argument, through shared memory.
    fw.manual_seed(0)
    model = fw.nn.Linear(3, 2)
    assert model.share_memory() is model
    assert all(p.is_shared() for p in model.parameters())
    before = [p.detach().clone() for p in model.parameters()]
    with child(hogwild_step, model, ctx=mp.get_context(method)):
        pass
    # d(sum(W x + b))/dW = x = 1 and d/db = 1, so SGD with lr 0.1 moved every element by -0.1.
    for p, p0 in zip(model.parameters(), before):
        assert fw.allclose(p.detach(), p0 - 0.1, atol=1e-6)
        assert p.grad is None  # the gradient lives in the child


# ---- autograd metadata and subclasses ----------------------------------------------------------------------------

def test_leaf_keeps_requires_grad():
    link = Link("queue")
    with child(describe_what_arrives, link):
        link.send(fw.ones(3, requires_grad=True))
        got = link.recv()
    assert got["requires_grad"] and got["is_leaf"] and got["values"] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("kind", ["simplequeue", "pipe"])
def test_non_leaf_requiring_grad_is_refused(kind):
    # SimpleQueue and Pipe pickle in the caller (a Queue pickles on its feeder thread), so the error is raised here.
    link = Link(kind)
    leaf = fw.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf tensor which requires_grad"):
        link.send(leaf * 2)
    with child(describe_what_arrives, link):
        link.send((leaf * 2).detach())  # detach() is the way to send the data
        assert link.recv()["values"] == [2.0, 2.0, 2.0]


def test_parameter_arrives_as_parameter():
    link = Link("queue")
    with child(describe_what_arrives, link):
        link.send(fw.nn.Parameter(fw.ones(2)))
        got = link.recv()
    assert got["is_parameter"] and got["type"] == "Parameter" and got["requires_grad"]


def test_two_views_sent_together_share_one_storage():
    base = fw.zeros(6)
    link = Link("queue")
    with child(write_through_one_view, link):
        link.send((base[:4], base[2:]))
        assert link.recv() == 7  # the child's write through one view was seen through the other
    assert base[3].item() == 7


# ---- sharing strategies ------------------------------------------------------------------------------------------

def test_sharing_strategies():
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    assert mp.get_sharing_strategy() == "file_descriptor"


@pytest.mark.parametrize("name", ["file_descriptor", "file_system"])
def test_tensor_shared_under_each_strategy(name, strategy):
    strategy(name)
    assert mp.get_sharing_strategy() == name
    writes_seen_both_ways(Link("queue"))


def shm_files():
    # Intel OpenMP registers each process in /dev/shm; POSIX semaphores ("sem.*") are not tensor memory.
    return {f for f in os.listdir("/dev/shm") if not f.startswith(("__KMP_", "sem."))}


def test_file_system_strategy_uses_named_files_and_removes_them(strategy):
    # wick's files are named wick_*, PyTorch's torch_*.
    prefix = fw.__name__ + "_"
    strategy("file_system")
    before = shm_files()
    t = fw.zeros(1024).share_memory_()
    created = shm_files() - before
    assert created and all(f.startswith(prefix) for f in created)
    link = Link("queue")
    with child(write_then_read, link):
        link.send(t)
        assert link.recv() == "written"
        link.send("read now")
        assert link.recv() == 0
    del t
    gc.collect()
    assert not {f for f in shm_files() - before if f.startswith(prefix)}


def test_file_descriptor_strategy_leaves_no_file_in_dev_shm(strategy):
    strategy("file_descriptor")
    before = shm_files()
    t = fw.zeros(1024).share_memory_()
    link = Link("queue")
    with child(write_then_read, link):
        link.send(t)
        assert link.recv() == "written"
        assert shm_files() - before == set()  # while both processes map the memory
        link.send("read now")
        assert link.recv() == 0


def test_sent_memory_is_freed_when_both_sides_drop_it():
    # 50 rounds of an 8 MB tensor: were either side to keep its mapping (or descriptor), 400 MB would pile up.
    rounds = 50
    link = Link("pipe")
    with child(receive_and_drop, link, rounds):
        replies = []
        for i in range(rounds):
            t = fw.full((2 * 1024 * 1024,), float(i))
            link.send(t)
            replies.append(link.recv())
            del t
            if i == 4:  # after a few rounds, once every lazily made thing exists
                rss, fds = rss_kb(), len(os.listdir("/proc/self/fd"))
    assert all(ok for ok, _, _ in replies)
    assert rss_kb() - rss < 64 * 1024
    assert len(os.listdir("/proc/self/fd")) <= fds
    child_rss, child_fds = [r[1] for r in replies], [r[2] for r in replies]
    assert child_rss[-1] - child_rss[4] < 64 * 1024
    assert child_fds[-1] <= child_fds[4]


# ---- spawn -------------------------------------------------------------------------------------------------------

def write_rank(i, t):
    t[i] = i + 1


def fail_on_rank_1(i):
    if i == 1:
        raise ValueError("rank 1 failed")


def kill_self(i):
    os.kill(os.getpid(), signal.SIGKILL)


def test_spawn_calls_fn_with_rank_and_args():
    # The default start method is 'spawn': the shared tensor reaches the children through pickling.
    t = fw.zeros(2).share_memory_()
    mp.spawn(write_rank, args=(t,), nprocs=2)
    assert t.tolist() == [1, 2]


def test_spawn_join_false_returns_a_process_context():
    t = fw.zeros(3).share_memory_()
    context = mp.spawn(write_rank, args=(t,), nprocs=3, join=False, start_method="fork")
    assert isinstance(context, mp.ProcessContext)
    assert len(context.pids()) == 3
    while not context.join():
        pass
    assert t.tolist() == [1, 2, 3]


def test_spawn_reraises_a_childs_exception():
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.spawn(fail_on_rank_1, nprocs=2, start_method="fork")
    message = str(info.value)
    assert "ValueError: rank 1 failed" in message
    assert 'raise ValueError("rank 1 failed")' in message  # the child's traceback
    assert info.value.error_index == 1


def test_spawn_reports_a_child_killed_by_a_signal():
    with pytest.raises(mp.ProcessExitedException, match="SIGKILL") as info:
        mp.spawn(kill_self, nprocs=1, start_method="fork")
    assert info.value.signal_name == "SIGKILL" and info.value.error_index == 0


# ---- GNU OpenMP after fork ----------------------------------------------------------------------------------------

def large_ops_then_report(link):
    import warnings
    x = fw.ones(1 << 22)  # above the parallel grain: a multi-threaded loop in the parent
    a = fw.ones(256, 256)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fw.set_num_threads(2)
    warned = any("Note [OpenMP after fork]" in str(w.message) for w in caught)
    link.child_send((bool((x == 1).all().item()), (a @ a)[0, 0].item(), fw.get_num_threads(), warned))


def report_threads(link):
    link.child_send(fw.get_num_threads())


@pytest.mark.skipif(fw.__name__ != "wick", reason="wick's rule for forked children")
def test_a_forkserver_child_keeps_its_threads():
    # The fork server never ran a parallel region, so its children need not keep to one thread.
    link = Link("pipe")
    with child(report_threads, link, ctx=mp.get_context("forkserver")):
        assert link.recv() == fw.get_num_threads()


@pytest.mark.skipif(fw.__name__ != "wick", reason="PyTorch 1.13 built with GNU OpenMP hangs here too")
def test_a_forked_child_runs_large_ops_on_one_thread_instead_of_hanging():
    # Note [OpenMP after fork]: the parent's pool threads do not exist in a forked child.
    threads = fw.get_num_threads()
    fw.set_num_threads(2)
    try:
        x = fw.ones(1 << 22)
        for _ in range(3):
            (x * 2).sum()  # the parent's OpenMP pool is up
        link = Link("pipe")
        with child(large_ops_then_report, link):
            assert link.recv() == (True, 256.0, 1, True)
    finally:
        fw.set_num_threads(threads)

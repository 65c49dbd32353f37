"""DataLoader worker processes (issue 22), with PyTorch's semantics.

The framework is selectable so that these tests can be validated against
PyTorch itself:

    WICK_DL_ORACLE=torch python -m pytest tests/python/test_dataloader_workers.py

Tests of wick's extensions (worker_mode="thread") skip under the oracle.
Workers are processes, so what a worker saw (its id, pid, seed...) is
collected by returning it from __getitem__; datasets and helpers live at
module level so that 'spawn' workers can unpickle them.
"""
import gc
import importlib
import multiprocessing
import os
import random
import signal
import time

import numpy as np
import pytest
from helpers import fail_after

fw = importlib.import_module(os.environ.get("WICK_DL_ORACLE", "wick"))
data = importlib.import_module(fw.__name__ + ".utils.data")
DataLoader, Dataset, IterableDataset, get_worker_info = (data.DataLoader, data.Dataset, data.IterableDataset,
                                                        data.get_worker_info)
IS_ORACLE = fw.__name__ != "wick"
wick_only = pytest.mark.skipif(IS_ORACLE, reason="wick extension, not in PyTorch")

# Shared counters for the datasets below: made before the loader forks its
# workers, so the workers inherit them ('fork' is the default on Linux).
FORK = multiprocessing.get_context("fork")


@pytest.fixture(autouse=True)
def deadline():
    """Fail a test that hangs (a lost worker, a message never sent) instead of hanging the suite."""
    with fail_after(30):
        yield


def child_pids():
    """Pids of the live (or unreaped) processes whose parent is this one, from /proc."""
    me, pids = os.getpid(), set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            # The fields after "(comm)": state, ppid, ...
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                pids.add(int(entry))
    return pids


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def as_list(batch):
    return batch.tolist() if hasattr(batch, "tolist") else list(batch)


def identity_collate(samples):
    return samples


# ---- datasets ----------------------------------------------------------------------------------------------------

class Range(Dataset):
    """Item i is i: the order and completeness of what comes out is checkable."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return index


class WhoLoads(Dataset):
    """Item i says which process and worker loaded it and what the worker's copy of the dataset is."""

    def __init__(self, n):
        self.n = n
        self.copies_touched = False

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        info = get_worker_info()
        self.copies_touched = True  # on the worker's copy: the main process's dataset must not see it
        return {"index": index, "pid": os.getpid(), "id": info.id, "num_workers": info.num_workers,
                "dataset_is_self": info.dataset is self, "seed": info.seed,
                "init_id": getattr(self, "init_id", None)}


def record_init(worker_id):
    # Runs in the worker before it loads anything; get_worker_info() is already set there.
    info = get_worker_info()
    info.dataset.init_id = (worker_id, info.id)


class RandomDraws(Dataset):
    """Each item draws from the three generators a worker seeds: Python's, the framework's, NumPy's."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        info = get_worker_info()
        return (info.id, info.seed, random.random(), fw.rand(1).item(), float(np.random.rand()))


class Recording(Dataset):
    """Marks each index it loads in an array shared with the main process."""

    def __init__(self, n):
        self.loaded = FORK.Array("i", n, lock=False)

    def __len__(self):
        return len(self.loaded)

    def __getitem__(self, index):
        self.loaded[index] = 1
        return index


class Blocking(Dataset):
    """Item 0 blocks until the test releases it (the slow item of the timeout test)."""

    def __init__(self):
        self.release = FORK.Event()

    def __len__(self):
        return 4

    def __getitem__(self, index):
        if index == 0:
            self.release.wait(20)
        return index


class FailsAt(Dataset):
    def __init__(self, bad):
        self.bad = bad

    def __len__(self):
        return 8

    def __getitem__(self, index):
        if index == self.bad:
            raise ValueError(f"item {index} is bad")
        return index


class KilledAt(Dataset):
    """The worker that loads item `bad` kills itself with SIGKILL, after writing its pid where the test sees it."""

    def __init__(self, bad):
        self.bad = bad
        self.pid = FORK.Value("i", 0, lock=False)
        self.main_pid = os.getpid()

    def __len__(self):
        return 8

    def __getitem__(self, index):
        if index == self.bad:
            if os.getpid() == self.main_pid:  # a loading thread: SIGKILL would end the test run itself
                raise AssertionError("item loaded in the main process, not in a worker process")
            self.pid.value = os.getpid()
            os.kill(os.getpid(), signal.SIGKILL)
        return index


class Squares(Dataset):
    """Defined at module level so that 'spawn' and 'forkserver' workers can import it."""

    def __len__(self):
        return 6

    def __getitem__(self, index):
        return fw.tensor([index * index, os.getpid()])


class Records(Dataset):
    """Samples that are dicts and tuples, of tensors, numbers and strings."""

    def __len__(self):
        return 6

    def __getitem__(self, index):
        return {"x": fw.full((2, 3), float(index)), "y": index, "name": f"s{index}",
                "pair": (fw.tensor([index]), index * 0.5)}


class Stream(IterableDataset):
    """range(n); with shard=True each worker yields only its share, as PyTorch's docs show."""

    def __init__(self, n, shard):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if self.shard and info is not None:
            return iter(range(info.id, self.n, info.num_workers))
        return iter(range(self.n))


# ---- order, completeness, batching -------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size,num_workers,drop_last",
                         [(1, 2, False), (3, 2, False), (4, 3, False), (5, 2, True), (16, 2, False), (30, 2, False)])
def test_map_style_batches_in_order_and_complete(batch_size, num_workers, drop_last):
    # Workers load batches in parallel, but the loader hands them out in sampler order.
    n = 23
    got = [as_list(b) for b in DataLoader(Range(n), batch_size=batch_size, num_workers=num_workers,
                                          drop_last=drop_last)]
    stop = n - n % batch_size if drop_last else n
    expected = [list(range(i, min(i + batch_size, stop))) for i in range(0, stop, batch_size)]
    assert got == expected


def test_shuffle_with_seeded_generator_matches_num_workers_0():
    # The order is drawn by the sampler in the main process, so workers do not change it.
    def epoch(num_workers):
        loader = DataLoader(Range(20), batch_size=3, shuffle=True, num_workers=num_workers,
                            generator=fw.Generator().manual_seed(7))
        return [as_list(b) for b in loader]

    single = epoch(0)
    assert sorted(sum(single, [])) == list(range(20))
    assert sum(single, []) != list(range(20))  # it did shuffle
    assert epoch(2) == single


def test_batch_size_none_yields_samples_in_order():
    got = list(DataLoader(Squares(), batch_size=None, num_workers=2))
    assert [t.tolist()[0] for t in got] == [i * i for i in range(6)]
    assert all(tuple(t.shape) == (2,) for t in got)


def test_dict_and_tuple_samples_collate_as_in_main_process():
    def epoch(num_workers):
        return list(DataLoader(Records(), batch_size=4, num_workers=num_workers))

    for single, multi in zip(epoch(0), epoch(2), strict=True):
        assert set(multi) == {"x", "y", "name", "pair"}
        assert tuple(multi["x"].shape) == (len(multi["name"]), 2, 3)
        assert multi["x"].tolist() == single["x"].tolist()
        assert multi["y"].tolist() == single["y"].tolist() and multi["y"].dtype == single["y"].dtype
        assert multi["name"] == single["name"]
        assert isinstance(multi["pair"], list) and len(multi["pair"]) == 2
        assert multi["pair"][0].tolist() == single["pair"][0].tolist()
        assert multi["pair"][1].tolist() == single["pair"][1].tolist()


def test_collated_batches_are_in_shared_memory():
    # A batch is stacked in the worker directly into shared memory, so sending it to the main process copies nothing.
    if not hasattr(fw.Tensor, "is_shared"):
        pytest.skip(f"{fw.__name__} has no Tensor.is_shared")
    for batch in DataLoader(Squares(), batch_size=2, num_workers=2):
        assert batch.is_shared()


# ---- what a worker knows about itself ----------------------------------------------------------------------------

def test_get_worker_info_in_workers_and_none_in_main_process():
    dataset = WhoLoads(8)
    samples = sum(DataLoader(dataset, batch_size=2, num_workers=3, collate_fn=identity_collate), [])
    assert get_worker_info() is None
    assert [s["index"] for s in samples] == list(range(8))
    assert {s["id"] for s in samples} == {0, 1, 2}
    assert {s["num_workers"] for s in samples} == {3}
    # Workers are processes, one per worker id, and each reads its own copy of the dataset.
    pids = {s["id"]: s["pid"] for s in samples}
    assert len(set(pids.values())) == 3 and os.getpid() not in pids.values()
    assert all(pids[s["id"]] == s["pid"] for s in samples)
    assert all(s["dataset_is_self"] for s in samples)
    assert dataset.copies_touched is False


def test_worker_init_fn_runs_in_each_worker_before_loading():
    samples = sum(DataLoader(WhoLoads(6), batch_size=1, num_workers=2, worker_init_fn=record_init,
                             collate_fn=identity_collate), [])
    assert all(s["init_id"] == (s["id"], s["id"]) for s in samples)
    assert {s["id"] for s in samples} == {0, 1}


def first_draws(generator):
    """The first item of each worker: its (id, seed, random, fw.rand, numpy) draws, by worker id."""
    draws = DataLoader(RandomDraws(), batch_size=None, num_workers=2, generator=generator)
    out = {}
    for item in draws:
        out.setdefault(item[0], tuple(item))
    return out


def test_worker_seeds_differ_across_workers_and_repeat_with_the_same_generator():
    first = first_draws(fw.Generator().manual_seed(123))
    again = first_draws(fw.Generator().manual_seed(123))
    other = first_draws(fw.Generator().manual_seed(124))
    assert first == again
    assert first[0][1:] != other[0][1:]
    w0, w1 = first[0], first[1]
    # seed = base seed (drawn from the generator) + worker id
    assert w1[1] == w0[1] + 1
    for a, b in zip(w0[2:], w1[2:]):
        assert a != b
    # Python's random and the framework's default generator are seeded with the worker's seed.
    for worker in (w0, w1):
        seed = worker[1]
        assert worker[2] == random.Random(seed).random()
        assert worker[3] == fw.rand(1, generator=fw.Generator().manual_seed(seed)).item()


def test_base_seed_comes_from_global_generator_without_generator_argument():
    fw.manual_seed(5)
    first = first_draws(None)
    fw.manual_seed(5)
    assert first_draws(None) == first


# ---- IterableDataset ---------------------------------------------------------------------------------------------

def test_iterable_dataset_without_sharding_is_read_by_every_worker():
    # As in PyTorch: each worker iterates its own copy, so every sample comes once per worker.
    got = list(DataLoader(Stream(10, shard=False), batch_size=None, num_workers=2))
    assert sorted(int(x) for x in got) == sorted(list(range(10)) * 2)


def test_iterable_dataset_sharded_by_worker_info_is_complete_and_in_order():
    # Worker k yields k, k+2, ...; the loader takes one item from each worker in turn.
    got = list(DataLoader(Stream(10, shard=True), batch_size=None, num_workers=2))
    assert [int(x) for x in got] == list(range(10))
    batches = [as_list(b) for b in DataLoader(Stream(10, shard=True), batch_size=2, num_workers=2)]
    assert batches == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]


# ---- prefetching, persistence, timeout ---------------------------------------------------------------------------

@pytest.mark.parametrize("prefetch_factor", [1, 3])
def test_prefetch_factor_bounds_the_batches_loaded_ahead(prefetch_factor):
    # Up to prefetch_factor batches per worker are outstanding; each batch handed out lets one more be loaded.
    dataset = Recording(40)
    it = iter(DataLoader(dataset, batch_size=1, num_workers=2, prefetch_factor=prefetch_factor))
    assert as_list(next(it)) == [0]
    bound = 2 * prefetch_factor + 1
    deadline = time.monotonic() + 10
    while sum(dataset.loaded) < bound and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [i for i in range(40) if dataset.loaded[i]] == list(range(bound))
    # The workers are now idle: nothing beyond the bound gets loaded while the loop does not ask for more.
    time.sleep(0.3)
    assert sum(dataset.loaded) == bound
    del it


@pytest.mark.parametrize("persistent", [True, False])
def test_persistent_workers_keep_their_processes_across_epochs(persistent):
    loader = DataLoader(WhoLoads(6), batch_size=1, num_workers=2, persistent_workers=persistent,
                        collate_fn=identity_collate)
    epochs = [{s["pid"] for batch in loader for s in batch} for _ in range(2)]
    assert all(len(pids) == 2 for pids in epochs)
    if persistent:
        assert epochs[0] == epochs[1]
    else:
        assert not epochs[0] & epochs[1]
    del loader


def test_timeout_raises_when_a_batch_is_late():
    dataset = Blocking()
    it = iter(DataLoader(dataset, batch_size=1, num_workers=1, timeout=0.5))
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0\.5 seconds"):
        next(it)
    assert time.monotonic() - start < 5
    dataset.release.set()
    del it


# ---- errors and dying workers -----------------------------------------------------------------------------------

def test_exception_in_worker_is_reraised_with_type_worker_and_traceback():
    # Item 5 goes to worker 1 (indices are dealt round-robin); the batches before it still arrive, in order.
    children = child_pids()
    got = []
    with pytest.raises(ValueError) as info:
        for batch in DataLoader(FailsAt(5), batch_size=1, num_workers=2):
            got.append(as_list(batch))
    assert got == [[0], [1], [2], [3], [4]]
    message = str(info.value)
    del info  # its traceback holds the iterator
    gc.collect()
    if not IS_ORACLE:
        # The error shut the workers down. (PyTorch 1.13 waits 5 s per worker for them to exit, then terminates
        # them without reaping: they stay as zombies until its next child process is started.)
        assert child_pids() <= children
    assert "Caught ValueError in DataLoader worker process 1" in message
    assert "item 5 is bad" in message
    assert 'raise ValueError(f"item {index} is bad")' in message  # the worker's traceback, source line included


def test_worker_killed_by_signal_raises_instead_of_hanging():
    dataset = KilledAt(3)
    children = child_pids()
    it = iter(DataLoader(dataset, batch_size=1, num_workers=2))
    got = []
    start = time.monotonic()
    with pytest.raises(RuntimeError) as info:
        for batch in it:
            got.append(as_list(batch))
    elapsed = time.monotonic() - start
    message = str(info.value)
    del it, info  # the traceback holds the iterator too
    gc.collect()
    assert child_pids() <= children  # the surviving worker was shut down
    # Results the killed worker had loaded but not yet sent are lost with it; what did arrive is in order.
    assert got == [[0], [1], [2]][:len(got)]
    assert dataset.pid.value != 0 and str(dataset.pid.value) in message
    if not IS_ORACLE:
        # PyTorch 1.13 learns of the death from SIGCHLD only when the main thread receives the signal (and then
        # keeps the signal's name in __cause__ only); otherwise from its 5 s status poll ("exited unexpectedly").
        assert elapsed < 5
        assert "Killed" in message or "SIGKILL" in message


# ---- shutdown ----------------------------------------------------------------------------------------------------

def stop_early(how):
    loader = DataLoader(Range(64), batch_size=2, num_workers=2)
    if how == "break":
        for i, _ in enumerate(loader):
            if i == 2:
                break
    elif how == "del":
        it = iter(loader)
        next(it)
        del it
    elif how == "exception":
        with pytest.raises(KeyError):
            for i, _ in enumerate(loader):
                if i == 2:
                    raise KeyError("stop")
    elif how == "exhausted":
        assert len(list(loader)) == 32


@pytest.mark.parametrize("how", ["break", "del", "exception", "exhausted"])
def test_stopping_early_leaves_no_worker_and_no_descriptor(how):
    stop_early(how)  # warm up: anything opened once per process (imports, resource tracker) is opened now
    gc.collect()
    children, fds = child_pids(), open_fds()
    stop_early(how)
    gc.collect()
    assert multiprocessing.active_children() == []
    assert child_pids() <= children
    assert open_fds() <= fds


# ---- start methods -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("context", ["spawn", "forkserver-object"])
def test_other_start_methods(context):
    # 'spawn' workers start a fresh interpreter and import this module to unpickle Squares.
    if context == "forkserver-object":
        context = fw.multiprocessing.get_context("forkserver")
    loader = DataLoader(Squares(), batch_size=2, num_workers=2, multiprocessing_context=context)
    batches = [b.tolist() for b in loader]
    assert [row[0] for batch in batches for row in batch] == [i * i for i in range(6)]
    pids = {row[1] for batch in batches for row in batch}
    assert len(pids) == 2 and os.getpid() not in pids


# ---- wick's thread workers ---------------------------------------------------------------------------------------

@wick_only
def test_worker_mode_thread_loads_in_this_process():
    samples = sum(DataLoader(WhoLoads(6), batch_size=1, num_workers=2, worker_mode="thread",
                             collate_fn=identity_collate), [])
    assert [s["index"] for s in samples] == list(range(6))
    assert {s["pid"] for s in samples} == {os.getpid()}
    # Which thread takes which batch is up to the threads' timing.
    assert {s["num_workers"] for s in samples} == {2} and {s["id"] for s in samples} <= {0, 1}


@wick_only
def test_worker_mode_process_is_the_default():
    samples = sum(DataLoader(WhoLoads(4), batch_size=1, num_workers=2, collate_fn=identity_collate), [])
    explicit = sum(DataLoader(WhoLoads(4), batch_size=1, num_workers=2, worker_mode="process",
                              collate_fn=identity_collate), [])
    assert os.getpid() not in {s["pid"] for s in samples + explicit}


# ---- what a batch costs, and what shutdown leaves ----------------------------------------------------------------

class ImagesWithCopies(Dataset):
    """Fashion-MNIST-sized images, each with what its worker process had copied into shared memory so far."""

    def __len__(self):
        return 64 * 6

    def __getitem__(self, i):
        return fw.full((1, 28, 28), float(i)), fw._C._shared_memory_stats()["bytes_moved"]


@wick_only
def test_a_batch_costs_one_copy_into_shared_memory():
    # The worker stacks the images straight into shared memory (no copy to send them); only the small label
    # tensor (64 int64, 512 bytes), made by collate outside shared memory, is copied in when sent. The main
    # process copies nothing: it maps what the workers made.
    main_before = fw._C._shared_memory_stats()["bytes_moved"]
    batches = list(DataLoader(ImagesWithCopies(), batch_size=64, num_workers=2))
    assert fw._C._shared_memory_stats()["bytes_moved"] == main_before
    copied_by_worker = {0: [], 1: []}
    for k, (images, copied) in enumerate(batches):
        assert images.is_shared() and images.shape == (64, 1, 28, 28)
        assert images[5, 0, 0, 0].item() == 64 * k + 5
        assert len(set(copied.tolist())) == 1  # read once per batch's samples: nothing was sent in between
        copied_by_worker[k % 2].append(copied[0].item())  # batches are dealt to the 2 workers round-robin
    for copied in copied_by_worker.values():
        # A forked worker starts from its parent's count; each batch it sent since copied 512 bytes of labels.
        assert [c - copied[0] for c in copied] == [512 * j for j in range(len(copied))]


@wick_only
def test_abandoned_loaders_and_killed_workers_leave_nothing_behind():
    # The short form of scripts/loader_shutdown.py (1,000 loaders and 20 kills in its long form).
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
    try:  # on the path while it runs: 'forkserver' workers import the module too
        import loader_shutdown
        loader_shutdown.check(loaders=16, kills=2, report=lambda line: None)
    finally:
        sys.path.pop(0)

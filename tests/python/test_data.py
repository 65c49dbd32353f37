"""wick.utils.data (datasets, samplers, DataLoader), wick.datasets (IDX,
MNIST/Fashion-MNIST, text corpora) and wick.autograd.graph.to_dot."""
import collections
import gc
import gzip
import itertools
import os
import shutil
import struct
import subprocess
import threading
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import wick
from wick import _C
from wick.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                             SequentialSampler, Subset, TensorDataset, default_collate, get_worker_info, random_split)

FASHION_ROOT = "/usr/share/datasets/fashion-mnist"
HAS_FASHION = os.path.exists(os.path.join(FASHION_ROOT, "train-images-idx3-ubyte.gz"))
HAS_FORTUNES = os.path.exists("/usr/share/games/fortunes/fortunes")


def counting_dataset(n):
    y = wick.arange(n)
    x = wick.stack([y.float(), y.float() * 2], 1)
    return TensorDataset(x, y)


def epoch_targets(loader):
    """The targets of one epoch, batch by batch, checking each batch's rows against its targets."""
    batches = []
    for xb, yb in loader:
        assert xb.shape[0] == yb.shape[0] and xb.dtype == wick.float32 and yb.dtype == wick.int64
        ids = yb.tolist()
        assert xb.tolist() == [[float(i), 2.0 * i] for i in ids]
        batches.append(ids)
    return batches


# ---- DataLoader ------------------------------------------------------------------------------

@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 4, 23, 30])
def test_dataloader_covers_each_sample_once_per_epoch(batch_size, drop_last, shuffle, num_workers):
    n = 23
    loader = DataLoader(counting_dataset(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                        num_workers=num_workers)
    ref = tud.DataLoader(tud.TensorDataset(torch.arange(n)), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(ref)
    for _ in range(2):
        batches = epoch_targets(loader)
        assert [len(b) for b in batches] == [len(b[0]) for b in ref]
        seen = [i for b in batches for i in b]
        expected = n // batch_size * batch_size if drop_last else n
        assert len(seen) == len(set(seen)) == expected
        assert set(seen) <= set(range(n))
        if not shuffle:
            assert seen == list(range(expected))


def test_dataloader_shuffle_is_reproducible():
    ds = counting_dataset(100)
    loader = DataLoader(ds, batch_size=10, shuffle=True)
    wick.manual_seed(0)
    a = [epoch_targets(loader), epoch_targets(loader)]
    wick.manual_seed(0)
    b = [epoch_targets(loader), epoch_targets(loader)]
    assert a == b
    assert a[0] != a[1], "each epoch should have its own order"
    wick.manual_seed(1)
    assert epoch_targets(loader) != a[0]
    if hasattr(wick, "Generator"):
        g1, g2 = wick.Generator(), wick.Generator()
        g1.manual_seed(5)
        g2.manual_seed(5)
        wick.manual_seed(123)  # the loader's own generator, not the global one, decides
        first = epoch_targets(DataLoader(ds, batch_size=10, shuffle=True, generator=g1))
        wick.manual_seed(456)
        assert epoch_targets(DataLoader(ds, batch_size=10, shuffle=True, generator=g2)) == first


def test_dataloader_keeps_the_global_random_stream_deterministic():
    # The shuffle order is drawn when iteration starts, on this thread: random
    # numbers drawn by the loop afterwards do not depend on the loading thread's timing.
    ds = counting_dataset(64)
    runs = []
    for _ in range(2):
        wick.manual_seed(7)
        values = []
        for xb, yb in DataLoader(ds, batch_size=8, shuffle=True):
            values.append((yb.tolist(), wick.rand(2).tolist()))
        runs.append(values)
    assert runs[0] == runs[1]


class Flaky(Dataset):
    def __init__(self, n, fail_at, delay=0.0):
        self.n, self.fail_at, self.delay = n, fail_at, delay
        self.calls = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        if i == self.fail_at:
            raise KeyError(f"sample {i} is broken")
        return wick.full((2,), float(i)), i


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_reraises_loading_errors_in_order(num_workers):
    loader = DataLoader(Flaky(20, fail_at=7), batch_size=2, num_workers=num_workers)
    got = []
    with pytest.raises(KeyError, match="sample 7 is broken") as info:
        for _, y in loader:
            got += y.tolist()
    assert got == [0, 1, 2, 3, 4, 5]
    assert any("DataLoader thread" in note for note in getattr(info.value, "__notes__", ["DataLoader thread"]))
    # A new epoch starts afresh (and fails at the same place).
    with pytest.raises(KeyError):
        list(loader)


def loader_threads():
    return [t for t in threading.enumerate() if t.name.startswith("wick DataLoader thread")]


@pytest.mark.parametrize("num_workers", [0, 3])
def test_dataloader_stops_its_threads_when_dropped_mid_epoch(num_workers):
    gc.collect()
    before = len(loader_threads())
    ds = Flaky(10000, fail_at=-1, delay=0.001)
    loader = DataLoader(ds, batch_size=4, num_workers=num_workers, prefetch_factor=2, worker_mode="thread")
    for i, _ in enumerate(loader):
        if i == 2:
            time.sleep(0.05)
            # Bounded prefetching: 3 batches taken, at most prefetch_factor per thread ahead.
            assert ds.calls <= (3 + 2 * max(1, num_workers)) * 4
            break
    gc.collect()
    assert len(loader_threads()) == before
    calls = ds.calls
    time.sleep(0.05)
    assert ds.calls == calls, "a loading thread kept running after its iterator was dropped"


class Slow(Dataset):
    def __init__(self, n, delay):
        self.n, self.delay = n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(self.delay)  # I/O-like work that releases the GIL
        return i


def test_dataloader_loads_ahead_of_the_loop():
    n, delay = 20, 0.02
    start = time.perf_counter()
    for _ in DataLoader(Slow(n, delay), batch_size=1):
        time.sleep(delay)  # the "training step"
    elapsed = time.perf_counter() - start
    # Loading and the loop overlap: about n * delay, where one after the other would take 2 * n * delay.
    assert elapsed < 1.6 * n * delay, elapsed


def test_dataloader_timeout_and_worker_info():
    with pytest.raises(RuntimeError, match="timed out after 0.05 seconds"):
        next(iter(DataLoader(Slow(2, 0.3), batch_size=1, timeout=0.05)))
    assert get_worker_info() is None
    seen = []

    class WhoLoads(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            info = get_worker_info()
            seen.append(None if info is None else (info.id, info.num_workers))
            return i

    inits = []
    list(DataLoader(WhoLoads(), batch_size=2, num_workers=2, worker_init_fn=inits.append, worker_mode="thread"))
    assert sorted(inits) == [0, 1]
    assert all(s is not None and s[1] == 2 and s[0] in (0, 1) for s in seen)
    seen.clear()
    list(DataLoader(WhoLoads(), batch_size=2))
    assert seen == [None] * 8


def test_dataloader_argument_errors_match_pytorch():
    ds = counting_dataset(4)

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    cases = [
        dict(batch_size=0),
        dict(batch_size=None, drop_last=True),
        dict(shuffle=True, sampler=SequentialSampler(ds)),
        dict(batch_sampler=BatchSampler(SequentialSampler(ds), 2, False), batch_size=2),
        dict(num_workers=-1),
        dict(timeout=-1),
        dict(persistent_workers=True),
    ]
    for kwargs in cases:
        torch_kwargs = dict(kwargs)
        if "sampler" in kwargs:
            torch_kwargs["sampler"] = tud.SequentialSampler(ds)
        if "batch_sampler" in kwargs:
            torch_kwargs["batch_sampler"] = tud.BatchSampler(tud.SequentialSampler(ds), 2, False)
        with pytest.raises(ValueError) as theirs:
            tud.DataLoader(tud.TensorDataset(torch.zeros(4)), **torch_kwargs)
        with pytest.raises(ValueError) as ours:
            DataLoader(ds, **kwargs)
        assert str(ours.value) == str(theirs.value)
    for kwargs in [dict(shuffle=True), dict(sampler=[0, 1])]:
        with pytest.raises(ValueError, match="IterableDataset: expected unspecified"):
            DataLoader(Stream(), **kwargs)
    with pytest.raises(TypeError):
        len(DataLoader(Stream()))
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(wick.zeros(3), wick.zeros(4))


@pytest.mark.skipif(wick.cuda.is_available(), reason="the warning is for machines without CUDA")
def test_dataloader_pin_memory_without_cuda_warns_and_loads_as_usual():
    ds = TensorDataset(wick.arange(10.0), wick.arange(10))
    with pytest.warns(UserWarning, match="'pin_memory' is True but CUDA is not available"):
        pinned = list(DataLoader(ds, batch_size=4, pin_memory=True))
    plain = list(DataLoader(ds, batch_size=4))
    assert len(pinned) == len(plain) == 3
    for (x1, y1), (x2, y2) in zip(pinned, plain):
        assert wick.equal(x1, x2) and wick.equal(y1, y2)


def test_iterable_dataset_of_batches_for_data_that_does_not_fit_in_memory():
    # seeds 000, slide 12: a generator of batches.
    class Batches(IterableDataset):
        def __iter__(self):
            while True:
                yield wick.randn(100, 5), wick.randint(0, 2, (100, 1))

    batches = list(itertools.islice(DataLoader(Batches(), batch_size=None), 5))
    assert len(batches) == 5
    for x, y in batches:
        assert x.shape == (100, 5) and y.shape == (100, 1) and y.dtype == wick.int64

    class Samples(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return ({"x": wick.full((3,), float(i)), "i": i} for i in range(self.n))

        def __len__(self):
            return self.n

    for drop_last in (False, True):
        # Read by one loading thread (Note [Loading threads]); worker processes would each read it all.
        loader = DataLoader(Samples(10), batch_size=4, drop_last=drop_last, num_workers=3, worker_mode="thread")
        out = list(loader)
        assert len(out) == len(loader) == (2 if drop_last else 3)
        assert [b["i"].tolist() for b in out][:2] == [[0, 1, 2, 3], [4, 5, 6, 7]]
        assert out[0]["x"].shape == (4, 3)


def test_default_collate_matches_pytorch():
    Point = collections.namedtuple("Point", "x y")
    samples = [
        [(np.float32(1.5), 2, 3.0, True, "a"), (np.float32(2.5), 3, 4.0, False, "b")],
        [{"img": np.ones((2, 2), np.float32), "label": 1}, {"img": np.zeros((2, 2), np.float32), "label": 0}],
        [Point(1, 2.0), Point(3, 4.0)],
        [[1, 2], [3, 4]],
        [np.arange(3), np.arange(3, 6)],
    ]

    def compare(w, t):
        if isinstance(t, torch.Tensor):
            assert isinstance(w, wick.Tensor)
            assert str(w.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
            np.testing.assert_array_equal(w.numpy(), t.numpy())
        elif isinstance(t, dict):
            assert type(w) is type(t) and w.keys() == t.keys()
            for k in t:
                compare(w[k], t[k])
        elif isinstance(t, (list, tuple)):
            assert type(w) is type(t) and len(w) == len(t)
            for a, b in zip(w, t):
                compare(a, b)
        else:
            assert w == t

    for batch in samples:
        compare(default_collate(batch), tud.default_collate(batch))
    tensors = [wick.ones(2, 3), wick.zeros(2, 3)]
    assert default_collate(tensors).shape == (2, 2, 3)
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])


def test_subset_random_split_and_concat():
    ds = counting_dataset(10)
    wick.manual_seed(3)
    a, b = random_split(ds, [7, 3])
    wick.manual_seed(3)
    a2, _ = random_split(ds, [7, 3])
    assert a.indices == a2.indices
    assert sorted(a.indices + b.indices) == list(range(10))
    assert [len(s) for s in random_split(ds, [0.5, 0.3, 0.2])] == [5, 3, 2]
    assert [len(s) for s in random_split(counting_dataset(11), [0.5, 0.5])] == [6, 5]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(ds, [3, 3])
    # A Subset of a tensor dataset keeps the bulk path, and the right samples.
    for xb, yb in DataLoader(b, batch_size=2):
        assert xb[:, 0].tolist() == [float(i) for i in yb.tolist()]
    assert [int(y) for _, y in (b[i] for i in range(3))] == b.indices
    cat = ConcatDataset([counting_dataset(3), counting_dataset(2)])
    assert len(cat) == 5 and int(cat[3][1]) == 0 and int(cat[-1][1]) == 1
    assert len(ds + ds) == 20
    with pytest.raises(ValueError, match="absolute value of index"):
        cat[-6]
    sampler = RandomSampler(ds, replacement=True, num_samples=25)
    drawn = list(sampler)
    assert len(drawn) == 25 and all(0 <= i < 10 for i in drawn)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(ds, num_samples=0)
    assert list(BatchSampler(range(5), 2, True)) == [[0, 1], [2, 3]]


# ---- IDX files ---------------------------------------------------------------------------------

def idx_bytes(array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    return struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def test_read_idx_raw_and_gzip_files_written_by_python(tmp_path):
    rng = np.random.default_rng(0)
    for shape in [(7,), (4, 28, 28), (3, 2, 5, 1)]:
        array = rng.integers(0, 256, size=shape, dtype=np.uint8)
        raw, gz = tmp_path / "a", tmp_path / "a.gz"
        raw.write_bytes(idx_bytes(array))
        gz.write_bytes(gzip.compress(idx_bytes(array)))
        for path in (raw, gz):
            t = _C._data.read_idx(str(path))
            assert t.dtype == wick.uint8 and tuple(t.shape) == shape
            np.testing.assert_array_equal(t.numpy(), array)
    # And what wick writes, Python reads.
    array = rng.integers(0, 256, size=(2, 3), dtype=np.uint8)
    _C._data.write_idx(str(tmp_path / "w.gz"), wick.from_numpy(array), gzip=True)
    assert gzip.decompress((tmp_path / "w.gz").read_bytes()) == idx_bytes(array)


def test_read_idx_rejects_bad_files_with_their_name(tmp_path):
    data = idx_bytes(np.arange(60, dtype=np.uint8).reshape(3, 4, 5))
    path = tmp_path / "bad-file"
    for blob in [data, gzip.compress(data)]:
        for length in range(len(blob)):
            path.write_bytes(blob[:length])
            with pytest.raises(ValueError, match="bad-file"):
                _C._data.read_idx(str(path))
    cases = [
        (b"\x12\x34\x08\x01\x00\x00\x00\x01\x05", "magic number is 0x12340801"),
        (b"\x00\x00\x0d\x01\x00\x00\x00\x01" + bytes(4), "float32"),
        (data + b"\x00", "1 bytes more than"),
        (gzip.compress(data + b"\x00"), "longer than"),
        (gzip.compress(data)[:-8] + b"\x00" * 8, "corrupt gzip data"),
        (gzip.compress(data) + b"junk", "after the end of the gzip data"),
        (idx_bytes(np.zeros((1,), np.uint8))[:4] + struct.pack(">I", 2 ** 31) + b"\x01", "truncated"),
    ]
    for blob, message in cases:
        path.write_bytes(blob)
        with pytest.raises(ValueError, match=message):
            _C._data.read_idx(str(path))
    with pytest.raises(RuntimeError, match="no-such-file"):
        _C._data.read_idx(str(tmp_path / "no-such-file"))


def write_mnist(root, n_train=12, n_test=5, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=(n,), dtype=np.uint8)
        for kind, a in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{split}-{kind}-ubyte"
            blob = idx_bytes(a)
            if gz:
                (root / (name + ".gz")).write_bytes(gzip.compress(blob))
            else:
                (root / name).write_bytes(blob)
        arrays[split] = (images, labels)
    return arrays


def test_fashion_mnist_from_generated_files(tmp_path):
    arrays = write_mnist(tmp_path)
    train = wick.datasets.FashionMNIST(tmp_path)
    test = wick.datasets.FashionMNIST(str(tmp_path), train=False, normalize=True)
    images, labels = arrays["train"]
    assert len(train) == 12 and len(test) == 5
    np.testing.assert_array_equal(train.data.numpy(), images)
    np.testing.assert_array_equal(train.targets.numpy(), labels.astype(np.int64))
    assert train.images.shape == (12, 1, 28, 28) and train.images.dtype == wick.float32
    # torchvision's ToTensor + Normalize, in float32.
    expected = (torch.from_numpy(arrays["t10k"][0]).float().div(255).sub(0.2860).div(0.3530)).unsqueeze(1)
    np.testing.assert_array_equal(test.images.numpy(), expected.numpy())
    image, label = train[3]
    assert image.shape == (1, 28, 28) and isinstance(label, int) and label == labels[3]
    np.testing.assert_array_equal(image.numpy()[0], images[3].astype(np.float32) / 255)
    custom = wick.datasets.FashionMNIST(tmp_path, normalize=(0.5, 0.5), transform=lambda x: x * 0,
                                        target_transform=lambda y: y + 100)
    assert custom[0][0].abs().sum().item() == 0 and custom[0][1] == labels[0] + 100
    for xb, yb in DataLoader(train, batch_size=5, shuffle=True):
        assert xb.shape[1:] == (1, 28, 28) and yb.dtype == wick.int64
        for x, y in zip(xb, yb.tolist()):
            match = [i for i in range(12) if labels[i] == y and np.array_equal(train.images[i].numpy(), x.numpy())]
            assert match, "a batch row is not the image of its label"
    assert train.classes[9] == "Ankle boot" and train.class_to_idx["Bag"] == 8


def test_mnist_layouts_and_missing_files(tmp_path):
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    arrays = write_mnist(tmp_path / "MNIST" / "raw", gz=False)
    ds = wick.datasets.MNIST(tmp_path, train=False)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["t10k"][0])
    with pytest.raises(TypeError, match="needs root="):
        wick.datasets.MNIST()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RuntimeError, match="apt-get install dataset-fashion-mnist") as info:
        wick.datasets.FashionMNIST(empty)
    assert str(empty / "train-images-idx3-ubyte.gz") in str(info.value)
    with pytest.raises(RuntimeError, match="no Debian package"):
        wick.datasets.MNIST(empty)


@pytest.mark.skipif(not HAS_FASHION, reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
def test_real_fashion_mnist():
    start = time.perf_counter()
    train = wick.datasets.FashionMNIST()
    load_seconds = time.perf_counter() - start
    test = wick.datasets.FashionMNIST(train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert load_seconds < 10, f"loading Fashion-MNIST took {load_seconds:.1f} s"
    for ds, n in ((train, 60000), (test, 10000)):
        counts = np.bincount(ds.targets.numpy(), minlength=10)
        assert counts.tolist() == [n // 10] * 10
        assert ds.images.min().item() == 0.0 and ds.images.max().item() == 1.0
    # An independent decode of the test images with Python's gzip.
    raw = gzip.decompress(open(os.path.join(FASHION_ROOT, "t10k-images-idx3-ubyte.gz"), "rb").read())
    assert struct.unpack(">IIII", raw[:16]) == (0x803, 10000, 28, 28)
    np.testing.assert_array_equal(test.data.numpy(), np.frombuffer(raw, np.uint8, offset=16).reshape(10000, 28, 28))
    assert abs(train.images.mean().item() - 0.2860) < 1e-3


# ---- text --------------------------------------------------------------------------------------

def test_text_corpus_vocabulary_and_windows(tmp_path):
    text = "".join(f"the quick brown fox {i} jumps over the lazy dög\n" for i in range(50))
    corpus = wick.datasets.TextCorpus(text=text)
    assert corpus.vocab.chars == "".join(sorted(set(text)))
    assert len(corpus) == len(text) and corpus.data.dtype == wick.int64
    assert corpus.vocab.decode(corpus.data) == text
    assert corpus.decode(corpus.encode("fox")) == "fox"
    assert corpus.vocab.encode("dög").tolist() == [corpus.vocab.stoi[c] for c in "dög"]
    assert corpus.vocab.decode([0, 1]) == corpus.vocab.chars[:2]
    assert "ö" in corpus.vocab and "Z" not in corpus.vocab
    with pytest.raises(ValueError, match="'Z' \\(U\\+005A\\)"):
        corpus.vocab.encode("Z")
    train, test = corpus.split(seq_len=32, test_fraction=0.2)
    n_test = round(len(text) * 0.2)
    assert len(train) == (len(text) - n_test - 33) // 32 + 1
    assert corpus.vocab.decode(test.ids) == text[len(text) - n_test:]
    x, y = train[2]
    assert x.tolist() == corpus.data[64:96].tolist() and y.tolist() == corpus.data[65:97].tolist()
    batches = list(DataLoader(train, batch_size=8, shuffle=True))
    assert sum(b[0].shape[0] for b in batches) == len(train)
    for xb, yb in batches:
        assert xb.shape[1] == 32 and xb[:, 1:].tolist() == yb[:, :-1].tolist()
    assert corpus.split(32, test_fraction=0)[1] is None
    overlapping = wick.datasets.CharDataset(corpus.data, 10, stride=1)
    assert len(overlapping) == len(text) - 10

    (tmp_path / "book.txt").write_text("hello world\n", encoding="utf-8")
    assert wick.datasets.TextCorpus(tmp_path / "book.txt").text == "hello world\n"
    (tmp_path / "bad.txt").write_bytes(b"ok\xff")
    with pytest.raises(ValueError, match="bad.txt.*byte 2"):
        wick.datasets.TextCorpus(tmp_path / "bad.txt")
    with pytest.raises(RuntimeError, match="missing.txt"):
        wick.datasets.TextCorpus(tmp_path / "missing.txt")


@pytest.mark.skipif(not HAS_FORTUNES, reason="the fortunes package is not installed (apt-get install fortunes)")
def test_fortunes_corpus():
    corpus = wick.datasets.TextCorpus()
    assert len(corpus) > 100000 and len(corpus.vocab) > 60
    assert "\n%\n" not in corpus.text and not corpus.text.startswith("%")
    train, test = corpus.split(seq_len=100)
    assert len(train) > 8 * len(test) > 0


# ---- the graph picture -----------------------------------------------------------------------------

def mlp_graph(lib, seed=0):
    g = torch.Generator().manual_seed(seed)
    shapes = {"fc1.weight": (5, 3), "fc1.bias": (5,), "fc2.weight": (2, 5), "fc2.bias": (2,)}
    params = {k: lib.tensor(torch.rand(s, generator=g).tolist(), requires_grad=True) for k, s in shapes.items()}
    x = lib.tensor(torch.rand(4, 3, generator=g).tolist())
    h = lib.relu(lib.addmm(params["fc1.bias"], x, params["fc1.weight"].t()))
    out = lib.addmm(params["fc2.bias"], h, params["fc2.weight"].t())
    return out.sum(), params


def torch_node_names(root):
    names, stack, seen = [], [root.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        names.append(type(fn).__name__)
        stack.extend(f for f, _ in fn.next_functions)
    return sorted(names)


def test_to_dot_of_an_mlp_names_its_nodes_and_parameters():
    loss, params = mlp_graph(wick)
    dot = wick.autograd.graph.to_dot(loss, params=params)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    labels = [line.split('label="', 1)[1].split("\\n")[0].split('"')[0]
              for line in dot.splitlines() if "[label=" in line]
    ours = sorted("AccumulateGrad" if lbl in params else lbl for lbl in labels if lbl != "()")
    assert ours == torch_node_names(mlp_graph(torch)[0])
    for name, p in params.items():
        assert f"{name}\\n({', '.join(str(s) for s in p.shape)})" in dot
    assert dot.count(" -> ") == 10  # one per input that requires grad, plus the output's
    # Saved tensors: the second addmm keeps relu's output [4, 5] and fc2.weight.t() [5, 2], float32.
    assert "AddmmBackward0\\nsaved 120 B" in dot
    loss.backward()
    assert "saved 120 B" not in wick.autograd.graph.to_dot(loss, params=params)
    # params may also be (name, tensor) pairs, as named_parameters() yields them.
    assert wick.autograd.graph.to_dot(loss, params=iter(params.items())).count("fc1.weight") == 1
    with pytest.raises(TypeError, match="params"):
        wick.autograd.graph.to_dot(loss, params={"w": 3})
    with pytest.raises(TypeError, match="output"):
        wick.autograd.graph.to_dot([loss, "x"])


def test_to_dot_with_nn_modules():
    nn = pytest.importorskip("wick.nn")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    out = model(wick.randn(5, 3))
    dot = wick.autograd.graph.to_dot(out, params=dict(model.named_parameters()))
    for name, p in model.named_parameters():
        assert f"{name}\\n({', '.join(str(s) for s in p.shape)})" in dot
    assert "label=\"(5, 2)\"" in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_graphviz_renders_the_dot(tmp_path):
    loss, params = mlp_graph(wick)
    dot_file = tmp_path / "graph.dot"
    dot_file.write_text(wick.autograd.graph.to_dot(loss, params=params))
    result = subprocess.run(["dot", "-Tsvg", str(dot_file), "-o", str(tmp_path / "graph.svg")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    svg = (tmp_path / "graph.svg").read_text()
    assert "<svg" in svg and "AddmmBackward0" in svg and "fc2.weight" in svg

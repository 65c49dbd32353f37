"""DataLoader: a dataset in batches, loaded ahead of the training loop.

Note [Loading threads]
PyTorch's DataLoader loads in the main process (num_workers=0) or in worker
processes. wick's loads on threads: wick's ops release the GIL, so a thread
that gathers and stacks tensors runs alongside the training loop's kernels,
and nothing needs pickling or shared memory.

* num_workers=0 (the default): one background thread loads the batches in
  order, keeping up to ``prefetch_factor`` (default 2) ready ahead of the
  loop. ``get_worker_info()`` returns None there, as in PyTorch's main
  process, and ``worker_init_fn`` is not called.
* num_workers=N > 0: N threads load batches in parallel (useful when
  ``__getitem__`` spends its time in C++ or I/O, less for pure Python work
  that holds the GIL), up to ``prefetch_factor * N`` ahead; batches still
  come out in sampler order. Each thread calls ``worker_init_fn(worker_id)``
  first and sees its WorkerInfo. An IterableDataset is read by one thread
  (an iterator cannot be shared), which reports ``num_workers=1``, so no
  sample is duplicated.

Loading threads run with grad mode off and with one OpenMP thread, so they
do not compete with the training loop's parallel kernels for the cores. The
sampler's random order is drawn when iteration starts, on the thread that
starts it, so ``wick.manual_seed`` reproduces a run exactly. An exception
raised while loading is re-raised by the iterator at the position of the
failing batch, after the batches before it. Dropping the iterator
mid-epoch (``break`` in the loop, an exception) stops its threads.
``pin_memory=True`` warns, as PyTorch does, where CUDA is not available and
then loads unpinned batches (pinning only speeds up copies to a GPU; the
CUDA backend does not pin host memory yet, so it is a no-op there too);
``persistent_workers`` is accepted (threads are cheap to
start each epoch).
"""
import threading
import warnings

import wick
from wick.utils.data._collate import default_collate, default_convert
from wick.utils.data.dataset import IterableDataset
from wick.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


class WorkerInfo:
    """What a loading thread knows about itself (see get_worker_info)."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset!r})"


_local = threading.local()


def get_worker_info():
    """The WorkerInfo of the calling loading thread when the DataLoader has
    num_workers > 0; None elsewhere (the main thread, or the single prefetch
    thread of num_workers=0)."""
    return getattr(_local, "worker_info", None)


class DataLoader:
    """Iterates a dataset in batches: see torch.utils.data.DataLoader for the
    arguments, and Note [Loading threads] in this module for how wick loads.

    Args:
        dataset: a map-style Dataset (``__getitem__``, ``__len__``) or an IterableDataset.
        batch_size (int or None): samples per batch; None yields samples one by one
            (for an IterableDataset that yields whole batches itself).
        shuffle (bool): a new random order every epoch.
        sampler, batch_sampler: the order of the indices (map-style datasets only).
        num_workers (int): loading threads beyond the one prefetch thread of 0.
        collate_fn: makes a batch from a list of samples (default: default_collate).
        pin_memory (bool): pinned batches for faster copies to CUDA (no-op without it).
        drop_last (bool): leave out a last batch shorter than batch_size.
        timeout (float): seconds to wait for a batch before raising (0: forever).
        worker_init_fn: called as worker_init_fn(worker_id) in each of num_workers threads.
        generator (wick.Generator): the shuffle's random numbers (default: the global generator).
        prefetch_factor (int): batches loaded ahead per loading thread (default 2).
        persistent_workers (bool): accepted for compatibility.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device=""):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
            raise ValueError(f"prefetch_factor should be a positive integer, but got prefetch_factor={prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if prefetch_factor is None else prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.generator = generator

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if batch_size is not None and self._iterable:
            BatchSampler(range(0), batch_size, drop_last)  # the same checks of batch_size and drop_last

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size
        return len(self._index_sampler)

    def __iter__(self):
        return _LoaderIter(self)


class _LoadingState:
    """What the loading threads share with the iterator (never the iterator
    itself, so that dropping the iterator stops them)."""

    def __init__(self, tasks, fetch, capacity, timeout):
        self.tasks = tasks          # yields the next batch's indices (or samples); drawn under task_lock
        self.fetch = fetch          # task -> batch
        self.capacity = capacity    # batches taken but not yet consumed, at most
        self.timeout = timeout
        self.cond = threading.Condition()
        self.task_lock = threading.Lock()
        self.taken = 0              # tasks handed to threads
        self.consumed = 0           # batches handed to the loop
        self.end = None             # number of batches, once the tasks ran out
        self.results = {}           # seq -> (ok, batch or exception)
        self.stopped = False
        self.threads = []

    def work(self, worker_info, worker_init_fn):
        _local.worker_info = worker_info
        wick.set_num_threads(1)
        try:
            if worker_init_fn is not None:
                worker_init_fn(worker_info.id)
        except BaseException as e:  # noqa: B902 - handed to the consumer
            self._finish_with(e)
            return
        with wick.no_grad():
            while True:
                with self.task_lock:
                    with self.cond:
                        self.cond.wait_for(lambda: self.stopped or self.taken - self.consumed < self.capacity)
                        if self.stopped or self.end is not None:
                            return
                        seq = self.taken
                        self.taken += 1
                    try:
                        task = next(self.tasks)
                    except StopIteration:
                        with self.cond:
                            self.end = seq
                            self.cond.notify_all()
                        return
                    except BaseException as e:  # noqa: B902
                        self._put(seq, False, e, last=True)
                        return
                try:
                    self._put(seq, True, self.fetch(task))
                except BaseException as e:  # noqa: B902
                    self._put(seq, False, e, last=True)
                    return

    def _put(self, seq, ok, value, last=False):
        with self.cond:
            self.results[seq] = (ok, value)
            if last and self.end is None:
                self.end = seq + 1  # nothing after a failure
            self.cond.notify_all()

    def _finish_with(self, exc):
        with self.cond:
            if self.end is None:
                seq = self.taken
                self.taken += 1
                self.results[seq] = (False, exc)
                self.end = seq + 1
            self.cond.notify_all()

    def next(self):
        with self.cond:
            ready = self.cond.wait_for(
                lambda: self.consumed in self.results or (self.end is not None and self.consumed >= self.end),
                timeout=self.timeout if self.timeout > 0 else None)
            if not ready:
                raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds")
            if self.consumed not in self.results:
                return False, None, True
            ok, value = self.results.pop(self.consumed)
            self.consumed += 1
            self.cond.notify_all()
            return ok, value, False

    def stop(self):
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        current = threading.current_thread()
        for t in self.threads:
            if t is not current:
                t.join()


class _LoaderIter:
    def __init__(self, loader):
        self._loader = loader
        self._len = None
        if loader.pin_memory and not wick.cuda.is_available():
            warnings.warn("DataLoader: 'pin_memory' is True but CUDA is not available, so batches are not pinned "
                          "(pinned memory only speeds up copies to a GPU)", stacklevel=3)
        dataset, collate = loader.dataset, loader.collate_fn
        if loader._iterable:
            tasks = _iterable_tasks(iter(dataset), loader.batch_size, loader.drop_last)
            fetch = collate
            workers = 1
        else:
            tasks = iter(loader._index_sampler)  # starts the sampler here: Note [Loading threads]
            fetch = _map_fetch(dataset, collate, loader._auto_collation)
            workers = max(1, loader.num_workers)
        state = _LoadingState(tasks, fetch, loader.prefetch_factor * workers, loader.timeout)
        seed = int(wick.randint(0, 2 ** 62, (1,)).item()) if loader.num_workers > 0 else None
        for i in range(workers):
            info = WorkerInfo(i, workers, seed + i, dataset) if loader.num_workers > 0 else None
            init = loader.worker_init_fn if loader.num_workers > 0 else None
            t = threading.Thread(target=state.work, args=(info, init), daemon=True,
                                 name=f"wick DataLoader thread {i}")
            state.threads.append(t)
        self._state = state
        for t in state.threads:
            t.start()

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def __next__(self):
        state = self._state
        if state is None:
            raise StopIteration
        try:
            ok, value, done = state.next()
        except BaseException:
            self._shutdown()
            raise
        if done:
            self._shutdown()
            raise StopIteration
        if not ok:
            self._shutdown()
            if hasattr(value, "add_note"):
                value.add_note("(raised while loading a batch on a wick DataLoader thread)")
            raise value
        if self._loader.pin_memory:
            value = _pin(value)
        return value

    def _shutdown(self):
        state, self._state = self._state, None
        if state is not None:
            state.stop()

    def __del__(self):
        self._shutdown()


def _map_fetch(dataset, collate, auto_collation):
    if not auto_collation:
        return lambda index: collate(dataset[index])
    get_batch = getattr(dataset, "_get_batch", None)
    if callable(get_batch) and collate is default_collate:
        return lambda indices: get_batch(wick.tensor(indices, dtype=wick.int64))
    getitems = getattr(dataset, "__getitems__", None)
    if callable(getitems):
        return lambda indices: collate(getitems(indices))
    return lambda indices: collate([dataset[i] for i in indices])


def _iterable_tasks(it, batch_size, drop_last):
    if batch_size is None:
        yield from it
        return
    batch = []
    for sample in it:
        batch.append(sample)
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch and not drop_last:
        yield batch


def _pin(batch):
    if not (hasattr(wick.Tensor, "pin_memory") and wick.cuda.is_available()):
        return batch
    if isinstance(batch, wick.Tensor):
        return batch.pin_memory()
    if isinstance(batch, dict):
        return {k: _pin(v) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_pin(v) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(_pin(v) for v in batch)
    return batch

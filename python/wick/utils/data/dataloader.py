"""DataLoader: a dataset in batches, loaded ahead of the training loop.

Note [Loading processes]
As PyTorch's, wick's DataLoader loads in worker processes when num_workers > 0:
Python work in __getitem__ (decoding, augmenting, tokenising) holds the
interpreter lock, so only processes use more than one core for it.

* Each of the N workers (started with the loader's multiprocessing_context:
  the platform's default, 'fork', 'spawn' or 'forkserver') gets tasks on its
  own queue and answers on its own pipe (python/wick/utils/data/_worker.py).
  The main process keeps prefetch_factor * N tasks out, round-robin over the
  workers, and hands batches to the loop in sampler order. The sampler's
  order is drawn when iteration starts, in the main process.
* A worker collates each batch straight into shared memory and sends only
  its handle (wick.multiprocessing; Note [Shared memory] in
  core/shared_memory.cpp): a batch costs one copy, into shared memory, and
  the main process maps it.
* Seeds, as PyTorch derives them: a base seed drawn from the loader's
  generator (or the global one) when iteration starts; worker i seeds
  Python's `random` and wick with base + i, and NumPy's global generator
  (when NumPy is imported) from the same two numbers.
* Failures are told, not hung: an exception in a worker is raised again by
  the iterator with its type, the worker's id and the original traceback; a
  worker that dies (a signal, os._exit) is seen at once through its process
  sentinel and named with its pid and signal; `timeout` bounds the wait for
  each batch.
* Shutdown: the end of the epoch, `break`, an exception or dropping the
  iterator closes the pipes and joins the workers (terminating any that do
  not stop). Workers ignore Ctrl-C (the main process handles it) and end
  when the main process dies: PR_SET_PDEATHSIG where the iterator was made
  on the main thread, and a check of the parent every second otherwise.
  persistent_workers keeps the workers across epochs.

Note [Loading threads]
num_workers=0 loads on one background thread, keeping up to prefetch_factor
(default 2) batches ready ahead of the loop: wick's ops release the
interpreter lock, so a thread that gathers and stacks tensors runs alongside
the training loop's kernels. get_worker_info() returns None there, as in
PyTorch's main process, and worker_init_fn is not called.
worker_mode="thread" (a wick option) runs the N workers as threads instead of
processes: better where __getitem__ spends its time in C++ (the built-in
Fashion-MNIST and text datasets, NumPy-bound ones), as nothing is pickled.
Threads call worker_init_fn(worker_id) and see their WorkerInfo; an
IterableDataset is read by one thread (an iterator cannot be shared), which
reports num_workers=1. Loading threads run with grad mode off and one OpenMP
thread. An exception while loading is re-raised at the position of the
failing batch; dropping the iterator stops the threads.

pin_memory=True warns, as PyTorch does, where CUDA is not available and then
loads unpinned batches (pinning only speeds up copies to a GPU; the CUDA
backend does not pin host memory yet, so it is a no-op there too).
"""
import os
import signal
import threading
import time
import warnings
import weakref

import wick
from wick.utils.data import _worker
from wick.utils.data._collate import default_collate, default_convert
from wick.utils.data._worker import WorkerInfo, get_worker_info
from wick.utils.data.dataset import IterableDataset
from wick.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]

# How long shutdown waits for a worker to stop by itself before terminating it (seconds).
_JOIN_TIMEOUT = 2.0


def _base_seed(generator):
    """The workers' base seed, drawn from the loader's generator (or the global one) when iteration
    starts, before the sampler draws its order: PyTorch's order of draws, in every mode, so that a seeded
    loader gives the same order with any num_workers."""
    return wick.empty((), dtype=wick.int64).random_(generator=generator).item()


def _warn_if_cannot_pin(loader):
    if loader.pin_memory and not wick.cuda.is_available():
        warnings.warn("DataLoader: 'pin_memory' is True but CUDA is not available, so batches are not pinned "
                      "(pinned memory only speeds up copies to a GPU)", stacklevel=4)


def _warn_if_more_workers_than_cores(num_workers):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cores and num_workers > cores:
        warnings.warn(f"This DataLoader will create {num_workers} worker processes, more than the {cores} CPU cores "
                      f"this process may run on: the extra workers only compete with each other and with the "
                      f"training loop (and use memory); consider num_workers={cores} or fewer", stacklevel=4)


def _start_context(mp_context):
    """The multiprocessing context DataLoader workers start with."""
    import multiprocessing  # here: importing it costs ~20 ms, which `import wick` should not pay
    if mp_context is None:
        return multiprocessing.get_context()
    if isinstance(mp_context, str):
        methods = multiprocessing.get_all_start_methods()
        if mp_context not in methods:
            raise ValueError(f"multiprocessing_context option should specify a valid start method in {methods!r}, "
                             f"but got multiprocessing_context={mp_context!r}")
        return multiprocessing.get_context(mp_context)
    if not isinstance(mp_context, multiprocessing.context.BaseContext):
        raise TypeError(f"multiprocessing_context option should be a valid context object or a string specifying "
                        f"the start method, but got multiprocessing_context={mp_context!r}")
    return mp_context


class DataLoader:
    """Iterates a dataset in batches: see torch.utils.data.DataLoader for the
    arguments, and Note [Loading processes] in this module for how wick loads.

    Args:
        dataset: a map-style Dataset (``__getitem__``, ``__len__``) or an IterableDataset.
        batch_size (int or None): samples per batch; None yields samples one by one
            (for an IterableDataset that yields whole batches itself).
        shuffle (bool): a new random order every epoch.
        sampler, batch_sampler: the order of the indices (map-style datasets only).
        num_workers (int): worker processes (0: one loading thread in this process).
        collate_fn: makes a batch from a list of samples (default: default_collate).
        pin_memory (bool): pinned batches for faster copies to CUDA (no-op without it).
        drop_last (bool): leave out a last batch shorter than batch_size.
        timeout (float): seconds to wait for a batch before raising (0: forever).
        worker_init_fn: called as worker_init_fn(worker_id) in each worker.
        multiprocessing_context: how workers start: 'fork', 'spawn', 'forkserver' or a context.
        generator (wick.Generator): the shuffle's random numbers and the workers' base seed
            (default: the global generator).
        prefetch_factor (int): batches loaded ahead per worker (default 2).
        persistent_workers (bool): keep the workers from one epoch to the next.
        worker_mode (str): "process" (default) or "thread": wick's option to load with N
            threads instead (Note [Loading threads]).
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", worker_mode="process"):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
            raise ValueError(f"prefetch_factor should be a positive integer, but got prefetch_factor={prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if worker_mode not in ("process", "thread"):
            raise ValueError(f"worker_mode should be 'process' or 'thread', but got worker_mode={worker_mode!r}")
        if multiprocessing_context is not None:
            if num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={num_workers}")
            _start_context(multiprocessing_context)  # checks it

        self.dataset = dataset
        self.num_workers = num_workers
        self.worker_mode = worker_mode
        self.prefetch_factor = 2 if prefetch_factor is None else prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.generator = generator
        self._iterator = None  # persistent workers: the one iterator, reset each epoch
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
        if self.num_workers == 0 or self.worker_mode == "thread":
            return _ThreadLoaderIter(self)
        if not self.persistent_workers:
            return _ProcessLoaderIter(self)
        if self._iterator is None:
            self._iterator = _ProcessLoaderIter(self)
        else:
            self._iterator._reset()
        return self._iterator


class _ProcessLoaderIter:
    """Batches from worker processes, in sampler order (Note [Loading processes])."""

    def __init__(self, loader):
        self._shut = True  # until the workers exist, there is nothing to shut down
        import wick.multiprocessing as wmp

        _warn_if_cannot_pin(loader)
        self._loader = weakref.ref(loader)
        self._iterable = loader._iterable
        self._index_sampler = loader._index_sampler
        self._pin = loader.pin_memory
        self._timeout = loader.timeout
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._strategy = wmp.get_sharing_strategy()
        _warn_if_more_workers_than_cores(loader.num_workers)
        ctx = _start_context(loader.multiprocessing_context)
        base_seed = _base_seed(loader.generator)
        on_main_thread = threading.current_thread() is threading.main_thread()
        n = loader.num_workers
        self._workers, self._tasks, self._results = [], [], []
        self._shut = False
        try:
            for i in range(n):
                tasks = ctx.Queue()
                results, results_in_worker = ctx.Pipe(duplex=False)
                w = ctx.Process(
                    target=_worker.worker_loop, name=f"wick DataLoader worker {i}", daemon=True,
                    args=(loader._iterable, loader.dataset, tasks, results_in_worker, loader._auto_collation,
                          loader.collate_fn, loader.batch_size, loader.drop_last, base_seed, loader.worker_init_fn,
                          i, n, self._strategy, on_main_thread, os.getpid()))
                w.start()
                results_in_worker.close()
                self._workers.append(w)
                self._tasks.append(tasks)
                self._results.append(results)
        except BaseException:
            self._shutdown()
            raise
        self._epoch = 0
        self._start_epoch()

    def __iter__(self):
        return self

    def __len__(self):
        loader = self._loader()
        if loader is None:
            raise TypeError("the DataLoader of this iterator is gone")
        return len(loader)

    def _start_epoch(self):
        n = len(self._workers)
        self._sampler_iter = None if self._iterable else iter(self._index_sampler)  # the order, drawn here
        self._sampler_done = False
        self._active = [True] * n
        self._next_worker = 0
        self._send_idx = 0     # tasks handed out
        self._rcvd_idx = 0     # batches handed to the loop
        self._buffer = {}      # idx -> a result that came early
        for _ in range(self._prefetch):
            self._put_task()

    def _put_task(self):
        if self._sampler_done:
            return
        n = len(self._workers)
        for _ in range(n):
            w = self._next_worker
            self._next_worker = (w + 1) % n
            if self._active[w]:
                break
        else:
            return  # every worker's IterableDataset is exhausted
        if self._iterable:
            indices = None
        else:
            try:
                indices = next(self._sampler_iter)
            except StopIteration:
                self._sampler_done = True
                return
        self._tasks[w].put((self._send_idx, indices))
        self._send_idx += 1

    def __next__(self):
        if self._shut:
            raise StopIteration
        try:
            data = self._next_batch()
        except StopIteration:
            if not self._persistent():
                self._shutdown()
            raise
        # After a timeout or an exception raised in a worker the iterator stays usable, as PyTorch's: the
        # next call waits for the late batch or goes on after the failed one. A dead worker shuts it down.
        if self._pin:
            data = _pin(data)
        return data

    def _persistent(self):
        loader = self._loader()
        return loader is not None and loader._iterator is self

    def _next_batch(self):
        while True:
            if self._rcvd_idx == self._send_idx:
                raise StopIteration  # nothing out: the sampler or every worker's dataset is exhausted
            if self._rcvd_idx not in self._buffer:
                self._receive()
                continue
            data = self._buffer.pop(self._rcvd_idx)
            self._rcvd_idx += 1
            if isinstance(data, _worker.IterableEnd):
                self._active[data.worker_id] = False
            self._put_task()
            if isinstance(data, _worker.IterableEnd):
                continue
            if isinstance(data, _worker.ExceptionWrapper):
                data.reraise()
            return data

    def _receive(self):
        """Waits for results (at least one), storing them in the buffer; raises when a worker died or the
        wait for the batch exceeds the loader's timeout."""
        deadline = None if not self._timeout else time.monotonic() + self._timeout
        from multiprocessing.connection import wait
        pipes = {c: i for i, c in enumerate(self._results)}
        sentinels = {w.sentinel: i for i, w in enumerate(self._workers)}
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait(list(pipes) + list(sentinels), timeout=left)
            if not ready:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            received = False
            for r in ready:
                if r in pipes:
                    received |= self._receive_from(pipes[r])
            if received:
                return
            for r in ready:
                if r in sentinels and not self._results[sentinels[r]].poll():
                    self._raise_worker_died(sentinels[r])

    def _receive_from(self, i):
        """Reads one message of worker i into the buffer; False if it was not a batch."""
        from wick.multiprocessing.reductions import _receiving
        _receiving.keep_fds = False  # Note [Shared memory]: batches hold no descriptors
        try:
            message = self._results[i].recv()
        except EOFError:
            self._raise_worker_died(i)  # its end of the pipe closed: it exited
        except Exception as e:  # noqa: BLE001 - e.g. a batch whose memory could not be fetched
            # A worker that died right after sending a batch took the batch's descriptors with it; its exit
            # may take a moment to become visible.
            self._workers[i].join(timeout=1.0)
            if not self._workers[i].is_alive():
                self._raise_worker_died(i, e)
            raise
        finally:
            _receiving.keep_fds = True
        if isinstance(message, _worker.ResumeIteration):
            return False  # an old epoch's acknowledgement: _reset consumes the current one
        idx, data = message
        self._buffer[idx] = data
        return True

    def _raise_worker_died(self, i, cause=None):
        w = self._workers[i]
        w.join(timeout=_JOIN_TIMEOUT)
        code = w.exitcode
        if code is not None and code < 0:
            how = f"is killed by signal: {signal.strsignal(-code) or signal.Signals(-code).name}"
            if -code == signal.SIGBUS:
                how += " (out of shared memory? see `df /dev/shm`)"
        else:
            how = f"exited unexpectedly with exit code {code}"
        self._shutdown()
        raise RuntimeError(f"DataLoader worker {i} (pid {w.pid}) {how}") from cause

    def _reset(self):
        """Starts a new epoch on persistent workers: each worker drops its old iterator and acknowledges;
        results of the previous epoch still on the way are dropped."""
        if self._shut:
            raise RuntimeError("the DataLoader's workers were shut down (an error ended the previous epoch)")
        from multiprocessing.connection import wait
        self._epoch += 1
        for tasks in self._tasks:
            tasks.put(_worker.ResumeIteration(self._epoch))
        try:
            for i, results in enumerate(self._results):
                while True:
                    ready = wait([results, self._workers[i].sentinel])
                    if results not in ready:
                        self._raise_worker_died(i)
                    message = results.recv()
                    if isinstance(message, _worker.ResumeIteration) and message.epoch == self._epoch:
                        break
        except BaseException:
            self._shutdown()
            raise
        self._start_epoch()

    def _shutdown(self):
        if self._shut:
            return
        self._shut = True
        # Closing the result pipes first makes a worker blocked on sending a batch stop (a broken pipe).
        for results in self._results:
            results.close()
        for tasks in self._tasks:
            try:
                tasks.put(None)
            except (OSError, ValueError):
                pass
            tasks.cancel_join_thread()
            tasks.close()
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for w in self._workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
        for w in self._workers:
            if w.is_alive():
                w.terminate()
                w.join(timeout=_JOIN_TIMEOUT)
                if w.is_alive():
                    w.kill()
                    w.join()
        if self._strategy == "file_system":
            from wick.multiprocessing import remove_shared_files_of
            for w in self._workers:
                remove_shared_files_of(w.pid)
        self._buffer = {}

    def __del__(self):
        try:
            self._shutdown()
        except Exception:  # noqa: BLE001 - at interpreter exit, modules may already be gone
            pass


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
        _worker._thread_worker_info.value = worker_info
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


class _ThreadLoaderIter:
    def __init__(self, loader):
        self._loader = loader
        _warn_if_cannot_pin(loader)
        dataset, collate = loader.dataset, loader.collate_fn
        seed = _base_seed(loader.generator)
        if loader._iterable:
            tasks = _iterable_tasks(iter(dataset), loader.batch_size, loader.drop_last)
            fetch = collate
            workers = 1
        else:
            tasks = iter(loader._index_sampler)  # starts the sampler here: Note [Loading threads]
            fetch = _map_fetch(dataset, collate, loader._auto_collation)
            workers = max(1, loader.num_workers)
        state = _LoadingState(tasks, fetch, loader.prefetch_factor * workers, loader.timeout)
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

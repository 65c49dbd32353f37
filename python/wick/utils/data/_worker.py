"""What runs in a DataLoader worker process: Note [Loading processes] in dataloader.py.

A worker reads tasks from its own queue — (index, indices) for a map-style dataset, (index, None) for "the
next batch" of an IterableDataset — and answers each on its own result pipe with (index, batch), where the
batch was collated straight into shared memory (wick.multiprocessing sends only its handle). A failure is
answered with an ExceptionWrapper; the end of an IterableDataset with IterableEnd. None, or the main
process closing the result pipe, ends the worker; so does the main process dying.
"""
import os
import queue
import random
import signal
import sys
import threading
import traceback

__all__ = ["WorkerInfo", "get_worker_info"]

# How often a waiting worker checks that the main process is still there (seconds).
_STATUS_CHECK_INTERVAL = 1.0


class WorkerInfo:
    """What a loading worker knows about itself (see get_worker_info): id, num_workers, seed, dataset
    (the worker's own copy of the dataset)."""

    __slots__ = ("id", "num_workers", "seed", "dataset", "_frozen")

    def __init__(self, id, num_workers, seed, dataset):
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset
        self._frozen = True

    def __setattr__(self, key, value):
        if getattr(self, "_frozen", False):
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, value)

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset!r})"


_process_worker_info = None  # set in a worker process
_thread_worker_info = threading.local()  # set on a loading thread (worker_mode="thread")


def get_worker_info():
    """The WorkerInfo of the calling DataLoader worker (process or thread); None in the main process."""
    return getattr(_thread_worker_info, "value", None) or _process_worker_info


def in_worker_process():
    return _process_worker_info is not None


class IterableEnd:
    """A worker's answer once its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class ResumeIteration:
    """Sent to persistent workers at the start of each epoch after the first; echoed back once the worker
    has dropped its old iterator, so the main process knows what follows belongs to the new epoch."""

    def __init__(self, epoch):
        self.epoch = epoch


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback as text."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            message = _KeyErrorMessage(message)  # KeyError would show the repr: escaped newlines
        try:
            exception = self.exc_type(message)
        except Exception:  # noqa: BLE001 - an exception class that needs other arguments
            raise RuntimeError(message) from None
        raise exception

    def __reduce__(self):
        # The class travels by reference; one that cannot be found on the other side (defined in a
        # function) is sent as RuntimeError instead of failing the send.
        exc_type = self.exc_type
        try:
            import pickle
            pickle.dumps(exc_type)
        except Exception:  # noqa: BLE001
            exc_type = RuntimeError
        return _rebuild_wrapper, (exc_type, self.exc_msg, self.where)


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


def _rebuild_wrapper(exc_type, exc_msg, where):
    w = ExceptionWrapper.__new__(ExceptionWrapper)
    w.exc_type, w.exc_msg, w.where = exc_type, exc_msg, where
    return w


def numpy_seed(base_seed, worker_id):
    """The four 32-bit words NumPy's global RNG of worker `worker_id` is seeded with: PyTorch's derivation
    (NumPy's SeedSequence hashing of [worker_id, base_seed's two 32-bit halves, 0]), so that workers draw
    different NumPy numbers and a seeded run repeats."""
    mask = 0xFFFFFFFF

    class Hasher:
        def __init__(self, init, mult):
            self.const, self.mult = init, mult

        def __call__(self, value):
            value = (value ^ self.const) & mask
            self.const = (self.const * self.mult) & mask
            value = (value * self.const) & mask
            return (value ^ (value >> 16)) & mask

    def mix(x, y):
        r = ((0xCA01F9DD * x) - (0x4973F715 * y)) & mask
        return (r ^ (r >> 16)) & mask

    hash_a = Hasher(0x43B0D7E5, 0x931E8875)
    pool = [hash_a(v) for v in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hash_a(pool[src]))
    hash_b = Hasher(0x8B51F9DD, 0x58F38DED)
    return [hash_b(v) for v in pool]


def _die_with_parent():
    """Asks Linux to kill this worker when the process that started it dies (a killed training script
    leaves no worker behind, even one busy in __getitem__)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # the parent-alive check in the loop still ends the worker


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, batch_size, drop_last):
        self.it = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.batch_size = batch_size
        self.drop_last = drop_last

    def fetch(self, _):
        if not self.auto_collation:
            return self.collate_fn(next(self.it))
        batch = []
        for sample in self.it:
            batch.append(sample)
            if len(batch) == self.batch_size:
                break
        if not batch or (self.drop_last and len(batch) < self.batch_size):
            raise StopIteration
        return self.collate_fn(batch)


def worker_loop(iterable, dataset, tasks, results, auto_collation, collate_fn, batch_size, drop_last, base_seed,
                init_fn, worker_id, num_workers, sharing_strategy, die_with_parent, main_pid):
    """The body of worker process `worker_id` (see the module's docstring). With die_with_parent (the
    iterator was made on the main thread) Linux kills the worker when the main process dies; a parent
    death signal would also fire when a thread that started the worker ends, so other threads rely on
    the check of the parent the loop makes every second."""
    global _process_worker_info
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    if die_with_parent and os.getppid() == main_pid:  # not under a fork server, whose child it is
        _die_with_parent()
    if not _alive(main_pid):
        return  # the main process died before the worker got here
    import wick
    import wick.multiprocessing
    wick.multiprocessing.set_sharing_strategy(sharing_strategy)
    wick.multiprocessing.reductions.wait_at_exit = False  # Note [A sender that exits]
    wick.set_num_threads(1)
    seed = base_seed + worker_id
    random.seed(seed)
    wick.manual_seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(numpy_seed(base_seed, worker_id))
    _process_worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)

    where = f"in DataLoader worker process {worker_id}"
    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except Exception:  # noqa: BLE001 - re-raised by the main process at the first batch
        init_error = ExceptionWrapper(sys.exc_info(), where)

    def new_fetch():
        if iterable:
            return _IterableFetcher(dataset, auto_collation, collate_fn, batch_size, drop_last).fetch
        from wick.utils.data.dataloader import _map_fetch
        return _map_fetch(dataset, collate_fn, auto_collation)

    fetch = None
    exhausted = False
    try:
        with wick.no_grad():
            while True:
                try:
                    task = tasks.get(timeout=_STATUS_CHECK_INTERVAL)
                except queue.Empty:
                    if not _alive(main_pid):
                        return
                    continue
                if task is None:
                    return
                if isinstance(task, ResumeIteration):
                    fetch, exhausted = None, False
                    results.send(task)
                    continue
                index, indices = task
                if init_error is not None:
                    data, init_error = init_error, None
                elif exhausted:
                    data = IterableEnd(worker_id)
                else:
                    try:
                        if fetch is None:
                            fetch = new_fetch()
                        data = fetch(indices)
                    except StopIteration:
                        exhausted = True
                        data = IterableEnd(worker_id)
                    except Exception:  # noqa: BLE001 - re-raised by the main process
                        data = ExceptionWrapper(sys.exc_info(), where)
                try:
                    results.send((index, data))
                except (BrokenPipeError, ConnectionError):
                    return  # the main process stopped listening
                except Exception:  # noqa: BLE001 - the batch cannot be sent (e.g. cannot be pickled)
                    results.send((index, ExceptionWrapper(sys.exc_info(), where + " while sending a batch")))
                del data
    except (EOFError, BrokenPipeError, ConnectionError, KeyboardInterrupt):
        return  # the main process closed the pipes: shutting down

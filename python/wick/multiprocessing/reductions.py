"""How wick tensors cross process boundaries: through shared memory, never as pickled bytes.

Registered with multiprocessing's ForkingPickler when wick.multiprocessing is imported (as PyTorch's
torch.multiprocessing does), so every Queue, Pipe, Connection and Process argument of Python's
multiprocessing sends a CPU tensor as a handle to its storage (Note [Shared memory] in
core/shared_memory.cpp):

* the sender's storage moves into shared memory in place (x.is_shared() becomes True; tensors that view
  it follow it), once: sending it again sends the same memory;
* the receiver maps the same memory: writes on either side are seen by both; every tensor of one message
  over one storage arrives over one storage (views stay views of each other);
* a tensor keeps its type (nn.Parameter stays one), geometry, requires_grad and Python attributes; a
  non-leaf that requires grad is refused (autograd graphs do not cross processes).

Strategies: 'file_descriptor' (default) passes the storage's memory file descriptor over a Unix socket
(multiprocessing's resource sharer: the receiver fetches it from the sending process when it unpickles
the message); 'file_system' passes the name of a file in /dev/shm, reference-counted across processes.

Note [A sender that exits]
With 'file_descriptor', a process that puts a tensor on a queue and exits at once (the usual shape of a
child that returns a result) would take the descriptor with it before the receiver fetched it; PyTorch
then fails in the receiver ("Connection refused"). wick's sending process instead waits at exit, up to
EXIT_WAIT seconds, until every descriptor it sent has been fetched. DataLoader workers do not wait: at
their shutdown nobody will read what they still had on the way.
"""
import multiprocessing
import multiprocessing.util
import os
import threading
import time
import weakref
from multiprocessing.reduction import ForkingPickler

from wick import _C
from wick._pickling import _as_type

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies", "init_reductions"]

_ALL_STRATEGIES = frozenset({"file_descriptor", "file_system"})
_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy):
    """Sets how tensors sent to other processes are found there: 'file_descriptor' or 'file_system'."""
    global _strategy
    if new_strategy not in _ALL_STRATEGIES:
        raise ValueError(f"sharing strategy must be one of {sorted(_ALL_STRATEGIES)}, got {new_strategy!r}")
    _strategy = new_strategy


def get_sharing_strategy():
    """The current sharing strategy ('file_descriptor' by default)."""
    return _strategy


def get_all_sharing_strategies():
    """The sharing strategies this platform supports."""
    return set(_ALL_STRATEGIES)


# The storages this process has received, by what identifies their memory ((device, inode) of the
# memory file, or the segment's name): the last tensor rebuilt over each, weakly, so that the tensors of
# one message (or of several) over one storage share it here too.
_received = weakref.WeakValueDictionary()
_received_lock = threading.Lock()
# receiving.keep_fds = False on a thread: storages received there close their descriptors once mapped (the
# DataLoader's batches: Note [Shared memory] in core/shared_memory.cpp).
_receiving = threading.local()


def _rebuild_shared_tensor(cls, strategy, where, nbytes, dtype, shape, stride, offset, requires_grad, state):
    with _received_lock:
        if strategy == "file_descriptor":
            fd = where.detach()
            info = os.fstat(fd)
            key = ("fd", info.st_dev, info.st_ino)
            base = _received.get(key)
            if base is None:
                base = _C._storage_from_shared_fd(fd, nbytes, getattr(_receiving, "keep_fds", True))
            else:
                os.close(fd)
        elif strategy == "file_system":
            key = ("name", where)
            base = _received.get(key)
            if base is None:
                base = _C._storage_from_shared_name(where, nbytes)  # takes over the sender's reservation
            else:
                _C._release_shared_name(where)
        else:
            raise ValueError(f"cannot rebuild a tensor shared by unknown strategy {strategy!r}")
        t = _C._tensor_on_storage(base, dtype, shape, stride, offset)
        _received[key] = t
    if requires_grad:
        t.requires_grad_()
    return _as_type(t, cls, state)


EXIT_WAIT = 10.0  # seconds: Note [A sender that exits]
wait_at_exit = True
_exit_wait_registered_in = None  # the pid that registered it (a forked child starts without finalizers)


def _wait_for_receivers():
    if not wait_at_exit:
        return
    from multiprocessing import resource_sharer
    sharer = resource_sharer._resource_sharer
    deadline = time.monotonic() + EXIT_WAIT
    while sharer._cache and time.monotonic() < deadline:
        time.sleep(0.002)


def _send_fd(fd):
    global _exit_wait_registered_in
    if multiprocessing.context.get_spawning_popen() is None and _exit_wait_registered_in != os.getpid():
        # Runs after the queues' feeder threads have flushed (their exit priority is -5).
        multiprocessing.util.Finalize(None, _wait_for_receivers, exitpriority=-10)
        _exit_wait_registered_in = os.getpid()
    return multiprocessing.reduction.DupFd(fd)


def _reduce_tensor(t):
    if t.requires_grad and not t.is_leaf:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not support "
            "crossing process boundaries. If you just want to transfer the data, call detach() on the tensor "
            "before serializing (e.g., putting it on the queue).")
    if t.device.type != "cpu":
        raise NotImplementedError(
            f"wick.multiprocessing: sending a {t.device.type} tensor to another process is not supported yet "
            "(CUDA IPC handles are not implemented); send t.cpu() instead")
    _C._share_memory_(t, _strategy)
    strategy, where, nbytes = _C._shared_memory_handle(t)
    if strategy == "file_descriptor":
        where = _send_fd(where)
    state = getattr(t, "__dict__", None) or None
    return (_rebuild_shared_tensor, (type(t), strategy, where, nbytes, t.dtype, tuple(t.shape), t.stride(),
                                     t.storage_offset(), t.requires_grad, dict(state) if state else None))


def init_reductions():
    """Registers the shared-memory reduction for wick.Tensor and wick's tensor subclasses with
    multiprocessing's pickler (done on import of wick.multiprocessing; registering again changes nothing).
    A user-defined subclass pickles as bytes unless registered with
    ``ForkingPickler.register(cls, reductions._reduce_tensor)``."""
    import wick
    from wick.nn.parameter import Parameter

    for cls in (wick.Tensor, Parameter):
        ForkingPickler.register(cls, _reduce_tensor)

"""wick.multiprocessing: Python's multiprocessing, with wick tensors sent through shared memory
(PyTorch's torch.multiprocessing).

Everything of ``multiprocessing`` is here (Process, Queue, Pipe, get_context, ...); importing this module
registers the reductions of wick.multiprocessing.reductions, which make CPU tensors travel as handles to
shared memory rather than as pickled bytes (Note [Shared memory] in core/shared_memory.cpp). Sharing
strategies: ``set_sharing_strategy('file_descriptor' | 'file_system')``. ``spawn`` runs a function in N
processes. ``Tensor.share_memory_()`` and ``nn.Module.share_memory()`` move storages into shared memory
ahead of time (for Hogwild-style training, where children update one model in place).
"""
import multiprocessing
import os
from multiprocessing import *  # noqa: F401,F403

from wick.multiprocessing.reductions import (get_all_sharing_strategies, get_sharing_strategy,  # noqa: F401
                                             init_reductions, set_sharing_strategy)
from wick.multiprocessing.spawn import (ProcessContext, ProcessExitedException, ProcessException,  # noqa: F401
                                        ProcessRaisedException, spawn, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies", "spawn",
           "start_processes", "ProcessContext", "ProcessException", "ProcessRaisedException",
           "ProcessExitedException", "remove_shared_files_of"]
__all__ += multiprocessing.__all__

init_reductions()


def remove_shared_files_of(pid):
    """Removes the names of the 'file_system' segments process `pid` made (files /dev/shm/wick_<pid>_*).

    Memory that processes have mapped stays theirs until they let go; only the names go, so a message
    still in transit from that process can no longer be received. For a process that was killed before
    its messages were read; the DataLoader does this for its workers once they have exited."""
    prefix = f"wick_{int(pid)}_"
    try:
        names = os.listdir("/dev/shm")
    except OSError:
        return
    for name in names:
        if name.startswith(prefix):
            try:
                os.unlink(os.path.join("/dev/shm", name))
            except OSError:
                pass


"""wick.distributed: multi-process training (issue 19).

What exists today is the launcher, ``python -m wick.distributed.run`` (torchrun's
command line and environment contract: RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR,
MASTER_PORT...; see wick/distributed/run.py). It starts and supervises the ranks
of a job; the ranks themselves cannot talk to each other through wick yet.

Not built yet: process groups (``init_process_group`` on Gloo or NCCL),
collectives (``all_reduce``, ``broadcast``...) and ``DistributedDataParallel``.
No stand-ins for them are defined here, so a program that needs them fails at
the name, and ``is_available()`` says so up front.
"""

__all__ = ["is_available"]


def is_available():
    """False: wick cannot make process groups yet (issue 19).

    PyTorch's ``torch.distributed.is_available()`` is True when the package
    was built with process-group support; programs check it before calling
    ``init_process_group``, so False is the honest answer until wick has them.
    """
    return False

#!/usr/bin/env python3
"""DataLoader worker processes leave nothing behind (issue 22's shutdown target).

Abandons N loaders mid-epoch (a `break` after a random number of batches, alternating the sharing
strategies 'file_descriptor' and 'file_system', and the start methods 'fork' and 'forkserver'), then
checks that no worker process, no /dev/shm/wick_* file and no file descriptor is left. Then kills a
worker with SIGKILL in the middle of an epoch, K times, and checks that each epoch ends with an error
naming the worker within the loader's timeout.

    build/venv/bin/python scripts/loader_shutdown.py [--loaders 1000] [--kills 20]

tests/python/test_dataloader_workers.py runs a short form (check(loaders=16, kills=2)).
"""
import argparse
import gc
import os
import random
import signal
import sys
import time

import wick
import wick.multiprocessing as wmp
from wick.utils.data import DataLoader, Dataset


class Images(Dataset):
    """Fashion-MNIST-sized samples made in Python: each batch is 64x1x28x28 float32 in shared memory."""

    def __len__(self):
        return 64 * 40

    def __getitem__(self, i):
        return wick.full((1, 28, 28), float(i)), i


class KillsAWorker(Dataset):
    """The worker that loads item `victim` kills itself with SIGKILL."""

    def __init__(self, victim):
        self.victim = victim

    def __len__(self):
        return 64

    def __getitem__(self, i):
        if i == self.victim:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


def children():
    me = str(os.getpid())
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:  # the parent pid
                found.append(int(pid))
    return found


def shm_files():
    return {n for n in os.listdir("/dev/shm") if n.startswith("wick_")}


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def check(loaders=1000, kills=20, seed=0, report=print):
    """Runs the two checks; raises AssertionError on anything left behind. Returns what it measured."""
    rng = random.Random(seed)
    gc.collect()
    shm_before, fds_before, children_before = shm_files(), fd_count(), set(children())
    start = time.monotonic()
    batches = 0
    for n in range(loaders):
        strategy = ("file_descriptor", "file_system")[n % 2]
        method = ("fork", "forkserver")[(n // 2) % 2]
        wmp.set_sharing_strategy(strategy)
        stop = rng.randrange(0, 8)
        for i, (x, y) in enumerate(DataLoader(Images(), batch_size=64, num_workers=2,
                                              multiprocessing_context=method)):
            assert x.shape == (64, 1, 28, 28) and x.is_shared()
            batches += 1
            if i == stop:
                break
    wmp.set_sharing_strategy("file_descriptor")
    gc.collect()
    abandoned_s = time.monotonic() - start
    left = {"processes": workers_left(children_before), "shm_files": sorted(shm_files() - shm_before),
            "descriptors": fd_count() - fds_before}
    report(f"{loaders} loaders abandoned mid-epoch ({batches} batches taken) in {abandoned_s:.1f} s: "
           f"left behind: {len(left['processes'])} processes, {len(left['shm_files'])} shared-memory files, "
           f"{left['descriptors']} descriptors")
    # (A descriptor or two may be multiprocessing's own, opened once: the fork server's socket.)
    assert not left["processes"] and not left["shm_files"] and left["descriptors"] <= 2, left

    worst = 0.0
    timeout = 5.0
    for k in range(kills):
        victim = rng.randrange(8, 56)
        t0 = time.monotonic()
        try:
            for _ in DataLoader(KillsAWorker(victim), batch_size=4, num_workers=2, timeout=timeout):
                pass
        except RuntimeError as e:
            assert "DataLoader worker" in str(e) and "killed by signal" in str(e), e
        else:
            raise AssertionError("the epoch ended without an error although a worker was killed")
        worst = max(worst, time.monotonic() - t0)
    gc.collect()
    report(f"{kills} epochs with a worker killed by SIGKILL: each raised naming the worker; slowest "
           f"{worst:.2f} s from the epoch's start (timeout {timeout} s)")
    assert worst < timeout
    assert not workers_left(children_before)
    return {"abandoned_s": abandoned_s, "batches": batches, "kill_worst_s": worst}


def workers_left(children_before):
    """Child processes that were not there before, other than multiprocessing's own helpers (the fork
    server and the resource tracker, which live as long as this process once started)."""
    def helper(pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            return True  # gone meanwhile
        return b"forkserver" in cmdline or b"resource_tracker" in cmdline

    return [p for p in children() if p not in children_before and not helper(p)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loaders", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    print(f"CPU: {cpu}, {os.cpu_count()} logical CPUs; Python {sys.version.split()[0]}")
    check(args.loaders, args.kills, args.seed)
    print("ok")


if __name__ == "__main__":
    main()

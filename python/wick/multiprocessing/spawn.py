"""wick.multiprocessing.spawn: run a function in N processes and join them, failing fast
(PyTorch's torch.multiprocessing.spawn).

Each child runs fn(i, *args). A child that raises has its traceback sent back and re-raised in the parent
as ProcessRaisedException; a child that exits with a nonzero code or is killed by a signal gives
ProcessExitedException. Either way the other children are terminated first.
"""
import multiprocessing
import multiprocessing.connection
import signal
import sys
import traceback

__all__ = ["spawn", "start_processes", "ProcessContext", "ProcessException", "ProcessRaisedException",
           "ProcessExitedException"]


class ProcessException(Exception):
    __slots__ = ["error_index", "error_pid"]

    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised an exception; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a nonzero code or was killed by a signal."""

    __slots__ = ["exit_code", "signal_name"]

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _wrap(fn, i, args, error_conn):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent sees SIGINT too and stops everyone
    except BaseException:  # noqa: B902 - every failure goes back to the parent
        error_conn.send(traceback.format_exc())
        error_conn.close()
        sys.exit(1)


class ProcessContext:
    """The processes start_processes started, and their error channels."""

    def __init__(self, processes, error_conns):
        self.processes = processes
        self.error_conns = error_conns
        self._sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [int(p.pid) for p in self.processes]

    def join(self, timeout=None):
        """Waits for the processes; True once all exited cleanly, False on timeout. The first failure
        terminates the others and raises ProcessRaisedException or ProcessExitedException."""
        if not self._sentinels:
            return True
        ready = multiprocessing.connection.wait(self._sentinels.keys(), timeout=timeout)
        failed = None
        for sentinel in ready:
            i = self._sentinels.pop(sentinel)
            self.processes[i].join()
            if self.processes[i].exitcode != 0 and failed is None:
                failed = i
        if failed is None:
            return not self._sentinels
        for p in self.processes:
            if p.is_alive():
                p.terminate()
            p.join()
        process = self.processes[failed]
        conn = self.error_conns[failed]
        text = None
        if conn.poll():
            try:
                text = conn.recv()
            except EOFError:  # the child died without sending anything
                pass
        if text is not None:
            raise ProcessRaisedException(f"\n\n-- Process {failed} terminated with the following error:\n{text}",
                                         failed, process.pid)
        code = process.exitcode
        if code < 0:
            name = signal.Signals(-code).name
            raise ProcessExitedException(f"process {failed} terminated with signal {name}", failed, process.pid,
                                         code, name)
        raise ProcessExitedException(f"process {failed} terminated with exit code {code}", failed, process.pid, code)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Starts nprocs processes running fn(i, *args) with the given start method; joins them when join is
    True, else returns their ProcessContext."""
    import wick.multiprocessing  # noqa: F401 - tensors in args travel through shared memory

    ctx = multiprocessing.get_context(start_method)
    processes, error_conns = [], []
    for i in range(nprocs):
        receive, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_wrap, args=(fn, i, args, send), daemon=daemon)
        p.start()
        send.close()
        processes.append(p)
        error_conns.append(receive)
    context = ProcessContext(processes, error_conns)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Runs fn(i, *args) for i in range(nprocs) in new processes (the 'spawn' start method by default)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)

"""python -m wick.distributed.run: starts the ranks of a multi-process job (issue 19).

    python -m wick.distributed.run --nproc-per-node N [--nnodes M --node-rank R
        --master-addr A --master-port P] script.py [script args...]
    python -m wick.distributed.run --nproc-per-node N -m package.module [args...]

The command line and the environment follow PyTorch's torchrun (both the
``--nproc-per-node`` and ``--nproc_per_node`` spellings work), so a launch line
written for torchrun runs here with ``torchrun`` replaced by
``python -m wick.distributed.run``.

The contract
------------
On this node the launcher starts N processes, ``python -u script.py args...``
(``python -u -m module args...`` with ``-m``; the script itself with
``--no-python``; the interpreter is ``$PYTHON_EXEC`` if set, else the launcher's),
each with its environment plus:

    RANK              node_rank * N + local_rank, in [0, WORLD_SIZE)
    LOCAL_RANK        the rank on this node, in [0, N)
    WORLD_SIZE        M * N              LOCAL_WORLD_SIZE   N
    GROUP_RANK        R (the node rank)  GROUP_WORLD_SIZE   M
    ROLE_RANK, ROLE_WORLD_SIZE, ROLE_NAME  as RANK, WORLD_SIZE and --role (one role)
    MASTER_ADDR       --master-addr (default 127.0.0.1)
    MASTER_PORT       --master-port; on one node without it, a free port (below);
                      on several nodes, 29500 (torchrun's default: every node must
                      arrive at the same number, and only a fixed one does)
    TORCHELASTIC_RUN_ID         "none", or a fresh id with --standalone
    TORCHELASTIC_RESTART_COUNT  0, then 1, 2... on restarts (--max-restarts)
    TORCHELASTIC_MAX_RESTARTS   --max-restarts
    OMP_NUM_THREADS   1 when N > 1 and it is not set already (as torchrun, so
                      that N ranks do not each start a thread per core)

``--nproc-per-node`` is an int, ``cpu`` (os.cpu_count()), ``gpu`` (the CUDA
devices; an error without one) or ``auto`` (the CUDA devices if
wick.cuda.is_available(), else the CPU count).

Several nodes: run the launcher once per node with the same --nnodes, N,
--master-addr and --master-port and each its own --node-rank. Nothing else is
coordinated: there is no rendezvous server (torchrun's --rdzv-* options are
refused), no node waits for the others, and the nodes' launchers do not stop
each other; making the ranks meet at MASTER_ADDR:MASTER_PORT is the process
group's job (not built yet in wick: see wick/distributed/__init__.py).

Supervision
-----------
The ranks' stdout is the launcher's; their stderr passes through a pipe that a
thread per rank copies to the launcher's stderr as it arrives, keeping the last
16 KiB so that a failure can be reported. Each rank runs in its own process
group, so that stopping it also stops what it started (DataLoader workers...);
a consequence is that the ranks do not read the launcher's stdin (a background
process group reading the terminal would be stopped by SIGTTIN), they get
/dev/null.

When a rank exits with a nonzero code or is killed by a signal, the launcher
sends SIGTERM to the other ranks, SIGKILL to those still alive 3 s later, and
prints a report naming the failed rank, its exit code or signal name and the
last lines of its stderr; it then exits with 1 (as torchrun), unless
--max-restarts allows starting the whole node's group again (one node only:
restarting several nodes together needs the rendezvous wick does not have).
It exits with 0 when every rank exits with 0.

SIGINT (Ctrl-C), SIGTERM, SIGHUP or SIGQUIT to the launcher is passed on to
every rank, which get 3 s to exit before SIGKILL (a second signal kills them at
once); the launcher then exits with 128 + the signal's number. A launcher killed
with SIGKILL cannot pass anything on: its ranks are left running.

torchrun options that wick does not implement (--rdzv-*, --run-path, --log-dir,
--redirects, --tee, --local-ranks-filter, --start-method, --local-addr,
--logs-specs, --numa-binding, --signals-to-handle, --event-log-handler, elastic
--nnodes MIN:MAX) are refused with an error naming them, never accepted and
ignored.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

GRACE_S = 3.0  # between SIGTERM and SIGKILL; with the monitor's 0.1 s, the ranks are gone within 5 s of a failure
TAIL_BYTES = 16 * 1024  # of each rank's stderr kept for the failure report
TAIL_LINES = 20  # of which the report shows at most these lines
MULTI_NODE_PORT = 29500  # torchrun's default --master-port
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

_PREFIX = "[wick.distributed.run] "
_stderr_lock = threading.Lock()  # one writer at a time, so that a report line is not cut by a rank's output


def _write_stderr(data):
    """Writes bytes to the launcher's stderr. Errors (a closed terminal) are swallowed: the
    ranks' pipes must still be drained, or the ranks would block writing to them."""
    stream = getattr(sys.stderr, "buffer", None)
    if stream is None:
        return
    with _stderr_lock:
        try:
            stream.write(data)
            stream.flush()
        except (OSError, ValueError):
            pass


def _say(text):
    _write_stderr("".join(_PREFIX + line + "\n" for line in text.splitlines()).encode(errors="replace"))


def _signal_name(signum):
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _describe_exit(returncode):
    if returncode < 0:
        return f"killed by {_signal_name(-returncode)}"
    return f"exit code {returncode}"


# ---------------------------------------------------------------------------------------------
# The command line


class _Refused(argparse.Action):
    """A torchrun option wick does not implement: using it is an error that names it and says
    why, instead of an 'unrecognized arguments' or, worse, an option accepted and ignored."""

    def __init__(self, option_strings, dest, reason, nargs=None, **kwargs):
        self.reason = reason
        super().__init__(option_strings, dest, nargs=nargs, default=None,
                         help=f"not supported: {reason}", **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f"{option_string} is not supported by wick.distributed.run: {self.reason}")


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m wick.distributed.run", allow_abbrev=False,
        usage="%(prog)s [options] (training_script | -m module) [args...]",
        description="Starts the ranks of a multi-process job with torchrun's environment "
                    "(RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT...) and supervises them.")
    p.add_argument("--nproc-per-node", "--nproc_per_node", default="1", metavar="N",
                   help="processes on this node: an int, 'cpu', 'gpu' or 'auto' (default 1)")
    p.add_argument("--nnodes", default="1", metavar="M", help="number of nodes (default 1)")
    p.add_argument("--node-rank", "--node_rank", type=int, default=None, metavar="R",
                   help="rank of this node (default 0)")
    p.add_argument("--master-addr", "--master_addr", default=None, metavar="ADDR",
                   help="address of node 0, where rank 0 listens (default 127.0.0.1)")
    p.add_argument("--master-port", "--master_port", type=int, default=None, metavar="PORT",
                   help="port on node 0 (default: a free port on one node, 29500 on several)")
    p.add_argument("--standalone", action="store_true",
                   help="one node on this machine, on a free port, with a fresh run id")
    p.add_argument("--max-restarts", "--max_restarts", type=int, default=0, metavar="K",
                   help="times the node's ranks are all started again after a failure (one node only; default 0)")
    p.add_argument("--monitor-interval", "--monitor_interval", type=float, default=0.1, metavar="S",
                   help="seconds between checks of the ranks (default 0.1)")
    p.add_argument("--role", default="default", help="ROLE_NAME given to the ranks (default 'default')")
    p.add_argument("-m", "--module", action="store_true",
                   help="run training_script as a module, as 'python -m'")
    p.add_argument("--no-python", "--no_python", action="store_true",
                   help="run training_script itself, not with python")

    refused = p.add_argument_group("torchrun options that wick does not implement (an error)")
    no_rdzv = "wick has no rendezvous; give --master-addr, --master-port, --nnodes and --node-rank, or --standalone"
    for names, reason, nargs in [
        (("--rdzv-backend", "--rdzv_backend"), no_rdzv, None),
        (("--rdzv-endpoint", "--rdzv_endpoint"), no_rdzv, None),
        (("--rdzv-id", "--rdzv_id"), no_rdzv, None),
        (("--rdzv-conf", "--rdzv_conf"), no_rdzv, None),
        (("--run-path", "--run_path"), "the script always runs in a process of its own", 0),
        (("--log-dir", "--log_dir"), "per-rank log files are not implemented; the ranks write to the terminal", None),
        (("-r", "--redirects"), "per-rank log files are not implemented; the ranks write to the terminal", None),
        (("-t", "--tee"), "per-rank log files are not implemented; the ranks write to the terminal", None),
        (("--local-ranks-filter", "--local_ranks_filter"), "filtering the ranks' output is not implemented", None),
        (("--start-method", "--start_method"), "the ranks are always started as new processes (fork and exec)", None),
        (("--local-addr", "--local_addr"), "it is used by rendezvous, which wick does not have", None),
        (("--logs-specs", "--logs_specs"), "log plug-ins are not implemented", None),
        (("--numa-binding", "--numa_binding"), "NUMA binding is not implemented", None),
        (("--signals-to-handle", "--signals_to_handle"),
         "the launcher always passes on SIGINT, SIGTERM, SIGHUP and SIGQUIT", None),
        (("--event-log-handler", "--event_log_handler"), "event logging is not implemented", None),
    ]:
        refused.add_argument(*names, action=_Refused, reason=reason, nargs=nargs)

    p.add_argument("training_script", help="the script (or module with -m) every rank runs")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER, help="its arguments")
    return p


def _nproc_per_node(value, parser):
    if value in ("cpu", "gpu", "auto"):
        if value == "cpu":
            return os.cpu_count() or 1
        import wick.cuda  # only here: asking for the GPUs is the one reason the launcher needs wick's core
        if wick.cuda.is_available():
            return wick.cuda.device_count()
        if value == "gpu":
            parser.error("--nproc-per-node gpu: no CUDA device is available")
        return os.cpu_count() or 1
    try:
        n = int(value)
    except ValueError:
        parser.error(f"--nproc-per-node must be a positive int, 'cpu', 'gpu' or 'auto', got {value!r}")
    if n < 1:
        parser.error(f"--nproc-per-node must be at least 1, got {n}")
    return n


def _nnodes(value, parser):
    parts = value.split(":")
    try:
        low, high = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (None, None)
    except ValueError:
        low = high = None
    if low is None:
        parser.error(f"--nnodes must be an int, got {value!r}")
    if low != high:
        parser.error(f"--nnodes {value}: an elastic range of nodes needs a rendezvous, which wick does not have; "
                     "give one number")
    if low < 1:
        parser.error(f"--nnodes must be at least 1, got {low}")
    return low


def _free_port(addr):
    """A port that nobody holds on `addr`: bind port 0, read back what the kernel chose, close.

    Between this close and rank 0 binding the port, another process could take it. That race
    is accepted: the window is the time the ranks take to start, a port just released is no
    likelier than any other to be handed out next, and losing the race is loud, not silent
    (rank 0 fails to listen, and the launcher reports that rank's failure). Closing it instead
    would mean passing the bound socket on to rank 0, and nothing in wick takes one yet.
    torchrun's --standalone picks its port the same way."""
    family, kind, proto, _, sockaddr = socket.getaddrinfo(addr, 0, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as s:
        s.bind(sockaddr)
        return s.getsockname()[1]


def _config(argv):
    parser = _parser()
    args = parser.parse_args(argv)
    nnodes = _nnodes(args.nnodes, parser)
    nproc = _nproc_per_node(args.nproc_per_node, parser)
    if args.standalone:
        # torchrun overrides these under --standalone; refusing them says the same thing without
        # dropping what the user wrote.
        for given, name in [(nnodes != 1, "--nnodes"), (args.node_rank is not None, "--node-rank"),
                            (args.master_addr is not None, "--master-addr"),
                            (args.master_port is not None, "--master-port")]:
            if given:
                parser.error(f"--standalone is one node on this machine on a free port: it cannot be "
                             f"combined with {name}")
    node_rank = 0 if args.node_rank is None else args.node_rank
    if not 0 <= node_rank < nnodes:
        parser.error(f"--node-rank must be in [0, --nnodes) = [0, {nnodes}), got {node_rank}")
    if args.max_restarts < 0:
        parser.error(f"--max-restarts must be at least 0, got {args.max_restarts}")
    if args.max_restarts > 0 and nnodes > 1:
        parser.error("--max-restarts with --nnodes > 1: restarting the ranks of all nodes together needs "
                     "a rendezvous, which wick does not have")
    if not args.monitor_interval > 0:
        parser.error(f"--monitor-interval must be positive, got {args.monitor_interval}")
    if args.master_port is not None and not 1 <= args.master_port <= 65535:
        parser.error(f"--master-port must be in [1, 65535], got {args.master_port}")
    if args.module and args.no_python:
        parser.error("-m and --no-python cannot be combined: a module needs python")

    master_addr = args.master_addr or "127.0.0.1"
    master_port = args.master_port
    if master_port is None:
        if nnodes > 1:
            master_port = MULTI_NODE_PORT
        else:
            try:
                master_port = _free_port(master_addr.strip("[]"))  # "[::1]" is how torchrun writes IPv6
            except OSError as e:
                parser.error(f"cannot pick a free port on --master-addr {master_addr} ({e}); "
                             "give --master-port or an address of this machine")

    if args.no_python:
        cmd = [args.training_script]
    else:
        cmd = [os.environ.get("PYTHON_EXEC", sys.executable), "-u"]  # -u: the ranks' output arrives as written
        cmd += ["-m", args.training_script] if args.module else [args.training_script]
    cmd += args.training_script_args

    return dict(nnodes=nnodes, nproc=nproc, node_rank=node_rank, master_addr=master_addr,
                master_port=master_port, cmd=cmd, role=args.role, max_restarts=args.max_restarts,
                interval=args.monitor_interval, run_id=uuid.uuid4().hex if args.standalone else "none")


# ---------------------------------------------------------------------------------------------
# The ranks


class _Rank:
    """One rank's process, in a process group of its own, and the thread copying its stderr."""

    def __init__(self, rank, local_rank, cmd, env):
        self.rank, self.local_rank = rank, local_rank
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     process_group=0)
        self._tail = bytearray()
        self._lock = threading.Lock()
        self._tee = threading.Thread(target=self._copy_stderr, name=f"rank {rank} stderr", daemon=True)
        self._tee.start()

    def _copy_stderr(self):
        # Chunks, not lines: a progress bar's '\r' updates and a prompt without a newline show at once.
        fd = self.proc.stderr.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            _write_stderr(chunk)
            with self._lock:
                self._tail += chunk
                del self._tail[:-TAIL_BYTES]
        self.proc.stderr.close()

    def finish_output(self, timeout):
        """Waits for the copy of the stderr to reach its end. A process the rank left behind can hold
        the pipe open, hence the timeout."""
        self._tee.join(timeout)

    def last_lines(self):
        with self._lock:
            text = bytes(self._tail).decode(errors="replace")
        return text.splitlines()[-TAIL_LINES:]

    def signal(self, signum):
        # To the group: the rank's own children (DataLoader workers...) go with it. The group id is
        # the rank's pid; once the rank is reaped and its group empty, a new process would have to
        # both get that pid and make itself a group leader to be hit by mistake.
        try:
            os.killpg(self.proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def alive(self):
        return self.proc.poll() is None


class _Launcher:
    def __init__(self, cfg):
        self.cfg = cfg
        self.signals = []  # signals received, in order; the handler only records them

    def _on_signal(self, signum, frame):
        self.signals.append(signum)

    def _env(self, local_rank, restart):
        c = self.cfg
        world = c["nnodes"] * c["nproc"]
        rank = c["node_rank"] * c["nproc"] + local_rank
        env = dict(os.environ)
        if c["nproc"] > 1 and "OMP_NUM_THREADS" not in env:
            env["OMP_NUM_THREADS"] = "1"
        env.update({
            "RANK": rank, "LOCAL_RANK": local_rank, "WORLD_SIZE": world, "LOCAL_WORLD_SIZE": c["nproc"],
            "GROUP_RANK": c["node_rank"], "GROUP_WORLD_SIZE": c["nnodes"],
            "ROLE_RANK": rank, "ROLE_WORLD_SIZE": world, "ROLE_NAME": c["role"],
            "MASTER_ADDR": c["master_addr"], "MASTER_PORT": c["master_port"],
            "TORCHELASTIC_RUN_ID": c["run_id"], "TORCHELASTIC_RESTART_COUNT": restart,
            "TORCHELASTIC_MAX_RESTARTS": c["max_restarts"],
        })
        return {k: str(v) for k, v in env.items()}

    def _stop(self, ranks, signum):
        """Sends `signum` to every rank, waits GRACE_S (less if another signal reaches the
        launcher), then SIGKILLs what is left and reaps them all."""
        received = len(self.signals)
        for r in ranks:
            r.signal(signum)
        deadline = time.monotonic() + GRACE_S
        while any(r.alive() for r in ranks) and time.monotonic() < deadline and len(self.signals) == received:
            time.sleep(0.02)
        for r in ranks:
            # Also the groups of ranks that have exited: what they started may still run.
            r.signal(signal.SIGKILL)
        for r in ranks:
            r.proc.wait()

    def _run_once(self, restart):
        """Starts the node's ranks and watches them. Returns ("ok",), ("signal", signum) or
        ("failed", failed ranks in the order seen, ranks the launcher stopped)."""
        c = self.cfg
        ranks = []
        try:
            for local_rank in range(c["nproc"]):
                ranks.append(_Rank(c["node_rank"] * c["nproc"] + local_rank, local_rank, c["cmd"],
                                   self._env(local_rank, restart)))
        except OSError as e:
            self._stop(ranks, signal.SIGTERM)
            _say(f"cannot start {c['cmd'][0]}: {e}")
            return ("failed", [], [])
        while True:
            if self.signals:
                self._stop(ranks, self.signals[0])
                return ("signal", self.signals[0])
            codes = [r.proc.poll() for r in ranks]
            failed = [r for r, code in zip(ranks, codes) if code not in (None, 0)]
            if failed:
                running = [r for r in ranks if r.alive()]
                self._stop(ranks, signal.SIGTERM)
                # Ranks that failed on their own while the others were being stopped are failures
                # too; those the launcher stopped are not.
                failed += [r for r in ranks if r not in failed and r not in running and r.proc.returncode != 0]
                stopped = [r for r in running if r not in failed]
                return ("failed", failed, stopped)
            if all(code == 0 for code in codes):
                self._finish_output(ranks)
                return ("ok",)
            time.sleep(c["interval"])

    @staticmethod
    def _finish_output(ranks, timeout=1.0):
        deadline = time.monotonic() + timeout
        for r in ranks:
            r.finish_output(max(0.0, deadline - time.monotonic()))

    def _report(self, failed, stopped):
        if not failed:
            return
        self._finish_output(failed)
        first = failed[0]
        lines = [f"rank {first.rank} (local rank {first.local_rank} on node {self.cfg['node_rank']}, "
                 f"pid {first.proc.pid}) failed: {_describe_exit(first.proc.returncode)}"]
        tail = first.last_lines()
        if tail:
            lines.append(f"last lines of rank {first.rank}'s stderr:")
            lines += ["    " + line for line in tail]
        else:
            lines.append(f"rank {first.rank} wrote nothing to stderr")
        for r in failed[1:]:
            lines.append(f"rank {r.rank} (local rank {r.local_rank}, pid {r.proc.pid}) also failed: "
                         f"{_describe_exit(r.proc.returncode)}")
        if stopped:
            lines.append(f"stopped the other ranks (SIGTERM, then SIGKILL after {GRACE_S:g} s): "
                         + ", ".join(str(r.rank) for r in stopped))
        _say("\n".join(lines))

    def run(self):
        c = self.cfg
        previous = {s: signal.signal(s, self._on_signal) for s in FORWARDED_SIGNALS}
        try:
            for restart in range(c["max_restarts"] + 1):
                outcome = self._run_once(restart)
                if outcome[0] == "ok":
                    return 0
                if outcome[0] == "signal":
                    _say(f"got {_signal_name(outcome[1])}: stopped all {c['nproc']} ranks")
                    return 128 + outcome[1]
                self._report(*outcome[1:])
                if self.signals:  # arrived while the ranks were being stopped: no restart then
                    _say(f"got {_signal_name(self.signals[0])}: not starting the ranks again")
                    return 128 + self.signals[0]
                if restart < c["max_restarts"]:
                    _say(f"starting the ranks again (restart {restart + 1} of {c['max_restarts']})")
            return 1
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def main(argv=None):
    """Parses the command line (sys.argv[1:] by default), runs the ranks, and exits with 1 when a
    rank failed, 128 + the signal's number when stopped by one; returns when all succeeded."""
    code = _Launcher(_config(argv)).run()
    if code:
        raise SystemExit(code)


if __name__ == "__main__":
    main()

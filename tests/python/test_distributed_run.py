"""python -m wick.distributed.run, the launcher of issue 19: torchrun's environment contract,
the -m form, failure reports, stopping the other ranks, signals to the launcher and argument
errors. The ranks are small plain-Python scripts written to tmp_path (they need no process
groups, which wick does not have yet)."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from wick.distributed import is_available
from wick.distributed import run

ENV_KEYS = ["RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "GROUP_WORLD_SIZE",
            "ROLE_RANK", "ROLE_WORLD_SIZE", "ROLE_NAME", "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID",
            "TORCHELASTIC_RESTART_COUNT", "TORCHELASTIC_MAX_RESTARTS", "OMP_NUM_THREADS"]

# Writes the rank's environment and arguments to out/env<RANK>.json; rank 0 also listens on
# MASTER_ADDR:MASTER_PORT, as a process group's store would, which fails if the port is taken.
DUMP_ENV = """
import json, os, socket, sys
out = sys.argv[1]
env = {k: os.environ.get(k) for k in %r}
if env["RANK"] == "0" and os.environ.get("LISTEN") == "1":
    with socket.socket() as s:
        s.bind((env["MASTER_ADDR"], int(env["MASTER_PORT"])))
        s.listen()
        env["listened"] = True
with open(os.path.join(out, "env%%s.json" %% env["RANK"]), "w") as f:
    json.dump({"env": env, "argv": sys.argv[2:]}, f)
""" % ENV_KEYS


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return str(path)


def launch(args, cwd=None, env=None):
    full_env = dict(os.environ)
    full_env.pop("OMP_NUM_THREADS", None)  # the launcher sets it for several ranks
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "wick.distributed.run", *args], cwd=cwd, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=30):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()  # the launcher stops its ranks on SIGTERM; a test that hangs leaves nothing behind
        try:
            proc.communicate(timeout=5)
        finally:
            proc.kill()
        raise
    return proc.returncode, out, err


def envs(out_dir):
    found = {}
    for name in os.listdir(out_dir):
        if name.startswith("env"):
            with open(os.path.join(out_dir, name)) as f:
                data = json.load(f)
            found[int(data["env"]["RANK"])] = data
    return found


def gone(pid, within=3.0):
    """True when `pid` has exited (a zombie counts: a container's init may not reap orphans)."""
    deadline = time.monotonic() + within
    while True:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def wait_for_files(paths, within=15.0):
    deadline = time.monotonic() + within
    while not all(os.path.exists(p) for p in paths):
        assert time.monotonic() < deadline, f"the ranks did not start: {paths}"
        time.sleep(0.05)


def test_is_available_is_false_until_process_groups_exist():
    assert is_available() is False


def test_env_contract_one_node_with_a_free_port(tmp_path):
    script = write(tmp_path / "dump.py", DUMP_ENV)
    code, out, err = finish(launch(["--nproc-per-node", "3", script, str(tmp_path), "--lr", "0.1"],
                                   env={"LISTEN": "1"}))
    assert code == 0, err
    ranks = envs(tmp_path)
    assert sorted(ranks) == [0, 1, 2]
    port = ranks[0]["env"]["MASTER_PORT"]
    assert 1 <= int(port) <= 65535
    for rank, data in ranks.items():
        env = data["env"]
        assert data["argv"] == ["--lr", "0.1"]  # script args passed through, options included
        assert env["LOCAL_RANK"] == env["ROLE_RANK"] == str(rank)
        assert env["WORLD_SIZE"] == env["LOCAL_WORLD_SIZE"] == env["ROLE_WORLD_SIZE"] == "3"
        assert (env["GROUP_RANK"], env["GROUP_WORLD_SIZE"]) == ("0", "1")
        assert (env["MASTER_ADDR"], env["MASTER_PORT"]) == ("127.0.0.1", port)
        assert (env["ROLE_NAME"], env["TORCHELASTIC_RUN_ID"]) == ("default", "none")
        assert (env["TORCHELASTIC_RESTART_COUNT"], env["TORCHELASTIC_MAX_RESTARTS"]) == ("0", "0")
        assert env["OMP_NUM_THREADS"] == "1"  # as torchrun, for more than one rank
    assert ranks[0]["env"]["listened"]  # the chosen port was free: rank 0 could listen on it


def test_multi_node_rank_arithmetic(tmp_path):
    script = write(tmp_path / "dump.py", DUMP_ENV)
    # torchrun's underscore spellings are accepted too.
    code, out, err = finish(launch(["--nnodes", "2", "--node_rank", "1", "--nproc_per_node", "2",
                                    "--master-addr", "10.0.0.7", "--master-port", "29555", script, str(tmp_path)]))
    assert code == 0, err
    ranks = envs(tmp_path)
    assert sorted(ranks) == [2, 3]  # node_rank * nproc + local_rank
    for rank, data in ranks.items():
        env = data["env"]
        assert env["LOCAL_RANK"] == str(rank - 2)
        assert (env["WORLD_SIZE"], env["LOCAL_WORLD_SIZE"]) == ("4", "2")
        assert (env["GROUP_RANK"], env["GROUP_WORLD_SIZE"]) == ("1", "2")
        assert (env["MASTER_ADDR"], env["MASTER_PORT"]) == ("10.0.0.7", "29555")


def test_module_form_standalone_and_restarts(tmp_path):
    pkg = tmp_path / "trainer"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    # Rank 0 fails on the first attempt; --max-restarts 1 starts both ranks again.
    write(pkg / "main.py", DUMP_ENV + """
if os.environ["TORCHELASTIC_RESTART_COUNT"] == "0" and os.environ["RANK"] == "0":
    sys.exit(5)
""")
    code, out, err = finish(launch(["--standalone", "--nproc-per-node", "2", "--max-restarts", "1",
                                    "-m", "trainer.main", str(tmp_path), "a", "--b"], cwd=str(tmp_path)))
    assert code == 0, err
    assert "rank 0" in err and "exit code 5" in err and "restart 1 of 1" in err
    ranks = envs(tmp_path)
    assert sorted(ranks) == [0, 1]
    for data in ranks.values():
        assert data["argv"] == ["a", "--b"]
        assert data["env"]["TORCHELASTIC_RESTART_COUNT"] == "1"
        assert data["env"]["TORCHELASTIC_RUN_ID"] not in (None, "none")  # --standalone's fresh id


def test_failing_rank_stops_the_others_and_is_reported(tmp_path):
    # Ranks 0 and 2 would sleep 60 s, rank 2 ignoring SIGTERM (so SIGKILL is needed); rank 1
    # fails with 3 once both are up.
    script = write(tmp_path / "fail.py", """
        import os, signal, sys, time
        rank, out = int(os.environ["RANK"]), sys.argv[1]
        if rank == 1:
            while not all(os.path.exists(os.path.join(out, f"pid{r}")) for r in (0, 2)):
                time.sleep(0.02)
            print("loading the data", file=sys.stderr)
            print("ValueError: the last words of rank 1", file=sys.stderr)
            open(os.path.join(out, "failed_at"), "w").write(repr(time.time()))
            sys.exit(3)
        if rank == 2:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        open(os.path.join(out, f"pid{rank}"), "w").write(str(os.getpid()))
        time.sleep(60)
    """)
    code, out, err = finish(launch(["--nproc-per-node", "3", script, str(tmp_path)]))
    ended = time.time()
    assert code == 1
    assert ended - float((tmp_path / "failed_at").read_text()) < 5
    report = err[err.index("[wick.distributed.run]"):]
    assert "rank 1" in report and "exit code 3" in report
    assert "ValueError: the last words of rank 1" in report
    assert "loading the data" in err[:err.index("[wick.distributed.run]")]  # forwarded live, before the report
    assert "0, 2" in report  # the ranks it stopped
    for rank in (0, 2):
        assert gone(int((tmp_path / f"pid{rank}").read_text()))


def test_rank_killed_by_a_signal_is_named(tmp_path):
    script = write(tmp_path / "killed.py", """
        import os, signal, time
        if os.environ["RANK"] == "1":
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(60)
    """)
    code, out, err = finish(launch(["--nproc-per-node", "2", script]))
    assert code == 1
    assert "rank 1" in err and "SIGKILL" in err


def test_sigint_to_the_launcher_stops_every_rank_and_what_they_started(tmp_path):
    script = write(tmp_path / "sleepy.py", """
        import os, subprocess, sys, time
        child = subprocess.Popen(["sleep", "60"])  # as a DataLoader worker would be
        open(os.path.join(sys.argv[1], "pids" + os.environ["RANK"]), "w").write(f"{os.getpid()} {child.pid}")
        time.sleep(60)
    """)
    proc = launch(["--nproc-per-node", "2", script, str(tmp_path)])
    files = [tmp_path / "pids0", tmp_path / "pids1"]
    wait_for_files(files)
    time.sleep(0.1)  # let the files' contents land
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc, timeout=10)
    assert time.monotonic() - start < 5
    assert code == 128 + signal.SIGINT and "SIGINT" in err
    for f in files:
        for pid in f.read_text().split():
            assert gone(int(pid))


def test_free_port_is_free():
    port = run._free_port("127.0.0.1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_nproc_per_node_words():
    parser = run._parser()
    assert run._nproc_per_node("cpu", parser) == os.cpu_count()
    import wick
    expected = wick.cuda.device_count() if wick.cuda.is_available() else os.cpu_count()
    assert run._nproc_per_node("auto", parser) == expected


@pytest.mark.parametrize("argv, message", [
    (["--nproc-per-node", "0", "x.py"], "--nproc-per-node must be at least 1"),
    (["--nproc-per-node", "many", "x.py"], "--nproc-per-node must be"),
    (["--nnodes", "2", "--node-rank", "2", "x.py"], "--node-rank must be in [0, --nnodes)"),
    (["--nnodes", "1:4", "x.py"], "elastic"),
    (["--rdzv-backend", "c10d", "x.py"], "--rdzv-backend is not supported"),
    (["--standalone", "--master-port", "1234", "x.py"], "--master-port"),
    (["--nnodes", "2", "--max-restarts", "1", "x.py"], "--max-restarts"),
    (["-m", "--no-python", "x"], "cannot be combined"),
])
def test_invalid_arguments_are_clear_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        run.main(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err

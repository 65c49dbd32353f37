"""The training program (python -m wick.examples.train) on a few hundred real samples."""
import csv
import importlib.util
import os
import shutil
import subprocess

import numpy as np
import pytest

import wick
from wick.examples import train

FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
FORTUNES = "/usr/share/games/fortunes"
needs_fashion = pytest.mark.skipif(not os.path.exists(FASHION), reason="apt-get install dataset-fashion-mnist")
needs_fortunes = pytest.mark.skipif(not os.path.isdir(FORTUNES), reason="apt-get install fortunes")

QUICK = {
    "mlp": ["--train-limit", "512", "--test-limit", "128", "--lr", "3e-3"],
    "cnn": ["--train-limit", "256", "--test-limit", "64", "--lr", "3e-3"],
    "lstm": ["--train-limit", "256", "--test-limit", "64", "--lr", "1e-2"],
    "charlstm": ["--train-limit", "24", "--test-limit", "8", "--seq-len", "32", "--batch-size", "8", "--lr", "1e-2"],
}


def run(model, out, *extra):
    return train.main(["--model", model, "--out", str(out), "--no-progress", *QUICK[model], *extra])


def metrics(out, name="metrics.csv"):
    with open(os.path.join(out, name)) as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


@pytest.mark.parametrize("model", [
    pytest.param("mlp", marks=needs_fashion), pytest.param("cnn", marks=needs_fashion),
    pytest.param("lstm", marks=needs_fashion), pytest.param("charlstm", marks=needs_fortunes)])
def test_trains_and_writes_its_outputs(model, tmp_path, capsys):
    assert run(model, tmp_path, "--epochs", "3") == 0
    rows = metrics(tmp_path)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[-1]["train_loss"] < rows[0]["train_loss"], rows
    printed = capsys.readouterr().out
    assert ("test bits/char" if model == "charlstm" else "test accuracy") in printed
    with open(tmp_path / "curves.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    dot = (tmp_path / "graph.dot").read_text()
    assert dot.startswith("digraph") and "Backward0" in dot
    assert "weight" in dot  # parameters appear by name
    if shutil.which("dot"):
        subprocess.run(["dot", "-Tsvg", str(tmp_path / "graph.dot"), "-o", os.devnull], check=True)
        assert (tmp_path / "graph.svg").stat().st_size > 0


@needs_fashion
def test_resume_reaches_the_same_parameters(tmp_path):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert run("mlp", straight, "--epochs", "2") == 0
    assert run("mlp", resumed, "--epochs", "1") == 0
    assert run("mlp", resumed, "--epochs", "2", "--resume", str(resumed / "model.wick")) == 0
    a, b = wick.load(straight / "model.wick"), wick.load(resumed / "model.wick")
    assert a["epoch"] == b["epoch"] == 2
    assert list(a["model"]) == list(b["model"])
    for name in a["model"]:
        np.testing.assert_array_equal(a["model"][name].numpy(), b["model"][name].numpy(), err_msg=name)
    without_time = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    assert without_time(metrics(straight)) == without_time(metrics(resumed))
    assert metrics(straight, "steps.csv") == metrics(resumed, "steps.csv")


@needs_fashion
def test_one_epoch_logs_a_curve_of_steps(tmp_path):
    # 512 samples in batches of 64: 8 steps, logged every 3rd and at the epoch's end.
    assert run("mlp", tmp_path, "--epochs", "1", "--log-every", "3") == 0
    steps = metrics(tmp_path, "steps.csv")
    assert [r["step"] for r in steps] == [3, 6, 8]
    assert all(0 < r["train_loss"] < 10 and 0 <= r["train_acc"] <= 1 for r in steps)
    # The logged windows' losses, weighted by their steps, average to the epoch's training loss.
    mean = (steps[0]["train_loss"] * 3 + steps[1]["train_loss"] * 3 + steps[2]["train_loss"] * 2) / 8
    assert mean == pytest.approx(metrics(tmp_path)[0]["train_loss"], rel=1e-4)
    assert metrics(tmp_path)[0]["steps"] == 8
    with open(tmp_path / "curves.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(SystemExit):
        train.parse_args(["--log-every", "0"])


@needs_fashion
def test_interrupt_saves_a_checkpoint(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = train.run_epoch

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # train epoch 1, test epoch 1, then Ctrl-C in epoch 2
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(train, "run_epoch", interrupted)
    assert run("mlp", tmp_path, "--epochs", "3") == 130
    ckpt = wick.load(tmp_path / "model.wick")
    assert ckpt["epoch"] == 1 and len(ckpt["metrics"]) == 1


@pytest.mark.skipif(wick.cuda.is_available(), reason="checks the message for machines without CUDA")
def test_device_cuda_without_cuda_says_so(tmp_path, capsys):
    assert train.main(["--model", "mlp", "--device", "cuda", "--out", str(tmp_path)]) == 2
    assert "--device cuda: CUDA is not available to wick here; use --device cpu" in capsys.readouterr().err


def load_same_start():
    path = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "same_start.py")
    spec = importlib.util.spec_from_file_location("same_start", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("model", [
    pytest.param("mlp", marks=needs_fashion), pytest.param("cnn", marks=needs_fashion),
    pytest.param("lstm", marks=needs_fashion), pytest.param("charlstm", marks=needs_fortunes)])
def test_same_start_trains_like_pytorch(model):
    # From PyTorch's initial weights and the same batches, wick's training steps
    # give PyTorch's losses and test predictions (bench/same_start.py does the full epoch).
    limits = dict(train_limit=320, test_limit=256) if model != "charlstm" else dict(train_limit=96, test_limit=16)
    results = load_same_start().compare(model, batch_size=32, lr=3e-3, **limits)
    (lw, aw, bw, _), (lt, at, bt, _) = results["wick"], results["torch"]
    assert len(lw) == len(lt) >= 3
    np.testing.assert_allclose(lw, lt, rtol=1e-4, atol=1e-5)
    assert lw[-1] < lw[0]
    assert abs(aw - at) <= 1 / 256 and abs(bw - bt) < 1e-3

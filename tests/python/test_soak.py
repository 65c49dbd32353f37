"""A short soak of the main job's models (scripts/soak.py is the long form):
after a warm-up, training steps with checkpoint round trips leave wick's
bytes in use unchanged and the process's resident memory flat. Each model
soaks in a fresh process: in the test run's own process, the allocator's
arenas of earlier tests move resident memory by tens of MiB."""
import os
import subprocess
import sys

import pytest

_SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")


@pytest.mark.parametrize("model", ["mlp", "cnn", "lstm", "charlstm"])
def test_training_steps_keep_memory_flat(model):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import soak; "
            f"ok, line = soak.soak({model!r}, steps=75, batch=8); print(line); sys.exit(0 if ok else 1)")
    out = subprocess.run([sys.executable, "-c", code, _SCRIPTS], capture_output=True, text=True, timeout=300)
    print(out.stdout)
    assert out.returncode == 0, out.stdout + out.stderr

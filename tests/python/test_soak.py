"""A short soak of the main job's models (scripts/soak.py is the long form):
after a warm-up, training steps with checkpoint round trips leave wick's
bytes in use unchanged and the process's resident memory flat."""
import importlib.util
import os

import pytest

_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "soak.py")


def _soak_module():
    spec = importlib.util.spec_from_file_location("soak", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("model", ["mlp", "cnn", "lstm", "charlstm"])
def test_training_steps_keep_memory_flat(model):
    ok, line = _soak_module().soak(model, steps=75, batch=8)
    print(line)
    assert ok, line

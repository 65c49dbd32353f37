"""Fixtures shared by the suites. `device` runs a test once per device wick may
have; a device this machine lacks is skipped with the reason, so the report
shows what did not run."""
import pytest

import wick

DEVICES = ["cpu", "cuda"]


@pytest.fixture(params=DEVICES)
def device(request):
    if request.param == "cuda" and not wick.cuda.is_available():
        pytest.skip("no CUDA device: " + (wick._C._cuda_unavailable_reason() or "wick was built without CUDA"))
    return request.param

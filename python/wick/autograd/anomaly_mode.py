"""Anomaly detection: every node remembers the forward op that made it, and
backward checks each gradient for NaN/Inf, naming that op when one appears."""
from wick import _C
from wick.autograd.grad_mode import _DecoratorContextManager

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]

is_anomaly_enabled = _C.is_anomaly_enabled


class detect_anomaly(_DecoratorContextManager):
    """Turns anomaly detection on for a region (context manager or decorator).

        with wick.autograd.detect_anomaly():
            loss.backward()   # RuntimeError naming the op whose gradient became NaN
    """

    def __init__(self, check_nan=True):
        if not check_nan:
            raise NotImplementedError("detect_anomaly(check_nan=False) is not supported")
        self.prev = False

    def __enter__(self):
        self.prev = _C.is_anomaly_enabled()
        _C._set_anomaly_enabled(True)

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self.prev)


class set_detect_anomaly(_DecoratorContextManager):
    """Sets anomaly detection on or off: at once when called, and restores the
    previous setting when used as a context manager or decorator."""

    def __init__(self, mode, check_nan=True):
        if not check_nan:
            raise NotImplementedError("set_detect_anomaly(check_nan=False) is not supported")
        self.prev = _C.is_anomaly_enabled()
        self.mode = bool(mode)
        _C._set_anomaly_enabled(self.mode)

    def __call__(self, func):
        _C._set_anomaly_enabled(self.prev)
        return super().__call__(func)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self.prev)

    def clone(self):
        return self.__class__(self.mode)

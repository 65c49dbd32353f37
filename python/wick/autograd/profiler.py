"""wick.autograd.profiler: torch.autograd.profiler's profile (one recording
window, results in ``function_events``) and record_function, the same objects
as wick.profiler's (python/wick/profiler/)."""
from wick.profiler._events import EventList, FunctionEvent, FunctionEventAvg
from wick.profiler._legacy import profile, record_function

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]

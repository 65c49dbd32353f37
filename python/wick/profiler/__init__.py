"""wick.profiler: torch.profiler over wick's ops.

While a profile is active every call of a wick op made through its Python
entry points (``wick.<op>``, ``wick.nn.functional.<op>``, ``wick.Tensor``'s
methods and operators) is recorded with its thread, its start and duration,
and optionally its input shapes, the change of wick.memory_allocated() across
it and the caller's Python stack; ``record_function`` adds named ranges. The
ops are wrapped when a profile starts and put back exactly when it stops, so
that nothing stays on the call path outside a profile.

    >>> from wick.profiler import profile, record_function
    >>> x = wick.ones(2, 3)
    >>> with profile(record_shapes=True) as prof:
    ...     with record_function("block"):
    ...         y = wick.relu(x) + 1
    >>> [(e.key, e.count) for e in prof.key_averages()]
    [('block', 1), ('relu', 1), ('add', 1)]
    >>> [e.name for e in prof.events()[0].cpu_children]
    ['relu', 'add']

What is recorded, and what is not: a call of an op from inside another
recorded op (a composite written in Python) is its child, and the parent's
self time excludes it; an op reached through the same op's Python form
(nn.functional.relu calling the C++ relu) is one event. ``backward()`` and
``wick.autograd.grad`` are one "autograd::engine::evaluate_function" event per
call: the engine is C++ and its nodes are not seen one by one, nor the C++ ops
called inside other C++ ops. References to ops that code outside the wick
package bound before the profile started (``from wick import relu``) are not
wrapped. CUDA kernel times are not measured (the CUDA activity adds CUDA
memory to profile_memory), and FLOPs are not counted (with_flops is accepted).
"""
from wick.profiler._events import EventList, FunctionEvent, FunctionEventAvg
from wick.profiler._legacy import record_function
from wick.profiler.profiler import (ProfilerAction, ProfilerActivity, profile, schedule, supported_activities,
                                    tensorboard_trace_handler)

__all__ = ["profile", "record_function", "schedule", "ProfilerAction", "ProfilerActivity", "supported_activities",
           "tensorboard_trace_handler", "EventList", "FunctionEvent", "FunctionEventAvg"]

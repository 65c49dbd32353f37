"""wick.save and wick.load: checkpoints in wick's own safe format.

    wick.save(model.state_dict(), "model.wick")
    model.load_state_dict(wick.load("model.wick"))
    wick.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, "ckpt.wick")
    state = wick.load("ckpt.wick", map_location="cpu")

A file is a JSON header (names, dtypes, shapes, offsets) followed by the raw
tensor bytes, guarded by CRC-32 checksums; io/checkpoint.h documents it byte by
byte. It holds tensors (nn.Parameter included), NumPy arrays of wick's dtypes
(stored as their values, loaded as arrays), dicts with str or int keys, lists,
tuples, ints, floats, strs, bools and None, and nothing else: there is no
pickle, so loading a file can never run code, and every load is as safe as
PyTorch's ``weights_only=True``. Saving to a path is atomic: a crash mid-save
leaves the previous file intact. A truncated, corrupted or foreign file raises
RuntimeError naming the file and what is wrong.

Unlike PyTorch's pickles, a checkpoint keeps values, not Python objects: views
load as contiguous tensors, tensors that shared memory load as separate copies,
an object referenced twice loads as two, and dict subclasses (OrderedDict) and
named tuples load as dict and tuple.
"""
import contextlib
import os
import sys

from wick import _C

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals"]

_PREAMBLE_BYTES = 64
_READ_CHUNK = 1 << 24


def _parameter_class(import_nn):
    # nn.Parameter, when wick.nn exists: saved Parameters load as Parameters, as in PyTorch.
    nn = sys.modules.get("wick.nn")
    if nn is None and import_nn:
        try:
            import wick.nn as nn
        except ImportError:
            return None
    return getattr(nn, "Parameter", None)


def _is_path(f):
    return isinstance(f, (str, bytes, os.PathLike))


def save(obj, f):
    """Saves obj (tensors, and dicts, lists and tuples of tensors and Python
    scalars) to f: a path (str or os.PathLike) or a binary file object with write().

    Writing to a path is atomic. TypeError for an object a checkpoint cannot
    hold (it names the type and where it sits in obj)."""
    if _is_path(f):
        _C._save_checkpoint(obj, os.fsdecode(f), _parameter_class(False))
        return
    write = getattr(f, "write", None)
    if write is None:
        raise TypeError("wick.save: f must be a path (str or os.PathLike) or a binary file object with write(), "
                        f"not '{type(f).__name__}'")
    view = memoryview(_C._checkpoint_bytes(obj, _parameter_class(False)))
    while view:
        written = write(view)
        if written is None or written >= len(view):  # buffered writers take everything
            break
        view = view[written:]


def _read_up_to(f, n):
    chunks, have = [], 0
    while have < n:
        chunk = f.read(n - have)
        if not isinstance(chunk, (bytes, bytearray)):
            if chunk is None:  # a non-blocking stream with nothing to read now
                break
            raise TypeError(f"wick.load: the file object must be opened in binary mode ('rb'); its read() "
                            f"returned '{type(chunk).__name__}'")
        if not chunk:
            break
        chunks.append(chunk)
        have += len(chunk)
    return b"".join(chunks)


def load(f, map_location=None, *, weights_only=False):
    """Loads what wick.save wrote to f (a path or a binary file object with read()).

    map_location: None puts each tensor back on the device it was saved from;
    a device or a string ('cpu', 'cuda:0') puts them all there; a dict such as
    {'cuda:1': 'cuda:0'} moves tensors saved on its keys' devices. weights_only
    is accepted for PyTorch compatibility: a wick checkpoint never holds code,
    so every load is weights-only.

    From a file object, reading stops at the end of the checkpoint."""
    parameter = _parameter_class(True)
    if _is_path(f):
        return _C._load_checkpoint(os.fsdecode(f), map_location, parameter)
    if getattr(f, "read", None) is None:
        raise TypeError("wick.load: f must be a path (str or os.PathLike) or a binary file object with read(), "
                        f"not '{type(f).__name__}'")
    name = getattr(f, "name", None)
    name = name if isinstance(name, str) else "<file object>"
    head = _read_up_to(f, _PREAMBLE_BYTES)
    total = _C._checkpoint_size(head, name)  # raises unless head is a valid preamble
    # Read in chunks rather than trusting total with one allocation: memory
    # follows what the stream really holds.
    data = bytearray(head)
    while len(data) < total:
        chunk = _read_up_to(f, min(total - len(data), _READ_CHUNK))
        if not chunk:
            break
        data += chunk
    return _C._load_checkpoint_bytes(data, name, map_location, parameter)


# PyTorch's allowlist of the classes its weights-only unpickler may build. A
# wick checkpoint never holds a pickled object, so no load consults it; it is
# kept, and listed, so that programs that register their classes for
# torch.load run unchanged.
_safe_globals = []


def add_safe_globals(safe_globals):
    """Adds classes or functions (or (obj, "module.name") pairs) to the allowlist
    of PyTorch's weights-only loading. wick.load never unpickles, so it needs no
    allowlist: this only records them (see get_safe_globals)."""
    for entry in safe_globals:
        obj = entry[0] if isinstance(entry, tuple) else entry
        if isinstance(entry, tuple) and not (len(entry) == 2 and isinstance(entry[1], str)):
            raise TypeError(f"add_safe_globals: expected an object or an (object, str) pair, got {entry!r}")
        if not callable(obj):
            raise TypeError(f"add_safe_globals: expected classes or functions, got {type(obj).__name__}")
        if entry not in _safe_globals:
            _safe_globals.append(entry)


def get_safe_globals():
    """The entries add_safe_globals recorded, in order."""
    return list(_safe_globals)


def clear_safe_globals():
    """Empties the allowlist."""
    _safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Within the block, safe_globals are on the allowlist (see add_safe_globals);
    the list is restored on exit."""
    saved = list(_safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _safe_globals[:] = saved

"""Parameters to one flat vector and back, as torch.nn.utils.parameters_to_vector / vector_to_parameters."""
from wick import _C

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(param, device):
    if device is not None and param.device != device:
        raise RuntimeError(f"Found two parameters on different devices ({device} and {param.device}), this is "
                           "currently not supported.")
    return param.device


def parameters_to_vector(parameters):
    r"""The parameters flattened and concatenated into one 1-D tensor (differentiable).

    Args:
        parameters (Iterable[Tensor]): the tensors, all on one device

    Example::

        >>> wick.nn.utils.parameters_to_vector(wick.nn.Linear(3, 2).parameters()).shape
        wick.Size([8])
    """
    device = None
    flat = []
    for param in parameters:
        device = _check_same_device(param, device)
        flat.append(param.reshape(-1))
    if not flat:
        raise RuntimeError("parameters_to_vector: expected at least one parameter")
    return _C.cat(flat)


def vector_to_parameters(vec, parameters):
    r"""Copies consecutive slices of the 1-D ``vec`` into the parameters (each
    one's ``data`` becomes a view of ``vec`` of its shape), the inverse of
    :func:`parameters_to_vector`.

    Args:
        vec (Tensor): a 1-D tensor of as many elements as the parameters together
        parameters (Iterable[Tensor]): the tensors to fill
    """
    if not isinstance(vec, _C.Tensor):
        raise TypeError(f"expected wick.Tensor, but got: {type(vec).__name__}")
    if vec.dim() != 1:
        raise _C._ValueError(f"vector_to_parameters: expected a 1-D vector, got one of size {list(vec.shape)}")
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if total != vec.numel():
        raise _C._ValueError(f"vector_to_parameters: the vector has {vec.numel()} elements, the parameters {total}")
    device = None
    offset = 0
    for param in parameters:
        device = _check_same_device(param, device)
        n = param.numel()
        param.data = vec[offset:offset + n].view_as(param).data
        offset += n

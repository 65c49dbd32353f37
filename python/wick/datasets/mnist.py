"""MNIST and Fashion-MNIST, as torchvision.datasets offers them, from their
IDX files (read by wick's C++ reader, data/idx.h)."""
import os

import wick
from wick import _C
from wick.utils.data import Dataset

__all__ = ["MNIST", "FashionMNIST"]


class MNIST(Dataset):
    """MNIST: 28x28 handwritten digits, 60,000 for training and 10,000 for testing.

    Args:
        root (str): the directory with the IDX files (train-images-idx3-ubyte,
            train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
            each raw or .gz), directly or under ``root/<ClassName>/raw`` as
            torchvision stores them. MNIST has no Debian package, so it has no
            default.
        train (bool): the training split, else the test split.
        transform: applied to each image tensor (float32 [1, 28, 28]).
        target_transform: applied to each label (an int).
        download: wick downloads nothing; True only changes the error message.
        normalize: None or False for pixels in [0, 1]; True for the split's
            published statistics ``(x - mean) / std`` (``MNIST.mean``/``MNIST.std``);
            or a ``(mean, std)`` pair of your own.

    Attributes:
        data: the raw images, uint8 [N, 28, 28] (as torchvision's).
        targets: the labels, int64 [N].
        images: the images as the dataset returns them, float32 [N, 1, 28, 28].
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]
    mean, std = 0.1307, 0.3081
    _default_root = None

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False,
                 normalize=None):
        name = type(self)._name()
        if root is None:
            root = self._default_root
            if root is None:
                raise TypeError(f"{name}() needs root=, the directory that holds its IDX files: MNIST has no "
                                "Debian package (wick.datasets.FashionMNIST reads Debian's Fashion-MNIST)")
        self.root = os.fspath(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        try:
            images_path, labels_path = _C._data.mnist_files(self.root, bool(train), name)
        except RuntimeError as e:
            if download:
                raise RuntimeError(f"{e} (wick does not download data sets)") from None
            raise
        self.data, self.targets = _C._data.read_mnist_pair(images_path, labels_path)
        mean, std = self._statistics(normalize)
        self.images = _C._data.images_to_float(self.data, mean, std)

    @classmethod
    def _name(cls):
        # The name torchvision's directory layout uses: the class, or its wick base for subclasses.
        for c in cls.__mro__:
            if c.__module__ == __name__:
                return c.__name__
        return cls.__name__

    def _statistics(self, normalize):
        if normalize is None or normalize is False:
            return None, None
        if normalize is True:
            return type(self).mean, type(self).std
        try:
            mean, std = normalize
        except (TypeError, ValueError):
            raise TypeError("normalize must be None, True, or a (mean, std) pair, but got "
                            f"{normalize!r}") from None
        return float(mean), float(std)

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return self.images.size(0)

    def __getitem__(self, index):
        image = self.images[index]
        target = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    @property
    def _get_batch(self):
        # The DataLoader's bulk path (wick.utils.data.dataset), without per-sample transforms only.
        if self.transform is not None or self.target_transform is not None:
            return None
        return lambda indices: [self.images.index_select(0, indices), self.targets.index_select(0, indices)]

    def __repr__(self):
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n    Root location: {self.root}"
                f"\n    Split: {split}")


class FashionMNIST(MNIST):
    """Fashion-MNIST: 28x28 grey images of 10 kinds of clothing, 60,000 for
    training and 10,000 for testing. ``root`` defaults to where Debian's
    dataset-fashion-mnist package installs it, /usr/share/datasets/fashion-mnist
    (``apt-get install dataset-fashion-mnist``). See MNIST for the arguments;
    ``normalize=True`` uses mean 0.2860 and std 0.3530."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    mean, std = 0.2860, 0.3530
    _default_root = _C._data.FASHION_MNIST_ROOT

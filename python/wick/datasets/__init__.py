"""wick.datasets: real data sets, read by wick's own C++ readers.

    train = wick.datasets.FashionMNIST()                 # Debian's dataset-fashion-mnist
    test = wick.datasets.FashionMNIST(train=False, normalize=True)
    image, label = train[0]                              # float32 [1, 28, 28] in [0, 1], int

    corpus = wick.datasets.TextCorpus()                  # Debian's fortunes, or TextCorpus("book.txt")
    train_text, test_text = corpus.split(seq_len=100)    # CharDatasets of (input, target) windows

Images and texts are loaded in bulk into tensors when the data set is made;
the DataLoader then gathers batches straight from those tensors.
"""
from wick.datasets.mnist import MNIST, FashionMNIST
from wick.datasets.text import CharDataset, TextCorpus, Vocabulary

__all__ = ["MNIST", "FashionMNIST", "TextCorpus", "CharDataset", "Vocabulary"]

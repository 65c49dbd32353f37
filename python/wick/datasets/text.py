"""Character-level text corpora for language models, over wick's C++ text
reader (data/text.h)."""
import os

import wick
from wick import _C
from wick.utils.data import Dataset

__all__ = ["Vocabulary", "CharDataset", "TextCorpus"]


class Vocabulary:
    """The sorted distinct characters (Unicode code points) of a text, each
    with an id: its position. ``Vocabulary(v.chars) == v``, so a vocabulary
    is saved as its ``chars`` string."""

    def __init__(self, text):
        self._impl = text if isinstance(text, _C._data.Vocabulary) else _C._data.Vocabulary(text)

    @property
    def chars(self):
        """The characters in id order, as one string."""
        return self._impl.chars

    @property
    def itos(self):
        return list(self._impl.chars)

    @property
    def stoi(self):
        return {c: i for i, c in enumerate(self._impl.chars)}

    def __len__(self):
        return len(self._impl)

    def __eq__(self, other):
        return isinstance(other, Vocabulary) and self._impl == other._impl

    def __contains__(self, char):
        return isinstance(char, str) and len(char) == 1 and self._impl.id(char) >= 0

    def encode(self, text):
        """int64 tensor of the ids of ``text``'s characters; ValueError for one not in the vocabulary."""
        return self._impl.encode(text)

    def decode(self, ids):
        """The text of ids (a tensor of any shape, read in order, or a sequence of ints)."""
        if not isinstance(ids, wick.Tensor):
            ids = wick.tensor(list(ids), dtype=wick.int64)
        return self._impl.decode(ids)

    def __repr__(self):
        return f"Vocabulary({len(self)} characters)"


class CharDataset(Dataset):
    """Windows of a sequence of character ids, for next-character prediction:
    sample i is ``(ids[s:s + seq_len], ids[s + 1:s + seq_len + 1])`` with
    ``s = i * stride`` (stride defaults to seq_len: windows that do not overlap),
    both int64 [seq_len]."""

    def __init__(self, ids, seq_len=None, stride=None):
        if isinstance(ids, _C._data.CharDataset):  # made by TextCorpus.split
            self._impl = ids
            return
        if seq_len is None:
            raise TypeError("CharDataset() missing required argument 'seq_len'")
        self._impl = _C._data.CharDataset(ids, int(seq_len), 0 if stride is None else int(stride))

    @property
    def seq_len(self):
        return self._impl.seq_len

    @property
    def stride(self):
        return self._impl.stride

    @property
    def ids(self):
        return self._impl.ids

    def __len__(self):
        return len(self._impl)

    def __getitem__(self, index):
        return self._impl.get(int(index))

    def _get_batch(self, indices):
        return list(self._impl.get_batch(indices))


class TextCorpus:
    """A text as a sequence of character ids.

    Args:
        path (str, optional): a UTF-8 text file. Without it (and without
            ``text``), the fortunes of Debian's fortunes package
            (/usr/share/games/fortunes, ``apt-get install fortunes``) with
            their '%' separator lines removed.
        text (str, optional): the text itself.

    Attributes:
        text (str), vocab (Vocabulary), data (int64 tensor of the ids of the whole text).
    """

    def __init__(self, path=None, text=None):
        if path is not None and text is not None:
            raise ValueError("TextCorpus takes a path or a text, not both")
        if text is not None:
            self._impl = _C._data.TextCorpus(text)
            self.path = None
        elif path is not None:
            self.path = os.fspath(path)
            self._impl = _C._data.TextCorpus.from_file(self.path)
        else:
            self.path = _C._data.FORTUNES_DIR
            self._impl = _C._data.TextCorpus.fortunes(self.path)
        self.vocab = Vocabulary(self._impl.vocab)

    @property
    def text(self):
        return self._impl.text

    @property
    def data(self):
        return self._impl.ids

    def __len__(self):
        return self._impl.ids.numel()

    def encode(self, text):
        """``self.vocab.encode(text)``: int64 ids of text's characters."""
        return self.vocab.encode(text)

    def decode(self, ids):
        """``self.vocab.decode(ids)``: the text of ids."""
        return self.vocab.decode(ids)

    def split(self, seq_len, test_fraction=0.1, stride=None):
        """(train, test) CharDatasets: the first (1 - test_fraction) of the text
        and the rest, cut into windows of seq_len. test is None when
        test_fraction is 0."""
        train, test = self._impl.split(int(seq_len), float(test_fraction), 0 if stride is None else int(stride))
        return CharDataset(train), (CharDataset(test) if test is not None else None)

    def __repr__(self):
        source = self.path if self.path is not None else "<text>"
        return f"TextCorpus({source!r}: {len(self)} characters, {len(self.vocab)} distinct)"

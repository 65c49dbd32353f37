// wick's data loading, in one include:
//
//   #include "data/data.h"
//   auto train = std::make_shared<wick::data::FashionMNIST>();
//   wick::data::DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 0});
//   for (const wick::data::Example& batch : loader) { ... }
//
//   dataset.h     Dataset<Example>, Example, TensorDataset, collation by stacking
//   dataloader.h  DataLoader: batches, shuffling, a prefetching thread
//   idx.h         read_idx / write_idx: the MNIST file format, raw or gzip
//   mnist.h       MNIST and FashionMNIST
//   text.h        text files, Debian's fortunes, Vocabulary, CharDataset, TextCorpus
#pragma once

#include "data/dataloader.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/mnist.h"
#include "data/text.h"

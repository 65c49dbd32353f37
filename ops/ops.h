// Every op of the library, by family.
#pragma once

#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/linalg.h"
#include "ops/rearrange.h"
#include "ops/reduce.h"
#include "ops/scan.h"
#include "ops/sort.h"
#include "ops/view.h"
// the neural-net functions
#include "ops/conv.h"
#include "ops/dropout.h"
#include "ops/loss.h"
#include "ops/norm.h"
#include "ops/pool.h"
#include "ops/resize.h"
#include "ops/rnn.h"
#include "ops/softmax.h"

/* Everything public in one include. */
#ifndef KPRCA_KPRCA_H
#define KPRCA_KPRCA_H
#include "kprca/status.h"
#include "kprca/device.h"
#include "kprca/dtype.h"
#include "kprca/tensor.h"
#include "kprca/pool.h"
#include "kprca/rng.h"
#include "kprca/activation.h"
#include "kprca/elementwise.h"
#include "kprca/matmul.h"
#include "kprca/dropout.h"
#include "kprca/softmax.h"
#include "kprca/layernorm.h"
#include "kprca/reduce.h"
#include "kprca/index.h"
#include "kprca/segment.h"
#include "kprca/sparse.h"
#include "kprca/loss.h"
#include "kprca/optim.h"
#include "kprca/schedule.h"
#include "kprca/version.h"
#endif

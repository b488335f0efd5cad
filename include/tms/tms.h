/* tms.h: the one header a program that links tms::tms includes.
 * It pulls in the public headers of the model layer (spec, rng, data, kernels, trainer, metrics) and the sweep
 * definition (config, grid); each of those lives beside its module under src/<layer>/<module>/ and is installed
 * as include/tms/<module>/<header>.h. No HDF5, MPI or libyaml type appears in any of them. */
#ifndef TMS_TMS_H
#define TMS_TMS_H
#include "core/status.h"
#include "core/version.h"
#include "core/spec.h"
#include "rng/rng.h"
#include "data/data.h"
#include "kernels/kernels.h"
#include "trainer/optim.h"
#include "trainer/trainer.h"
#include "metrics/metrics.h"
#include "metrics/attack.h"
#include "metrics/neurons.h"
#include "config/config.h"
#include "config/grid.h"
#endif

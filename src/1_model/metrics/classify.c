/* classify: turn a feature's metrics into words: the phase class of SCIENCE.md E2 and the geometry label of the
 * reference fractions of section 4.6 (the polytope whose tight frame gives that D_i, O6).
 * Not here: computing the metrics (metrics.c). Invariants: pure functions, NaN input never crashes and never gets a
 * geometry; names are static strings. */
#include "metrics/metrics.h"

#include <math.h>

tms_phase tms_metric_phase(double norm_sq, double dimensionality) {
  /* Written as !(x >= t) so that NaN falls into the conservative class, not into "dedicated". */
  if (!(norm_sq >= TMS_PHASE_NORM_SQ_MIN)) return TMS_PHASE_NOT_REPRESENTED;
  if (dimensionality >= TMS_PHASE_DEDICATED_MIN) return TMS_PHASE_DEDICATED;
  return TMS_PHASE_SUPERPOSITION;
}

const char *tms_phase_name(tms_phase phase) {
  switch (phase) {
  case TMS_PHASE_NOT_REPRESENTED: return "not_represented";
  case TMS_PHASE_DEDICATED: return "dedicated";
  case TMS_PHASE_SUPERPOSITION: return "superposition";
  }
  return "unknown";
}

/* Ordered by value, largest first; the order is the int8 code stored in post files, so append, never reorder. */
static const struct {
  const char *name;
  double value;
} geometries[] = {
    {"dedicated", 1.0},        {"tetrahedron", 3.0 / 4.0}, {"triangle", 2.0 / 3.0},
    {"digon", 1.0 / 2.0},      {"pentagon", 2.0 / 5.0},    {"square_antiprism", 3.0 / 8.0},
    {"hexagon", 1.0 / 3.0},    {"not_learned", 0.0},
};
enum { GEOMETRY_COUNT = sizeof geometries / sizeof geometries[0] };

int tms_geometry_count(void) { return GEOMETRY_COUNT; }

const char *tms_geometry_name_at(int index) {
  return (index >= 0 && index < GEOMETRY_COUNT) ? geometries[index].name : "other";
}

double tms_geometry_value_at(int index) {
  return (index >= 0 && index < GEOMETRY_COUNT) ? geometries[index].value : NAN;
}

int tms_metric_geometry_index(double dimensionality, double tol) {
  int best = -1;
  double best_d = INFINITY;
  for (int k = 0; k < GEOMETRY_COUNT; k++) {
    double d = fabs(dimensionality - geometries[k].value);
    if (d <= tol && d < best_d) { /* strict < keeps the earlier entry on a tie */
      best = k;
      best_d = d;
    }
  }
  return best;
}

const char *tms_metric_geometry(double dimensionality, double tol) {
  return tms_geometry_name_at(tms_metric_geometry_index(dimensionality, tol));
}

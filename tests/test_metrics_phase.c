/* metrics_phase_geometry: the E2 phase rule and the geometry labels on constructed models. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "metrics/metrics.h"

static void check_label(const char *what, const char *got, const char *want) {
  CHECK(strcmp(got, want) == 0, "%s: label '%s', want '%s'", what, got, want);
}

int main(void) {
  /* n = 3, m = 2: feature 0 dedicated (e0), features 1 and 2 an antipodal pair along e1. */
  float W[3 * 2] = {1, 0, 0, 1, 0, -1};
  double norm[3], s[3], D[3];
  tms_metric_point(norm, s, D, NULL, W, 3, 2);
  tms_phase ph[3];
  for (int i = 0; i < 3; i++) ph[i] = tms_metric_phase(norm[i] * norm[i], D[i]);
  check_label("orthogonal unit feature: phase", tms_phase_name(ph[0]), "dedicated");
  check_label("antipodal feature: phase", tms_phase_name(ph[2]), "superposition");
  CHECK_CLOSE("antipodal feature: D", D[2], 0.5, 1e-12);
  check_label("antipodal feature: geometry", tms_metric_geometry(D[2], 0.02), "digon");
  check_label("orthogonal unit feature: geometry", tms_metric_geometry(D[0], 0.02), "dedicated");

  /* Tiny extra feature along e1, the others a dedicated basis: not represented, geometry not_learned (D = 0). */
  float T[3 * 2] = {1, 0, 0, 1, 0, 1e-4f};
  tms_metric_point(norm, s, D, NULL, T, 3, 2);
  check_label("tiny feature: phase", tms_phase_name(tms_metric_phase(norm[2] * norm[2], D[2])), "not_represented");
  check_label("tiny feature: geometry", tms_metric_geometry(D[2], 0.02), "not_learned");

  /* The rule's thresholds exactly: N < 0.5 not represented; D >= 0.75 dedicated. */
  CHECK(tms_metric_phase(0.4999, 1.0) == TMS_PHASE_NOT_REPRESENTED, "N = 0.4999 is not represented");
  CHECK(tms_metric_phase(0.5, 0.75) == TMS_PHASE_DEDICATED, "N = 0.5, D = 0.75 is dedicated");
  CHECK(tms_metric_phase(0.5, 0.7499) == TMS_PHASE_SUPERPOSITION, "N = 0.5, D = 0.7499 is superposition");
  CHECK(tms_metric_phase(NAN, NAN) == TMS_PHASE_NOT_REPRESENTED, "NaN input is not represented");
  CHECK(tms_metric_phase(1.0, NAN) == TMS_PHASE_SUPERPOSITION, "NaN D is not dedicated");
  check_label("code 0", tms_phase_name(TMS_PHASE_NOT_REPRESENTED), "not_represented");
  check_label("code 1", tms_phase_name(TMS_PHASE_DEDICATED), "dedicated");
  check_label("code 2", tms_phase_name(TMS_PHASE_SUPERPOSITION), "superposition");

  /* The geometry table: every reference value maps to itself, nearest wins, far values are "other". */
  static const char *const names[] = {"dedicated", "tetrahedron", "triangle", "digon", "pentagon",
                                      "square_antiprism", "hexagon", "not_learned"};
  static const double values[] = {1, 0.75, 2.0 / 3, 0.5, 0.4, 0.375, 1.0 / 3, 0};
  CHECK(tms_geometry_count() == 8, "geometry table has %d entries, want 8", tms_geometry_count());
  for (int k = 0; k < 8; k++) {
    check_label("table name", tms_geometry_name_at(k), names[k]);
    CHECK_CLOSE(names[k], tms_geometry_value_at(k), values[k], 1e-15);
    CHECK(tms_metric_geometry_index(values[k], 1e-3) == k, "D = %g maps to index %d, want %d", values[k],
          tms_metric_geometry_index(values[k], 1e-3), k);
  }
  check_label("out of range index", tms_geometry_name_at(8), "other");
  CHECK(isnan(tms_geometry_value_at(-1)), "out of range value is NaN");
  /* 0.39 is 0.010 from 2/5 and 0.015 from 3/8: nearest is pentagon even with a wide tol. */
  check_label("D = 0.39, tol 0.02", tms_metric_geometry(0.39, 0.02), "pentagon");
  check_label("D = 0.385, tol 0.005 (0.010 from 3/8, 0.015 from 2/5)", tms_metric_geometry(0.385, 0.005), "other");
  check_label("D = 0.6 (3/5, no tight frame)", tms_metric_geometry(0.6, 0.02), "other");
  check_label("D = 0.30, tol 0.05", tms_metric_geometry(0.30, 0.05), "hexagon");
  check_label("NaN D", tms_metric_geometry(NAN, 1.0), "other");
  CHECK(tms_metric_geometry_index(0.2, 0.02) == -1, "D = 0.2 is other (-1), got %d",
        tms_metric_geometry_index(0.2, 0.02));
  return tms_check_finish("metrics_phase_geometry");
}

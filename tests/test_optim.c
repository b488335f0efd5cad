/* test_optim: Adam/AdamW against PyTorch (oracle O9) and the learning-rate schedules against the notebook.
 * The PyTorch numbers are committed in fixtures/adam_expected.h (made by fixtures/adam_gen.py), so this test
 * needs no torch. Usage: test_optim adam | adamw | schedule */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fixtures/adam_expected.h"
#include "trainer/optim.h"

/* Runs ADAM_STEPS updates from adam_p0 with the committed gradients and compares every intermediate parameter
 * vector, and m, v at the end, with PyTorch's to rel_tol relative (per element, not per array maximum). */
static void run_case(const char *name, const double *hyper, const float *after, const float *m_want,
                     const float *v_want) {
  float p[ADAM_COUNT], m[ADAM_COUNT] = {0}, v[ADAM_COUNT] = {0};
  memcpy(p, adam_p0, sizeof p);
  const double rel = 1e-7;
  for (int s = 0; s < ADAM_STEPS; s++) {
    tms_adam_step(p, adam_grads + s * ADAM_COUNT, m, v, ADAM_COUNT, s + 1, hyper[0], hyper[1], hyper[2], hyper[3],
                  hyper[4]);
    int bitwise = 0;
    for (int i = 0; i < ADAM_COUNT; i++) {
      const float want = after[s * ADAM_COUNT + i];
      bitwise += p[i] == want;
      CHECK(fabs((double)p[i] - want) <= rel * fabs(want), "%s step %d param[%d]: got %.9g want %.9g (rel %.3g)",
            name, s + 1, i, p[i], want, fabs((double)p[i] - want) / fabs(want));
    }
    printf("%s step %d: %d of %d parameters bitwise equal to torch\n", name, s + 1, bitwise, ADAM_COUNT);
  }
  for (int i = 0; i < ADAM_COUNT; i++) {
    CHECK(fabs((double)m[i] - m_want[i]) <= rel * fabs(m_want[i]), "%s m[%d]: got %.9g want %.9g", name, i, m[i],
          m_want[i]);
    CHECK(fabs((double)v[i] - v_want[i]) <= rel * fabs(v_want[i]), "%s v[%d]: got %.9g want %.9g", name, i, v[i],
          v_want[i]);
  }
}

static void schedules(void) {
  const double pi = 3.14159265358979323846;
  const long steps_list[] = {2, 7, 10000};
  for (int k = 0; k < 3; k++) {
    const long T = steps_list[k];
    const long at[] = {0, 1, T / 3, T / 2, T - 2, T - 1};
    for (int j = 0; j < 6; j++) {
      const long s = at[j] < 0 ? 0 : at[j];
      char what[64];
      snprintf(what, sizeof what, "constant(%ld/%ld)", s, T);
      CHECK_CLOSE(what, tms_schedule_scale(TMS_SCHEDULE_CONSTANT, s, T), 1.0, 0.0);
      snprintf(what, sizeof what, "linear(%ld/%ld)", s, T); /* notebook: 1 - step/steps */
      CHECK_CLOSE(what, tms_schedule_scale(TMS_SCHEDULE_LINEAR, s, T), 1.0 - (double)s / T, 1e-15);
      snprintf(what, sizeof what, "cosine(%ld/%ld)", s, T); /* notebook: cos(0.5 pi step/(steps-1)) */
      CHECK_CLOSE(what, tms_schedule_scale(TMS_SCHEDULE_COSINE, s, T), cos(0.5 * pi * s / (T - 1)), 1e-15);
    }
  }
  /* Landmarks: cosine reaches 0 at the last step and cos(pi/4) half way; linear never reaches 0. */
  CHECK_CLOSE("cosine last", tms_schedule_scale(TMS_SCHEDULE_COSINE, 100, 101), 0.0, 1e-15);
  CHECK_CLOSE("cosine half", tms_schedule_scale(TMS_SCHEDULE_COSINE, 50, 101), sqrt(0.5), 1e-15);
  CHECK_CLOSE("linear last", tms_schedule_scale(TMS_SCHEDULE_LINEAR, 99, 100), 0.01, 1e-15);
  CHECK_CLOSE("cosine one step", tms_schedule_scale(TMS_SCHEDULE_COSINE, 0, 1), 1.0, 0.0);
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "all";
  int all = strcmp(what, "all") == 0;
  if (all || strcmp(what, "adam") == 0) run_case("adam", adam_hyper, adam_after, adam_m, adam_v);
  if (all || strcmp(what, "adamw") == 0) {
    run_case("adamw", adamw_hyper, adamw_after, adamw_m, adamw_v);
    run_case("adamw_big", adamw_big_hyper, adamw_big_after, adamw_big_m, adamw_big_v);
  }
  if (all || strcmp(what, "schedule") == 0) schedules();
  return tms_check_finish(what);
}

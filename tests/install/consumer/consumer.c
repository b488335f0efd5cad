/* consumer: a program outside the tms tree, built against an installed prefix. It reads a sweep from text (the
 * sweep layer, libyaml), expands one point of its grid, trains it (the model layer, OpenBLAS) and checks the
 * training did what it should: a loss that fell, every value finite. Prints what differed; exit 1 on failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tms/tms.h>

static const char sweep_text[] =
    "schema: tms-sweep/1\n"
    "name: consumer\n"
    "seed: 7\n"
    "fixed: {variant: relu_out, n_features: 5, n_hidden: 2, steps: 400, batch_size: 256, log_every: 50}\n"
    "axes:\n"
    "  density: {values: [0.1, 1.0]}\n"
    "replicates: 2\n";

int main(void) {
  tms_sweep sweep;
  tms_error err;
  char msg[1024];
  memset(&sweep, 0, sizeof sweep);
  if (tms_sweep_parse(&sweep, sweep_text, strlen(sweep_text), "consumer.yaml", &err) != TMS_OK) {
    tms_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "consumer: %s\n", msg);
    return 1;
  }
  size_t count = tms_grid_count(&sweep);
  if (count != 4) {
    fprintf(stderr, "consumer: grid has %zu points, want 4 (2 densities x 2 replicates)\n", count);
    tms_sweep_free(&sweep);
    return 1;
  }
  tms_spec spec;
  if (tms_grid_spec(&sweep, 0, &spec, &err) != TMS_OK || tms_spec_validate(&spec, &err) != TMS_OK) {
    tms_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "consumer: point 0: %s\n", msg);
    tms_sweep_free(&sweep);
    return 1;
  }
  tms_sweep_free(&sweep);

  int n = spec.n_features, m = spec.n_hidden;
  size_t curve_len = tms_spec_curve_len(&spec);
  float *W = calloc((size_t)n * m, sizeof *W), *b = calloc((size_t)n, sizeof *b);
  float *curve = calloc(curve_len, sizeof *curve);
  tms_train_result res = {.W = W, .b = b, .loss_curve = curve};
  int rc = 1;
  if (!W || !b || !curve) {
    fprintf(stderr, "consumer: out of memory\n");
  } else if (tms_train(&spec, &res, NULL, &err) != TMS_OK) {
    tms_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "consumer: training failed: %s\n", msg);
  } else if (!(isfinite(res.final_loss) && isfinite(curve[0]) && res.final_loss < 0.9 * curve[0])) {
    fprintf(stderr, "consumer: loss did not fall: step 0 %g, final %g (want final < 0.9 x step 0)\n", curve[0],
            res.final_loss);
  } else {
    rc = 0;
    for (int i = 0; i < n * m; i++) rc |= !isfinite(W[i]);
    if (rc) fprintf(stderr, "consumer: W has a non-finite entry\n");
  }
  if (rc == 0)
    printf("consumer: tms %s (%s): n=%d m=%d density=%g, loss %g -> %g in %ld steps\n", tms_version(),
           tms_git_commit(), n, m, spec.density, curve[0], res.final_loss, res.steps_done);
  free(W);
  free(b);
  free(curve);
  return rc;
}

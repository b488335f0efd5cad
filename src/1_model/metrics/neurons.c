/* neurons: monosemantic / polysemantic neurons and the M4 weight rescaling of SCIENCE.md 4.9.
 * Not here: plotting, and any notion of which feature a neuron "computes" (post decides what to show).
 * Invariants: pure functions of their inputs, no allocation; rescaling leaves the model's output unchanged. */
#include "metrics/neurons.h"

#include <math.h>
#include <stddef.h>

/* Below this fraction of the whole matrix's largest |w| a neuron counts as dead, so rounding noise in an unused
 * neuron cannot make it look polysemantic. */
#define TMS_NEURON_DEAD_REL 1e-6

static double column_max_abs(const float *W /* (N,M) */, int n, int m, int k) {
  double mx = 0.0;
  for (int i = 0; i < n; i++) {
    double a = fabs((double)W[(size_t)i * m + k]);
    if (a > mx) mx = a;
  }
  return mx;
}

void tms_neurons_rescale(float *W1s /* (N,M) */, float *W2s /* (N,M) */, const float *W1 /* (N,M) */,
                         const float *W2 /* (N,M) */, int n, int m) {
  for (int k = 0; k < m; k++) {
    double alpha = column_max_abs(W1, n, m, k);
    for (int i = 0; i < n; i++) {
      size_t at = (size_t)i * m + k;
      if (alpha > 0.0) {
        W1s[at] = (float)((double)W1[at] / alpha);
        W2s[at] = (float)((double)W2[at] * alpha);
      } else { /* dead neuron: its output is always 0, nothing to normalise */
        W1s[at] = W1[at];
        W2s[at] = W2[at];
      }
    }
  }
}

void tms_neurons_classify(int *polysemantic /* (M) */, int *features_per_neuron /* (M) */, const float *W /* (N,M) */,
                          int n, int m, double rel_threshold) {
  double global = 0.0;
  for (int k = 0; k < m; k++) {
    double c = column_max_abs(W, n, m, k);
    if (c > global) global = c;
  }
  for (int k = 0; k < m; k++) {
    double mx = column_max_abs(W, n, m, k);
    int count = 0;
    if (mx > 0.0 && mx >= TMS_NEURON_DEAD_REL * global) {
      double cut = rel_threshold * mx;
      for (int i = 0; i < n; i++)
        if (fabs((double)W[(size_t)i * m + k]) >= cut) count++;
    }
    features_per_neuron[k] = count;
    polysemantic[k] = count > 1;
  }
}

/* neurons: per-neuron statistics of the privileged-basis models M3 (relu_hidden) and M4 (abs) (SCIENCE.md 4.9,
 * E8, E9). W is (N, M) float32, row i = feature i, so neuron k's input weights are column k. */
#ifndef TMS_NEURONS_H
#define TMS_NEURONS_H

/* M4 rescaling for stack plots: alpha_k = max_i |W1[i,k]|; W1s[:,k] = W1[:,k] / alpha_k, W2s[:,k] = W2[:,k] * alpha_k.
 * The model's function is unchanged (ReLU is positively homogeneous). A dead neuron (alpha_k = 0) is copied as is.
 * Outputs may not alias inputs. */
void tms_neurons_rescale(float *W1s /* (N,M) */, float *W2s /* (N,M) */, const float *W1 /* (N,M) */,
                         const float *W2 /* (N,M) */, int n, int m);
/* features_per_neuron[k] = number of i with |W[i,k]| >= rel_threshold * max_i |W[i,k]|; polysemantic[k] = (that
 * count > 1). A neuron whose largest weight is below 1e-6 of the largest weight of the whole W (or is 0) is dead:
 * count 0, not polysemantic. */
void tms_neurons_classify(int *polysemantic /* (M) */, int *features_per_neuron /* (M) */, const float *W /* (N,M) */,
                          int n, int m, double rel_threshold /* 0.1 */);

#endif

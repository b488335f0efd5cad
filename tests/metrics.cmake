# metrics: norms/interference/D_i/D* oracles (O6, O7), phase and geometry labels, attacks (O10), neurons.
tms_test(NAME metrics_polytopes SOURCES ${TMS_TEST_DIR}/test_metrics_polytopes.c LIBS tms_metrics LABELS unit)
tms_test(NAME metrics_threshold_no_nan SOURCES ${TMS_TEST_DIR}/test_metrics_threshold.c LIBS tms_metrics LABELS unit)
tms_test(NAME metrics_phase_geometry SOURCES ${TMS_TEST_DIR}/test_metrics_phase.c LIBS tms_metrics LABELS unit)
tms_test(NAME metrics_invariance SOURCES ${TMS_TEST_DIR}/test_metrics_invariance.c LIBS tms_metrics LABELS unit)
tms_test(NAME attack_direction SOURCES ${TMS_TEST_DIR}/test_attack_direction.c LIBS tms_metrics LABELS unit)
tms_test(NAME attack_vulnerability SOURCES ${TMS_TEST_DIR}/test_attack_vulnerability.c LIBS tms_metrics LABELS unit)
tms_test(NAME neurons_classify_rescale SOURCES ${TMS_TEST_DIR}/test_neurons.c LIBS tms_metrics LABELS unit)

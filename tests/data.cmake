# rng + data: counter-based streams and the sparse feature generators (analysis/SCIENCE.md section 2, oracle O1).
tms_test(NAME rng_determinism SOURCES ${TMS_TEST_DIR}/test_rng.c LIBS tms_rng LABELS unit)
foreach(case moments_independent correlated_sets anticorrelated_sets pairs_member_density correlation_strength
             determinism reference_semantics)
  tms_test(NAME data_${case} SOURCES ${TMS_TEST_DIR}/test_data.c LIBS tms_data LABELS unit ARGS ${case} TIMEOUT 60)
endforeach()
# the gap sampler of low-density, large-N batches (src/1_model/data/gap.h)
foreach(case law choice determinism isa_bits)
  tms_test(NAME data_gap_${case} SOURCES ${TMS_TEST_DIR}/test_data_gap.c LIBS tms_data LABELS unit ARGS ${case}
           TIMEOUT 120)
endforeach()

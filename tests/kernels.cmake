# kernels: forward/backward of the four models. gradcheck (finite differences, every path), torch (PyTorch
# one-step fixtures in tests/fixtures, see README there), paths (row loops, lanes and cblas against a naive
# double-precision reference on shapes on both sides of the crossovers).
foreach(variant linear relu_out relu_hidden abs)
  tms_test(NAME kernels_gradcheck_${variant} SOURCES ${TMS_TEST_DIR}/test_kernels_gradcheck.c
           LIBS tms_kernels LABELS unit ARGS ${variant})
  tms_test(NAME kernels_torch_${variant} SOURCES ${TMS_TEST_DIR}/test_kernels_torch.c
           LIBS tms_kernels hdf5::hdf5 MPI::MPI_C LABELS unit ref
           ARGS ${TMS_TEST_DIR}/fixtures/step_${variant}.h5 ${variant})
endforeach()
tms_test(NAME kernels_paths SOURCES ${TMS_TEST_DIR}/test_kernels_paths.c LIBS tms_kernels LABELS unit)
tms_test(NAME kernels_large SOURCES ${TMS_TEST_DIR}/test_kernels_large.c LIBS tms_kernels LABELS unit)
tms_test(NAME kernels_large_step SOURCES ${TMS_TEST_DIR}/test_kernels_large_step.c LIBS tms_kernels LABELS unit)
# The same cases on the forced instruction-set paths (tests/isa_run.sh: TMS_ISA plus the matching OpenBLAS core;
# skipped where the CPU lacks the path). The default run above takes the widest path of the machine.
function(tms_isa_test name)  # tms_isa_test(NAME ARGS...): NAME's program again under each forced path
  foreach(isa avx2 generic)
    add_test(NAME ${name}_isa_${isa} COMMAND bash ${TMS_TEST_DIR}/isa_run.sh ${isa}
             $<TARGET_FILE:test_${name}_bin> ${ARGN})
    set_tests_properties(${name}_isa_${isa} PROPERTIES LABELS "unit;isa" SKIP_RETURN_CODE 77
                         ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
  endforeach()
endfunction()
foreach(variant linear relu_out relu_hidden abs)
  tms_isa_test(kernels_gradcheck_${variant} ${variant})
  tms_isa_test(kernels_torch_${variant} ${TMS_TEST_DIR}/fixtures/step_${variant}.h5 ${variant})
endforeach()
tms_isa_test(kernels_paths)
tms_isa_test(kernels_large)
tms_isa_test(kernels_large_step)
foreach(case moments_independent correlated_sets determinism reference_semantics)
  tms_isa_test(data_${case} ${case})  # data.cmake's cases: the bulk passes of every path make the same bits
endforeach()
tms_test(NAME kernels_step_fused SOURCES ${TMS_TEST_DIR}/test_kernels_step.c LIBS tms_kernels LABELS unit)
tms_isa_test(kernels_step_fused)
# OpenBLAS's kernels matched to the CPU: the rules, and this program restarting itself where OpenBLAS fell back.
tms_test(NAME blas_core SOURCES ${TMS_TEST_DIR}/test_blas_core.c LIBS tms_kernels LABELS unit)

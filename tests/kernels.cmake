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

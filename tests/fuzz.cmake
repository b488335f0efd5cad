# Fuzzing (tests/fuzz): the libFuzzer harnesses are built with clang in a side directory (<build>/fuzz-side) by
# fuzz_build, then fuzz_sweep_60s and fuzz_results_60s run them for 60 s each (skip, 77, without clang's fuzzer
# runtime). fuzz_results_raw (raw bytes into HDF5's own parser) is run by hand: tests/fuzz/README.md.
# The regressions the fuzzers found are replayed by gcc-built copies of the harnesses (label unit).
set(FUZZ_SRC ${TMS_TEST_DIR}/fuzz)
if(TARGET tms-sweep)
  set(FUZZ_ENV "TMS_FUZZ_BUILD=${CMAKE_BINARY_DIR}/fuzz-side")
  add_test(NAME fuzz_build COMMAND bash ${FUZZ_SRC}/run.sh build)
  set_tests_properties(fuzz_build PROPERTIES LABELS "fuzz" SKIP_RETURN_CODE 77 TIMEOUT 1200 FIXTURES_SETUP fuzz_bins
                       ENVIRONMENT "${FUZZ_ENV}")
  foreach(name sweep results)
    add_test(NAME fuzz_${name}_60s COMMAND bash ${FUZZ_SRC}/run.sh run ${name} 60)
    set_tests_properties(fuzz_${name}_60s PROPERTIES LABELS "fuzz" SKIP_RETURN_CODE 77 TIMEOUT 300
                         FIXTURES_REQUIRED fuzz_bins ENVIRONMENT "${FUZZ_ENV};TMS_SWEEP=$<TARGET_FILE:tms-sweep>")
  endforeach()
endif()

add_library(fuzz_results_check_gcc STATIC ${FUZZ_SRC}/results_check.c)
target_link_libraries(fuzz_results_check_gcc PUBLIC tms_post tms_store tms_config tms_metrics tms_rng tms_core
                      hdf5::hdf5 MPI::MPI_C tms_flags)
target_compile_definitions(fuzz_results_check_gcc PRIVATE TMS_TEST_DIR="${TMS_TEST_DIR}")
foreach(name sweep results results_raw)
  add_executable(fuzz_replay_${name} ${FUZZ_SRC}/replay.c ${FUZZ_SRC}/fuzz_${name}.c)
  target_link_libraries(fuzz_replay_${name} PRIVATE tms_flags)
  add_test(NAME fuzz_regress_${name} COMMAND fuzz_replay_${name} ${FUZZ_SRC}/regress/${name})
  # The suite's environment: under -DTMS_SANITIZE=ON, the leak checker with Open MPI's suppressions and full stacks
  # (without them, MPI_Init's own blocks were reported as leaks of these cases).
  set_tests_properties(fuzz_regress_${name} PROPERTIES LABELS "unit" TIMEOUT 60 ENVIRONMENT "${TMS_TEST_ENV}")
endforeach()
if(TMS_SANITIZE)
  # hdf5-header-size-64GB makes HDF5 ask for 64 GB: a real malloc returns NULL and HDF5 refuses the file, as in
  # the Release build; ASan's allocator would abort instead unless told to return NULL (as tests/fuzz/run.sh does).
  set_property(TEST fuzz_regress_results_raw APPEND PROPERTY ENVIRONMENT
               "ASAN_OPTIONS=${TMS_ASAN_OPTIONS}:allocator_may_return_null=1")
endif()
target_link_libraries(fuzz_replay_sweep PRIVATE tms_config tms_rng tms_core)
target_link_libraries(fuzz_replay_results PRIVATE fuzz_results_check_gcc hdf5::hdf5)
target_link_libraries(fuzz_replay_results_raw PRIVATE fuzz_results_check_gcc)

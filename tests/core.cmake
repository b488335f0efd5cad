tms_test(NAME spec_registry SOURCES ${TMS_TEST_DIR}/test_spec.c LIBS tms_core LABELS unit)

# The layer order of the tree (issue 10 item 2): no include runs upward; model and sweep layers stay free of
# MPI/HDF5 (and the model layer of libyaml). The self-test plants violations in a temp copy and wants them reported.
add_test(NAME layers_includes COMMAND bash ${TMS_TEST_DIR}/layers/includes.sh ${PROJECT_SOURCE_DIR})
add_test(NAME layers_includes_selftest COMMAND bash ${TMS_TEST_DIR}/layers/includes_selftest.sh)
set_tests_properties(layers_includes layers_includes_selftest PROPERTIES LABELS "unit")

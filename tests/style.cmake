# House size limits (issue 10 item 8): no source file over 600 lines, no function over 80 (tests/ included).
add_test(NAME style_limits COMMAND /usr/bin/python3 ${TMS_TEST_DIR}/style/limits.py ${PROJECT_SOURCE_DIR})
set_tests_properties(style_limits PROPERTIES LABELS "unit")
add_test(NAME style_limits_selftest COMMAND bash ${TMS_TEST_DIR}/style/limits_selftest.sh)
set_tests_properties(style_limits_selftest PROPERTIES LABELS "unit")

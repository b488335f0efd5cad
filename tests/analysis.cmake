# analysis: the plotting scripts (analysis/*.py) on the synthetic fixture of tests/analysis/make_fixture.py, one
# case per script: --help, a non-empty PNG, and a clear error naming a removed dataset (exit 77 without
# /usr/bin/python3 + h5py + matplotlib). Plus every sweep file under sweeps/ through `tms-sweep plan`, so the
# shipped sweeps always parse and validate against the real registry.
set(TMS_ANALYSIS_DIR ${PROJECT_SOURCE_DIR}/analysis)
set(_tms_analysis_cases
    "embeddings_2d e0 /results/W"
    "gram_bars e1 /metrics/interference"
    "phase_diagram e2 /phase/fraction"
    "dstar e3 /metrics/dimensionality"
    "represented e1 /summary/represented"
    "perturbation e4 /features/geometry"
    "dynamics e6 /results/loss_curve"
    "vulnerability e7 /vulnerability/per_example"
    "neuron_stacks e9 /neurons/W1_scaled"
    "loss_spread e8 /results/loss"
    "make_figures e5 /results/W")
foreach(case IN LISTS _tms_analysis_cases)
  separate_arguments(_args UNIX_COMMAND "${case}")
  list(GET _args 0 _script)
  list(GET _args 1 _preset)
  list(GET _args 2 _missing)
  tms_script_test(NAME analysis_${_script}
                  COMMAND sh ${TMS_TEST_DIR}/analysis/check_script.sh ${TMS_ANALYSIS_DIR} ${_script}.py ${_preset}
                          ${_missing}
                  LABELS unit TIMEOUT 60)
endforeach()
# E4/E8 variants of two scripts: the canonical frame, and relu_hidden stacks coloured by superposition
tms_script_test(NAME analysis_embeddings_2d_canonical
                COMMAND sh ${TMS_TEST_DIR}/analysis/check_script.sh ${TMS_ANALYSIS_DIR} embeddings_2d.py e4
                        /results/loss --canonical --x last_density
                LABELS unit TIMEOUT 60)
tms_script_test(NAME analysis_neuron_stacks_relu_hidden
                COMMAND sh ${TMS_TEST_DIR}/analysis/check_script.sh ${TMS_ANALYSIS_DIR} neuron_stacks.py e8
                        /neurons/polysemantic --color-by superposition
                LABELS unit TIMEOUT 60)
# E5: Gram matrices of a feature range (the correlated sets of e5_local) with the set boundaries
tms_script_test(NAME analysis_gram_bars_features
                COMMAND sh ${TMS_TEST_DIR}/analysis/check_script.sh ${TMS_ANALYSIS_DIR} gram_bars.py e5
                        /metrics/interference --features 0:4
                LABELS unit TIMEOUT 60)
# E6 with a W history: D_i over training from tms-post (/dynamics/dimensionality_history) against the metrics of the fixture and of a real run
tms_script_test(NAME analysis_dynamics_history
                COMMAND /usr/bin/python3 ${TMS_TEST_DIR}/analysis/test_dynamics.py ${TMS_ANALYSIS_DIR}
                        ${TMS_TEST_DIR}/analysis/make_fixture.py ${TMS_TEST_DIR}/orchestrator/tiny.yaml
                LABELS unit TIMEOUT 150)
tms_script_test(NAME analysis_canonicalise
                COMMAND /usr/bin/python3 ${TMS_TEST_DIR}/analysis/test_canonicalise.py ${TMS_ANALYSIS_DIR}
                LABELS unit TIMEOUT 30)

# every shipped sweep file must pass `tms-sweep plan` (parse + validate + grid expansion; trains nothing)
if(TARGET tms-sweep)
  file(GLOB _tms_sweep_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/sweeps/*.yaml)
  foreach(_f IN LISTS _tms_sweep_files)
    get_filename_component(_stem ${_f} NAME_WE)
    tms_script_test(NAME sweep_plan_${_stem} COMMAND $<TARGET_FILE:tms-sweep> plan ${_f} LABELS unit TIMEOUT 30)
  endforeach()
endif()

# target.cmake - run `roomwatch target` as a user would and compare what it prints.
#   cmake -DROOMWATCH=path/to/roomwatch [-DEMULATOR=qemu-aarch64|-L|sysroot] -P target.cmake
# The JSON is compared as text: the format is fixed (key order as documented, integral bounds as
# integers, compact separators of json_dumps), so any change to it must show up here.

string(REPLACE "|" ";" EMULATOR "${EMULATOR}")

function(expect_output args want_rc want_out)
    execute_process(COMMAND ${EMULATOR} ${ROOMWATCH} ${args}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    string(STRIP "${out}" out)
    if(NOT rc EQUAL want_rc)
        message(FATAL_ERROR "roomwatch ${args}: exit ${rc}, expected ${want_rc}\n${out}${err}")
    endif()
    if(NOT "${out}" STREQUAL "${want_out}")
        message(FATAL_ERROR "roomwatch ${args}:\n got: ${out}\nwant: ${want_out}")
    endif()
    if(want_rc EQUAL 2 AND err STREQUAL "")
        message(FATAL_ERROR "roomwatch ${args}: exit 2 without a message on stderr")
    endif()
endfunction()

expect_output("target;≥0&&≤2;--json" 0
    [[{"text": "≥0&&≤2", "qualitative": false, "lower": 0, "lower_inclusive": true, "upper": 2, "upper_inclusive": true, "unit": ""}]])
expect_output("target;≥99;--unit;%;--json" 0
    [[{"text": "≥99", "qualitative": false, "lower": 99, "lower_inclusive": true, "upper": null, "upper_inclusive": false, "unit": "%"}]])
expect_output("target;=19.246公里;--json" 0
    [[{"text": "=19.246公里", "qualitative": false, "lower": 19.246, "lower_inclusive": true, "upper": 19.246, "upper_inclusive": true, "unit": "公里"}]])
expect_output("target;持续24小时供电;--json" 0
    [[{"text": "持续24小时供电", "qualitative": true, "lower": null, "lower_inclusive": false, "upper": null, "upper_inclusive": false, "unit": ""}]])
expect_output("target;≤48(小时)" 0 "≤48(小时): ≤48 h")
expect_output("target;≥;--json" 2 "")
expect_output("target" 2 "")

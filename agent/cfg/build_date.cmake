# rw_build_date(TARGET): compiles TARGET's cfg_load.c with ROOMWATCH_BUILD_DATE, the default
# floor of the config's "clock" group (no wall clock before the build can be right). Included
# by agent/cfg/CMakeLists.txt and by the fuzzers' own project (tests/fuzz/), which build the
# same sources. string(TIMESTAMP) honours SOURCE_DATE_EPOCH: reproducible builds get the
# source's date.
function(rw_build_date target)
    string(TIMESTAMP date "%Y-%m-%d" UTC)
    target_compile_definitions(${target} PRIVATE ROOMWATCH_BUILD_DATE="${date}")
endfunction()

# Helpers that keep each target declaration in the project to one line.

# Applies the project's warning flags to TARGET.
function(otter_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wnon-virtual-dtor -Wcast-qual
    -Wmissing-declarations)
endfunction()

# otter_library(NAME SOURCES... [LIBS ...]): a static library whose headers
# are included by path from the repository root ("engine/geo_index.h").
function(otter_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_LIBS})
  otter_warnings(${name})
endfunction()

# otter_test(NAME [LIBS ...] [LABELS ...] [FIXTURES ...]): builds NAME.cc
# next to the calling CMakeLists.txt into a GoogleTest binary and registers
# each of its tests with CTest. FIXTURES names CTest fixtures it requires
# (e.g. postgres, for tests that need the private PostgreSQL).
function(otter_test name)
  cmake_parse_arguments(ARG "" "" "LIBS;LABELS;FIXTURES" ${ARGN})
  add_executable(${name} ${name}.cc)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest_main GTest::gmock)
  otter_warnings(${name})
  set(properties ENVIRONMENT "OTTER_TEST_PG_ENV=${OTTER_TEST_PG_ENV}")
  if(ARG_LABELS)
    list(APPEND properties LABELS "${ARG_LABELS}")
  endif()
  if(ARG_FIXTURES)
    # The change follower's fence, pg_snapshot_xmin(), is cluster-wide: a
    # test's open transaction holds it back for every other database. Tests
    # of the cluster therefore run one at a time (the others in parallel).
    list(APPEND properties FIXTURES_REQUIRED "${ARG_FIXTURES}" RESOURCE_LOCK "${ARG_FIXTURES}")
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${properties})
endfunction()

# otter_benchmark(NAME [LIBS ...]): builds NAME.cc into a Google Benchmark
# program. Benchmarks are never part of the test run.
function(otter_benchmark name)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  add_executable(${name} ${name}.cc)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} benchmark::benchmark)
  otter_warnings(${name})
endfunction()

# CTest script: installs the SDK of this build into a temporary prefix, configures and builds
# examples/out-of-tree-plugin against it with find_package(llmp) as a third party would, then
# runs out_of_tree_test, which loads the result with PluginLoader and calls it.
#   cmake -DMAIN_BUILD= -DEXAMPLE_SRC= -DWORK_DIR= -DTEST_EXE= -DGENERATOR= -DCXX_COMPILER=
#         [-DSANITIZE=ON] -P run_out_of_tree.cmake
foreach(var MAIN_BUILD EXAMPLE_SRC WORK_DIR TEST_EXE GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_out_of_tree.cmake: ${var} is not set")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  message(STATUS "${what}: ok")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

run("cmake --install (component sdk)"
  ${CMAKE_COMMAND} --install ${MAIN_BUILD} --component sdk --prefix ${prefix})
if(NOT EXISTS ${prefix}/lib/cmake/llmp/llmpConfig.cmake)
  file(GLOB_RECURSE configs ${prefix}/*Config.cmake)
  if(NOT configs)
    message(FATAL_ERROR "the installed SDK has no llmpConfig.cmake under ${prefix}")
  endif()
endif()

set(flags "")
if(SANITIZE)
  # The installed llmp::cpp was built with the sanitizers; the plugin must link their runtime.
  set(flags -DCMAKE_CXX_FLAGS=-fsanitize=address,undefined
            -DCMAKE_MODULE_LINKER_FLAGS=-fsanitize=address,undefined)
endif()
run("configure the example with find_package(llmp)"
  ${CMAKE_COMMAND} -S ${EXAMPLE_SRC} -B ${WORK_DIR}/build -G ${GENERATOR}
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Debug
  ${flags})
run("build the example" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)

set(plugin ${WORK_DIR}/build/libecho_upper.so)
if(NOT EXISTS ${plugin})
  message(FATAL_ERROR "the example build produced no ${plugin}")
endif()
run("load and call the example plugin"
  ${CMAKE_COMMAND} -E env LLMP_EXAMPLE_PLUGIN=${plugin} ${TEST_EXE})

# CTest script: every plugin library in PLUGIN_DIR (globbed at test time, so plugins added later
# are covered) must export llmp_plugin_entry and nothing else of its own. Linker-provided
# symbols (_init, _fini, _edata, _end, __bss_start, ...) are ignored.
#   cmake -DPLUGIN_DIR=<dir> -DNM=<nm> -P check_exports.cmake
if(NOT PLUGIN_DIR OR NOT NM)
  message(FATAL_ERROR "usage: cmake -DPLUGIN_DIR=<dir> -DNM=<nm> -P check_exports.cmake")
endif()

file(GLOB plugins LIST_DIRECTORIES false "${PLUGIN_DIR}/*.so")
list(SORT plugins)
if(NOT plugins)
  message(FATAL_ERROR "no plugin library found in ${PLUGIN_DIR}")
endif()

set(ignored _init _fini _edata _end __bss_start _DYNAMIC _GLOBAL_OFFSET_TABLE_
  __data_start data_start __dso_handle _IO_stdin_used)
set(failures "")
foreach(plugin IN LISTS plugins)
  execute_process(COMMAND ${NM} -D --defined-only ${plugin}
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(APPEND failures "\n  ${plugin}: nm failed: ${err}")
    continue()
  endif()
  string(REPLACE "\n" ";" lines "${out}")
  set(has_entry FALSE)
  set(extra "")
  foreach(line IN LISTS lines)
    # "<address> <type> <name>[@version]"
    if(NOT line MATCHES "^[0-9a-fA-F]* *[A-Za-z] ([^ @]+)")
      continue()
    endif()
    set(name ${CMAKE_MATCH_1})
    if(name STREQUAL "llmp_plugin_entry")
      set(has_entry TRUE)
    elseif(NOT name IN_LIST ignored)
      list(APPEND extra ${name})
    endif()
  endforeach()
  get_filename_component(file ${plugin} NAME)
  if(NOT has_entry)
    string(APPEND failures "\n  ${file}: does not export llmp_plugin_entry")
  endif()
  if(extra)
    list(LENGTH extra count)
    list(SUBLIST extra 0 10 shown)
    string(REPLACE ";" " " shown "${shown}")
    string(APPEND failures "\n  ${file}: exports ${count} more symbol(s): ${shown}")
  endif()
  if(has_entry AND NOT extra)
    message(STATUS "${file}: exports llmp_plugin_entry only")
  endif()
endforeach()

if(failures)
  message(FATAL_ERROR "plugin exports are wrong (build plugins with llmp_add_plugin, which "
                      "hides everything but llmp_plugin_entry):${failures}")
endif()

# llmp_add_plugin(<target> SOURCES ... [COMPONENT <install component>] [C])
# A plugin is a MODULE library with hidden visibility that exports only llmp_plugin_entry
# (version script), links with -z defs so a missing symbol fails at build time, and lands in
# the shared plugin directory as lib<target>.so.
set(LLMP_PLUGIN_VERSION_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/llmp-plugin.version)

function(llmp_add_plugin target)
  cmake_parse_arguments(ARG "" "COMPONENT" "SOURCES" ${ARGN})
  if(NOT ARG_COMPONENT)
    set(ARG_COMPONENT plugins)
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${LLMP_PLUGIN_OUTPUT_DIR})
  target_link_options(${target} PRIVATE
    -Wl,-z,defs -Wl,--version-script=${LLMP_PLUGIN_VERSION_SCRIPT})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/sdk/include)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  install(TARGETS ${target} LIBRARY DESTINATION ${LLMP_PLUGIN_INSTALL_DIR} COMPONENT ${ARG_COMPONENT})
endfunction()

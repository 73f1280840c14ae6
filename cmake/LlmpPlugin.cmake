# llmp_add_plugin(<target> SOURCES <files...> [COMPONENT <install component>]
#                 [OUTPUT_DIRECTORY <dir>] [NO_INSTALL])
#
# A plugin is a MODULE library (C or C++ sources) with hidden visibility that exports only
# llmp_plugin_entry (version script), links with -z defs so a missing symbol fails at build time,
# and compiles against the SDK headers (llmp::headers). Link llmp::cpp (or llmp_sdk_cpp in this
# tree) yourself when you use the C++ helpers.
#
# Used in this tree (cmake/) and installed with the SDK as <prefix>/lib/cmake/llmp/, where
# find_package(llmp) includes it. In this tree the library lands in LLMP_PLUGIN_OUTPUT_DIR and
# installs to LLMP_PLUGIN_INSTALL_DIR; elsewhere it lands in the current binary dir and installs
# to <libdir>/llm-proxy/plugins.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(llmp_add_plugin target)
  cmake_parse_arguments(ARG "NO_INSTALL" "COMPONENT;OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "llmp_add_plugin(${target}): no SOURCES given")
  endif()
  if(NOT ARG_COMPONENT)
    set(ARG_COMPONENT plugins)
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY AND DEFINED LLMP_PLUGIN_OUTPUT_DIR)
    set(ARG_OUTPUT_DIRECTORY ${LLMP_PLUGIN_OUTPUT_DIR})
  endif()
  if(TARGET llmp_sdk_headers)
    set(headers llmp_sdk_headers)
  elseif(TARGET llmp::headers)
    set(headers llmp::headers)
  else()
    message(FATAL_ERROR "llmp_add_plugin(${target}): the llmp SDK headers target is missing; "
                        "call find_package(llmp) first")
  endif()

  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    PREFIX "lib"
    SUFFIX ".so")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
  set(version_script ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/llmp-plugin.version)
  target_link_options(${target} PRIVATE -Wl,-z,defs -Wl,--version-script=${version_script})
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${version_script})
  target_include_directories(${target} PRIVATE
    $<TARGET_PROPERTY:${headers},INTERFACE_INCLUDE_DIRECTORIES>)
  target_compile_options(${target} PRIVATE -Wall -Wextra)

  if(NOT ARG_NO_INSTALL)
    if(DEFINED LLMP_PLUGIN_INSTALL_DIR)
      set(destination ${LLMP_PLUGIN_INSTALL_DIR})
    else()
      set(destination ${CMAKE_INSTALL_LIBDIR}/llm-proxy/plugins)
    endif()
    install(TARGETS ${target} LIBRARY DESTINATION ${destination} COMPONENT ${ARG_COMPONENT})
  endif()
endfunction()

# Chooses the most self-contained form of each Debian-packaged dependency:
#   - spdlog, fmt, toml++: header-only (their shared libraries are not linked); spdlog's
#     implementation is compiled once, in src/util/spdlog_build.cpp (SPDLOG_COMPILED_LIB), not
#     in every file that logs;
#   - yaml-cpp: the static archive libyaml-cpp.a that libyaml-cpp-dev ships;
#   - nlohmann_json, CLI11: header-only by nature;
#   - cpp-httplib: shared — Debian ships no static archive (see README, "The binary").
# Everything is collected in the interface target autoswarm::deps.

get_target_property(_spdlog_inc spdlog::spdlog_header_only INTERFACE_INCLUDE_DIRECTORIES)
get_target_property(_fmt_inc fmt::fmt-header-only INTERFACE_INCLUDE_DIRECTORIES)
add_library(autoswarm_spdlog INTERFACE)
target_include_directories(autoswarm_spdlog SYSTEM INTERFACE ${_spdlog_inc} ${_fmt_inc})
target_compile_definitions(autoswarm_spdlog INTERFACE SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY=1 SPDLOG_COMPILED_LIB)

get_target_property(_toml_inc tomlplusplus::tomlplusplus INTERFACE_INCLUDE_DIRECTORIES)
add_library(autoswarm_toml INTERFACE)
target_include_directories(autoswarm_toml SYSTEM INTERFACE ${_toml_inc})
target_compile_definitions(autoswarm_toml INTERFACE TOML_HEADER_ONLY=1)

find_library(AUTOSWARM_YAML_CPP_STATIC NAMES libyaml-cpp.a REQUIRED)
get_target_property(_yaml_inc yaml-cpp INTERFACE_INCLUDE_DIRECTORIES)
add_library(autoswarm_yaml_cpp STATIC IMPORTED)
set_target_properties(autoswarm_yaml_cpp PROPERTIES IMPORTED_LOCATION "${AUTOSWARM_YAML_CPP_STATIC}")
if(_yaml_inc)
  set_target_properties(autoswarm_yaml_cpp PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_yaml_inc}")
endif()

add_library(autoswarm_deps INTERFACE)
target_link_libraries(autoswarm_deps INTERFACE
  autoswarm_spdlog autoswarm_toml autoswarm_yaml_cpp
  nlohmann_json::nlohmann_json CLI11::CLI11 CppHttplib::CppHttplib Threads::Threads)
add_library(autoswarm::deps ALIAS autoswarm_deps)

# Finds Debian's cpp-httplib (libcpp-httplib-dev), which installs a shared library and a
# pkg-config file but no CMake package. Provides the imported target CppHttplib::CppHttplib
# with the compile definitions the library was built with (OpenSSL, zlib, brotli).
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_CPP_HTTPLIB QUIET cpp-httplib)
endif()

find_path(CppHttplib_INCLUDE_DIR httplib.h HINTS ${PC_CPP_HTTPLIB_INCLUDE_DIRS})
find_library(CppHttplib_LIBRARY NAMES cpp-httplib HINTS ${PC_CPP_HTTPLIB_LIBRARY_DIRS})
set(CppHttplib_VERSION "${PC_CPP_HTTPLIB_VERSION}")

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CppHttplib
  REQUIRED_VARS CppHttplib_LIBRARY CppHttplib_INCLUDE_DIR
  VERSION_VAR CppHttplib_VERSION)

if(CppHttplib_FOUND AND NOT TARGET CppHttplib::CppHttplib)
  add_library(CppHttplib::CppHttplib SHARED IMPORTED)
  # The header must see the same feature macros as the compiled library, or the
  # class layouts differ. Debian builds it with all three.
  set(_httplib_defs ${PC_CPP_HTTPLIB_CFLAGS_OTHER})
  list(TRANSFORM _httplib_defs REPLACE "^-D" "")
  if(NOT _httplib_defs)
    set(_httplib_defs CPPHTTPLIB_OPENSSL_SUPPORT CPPHTTPLIB_ZLIB_SUPPORT CPPHTTPLIB_BROTLI_SUPPORT)
  endif()
  set_target_properties(CppHttplib::CppHttplib PROPERTIES
    IMPORTED_LOCATION "${CppHttplib_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CppHttplib_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "${_httplib_defs}"
    INTERFACE_LINK_LIBRARIES "OpenSSL::SSL;OpenSSL::Crypto;Threads::Threads")
endif()
mark_as_advanced(CppHttplib_INCLUDE_DIR CppHttplib_LIBRARY)

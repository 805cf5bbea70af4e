# Warnings live on an INTERFACE target, never on the global flags, so third-party code is unaffected.
add_library(ocx_warnings INTERFACE)
target_compile_options(ocx_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  $<$<BOOL:${OCX_WERROR}>:-Werror>)
# GCC before 12.3 (Debian 12 has 12.2) reports false -Wrestrict errors inside libstdc++ at -O3 for
# `"literal" + std::string` (GCC bug 105329, fixed in 12.3). Only Release builds use -O3, so only
# they turn it off, and only with those compilers.
target_compile_options(ocx_warnings INTERFACE
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,12.3>,$<CONFIG:Release>>:-Wno-restrict>)

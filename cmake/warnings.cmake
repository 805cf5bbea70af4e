# Warnings live on an INTERFACE target, never on the global flags, so third-party code is unaffected.
add_library(ocx_warnings INTERFACE)
target_compile_options(ocx_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  $<$<BOOL:${OCX_WERROR}>:-Werror>)

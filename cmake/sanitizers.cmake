# -DOCX_SANITIZE=ON: AddressSanitizer + UndefinedBehaviorSanitizer for every target that links ocx_core.
add_library(ocx_sanitizers INTERFACE)
if(OCX_SANITIZE)
  target_compile_options(ocx_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(ocx_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

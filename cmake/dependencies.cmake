# Every find_package in one place, with the floors we build and test against (Debian 12).
# Boost through its own CMake package (BoostConfig.cmake, shipped since 1.70): CMake's FindBoost
# module is deprecated (policy CMP0167) and warns on every configure from CMake 3.30 on.
# -DOCX_PORTABLE=ON links the static Boost libraries (the release packages).
if(OCX_PORTABLE)
  set(Boost_USE_STATIC_LIBS ON)
endif()
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json program_options)
find_package(CURL 7.88 REQUIRED)
find_package(LibArchive 3.6 REQUIRED)
find_package(LibLZMA 5.4 REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Threads REQUIRED)
if(OCX_BUILD_TESTS)
  find_package(doctest 2.4 REQUIRED)
endif()

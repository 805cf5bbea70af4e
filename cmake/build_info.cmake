# OCX_RELEASE_COMMIT: the commit `--version` names. From git when the source is a checkout (read at
# configure time; CMake configures again when HEAD or the branch moves), else from the environment
# variable OCX_RELEASE_COMMIT (a source tarball built in CI), else "unknown". Only a 7-40 digit
# lowercase hex value is taken, whatever its origin.
set(OCX_RELEASE_COMMIT "")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse HEAD
                  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
                  OUTPUT_VARIABLE _ocx_git_head RESULT_VARIABLE _ocx_git_rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_ocx_git_rc EQUAL 0)
    set(OCX_RELEASE_COMMIT "${_ocx_git_head}")
    # Configure again when a commit lands: HEAD itself, and the branch it points to (a loose ref
    # file, or packed-refs once git has packed it).
    execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --path-format=absolute --git-path HEAD
                    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
                    OUTPUT_VARIABLE _ocx_git_head_file OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    execute_process(COMMAND "${GIT_EXECUTABLE}" symbolic-ref -q HEAD
                    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
                    OUTPUT_VARIABLE _ocx_git_ref OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    set(_ocx_git_watch "${_ocx_git_head_file}")
    foreach(_ocx_path "${_ocx_git_ref}" packed-refs)
      if(_ocx_path)
        execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --path-format=absolute --git-path "${_ocx_path}"
                        WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
                        OUTPUT_VARIABLE _ocx_file OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
        list(APPEND _ocx_git_watch "${_ocx_file}")
      endif()
    endforeach()
    foreach(_ocx_file ${_ocx_git_watch})
      if(EXISTS "${_ocx_file}")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_ocx_file}")
      endif()
    endforeach()
  endif()
endif()
if(NOT OCX_RELEASE_COMMIT)
  set(OCX_RELEASE_COMMIT "$ENV{OCX_RELEASE_COMMIT}")
endif()
string(LENGTH "${OCX_RELEASE_COMMIT}" _ocx_commit_length)
if(NOT OCX_RELEASE_COMMIT MATCHES "^[0-9a-f]+$" OR _ocx_commit_length LESS 7 OR _ocx_commit_length GREATER 40)
  set(OCX_RELEASE_COMMIT "unknown")
endif()

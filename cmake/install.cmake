# SPDX-License-Identifier: Apache-2.0
# `cmake --install BUILD [--prefix P] [--strip]`: the binary, the promptbench(1) man page,
# the bash, zsh and fish completions, and the copyright and changelog where Debian keeps a
# package's documents. The .deb (cmake/package.cmake) installs exactly these files.
#
#   bin/promptbench
#   share/man/man1/promptbench.1.gz
#   share/bash-completion/completions/promptbench
#   share/zsh/vendor-completions/_promptbench
#   share/fish/vendor_completions.d/promptbench.fish
#   share/doc/promptbench/copyright, changelog.gz
include(GNUInstallDirs)

set(PROMPTBENCH_PACKAGE_MAINTAINER "promptbench maintainers <maintainers@promptbench.example>"
  CACHE STRING "Name <email> of the .deb's maintainer, also in its changelog")

find_program(PROMPTBENCH_GZIP gzip REQUIRED)

# gzip -9n: maximal compression and no time stamp in the header, as Debian's policy asks of
# man pages and changelogs (so that two builds give the same bytes).
function(promptbench_gzip target input output)
  add_custom_command(OUTPUT ${output}
    COMMAND ${PROMPTBENCH_GZIP} -9n -c ${input} > ${output}
    DEPENDS ${input}
    COMMENT "Compressing ${output}")
  add_custom_target(${target} ALL DEPENDS ${output})
endfunction()

# --- man page: generated from the binary's own --help, so it lists every option it takes --
set(PROMPTBENCH_MAN_DIR ${CMAKE_BINARY_DIR}/man)
set(PROMPTBENCH_MAN_PAGE ${PROMPTBENCH_MAN_DIR}/promptbench.1)
add_custom_command(OUTPUT ${PROMPTBENCH_MAN_PAGE}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROMPTBENCH_MAN_DIR}
  COMMAND ${CMAKE_COMMAND} -DPROMPTBENCH=$<TARGET_FILE:promptbench>
    -DTEMPLATE=${CMAKE_CURRENT_SOURCE_DIR}/man/promptbench.1.in
    -DOUTPUT=${PROMPTBENCH_MAN_PAGE} -DVERSION=${PROJECT_VERSION}
    -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/generate_man_page.cmake
  DEPENDS promptbench ${CMAKE_CURRENT_SOURCE_DIR}/man/promptbench.1.in
    ${CMAKE_CURRENT_SOURCE_DIR}/cmake/generate_man_page.cmake
  COMMENT "Generating promptbench(1) from promptbench --help"
  VERBATIM)
promptbench_gzip(promptbench_man ${PROMPTBENCH_MAN_PAGE} ${PROMPTBENCH_MAN_PAGE}.gz)

# The install test reads the uncompressed page beside the binary it tests.
if(TARGET promptbench_integration_tests)
  add_dependencies(promptbench_integration_tests promptbench_man)
endif()

# --- changelog: Debian's format, which lintian requires of a package --------------------
string(TIMESTAMP PROMPTBENCH_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/packaging/changelog.in
  ${CMAKE_BINARY_DIR}/packaging/changelog @ONLY)
promptbench_gzip(promptbench_changelog ${CMAKE_BINARY_DIR}/packaging/changelog
  ${CMAKE_BINARY_DIR}/packaging/changelog.gz)

# --- the files -----------------------------------------------------------------------
install(TARGETS promptbench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROMPTBENCH_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES completions/promptbench.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME promptbench)
install(FILES completions/_promptbench
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES completions/promptbench.fish
  DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(FILES packaging/copyright ${CMAKE_BINARY_DIR}/packaging/changelog.gz
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# SPDX-License-Identifier: Apache-2.0
# `cpack -G DEB` from a configured build (scripts/package.sh does it from the release
# preset): a .deb of what cmake/install.cmake installs, under /usr, stripped. Its Depends
# come from dpkg-shlibdeps on the binary (the libraries it links, at the versions this
# machine has), not from a list kept by hand. The license (Apache-2.0) is in
# /usr/share/doc/promptbench/copyright, in Debian's machine-readable format.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME promptbench)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The promptbench authors")
set(CPACK_PACKAGE_CONTACT "${PROMPTBENCH_PACKAGE_MAINTAINER}")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_CURRENT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# One package of everything installed, whatever components the targets name.
set(CPACK_DEB_COMPONENT_INSTALL OFF)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PROMPTBENCH_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libcurl verifies https endpoints against the system's certificate store.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS ca-certificates)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS bash-completion)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "evaluate prompt variants against LLM HTTP endpoints
promptbench fills every prompt template of a configuration with every row of a
labelled dataset, sends the requests to LLM HTTP endpoints (OpenAI, Azure
OpenAI, Anthropic, Ollama, vLLM or any JSON service), scores the answers with
pluggable metrics and writes a JSON report and a summary table with confidence
intervals, paired comparisons between the variants and gates for CI.

It survives rate limits, failing endpoints, crashes and interrupts: every
answer is kept in a response cache that is also the journal from which a
re-run resumes. Reports convert to Markdown, JUnit XML, CSV and an offline
HTML page, and two reports compare with paired significance tests.")

include(CPack)

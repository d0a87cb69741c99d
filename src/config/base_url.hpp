// SPDX-License-Identifier: Apache-2.0
// Load-time check of a provider's base_url, so a typo is a located config error and not a
// run in which every request fails.
#pragma once

#include <string>

#include "config/field.hpp"

namespace promptbench::config {

/// Requires an http:// or https:// URL with a host, a port (when given) from 1 to 65535
/// and nothing libcurl would refuse (spaces, bad host names). `url` is the field's text
/// after ${VAR} expansion; a mistake fails at `field`.
void check_base_url(const Field& field, const std::string& url);

}  // namespace promptbench::config

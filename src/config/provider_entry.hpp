// SPDX-License-Identifier: Apache-2.0
// One entry of `providers:` or `judges:` -> ProviderConfig. The loader checks the keys every
// provider shares; the provider type's own keys go to its validator in the registry.
#pragma once

#include "config/field.hpp"
#include "promptbench/config.hpp"

namespace promptbench::config {

/// Reads and checks one provider entry. The registry decides whether `type` exists; keys
/// outside kCommonProviderKeys become ProviderConfig::options and are checked by that
/// type's ProviderInfo::validate. `${VAR}` values taken from the environment (in
/// `base_url` and `headers`) are registered as secrets. Throws UserError at file:line:col
/// with the field path.
[[nodiscard]] ProviderConfig read_provider(const Field& field);

}  // namespace promptbench::config

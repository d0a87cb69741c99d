// SPDX-License-Identifier: Apache-2.0
// Secrets never reach a file or a terminal. The config loader registers every secret value
// the run knows -- the API keys read through `api_key_env` and every `${VAR}` expanded from
// the environment -- and every sink (the JSON report, the cache, the request log, error
// messages, `--dry-run` and `render`) passes its text through redact() before writing it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace promptbench {

inline constexpr std::string_view kRedacted = "<redacted>";

/// Values shorter than this are not treated as secrets: redacting "1" or "abc" everywhere
/// would destroy reports, and no credential is that short.
inline constexpr std::size_t kMinSecretLength = 4;

/// Registers `value` (and its JSON-escaped spelling) for redaction, process-wide. Values
/// shorter than kMinSecretLength are ignored. Thread-safe.
void add_secret(std::string_view value);

/// `text` with every registered secret, and the `user:password@` part of every URL,
/// replaced by "<redacted>". Thread-safe.
[[nodiscard]] std::string redact(std::string_view text);

/// redact() on `text` from byte `from` on, in place: for a sink that appends to a buffer
/// (the report's case lines) and would otherwise copy every line.
void redact_in_place(std::string& text, std::size_t from = 0);

/// Forgets every registered secret (for tests).
void clear_secrets();

}  // namespace promptbench

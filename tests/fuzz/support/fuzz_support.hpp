// SPDX-License-Identifier: Apache-2.0
// What the fuzz targets share: a scratch folder of their own per process, writing an input
// into it, and reporting an invariant that does not hold (as a crash libFuzzer records).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace promptbench::fuzz {

/// A folder under the system's temp dir, made on first use and unique to this process (so
/// parallel fuzzing jobs never share files); removed at exit.
[[nodiscard]] const std::filesystem::path& scratch_dir();

/// Writes `bytes` to `scratch_dir() / name`, replacing it; returns the path.
std::filesystem::path write_scratch_file(const std::string& name, std::string_view bytes);

/// The input as text.
[[nodiscard]] std::string_view as_text(const std::uint8_t* data, std::size_t size);

/// An invariant failed: prints `what` and the input (escaped) to stderr and aborts, which
/// libFuzzer reports as a crash and saves the input for.
[[noreturn]] void invariant_failed(const std::string& what, std::string_view input);

}  // namespace promptbench::fuzz

// SPDX-License-Identifier: Apache-2.0
// Output extraction: regex group, JSON pointer, trim, first line -- applied to the
// model's text before scoring. The raw text stays in the report.
#pragma once

#include <memory>
#include <string>

#include <tl/expected.hpp>

#include "promptbench/config.hpp"

namespace promptbench {

/// A compiled extraction pipeline. Construction compiles the regexes (UserError at the
/// step's location on a bad pattern).
class Extractor {
 public:
  explicit Extractor(const ExtractConfig& steps);
  ~Extractor();
  Extractor(Extractor&&) noexcept;
  Extractor& operator=(Extractor&&) noexcept;

  /// The extracted text. A regex that does not match or a pointer that is absent gives an
  /// empty string (the output is then scored as empty, not as an error); an output that is
  /// not JSON when a pointer asks for JSON gives an error message.
  [[nodiscard]] tl::expected<std::string, std::string> apply(const std::string& text) const;
  [[nodiscard]] bool empty() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace promptbench

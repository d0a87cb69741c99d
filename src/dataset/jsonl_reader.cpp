// SPDX-License-Identifier: Apache-2.0
// JSON Lines: one object per line, read a line at a time.
#include <string>

#include "dataset/reader_support.hpp"
#include "promptbench/dataset.hpp"

namespace promptbench {

namespace {

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

class JsonlReader final : public RowReader {
 public:
  JsonlReader(std::unique_ptr<std::istream> in, std::string display_path)
      : m_in(std::move(in)), m_file(std::move(display_path)) {}

  std::optional<nlohmann::json> next() override {
    while (read_line()) {
      if (!is_blank(m_line)) {
        return parse_row();
      }
    }
    dataset::check_read_error(*m_in, m_file);
    return std::nullopt;
  }

  [[nodiscard]] SourceLocation where() const override { return {m_file, m_row_line, 0}; }

 private:
  bool read_line() {
    if (!std::getline(*m_in, m_line)) {
      return false;
    }
    ++m_line_number;
    if (m_line_number == 1 && m_line.starts_with(dataset::utf8_bom)) {
      m_line.erase(0, dataset::utf8_bom.size());
    }
    if (!m_line.empty() && m_line.back() == '\r') {
      m_line.pop_back();
    }
    return true;
  }

  nlohmann::json parse_row() {
    m_row_line = m_line_number;
    dataset::check_row_text(m_file, m_row_line, m_line);
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(m_line);
    } catch (const nlohmann::json::parse_error& e) {
      throw dataset::malformed_json(m_file, m_row_line, dataset::parse_error_reason(e));
    } catch (const nlohmann::json::out_of_range& e) {
      // A number beyond a double (1e400): found by fuzz_dataset, it escaped as exit 3.
      throw dataset::malformed_json(m_file, m_row_line, dataset::parse_error_reason(e));
    }
    if (!row.is_object()) {
      throw dataset::not_an_object(m_file, m_row_line, row);
    }
    return row;
  }

  std::unique_ptr<std::istream> m_in;
  std::string m_file;
  std::string m_line;  // reused so reading allocates only when a line is longer than any before
  std::size_t m_line_number = 0;
  std::size_t m_row_line = 0;
};

}  // namespace

std::unique_ptr<RowReader> make_jsonl_reader(std::unique_ptr<std::istream> in,
                                             std::string display_path) {
  return std::make_unique<JsonlReader>(std::move(in), std::move(display_path));
}

}  // namespace promptbench

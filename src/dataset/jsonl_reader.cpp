// SPDX-License-Identifier: Apache-2.0
// JSON Lines: one object per line, read a line at a time.
#include <string>
#include <string_view>

#include "dataset/reader_support.hpp"
#include "promptbench/dataset.hpp"

namespace promptbench {

namespace {

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

class JsonlReader final : public RowReader {
 public:
  JsonlReader(std::unique_ptr<std::istream> in, std::string display_path, std::size_t max_row_bytes)
      : m_input(std::move(in), display_path),
        m_file(std::move(display_path)),
        m_max_row_bytes(max_row_bytes) {}

  std::optional<nlohmann::json> next() override {
    while (read_line()) {
      if (!is_blank(m_line)) {
        return parse_row();
      }
    }
    return std::nullopt;
  }

  [[nodiscard]] SourceLocation where() const override { return {m_file, m_row_line, 0}; }

 private:
  /// The next line into m_line, without its LF or CR LF; false at the end of the input. A
  /// line longer than max_row_bytes is refused before more of it is held: a file of one
  /// endless line must not take all the memory there is.
  bool read_line() {
    m_line.clear();
    bool found = false;
    for (std::string_view bytes = m_input.unread(); !bytes.empty(); bytes = m_input.unread()) {
      found = true;
      const std::size_t newline = bytes.find('\n');
      const std::size_t length = newline == std::string_view::npos ? bytes.size() : newline;
      // One byte over the limit is kept for a CR that the line end will drop.
      if (m_line.size() + length > m_max_row_bytes + 1) {
        throw dataset::row_too_large(m_file, m_line_number + 1, m_max_row_bytes);
      }
      m_line.append(bytes.data(), length);
      m_input.consume(newline == std::string_view::npos ? length : length + 1);
      if (newline != std::string_view::npos) {
        break;
      }
    }
    if (!found) {
      return false;
    }
    ++m_line_number;
    if (!m_line.empty() && m_line.back() == '\r') {
      m_line.pop_back();
    }
    if (m_line.size() > m_max_row_bytes) {
      throw dataset::row_too_large(m_file, m_line_number, m_max_row_bytes);
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

  dataset::ChunkedInput m_input;  // drops a leading BOM
  std::string m_file;
  std::size_t m_max_row_bytes;
  std::string m_line;  // reused so reading allocates only when a line is longer than any before
  std::size_t m_line_number = 0;
  std::size_t m_row_line = 0;
};

}  // namespace

std::unique_ptr<RowReader> make_jsonl_reader(std::unique_ptr<std::istream> in,
                                             std::string display_path, std::size_t max_row_bytes) {
  return std::make_unique<JsonlReader>(std::move(in), std::move(display_path), max_row_bytes);
}

}  // namespace promptbench

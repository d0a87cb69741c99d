// SPDX-License-Identifier: Apache-2.0
// A JSON array of objects, streamed element by element: a small scanner finds where each
// element ends (tracking strings, escapes and nesting) and nlohmann parses just that text.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "dataset/reader_support.hpp"
#include "promptbench/dataset.hpp"

namespace promptbench {

namespace {

constexpr int end_of_input = -1;

/// Bytes of a stream through a fixed buffer, counting lines; skips a leading BOM.
class ByteSource {
 public:
  ByteSource(std::unique_ptr<std::istream> in, std::string file)
      : m_input(std::move(in), std::move(file)) {}

  int peek() {
    const std::string_view bytes = m_input.unread();
    return bytes.empty() ? end_of_input : static_cast<unsigned char>(bytes.front());
  }

  int get() {
    const int c = peek();
    if (c != end_of_input) {
      m_input.consume(1);
      m_line += c == '\n' ? 1 : 0;
    }
    return c;
  }

  [[nodiscard]] std::size_t line() const { return m_line; }

 private:
  dataset::ChunkedInput m_input;
  std::size_t m_line = 1;
};

bool is_json_space(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

class JsonArrayReader final : public RowReader {
 public:
  JsonArrayReader(std::unique_ptr<std::istream> in, std::string display_path,
                  std::size_t max_row_bytes)
      : m_file(std::move(display_path)),
        m_source(std::move(in), m_file),
        m_max_row_bytes(max_row_bytes) {}

  std::optional<nlohmann::json> next() override {
    try {
      return read_row();
    } catch (...) {
      m_state = State::done;  // the position in the text means nothing after a mistake
      throw;
    }
  }

  [[nodiscard]] SourceLocation where() const override { return {m_file, m_row_line, 0}; }

 private:
  enum class State { before_array, before_element, after_element, done };

  std::optional<nlohmann::json> read_row() {
    if (m_state == State::before_array) {
      open_array();
    }
    if (m_state == State::after_element && !take_separator()) {
      finish();
    }
    if (m_state == State::done) {
      return std::nullopt;
    }
    return read_element();
  }

  void skip_space() {
    while (is_json_space(m_source.peek())) {
      m_source.get();
    }
  }

  void open_array() {
    skip_space();
    if (m_source.get() != '[') {
      throw UserError(SourceLocation{m_file, m_source.line(), 0}, "",
                      "expected a JSON array of objects");
    }
    m_state = State::before_element;
    skip_space();
    if (m_source.peek() == ']') {
      m_source.get();
      finish();
    }
  }

  /// After an element: true at ',' (another element follows), false at the closing ']'.
  bool take_separator() {
    skip_space();
    const int c = m_source.get();
    if (c == ',') {
      return true;
    }
    if (c == ']') {
      return false;
    }
    throw unexpected(c, "',' or ']'");
  }

  void finish() {
    m_state = State::done;
    skip_space();
    const int c = m_source.peek();
    if (c != end_of_input) {
      throw dataset::malformed_json(
          m_file, m_source.line(),
          "unexpected " + dataset::describe_byte(c) + " after the end of the array");
    }
  }

  nlohmann::json read_element() {
    skip_space();
    const int c = m_source.peek();
    if (c == end_of_input || c == ',' || c == ']') {
      throw unexpected(c, "a JSON object");
    }
    m_row_line = m_source.line();
    scan_element();
    dataset::check_row_text(m_file, m_row_line, m_text);
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(m_text);
    } catch (const nlohmann::json::parse_error& e) {
      throw dataset::malformed_json(m_file, line_of(e), dataset::parse_error_reason(e));
    } catch (const nlohmann::json::out_of_range& e) {
      // A number beyond a double (1e400): found by fuzz_dataset, it escaped as exit 3.
      throw dataset::malformed_json(m_file, m_row_line, dataset::parse_error_reason(e));
    }
    if (!row.is_object()) {
      throw dataset::not_an_object(m_file, m_row_line, row);
    }
    m_state = State::after_element;
    return row;
  }

  /// Copies one element's text into m_text. It ends where its brackets balance, or for a
  /// scalar at the next ',' or ']'. On anything malformed it stops early and leaves the
  /// diagnosis to nlohmann, so a broken file is not swallowed whole: a mismatched bracket
  /// is taken and ends the element, and so does a raw control character inside a string
  /// (JSON forbids them, so an unterminated string ends at its line). An element longer than
  /// max_row_bytes is refused as soon as it gets there.
  void scan_element() {
    m_text.clear();
    m_open.clear();
    bool in_string = false;
    bool escaped = false;
    for (int c = m_source.peek(); c != end_of_input; c = m_source.peek()) {
      if (in_string) {
        take();
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        } else if (c < 0x20) {
          return;
        }
        continue;
      }
      if (m_open.empty() && (c == ',' || c == ']' || c == '}')) {
        return;
      }
      take();
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        m_open.push_back(c == '{' ? '}' : ']');
      } else if (c == '}' || c == ']') {
        const bool matches = m_open.back() == c;
        m_open.pop_back();
        if (!matches || m_open.empty()) {
          return;
        }
      }
    }
  }

  /// Moves the next byte into the element's text, unless that would pass max_row_bytes.
  void take() {
    if (m_text.size() == m_max_row_bytes) {
      throw dataset::row_too_large(m_file, m_row_line, m_max_row_bytes);
    }
    m_text.push_back(static_cast<char>(m_source.get()));
  }

  /// The file line of a parse error inside m_text (nlohmann counts from the element start).
  [[nodiscard]] std::size_t line_of(const nlohmann::json::parse_error& e) const {
    const std::size_t end = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, m_text.size());
    const std::string_view before(m_text.data(), end);
    return m_row_line + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  }

  [[nodiscard]] UserError unexpected(int c, const std::string& expected) const {
    return dataset::malformed_json(
        m_file, m_source.line(),
        "unexpected " + dataset::describe_byte(c) + "; expected " + expected);
  }

  std::string m_file;
  ByteSource m_source;
  State m_state = State::before_array;
  std::string m_text;        // the current element, reused between rows
  std::vector<char> m_open;  // closers of the brackets open in the current element
  std::size_t m_row_line = 0;
  std::size_t m_max_row_bytes;
};

}  // namespace

std::unique_ptr<RowReader> make_json_array_reader(std::unique_ptr<std::istream> in,
                                                  std::string display_path,
                                                  std::size_t max_row_bytes) {
  return std::make_unique<JsonArrayReader>(std::move(in), std::move(display_path), max_row_bytes);
}

}  // namespace promptbench

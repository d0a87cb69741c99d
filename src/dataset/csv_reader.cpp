// SPDX-License-Identifier: Apache-2.0
// CSV per RFC 4180 through libcsv: a header row names the fields, every value is a string.
#include <csv.h>

#include <algorithm>
#include <array>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dataset/reader_support.hpp"
#include "promptbench/dataset.hpp"
#include "util/utf8.hpp"

namespace promptbench {

namespace {

// RFC 4180: spaces are part of a field. libcsv trims them unless told nothing is a space.
int no_space(unsigned char /*c*/) {
  return 0;
}

/// libcsv only says "error parsing data while strict checking enabled"; in strict mode
/// without space trimming there are just two causes, told apart by the offending byte.
std::string describe_parse_error(int status, char offending) {
  if (status != CSV_EPARSE) {
    return csv_strerror(status);
  }
  if (offending == '"') {
    return "quote inside an unquoted field (quote the whole field and double the quote)";
  }
  return "unexpected " + dataset::describe_byte(static_cast<unsigned char>(offending)) +
         " after a closing quote (expected ',' or a line end)";
}

class CsvReader final : public RowReader {
 public:
  CsvReader(std::unique_ptr<std::istream> in, std::string display_path, std::size_t max_row_bytes)
      : m_input(std::move(in), display_path),
        m_file(std::move(display_path)),
        m_max_row_bytes(max_row_bytes) {
    // REPALL_NL reports every unquoted line end, so we see where each row ends and can
    // tell which line the next one starts on; STRICT_FINI rejects an unclosed quote at EOF.
    csv_init(&m_parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL);
    csv_set_space_func(&m_parser, no_space);
  }
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;
  ~CsvReader() override { csv_free(&m_parser); }

  std::optional<nlohmann::json> next() override {
    while (!m_ready && !m_finished) {
      advance();
    }
    if (!m_ready) {
      return std::nullopt;
    }
    m_row_line = m_ready_line;
    return std::exchange(m_ready, std::nullopt);
  }

  [[nodiscard]] SourceLocation where() const override { return {m_file, m_row_line, 0}; }

 private:
  static void on_field(void* data, std::size_t length, void* self) {
    static_cast<CsvReader*>(self)->m_fields.emplace_back(static_cast<const char*>(data), length);
  }
  static void on_row(int /*terminator*/, void* self) { static_cast<CsvReader*>(self)->end_row(); }

  /// Feeds libcsv the next piece of input: up to and including the next CR or LF, so the
  /// line count is exact whenever a row ends (a row can only end at a piece's last byte).
  void advance() {
    const std::string_view bytes = m_input.unread();
    if (bytes.empty()) {
      finish();
      return;
    }
    const auto stop = bytes.find_first_of("\r\n");
    const std::size_t length = stop == std::string_view::npos ? bytes.size() : stop + 1;
    m_input.consume(length);
    feed(bytes.data(), length);
  }

  void feed(const char* piece, std::size_t length) {
    check_row_size(piece, length);
    m_row_ended = false;
    const std::size_t parsed = csv_parse(&m_parser, piece, length, on_field, on_row, this);
    if (parsed != length) {
      fail(
          UserError(SourceLocation{m_file, m_line, 0}, "",
                    "malformed CSV: " + describe_parse_error(csv_error(&m_parser), piece[parsed])));
    }
    count_line_end(piece, length);
    if (m_row_ended) {
      m_row_start = m_line;
      m_row_bytes = 0;
    }
    rethrow_pending();
  }

  /// Refuses a row (the header too) longer than max_row_bytes before libcsv buffers the
  /// piece that would take it past. A piece belongs to one row, as a row ends only at a
  /// piece's last byte; the line end that ends a row is not counted.
  void check_row_size(const char* piece, std::size_t length) {
    m_row_bytes += length;
    const char last = piece[length - 1];
    const std::size_t line_end = last == '\r' || last == '\n' ? 1 : 0;
    if (m_row_bytes - line_end > m_max_row_bytes) {
      fail(dataset::row_too_large(m_file, m_row_start, m_max_row_bytes));
    }
  }

  // A CR, an LF, or a CR LF pair each end one line, also inside quoted fields.
  void count_line_end(const char* piece, std::size_t length) {
    const char last = piece[length - 1];
    const bool lf_of_crlf = last == '\n' && length == 1 && m_after_cr;
    if (last == '\r' || (last == '\n' && !lf_of_crlf)) {
      ++m_line;
    }
    m_after_cr = last == '\r';
  }

  void finish() {
    m_finished = true;
    if (csv_fini(&m_parser, on_field, on_row, this) != 0) {
      fail(UserError(SourceLocation{m_file, m_row_start, 0}, "",
                     "malformed CSV: quoted field not closed before the end of the file"));
    }
    rethrow_pending();
  }

  // Called by libcsv, so it must not throw: a problem is kept for feed() to throw.
  //
  // A blank line has no fields at all (libcsv reports one field only when the line holds
  // something, even just ""), and the LF of a CR LF looks the same; both are skipped, as
  // Python's csv.DictReader does. So in a one-column file an empty value must be written
  // as "" to count as a row: an empty line is not one.
  void end_row() {
    m_row_ended = true;
    if (m_fields.empty()) {
      return;
    }
    try {
      if (m_header.empty()) {
        set_header();
      } else {
        m_ready = make_row();
        m_ready_line = m_row_start;
      }
    } catch (...) {
      m_pending = std::current_exception();
    }
    m_fields.clear();
  }

  void set_header() {
    for (std::size_t i = 0; i < m_fields.size(); ++i) {
      check_column_name(i);
    }
    m_header = std::move(m_fields);
  }

  void check_column_name(std::size_t i) const {
    const std::string& name = m_fields[i];
    if (name.empty()) {
      throw error_here(fmt::format("empty column name in the header (column {})", i + 1));
    }
    if (!util::is_valid_utf8(name)) {
      throw error_here(fmt::format("invalid UTF-8 in the header (column {})", i + 1));
    }
    const auto first = std::find(m_fields.begin(), m_fields.end(), name);
    if (first != m_fields.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw error_here(fmt::format("duplicate column name \"{}\" in the header (columns {} and {})",
                                   name, first - m_fields.begin() + 1, i + 1));
    }
  }

  nlohmann::json make_row() {
    if (m_fields.size() != m_header.size()) {
      throw error_here(fmt::format("expected {} fields (as in the header), got {}", m_header.size(),
                                   m_fields.size()));
    }
    nlohmann::json row = nlohmann::json::object();
    for (std::size_t i = 0; i < m_fields.size(); ++i) {
      // Checked here: nlohmann would only notice when the row is written out, far away.
      if (!util::is_valid_utf8(m_fields[i])) {
        throw error_here(fmt::format("invalid UTF-8 in column \"{}\"", m_header[i]));
      }
      row[m_header[i]] = std::move(m_fields[i]);
    }
    return row;
  }

  [[nodiscard]] UserError error_here(const std::string& message) const {
    return UserError(SourceLocation{m_file, m_row_start, 0}, "", message);
  }

  [[noreturn]] void fail(const UserError& error) {
    m_finished = true;
    throw error;
  }

  void rethrow_pending() {
    if (m_pending) {
      m_finished = true;
      std::rethrow_exception(std::exchange(m_pending, nullptr));
    }
  }

  dataset::ChunkedInput m_input;
  std::string m_file;
  csv_parser m_parser{};
  bool m_finished = false;

  std::size_t m_line = 1;       // line of the next byte fed to libcsv
  bool m_after_cr = false;      // the last piece ended with CR (an LF next completes CR LF)
  bool m_row_ended = false;     // libcsv ended a row (or a blank line) in the current piece
  std::size_t m_row_start = 1;  // line where the row libcsv is parsing started
  std::size_t m_max_row_bytes;
  std::size_t m_row_bytes = 0;  // bytes fed to libcsv since that row started

  std::vector<std::string> m_header;
  std::vector<std::string> m_fields;  // the row so far
  std::optional<nlohmann::json> m_ready;
  std::size_t m_ready_line = 0;
  std::size_t m_row_line = 0;  // where the row last returned by next() starts
  std::exception_ptr m_pending;
};

}  // namespace

std::unique_ptr<RowReader> make_csv_reader(std::unique_ptr<std::istream> in,
                                           std::string display_path, std::size_t max_row_bytes) {
  return std::make_unique<CsvReader>(std::move(in), std::move(display_path), max_row_bytes);
}

}  // namespace promptbench

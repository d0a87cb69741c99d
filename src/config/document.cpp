// SPDX-License-Identifier: Apache-2.0
// YAML and JSON text -> LocatedDocument. yaml-cpp hands every scalar over as text, so the
// YAML 1.2 core schema (null, bool, int, float) is resolved here.
#include "config/document.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "util/input_limits.hpp"
#include "util/json_depth.hpp"
#include "util/json_pointer.hpp"
#include "util/text.hpp"
#include "util/utf8.hpp"

namespace promptbench::config {

namespace {

SourceLocation location_of(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) {
    return {file, 0, 0};
  }
  return {file, static_cast<std::size_t>(mark.line) + 1, static_cast<std::size_t>(mark.column) + 1};
}

bool is_decimal_int(const std::string& s) {
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) {
    return false;
  }
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  return true;
}

bool is_float(const std::string& s) {
  // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  std::size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    ++i;
    ++digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      ++digits;
    }
  }
  if (digits == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
      ++i;
    }
    std::size_t exponent_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      ++exponent_digits;
    }
    if (exponent_digits == 0) {
      return false;
    }
  }
  return i == s.size();
}

/// Resolves a plain (unquoted) scalar by the YAML 1.2 core schema.
nlohmann::json resolve_plain_scalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return nullptr;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    return false;
  }
  if (is_decimal_int(s) && s.size() < 19) {
    return std::stoll(s);
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    const int base = s[1] == 'x' ? 16 : 8;
    const std::string digits = s.substr(2);
    if (digits.find_first_not_of(base == 16 ? "0123456789abcdefABCDEF" : "01234567") ==
        std::string::npos) {
      return std::stoll(digits, nullptr, base);
    }
  }
  if (is_float(s)) {
    return std::stod(s);
  }
  const std::string lower = util::lower(s);
  if (lower == ".inf" || lower == "+.inf") {
    return std::numeric_limits<double>::infinity();
  }
  if (lower == "-.inf") {
    return -std::numeric_limits<double>::infinity();
  }
  if (lower == ".nan") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return s;
}

/// Walks the YAML events before anything is built and refuses a document that nests deeper
/// than kMaxNestingDepth or holds more than kMaxConfigValues values once its aliases are
/// expanded. yaml-cpp shares an aliased node instead of copying it, but the conversion to
/// JSON copies it at every use: a "billion laughs" of ten lines would expand to 10^9 values.
/// Each anchor's expanded size and height are known when it ends, so an alias costs O(1).
class ExpansionBudget final : public YAML::EventHandler {
 public:
  explicit ExpansionBudget(std::string file) : m_file(std::move(file)) {}

  void OnDocumentStart(const YAML::Mark& /*mark*/) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                const std::string& /*value*/) override {
    leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // yaml-cpp links `&a [*a]` into a cycle, which no amount of expansion ends.
    if (std::any_of(m_open.begin(), m_open.end(),
                    [&](const Open& open) { return open.anchor == anchor; })) {
      fail(mark, "this alias is inside the value it names, which would never end");
    }
    const auto found = m_anchors.find(anchor);
    const Expansion target = found == m_anchors.end() ? Expansion{1, 0} : found->second;
    if (m_open.size() + target.height > util::kMaxNestingDepth) {
      fail(mark, too_deep());
    }
    add(mark, target.values, true);
    note_height(target.height);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  /// What a node stands for once expanded: its values and its levels of lists/mappings.
  struct Expansion {
    std::size_t values = 0;
    std::size_t height = 0;
  };
  struct Open {
    std::size_t values_before = 0;
    YAML::anchor_t anchor = YAML::NullAnchor;
    std::size_t height = 1;
  };

  static std::string too_deep() {
    return fmt::format("values nested deeper than {} levels", util::kMaxNestingDepth);
  }

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    throw UserError(location_of(m_file, mark), "", message);
  }

  void add(const YAML::Mark& mark, std::size_t values, bool alias) {
    m_values += values;
    if (m_values <= util::kMaxConfigValues) {
      return;
    }
    fail(mark, alias ? fmt::format("this alias expands the config to more than {} values "
                                   "(every use of an alias counts all of its values)",
                                   util::kMaxConfigValues)
                     : fmt::format("the config holds more than {} values", util::kMaxConfigValues));
  }

  void remember(YAML::anchor_t anchor, Expansion expansion) {
    if (anchor != YAML::NullAnchor) {
      m_anchors[anchor] = expansion;
    }
  }

  void note_height(std::size_t height) {
    if (!m_open.empty()) {
      m_open.back().height = std::max(m_open.back().height, height + 1);
    }
  }

  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    add(mark, 1, false);
    remember(anchor, {1, 0});
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    add(mark, 1, false);
    m_open.push_back({m_values - 1, anchor, 1});
    if (m_open.size() > util::kMaxNestingDepth) {
      fail(mark, too_deep());
    }
  }

  void close() {
    const Open done = m_open.back();
    m_open.pop_back();
    remember(done.anchor, {m_values - done.values_before, done.height});
    note_height(done.height);
  }

  std::string m_file;
  std::vector<Open> m_open;
  std::unordered_map<YAML::anchor_t, Expansion> m_anchors;
  std::size_t m_values = 0;
};

class YamlConverter {
 public:
  explicit YamlConverter(LocatedDocument& doc) : m_doc(doc) {}

  nlohmann::json convert(const YAML::Node& node, const std::string& pointer) {
    m_doc.value_at[pointer] = location_of(m_doc.file, node.Mark());
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar:
        check_scalar_utf8(node);
        // "!" marks a quoted scalar (or an explicit !!str tag): always a string.
        if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
          return node.Scalar();
        }
        try {
          return resolve_plain_scalar(node.Scalar());
        } catch (const std::out_of_range&) {
          // A number beyond a double or a long long (1e400, 0x1FFFFFFFFFFFFFFFF): stod and
          // stoll throw. Found by fuzz_config; it escaped as exit 3.
          throw UserError(location_of(m_doc.file, node.Mark()), "",
                          "number overflow parsing '" + node.Scalar() + "'");
        }
      case YAML::NodeType::Sequence: {
        nlohmann::json array = nlohmann::json::array();
        std::size_t index = 0;
        for (const auto& item : node) {
          array.push_back(convert(item, pointer + "/" + std::to_string(index++)));
        }
        return array;
      }
      case YAML::NodeType::Map: {
        nlohmann::json object = nlohmann::json::object();
        for (const auto& entry : node) {
          if (!entry.first.IsScalar()) {
            throw UserError(location_of(m_doc.file, entry.first.Mark()), "",
                            "mapping keys must be plain strings");
          }
          check_scalar_utf8(entry.first);
          const std::string key = entry.first.Scalar();
          const std::string child = util::pointer_append(pointer, key);
          if (object.contains(key)) {
            throw UserError(location_of(m_doc.file, entry.first.Mark()), "",
                            fmt::format("duplicate key '{}'", key));
          }
          m_doc.key_at[child] = location_of(m_doc.file, entry.first.Mark());
          object[key] = convert(entry.second, child);
        }
        return object;
      }
    }
    return nullptr;
  }

 private:
  /// The file is valid UTF-8, but yaml-cpp decodes the escapes \N and \_ (U+0085, U+00A0) to
  /// a single Latin-1 byte, and takes a NUL byte for a backslash; a scalar like that would
  /// fail later, when a report or a request body is serialized (found by fuzz_config).
  void check_scalar_utf8(const YAML::Node& node) const {
    if (const auto offset = util::find_invalid_utf8(node.Scalar())) {
      throw UserError(location_of(m_doc.file, node.Mark()), "",
                      fmt::format("this value decodes to invalid UTF-8 (byte 0x{:02X}): write the "
                                  "character itself instead of the escape \\N or \\_",
                                  static_cast<unsigned char>(node.Scalar()[*offset])));
    }
  }

  LocatedDocument& m_doc;
};

/// JSON nests without bound in nlohmann's parser, but not in what comes after it.
void check_json_depth(const std::string& file, const std::string& text) {
  if (const auto offset = util::find_nesting_beyond(text, util::kMaxNestingDepth)) {
    throw UserError(location_of_offset(file, text, *offset), "",
                    fmt::format("values nested deeper than {} levels", util::kMaxNestingDepth));
  }
}

}  // namespace

/// UTF-8 is what JSON requires and what requests are sent in; a stray Latin-1 byte is
/// reported where it is, not when a request body cannot be serialized.
void check_utf8(const std::string& file, const std::string& text) {
  if (const auto offset = util::find_invalid_utf8(text)) {
    throw UserError(location_of_offset(file, text, *offset), "",
                    fmt::format("invalid UTF-8 (byte 0x{:02X}); save the file as UTF-8",
                                static_cast<unsigned char>(text[*offset])));
  }
}

SourceLocation LocatedDocument::where(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    if (auto it = value_at.find(p); it != value_at.end() && it->second.line != 0) {
      return it->second;
    }
    if (p.empty()) {
      return SourceLocation{file};
    }
    p.erase(p.rfind('/'));
  }
}

SourceLocation LocatedDocument::where_key(const std::string& pointer) const {
  if (auto it = key_at.find(pointer); it != key_at.end() && it->second.line != 0) {
    return it->second;
  }
  return where(pointer);
}

LocatedDocument parse_yaml(const std::string& file, const std::string& text) {
  check_utf8(file, text);
  LocatedDocument doc;
  doc.file = file;
  YAML::Node node;
  try {
    std::istringstream events(text);
    ExpansionBudget budget(file);
    YAML::Parser(events).HandleNextDocument(budget);  // the first document, as Load reads
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw UserError(location_of(file, e.mark), "", e.msg);
  }
  doc.root = YamlConverter(doc).convert(node, "");
  return doc;
}

LocatedDocument parse_json(const std::string& file, const std::string& text) {
  // nlohmann gives exact syntax errors; yaml-cpp (JSON is YAML's flow style) gives the
  // positions of values. Valid JSON that yaml-cpp cannot read keeps file-level locations.
  check_utf8(file, text);
  check_json_depth(file, text);
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    std::string message = e.what();
    if (auto pos = message.find("syntax error"); pos != std::string::npos) {
      message = message.substr(pos);
    }
    const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    throw UserError(location_of_offset(file, text, offset), "", message);
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond a double (1e400) has no position in nlohmann's error; it escaped as
    // exit 3 before (the same bug fuzz_dataset found in the dataset readers).
    std::string message = e.what();
    if (const auto bracket = message.find("] "); bracket != std::string::npos) {
      message = message.substr(bracket + 2);  // drop "[json.exception.out_of_range.406]"
    }
    throw UserError(SourceLocation{file, 0, 0}, "", message);
  }
  try {
    LocatedDocument doc = parse_yaml(file, text);
    if (doc.root == root) {
      return doc;
    }
  } catch (const UserError&) {
  }
  LocatedDocument doc;
  doc.file = file;
  doc.root = std::move(root);
  return doc;
}

std::string read_config_text(const std::filesystem::path& path, const std::string& display_name) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (!error && size > util::kMaxConfigBytes) {
    throw UserError(SourceLocation{display_name}, "",
                    fmt::format("the file is larger than {} MiB, the limit for a config or "
                                "template file",
                                util::kMaxConfigBytes >> 20));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw UserError(SourceLocation{display_name}, "", "cannot read file");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

LocatedDocument load_document(const std::filesystem::path& path, const std::string& display_name) {
  const std::string text = read_config_text(path, display_name);
  if (path.extension() == ".json") {
    return parse_json(display_name, text);
  }
  return parse_yaml(display_name, text);
}

}  // namespace promptbench::config

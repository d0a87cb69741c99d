// SPDX-License-Identifier: Apache-2.0
// A strict XML 1.0 well-formedness checker for the JUnit tests, independent of the
// renderer's escaping: it parses elements, attributes and text, decodes references, and
// rejects anything XML forbids (bad names, unmatched tags, raw '<' or '&', "]]>" in text,
// characters outside XML 1.0's Char production, duplicate attributes, a second root).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace promptbench::testing {

struct XmlElement {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;  ///< decoded values
  std::vector<XmlElement> children;
  std::string text;  ///< all character data directly inside, decoded

  [[nodiscard]] const std::string& attr(const std::string& key) const {
    for (const auto& [k, v] : attributes) {
      if (k == key) {
        return v;
      }
    }
    throw std::runtime_error("<" + name + "> has no attribute '" + key + "'");
  }
  [[nodiscard]] bool has_attr(const std::string& key) const {
    for (const auto& [k, v] : attributes) {
      if (k == key) {
        return true;
      }
    }
    return false;
  }
  [[nodiscard]] std::vector<const XmlElement*> all(const std::string& child) const {
    std::vector<const XmlElement*> out;
    for (const XmlElement& c : children) {
      if (c.name == child) {
        out.push_back(&c);
      }
    }
    return out;
  }
};

class XmlParser {
 public:
  explicit XmlParser(std::string text) : m_text(std::move(text)) { check_chars(); }

  /// The root element; throws std::runtime_error("offset N: ...") when not well-formed.
  XmlElement parse() {
    if (m_text.compare(0, 5, "<?xml") == 0) {
      const auto end = m_text.find("?>");
      if (end == std::string::npos) {
        fail("unterminated XML declaration");
      }
      m_pos = end + 2;
    }
    skip_space();
    XmlElement root = element();
    skip_space();
    if (m_pos != m_text.size()) {
      fail("content after the root element");
    }
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("offset " + std::to_string(m_pos) + ": " + what);
  }

  static bool is_xml_char(std::uint32_t c) {
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
  }

  static void append_utf8(std::string& out, std::uint32_t c) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }

  /// The whole document must be valid UTF-8 of XML characters.
  void check_chars() {
    for (m_pos = 0; m_pos < m_text.size();) {
      const auto lead = static_cast<unsigned char>(m_text[m_pos]);
      std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
      if (lead >= 0x80 && lead < 0xC2) {
        fail("invalid UTF-8 lead byte");
      }
      if (m_pos + length > m_text.size()) {
        fail("truncated UTF-8");
      }
      std::uint32_t c = length == 1 ? lead : lead & (0x7F >> length);
      for (std::size_t k = 1; k < length; ++k) {
        const auto next = static_cast<unsigned char>(m_text[m_pos + k]);
        if ((next & 0xC0) != 0x80) {
          fail("invalid UTF-8 continuation byte");
        }
        c = (c << 6) | (next & 0x3F);
      }
      if (!is_xml_char(c)) {
        fail("character U+" + std::to_string(c) + " is not allowed in XML 1.0");
      }
      m_pos += length;
    }
    m_pos = 0;
  }

  void skip_space() {
    while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\n' ||
                                     m_text[m_pos] == '\t' || m_text[m_pos] == '\r')) {
      ++m_pos;
    }
  }

  std::string name() {
    const auto start_char = [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':';
    };
    const auto name_char = [&](char c) {
      return start_char(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
    };
    if (m_pos >= m_text.size() || !start_char(m_text[m_pos])) {
      fail("expected a name");
    }
    const std::size_t start = m_pos;
    while (m_pos < m_text.size() && name_char(m_text[m_pos])) {
      ++m_pos;
    }
    return m_text.substr(start, m_pos - start);
  }

  /// After '&': a predefined entity or a character reference, appended decoded.
  void reference(std::string& out) {
    const auto end = m_text.find(';', m_pos);
    if (end == std::string::npos || end - m_pos > 10) {
      fail("unterminated reference");
    }
    const std::string ref = m_text.substr(m_pos, end - m_pos);
    if (ref == "amp") {
      out += '&';
    } else if (ref == "lt") {
      out += '<';
    } else if (ref == "gt") {
      out += '>';
    } else if (ref == "quot") {
      out += '"';
    } else if (ref == "apos") {
      out += '\'';
    } else if (ref.size() > 1 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const std::string digits = ref.substr(hex ? 2 : 1);
      if (digits.empty() || digits.find_first_not_of(hex ? "0123456789abcdefABCDEF"
                                                         : "0123456789") != std::string::npos) {
        fail("bad character reference &" + ref + ";");
      }
      const auto code = static_cast<std::uint32_t>(std::stoul(digits, nullptr, hex ? 16 : 10));
      if (!is_xml_char(code)) {
        fail("character reference &" + ref + "; is not an XML 1.0 character");
      }
      append_utf8(out, code);
    } else {
      fail("unknown entity &" + ref + ";");
    }
    m_pos = end + 1;
  }

  std::string attribute_value() {
    if (m_pos >= m_text.size() || (m_text[m_pos] != '"' && m_text[m_pos] != '\'')) {
      fail("expected a quoted attribute value");
    }
    const char quote = m_text[m_pos++];
    std::string value;
    while (true) {
      if (m_pos >= m_text.size()) {
        fail("unterminated attribute value");
      }
      const char c = m_text[m_pos];
      if (c == quote) {
        ++m_pos;
        return value;
      }
      if (c == '<') {
        fail("'<' in an attribute value");
      }
      ++m_pos;
      if (c == '&') {
        reference(value);
      } else if (c == '\t' || c == '\n' || c == '\r') {
        value += ' ';  // attribute-value normalization: raw white space becomes a space
      } else {
        value += c;
      }
    }
  }

  XmlElement element() {
    if (m_pos >= m_text.size() || m_text[m_pos] != '<') {
      fail("expected '<'");
    }
    ++m_pos;
    XmlElement element;
    element.name = name();
    while (true) {
      const std::size_t before = m_pos;
      skip_space();
      if (m_text.compare(m_pos, 2, "/>") == 0) {
        m_pos += 2;
        return element;
      }
      if (m_pos < m_text.size() && m_text[m_pos] == '>') {
        ++m_pos;
        break;
      }
      if (m_pos == before) {
        fail("expected white space before an attribute");
      }
      std::string key = name();
      skip_space();
      if (m_pos >= m_text.size() || m_text[m_pos] != '=') {
        fail("expected '=' after attribute " + key);
      }
      ++m_pos;
      skip_space();
      if (element.has_attr(key)) {
        fail("duplicate attribute " + key);
      }
      element.attributes.emplace_back(key, attribute_value());
    }
    content(element);
    return element;
  }

  void content(XmlElement& element) {
    while (true) {
      if (m_pos >= m_text.size()) {
        fail("unterminated element <" + element.name + ">");
      }
      const char c = m_text[m_pos];
      if (m_text.compare(m_pos, 2, "</") == 0) {
        m_pos += 2;
        if (name() != element.name) {
          fail("mismatched end tag for <" + element.name + ">");
        }
        skip_space();
        if (m_pos >= m_text.size() || m_text[m_pos] != '>') {
          fail("expected '>'");
        }
        ++m_pos;
        return;
      }
      if (m_text.compare(m_pos, 9, "<![CDATA[") == 0) {
        const auto end = m_text.find("]]>", m_pos + 9);
        if (end == std::string::npos) {
          fail("unterminated CDATA");
        }
        element.text += m_text.substr(m_pos + 9, end - m_pos - 9);
        m_pos = end + 3;
      } else if (c == '<') {
        element.children.push_back(this->element());
      } else if (c == '&') {
        ++m_pos;
        reference(element.text);
      } else {
        if (m_text.compare(m_pos, 3, "]]>") == 0) {
          fail("']]>' in character data");
        }
        if (c == '\r') {  // line-end normalization
          element.text += '\n';
          m_pos += m_text.compare(m_pos, 2, "\r\n") == 0 ? 2 : 1;
          continue;
        }
        element.text += c;
        ++m_pos;
      }
    }
  }

  std::string m_text;
  std::size_t m_pos = 0;
};

inline XmlElement parse_xml(const std::string& text) {
  return XmlParser(text).parse();
}

}  // namespace promptbench::testing

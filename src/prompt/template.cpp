// SPDX-License-Identifier: Apache-2.0
// Prompt templates on kainjow mustache: no HTML escaping, and strict variables. The library
// renders a missing variable as nothing and looks up variables and sections alike, so the
// source is compiled with every variable tag's name marked; a context that understands the
// mark resolves it and remembers which marked names it could not find.
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <kainjow/mustache.hpp>

#include "promptbench/prompt.hpp"
#include "util/input_limits.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

namespace mstch = kainjow::mustache;

/// The names a template uses as plain variables (`{{x}}`, `{{{x}}}`, `{{&x}}`), with the
/// offset of their tag and of the name itself. Section names (`{{#x}}`, `{{^x}}`) are not
/// listed: a missing section is false.
struct VariableUse {
  std::string name;
  std::size_t offset = 0;       ///< of the tag, for messages
  std::size_t name_offset = 0;  ///< of the name's first byte, where the mark goes
};

/// One tag: its text between the delimiters (trimmed), where the tag and that text start,
/// and whether it was written with the default delimiters.
struct Tag {
  std::string text;
  bool triple = false;
  std::size_t offset = 0;
  std::size_t text_offset = 0;
  bool default_delimiters = true;
};

constexpr std::string_view kSpace = " \t\r\n\f\v";

/// The delimiters a set-delimiter tag's text (`=<% %>=`, trimmed) chooses, read as the
/// library reads them; nullopt when it would refuse them.
std::optional<std::pair<std::string, std::string>> read_delimiters(const std::string& text) {
  if (text.size() < 5 || text.back() != '=') {
    return std::nullopt;
  }
  const std::string inner = util::trim(std::string_view(text).substr(1, text.size() - 2));
  const std::size_t space = inner.find(' ');
  if (space == std::string::npos) {
    return std::nullopt;
  }
  std::pair<std::string, std::string> delimiters{
      inner.substr(0, space), inner.substr(inner.find_first_not_of(' ', space + 1))};
  for (const std::string* delimiter : {&delimiters.first, &delimiters.second}) {
    if (delimiter->find_first_of(std::string(kSpace) + "=") != std::string::npos) {
      return std::nullopt;
    }
  }
  return delimiters;
}

/// The tags in the order the library parses them, following `{{=<% %>=}}` as it does, so a
/// tag written with other delimiters is seen and `{{x}}` after them is text.
std::vector<Tag> scan_tags(const std::string& source) {
  std::vector<Tag> tags;
  std::string open = "{{";
  std::string close = "}}";
  std::size_t pos = 0;
  while ((pos = source.find(open, pos)) != std::string::npos) {
    const bool braces = open == "{{" && close == "}}";
    const bool triple = braces && pos + 2 < source.size() && source[pos + 2] == '{';
    const std::size_t body = pos + open.size() + (triple ? 1 : 0);
    const std::string& end = triple ? "}}}" : close;
    const std::size_t stop = source.find(end, body);
    if (stop == std::string::npos) {
      break;
    }
    const std::string_view raw = std::string_view(source).substr(body, stop - body);
    const std::size_t lead = raw.find_first_not_of(kSpace);
    Tag tag{util::trim(raw), triple, pos, body + (lead == std::string_view::npos ? 0 : lead),
            braces};
    pos = stop + end.size();
    if (tag.text.starts_with('=')) {
      auto delimiters = read_delimiters(tag.text);
      if (!delimiters) {
        break;  // the library refuses the template too
      }
      std::tie(open, close) = std::move(*delimiters);
    }
    tags.push_back(std::move(tag));
  }
  return tags;
}

/// As the library names them: a triple tag's whole text, `&`'s text after it, else the
/// text of a tag without a sigil. An empty name and `.` (the current item) are not listed.
std::vector<VariableUse> scan_variables(const std::string& source) {
  std::vector<VariableUse> uses;
  for (const Tag& tag : scan_tags(source)) {
    const char sigil = tag.text.empty() ? '\0' : tag.text[0];
    VariableUse use{tag.text, tag.offset, tag.text_offset};
    if (sigil == '=') {
      continue;
    }
    if (!tag.triple && sigil == '&') {
      const std::string_view rest = std::string_view(tag.text).substr(1);
      const std::size_t lead = rest.find_first_not_of(kSpace);
      use.name = util::trim(rest);
      use.name_offset = tag.text_offset + 1 + (lead == std::string_view::npos ? 0 : lead);
    } else if (!tag.triple && std::string_view("#^/!>").find(sigil) != std::string_view::npos) {
      continue;
    }
    if (!use.name.empty() && use.name != ".") {
      uses.push_back(std::move(use));
    }
  }
  return uses;
}

/// The first partial (`{{> name}}`), which would include another template. There is no
/// place to load partials from, and the library renders an unknown one as nothing, so a
/// partial is refused when the template loads rather than silently dropped.
std::optional<Tag> find_partial(const std::string& source) {
  for (const Tag& tag : scan_tags(source)) {
    if (!tag.triple && tag.default_delimiters && tag.text.starts_with('>')) {
      return tag;
    }
  }
  return std::nullopt;
}

/// Thrown by to_mustache past kMaxNestingDepth. The dataset readers refuse such rows with
/// their line first; this keeps the recursion bounded for rows built any other way.
struct TooDeep {};

/// `depth` counts the lists and mappings around `value`.
mstch::data to_mustache(const nlohmann::json& value, std::size_t depth = 0) {
  if ((value.is_object() || value.is_array()) && depth >= util::kMaxNestingDepth) {
    throw TooDeep{};
  }
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      mstch::data object{mstch::data::type::object};
      for (const auto& [key, item] : value.items()) {
        object.set(key, to_mustache(item, depth + 1));
      }
      return object;
    }
    case nlohmann::json::value_t::array: {
      mstch::data list{mstch::data::type::list};
      for (const auto& item : value) {
        list.push_back(to_mustache(item, depth + 1));
      }
      return list;
    }
    case nlohmann::json::value_t::string:
      return mstch::data{value.get<std::string>()};
    case nlohmann::json::value_t::boolean:
      return mstch::data{value.get<bool>()};
    case nlohmann::json::value_t::null:
      return mstch::data{false};
    default:
      return mstch::data{value.dump()};
  }
}

/// Prefix of variable names in the compiled source; a byte no template name contains.
constexpr char kVariableMark = '\x01';

/// The source with every variable tag's name prefixed by kVariableMark (`{{x}}` becomes
/// `{{\x01x}}`); sections and `{{.}}` are left alone.
std::string mark_variables(const std::string& source, const std::vector<VariableUse>& uses) {
  std::string marked;
  std::size_t copied = 0;
  for (const VariableUse& use : uses) {
    marked.append(source, copied, use.name_offset - copied);
    marked += kVariableMark;
    copied = use.name_offset;
  }
  marked.append(source, copied, std::string::npos);
  return marked;
}

/// Resolves names like the library's own context; a marked (variable) name that cannot be
/// found is remembered, an unmarked (section) name is simply false.
class RecordingContext : public mstch::basic_context<std::string> {
 public:
  explicit RecordingContext(const mstch::data* root) : m_inner(root) {}
  void push(const mstch::data* data) override { m_inner.push(data); }
  void pop() override { m_inner.pop(); }
  const mstch::data* get(const std::string& name) const override {
    if (name.empty() || name[0] != kVariableMark) {
      return m_inner.get(name);
    }
    const std::string plain = name.substr(1);
    const mstch::data* found = m_inner.get(plain);
    if (found == nullptr) {
      m_missed.insert(plain);
    }
    return found;
  }
  /// Only reached by a partial find_partial could not see (after a `{{=<% %>=}}`).
  const mstch::data* get_partial(const std::string& name) const override {
    m_partial = name;
    return nullptr;
  }
  [[nodiscard]] const std::set<std::string>& missed() const { return m_missed; }
  [[nodiscard]] const std::optional<std::string>& partial() const { return m_partial; }

 private:
  mstch::context<std::string> m_inner;
  mutable std::set<std::string> m_missed;
  mutable std::optional<std::string> m_partial;
};

struct CompiledPart {
  std::string role;
  std::string source;
  SourceLocation where;
  bool exact_offsets = false;  ///< `where` is the start of the text, so offsets map to lines
  std::unique_ptr<mstch::mustache> compiled;
  std::vector<VariableUse> variables;
};

SourceLocation locate(const CompiledPart& part, std::size_t offset) {
  if (!part.exact_offsets) {
    return part.where;
  }
  return location_of_offset(part.where.file, part.source, offset);
}

CompiledPart compile(const std::string& prompt_id, std::string role, const std::string& source,
                     const SourceLocation& where, bool exact_offsets) {
  // The unmarked source is parsed first so that syntax errors quote the user's own text.
  const mstch::mustache plain(source);
  if (!plain.is_valid()) {
    throw UserError(
        where, "",
        fmt::format("prompt '{}': invalid template: {}", prompt_id, plain.error_message()));
  }
  CompiledPart part{std::move(role), source, where, exact_offsets, nullptr, scan_variables(source)};
  if (const auto partial = find_partial(source)) {
    throw UserError(locate(part, partial->offset), "",
                    fmt::format("prompt '{}': partials such as '{{{{{}}}}}' are not supported "
                                "(write the text into the template)",
                                prompt_id, partial->text));
  }
  part.compiled = std::make_unique<mstch::mustache>(mark_variables(source, part.variables));
  part.compiled->set_custom_escape([](const std::string& text) { return text; });
  return part;
}

}  // namespace

struct PromptTemplate::Impl {
  std::string id;
  std::vector<CompiledPart> parts;
};

PromptTemplate::PromptTemplate(const PromptConfig& config) : m_impl(std::make_unique<Impl>()) {
  m_impl->id = config.id;
  if (config.messages.empty()) {
    // A file template's location is its first byte, so tag offsets map to line:col.
    const bool from_file = config.text_where.line == 1 && config.text_where.column == 1;
    m_impl->parts.push_back(compile(config.id, "user", config.text, config.text_where, from_file));
  }
  for (const auto& message : config.messages) {
    m_impl->parts.push_back(
        compile(config.id, message.role, message.content, message.where, false));
  }
}

PromptTemplate::~PromptTemplate() = default;
PromptTemplate::PromptTemplate(PromptTemplate&&) noexcept = default;
PromptTemplate& PromptTemplate::operator=(PromptTemplate&&) noexcept = default;

const std::string& PromptTemplate::id() const {
  return m_impl->id;
}

RenderedPrompt PromptTemplate::render(const Case& row) const {
  mstch::data data;
  try {
    data = to_mustache(row.vars);
  } catch (const TooDeep&) {
    throw UserError(row.where, "",
                    fmt::format("prompt '{}': case '{}': values nested deeper than {} levels",
                                m_impl->id, row.id, util::kMaxNestingDepth));
  }
  RenderedPrompt prompt;
  for (const CompiledPart& part : m_impl->parts) {
    RecordingContext context(&data);
    std::string text = part.compiled->render(context);
    if (!part.compiled->is_valid()) {
      throw UserError(part.where, "",
                      fmt::format("prompt '{}': case '{}': {}", m_impl->id, row.id,
                                  part.compiled->error_message()));
    }
    if (context.partial()) {
      throw UserError(part.where, "",
                      fmt::format("prompt '{}': partials such as '{}' are not supported (write "
                                  "the text into the template)",
                                  m_impl->id, *context.partial()));
    }
    for (const VariableUse& use : part.variables) {
      if (context.missed().count(use.name) != 0) {
        std::vector<std::string> fields;
        if (row.vars.is_object()) {
          for (const auto& [key, value] : row.vars.items()) {
            fields.push_back(key);
          }
        }
        throw UserError(locate(part, use.offset), "",
                        fmt::format("prompt '{}': case '{}' has no variable '{}'{}", m_impl->id,
                                    row.id, use.name, util::did_you_mean(use.name, fields)));
      }
    }
    prompt.messages.push_back({part.role, std::move(text)});
  }
  return prompt;
}

}  // namespace promptbench

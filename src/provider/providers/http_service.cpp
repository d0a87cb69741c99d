// SPDX-License-Identifier: Apache-2.0
// Provider `http`: any JSON service. The body is a structure whose string leaves are
// Mustache templates over the case, the rendered prompt and its messages; JSON pointers
// say where the answer and its token counts are in the response.
//
// Options: `url` (required, http:// or https://), `method` (POST, PUT, PATCH or GET;
// default POST), `body` (a mapping or list; required unless GET, refused with GET) and
// `response` ({text, prompt_tokens, completion_tokens}: JSON pointers, `text` required).
// In the body, a string that is exactly one tag (`"{{messages}}"`) takes the variable's
// JSON value; any other string with a tag is rendered to a string. Variables: the case's
// fields, `prompt` (the messages' contents joined by a blank line) and `messages`
// ([{role, content}]); the last two win over fields of the same name.
#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "config/base_url.hpp"
#include "provider/answer.hpp"
#include "provider/providers/providers.hpp"
#include "util/json_pointer.hpp"
#include "util/json_type.hpp"
#include "util/text.hpp"
#include "util/utf8.hpp"

namespace promptbench::providers {

namespace {

constexpr std::array<const char*, 4> kMethods = {"POST", "PUT", "PATCH", "GET"};

/// A JSON pointer into the response, as the user wrote it (for messages) and parsed.
struct ResponsePointer {
  std::string written;
  nlohmann::json::json_pointer pointer;
};

/// The type's own options, checked.
struct HttpOptions {
  std::string url;
  std::string method = "POST";
  nlohmann::json body;  ///< null for GET
  ResponsePointer text;
  std::optional<ResponsePointer> prompt_tokens;
  std::optional<ResponsePointer> completion_tokens;
};

/// A string leaf of the body that holds a template, and how to fill it.
struct Leaf {
  std::string where;  ///< its pointer in the body, as text: "/input"
  nlohmann::json::json_pointer at;
  std::string variable;                ///< the leaf is exactly this one tag: its JSON value
  std::optional<PromptTemplate> text;  ///< else: rendered to a string
};

// Body leaves are rendered by PromptTemplate, so they are exactly as strict as prompts (a
// missing variable is an error, a missing section is false, no HTML escaping, partials are
// refused). Its messages begin "prompt '<id>': case '<id>'"; here neither id means anything,
// so the templates get these ids and template_message() cuts that beginning off.
constexpr const char* kTemplateId = "http body";
constexpr const char* kCaseId = "http case";

std::string template_message(const UserError& error) {
  std::string_view text = error.what();
  const std::string prompt = fmt::format("prompt '{}': ", kTemplateId);
  if (!text.starts_with(prompt)) {
    return std::string(text);
  }
  text.remove_prefix(prompt.size());
  const std::string row = fmt::format("case '{}'", kCaseId);
  if (text.starts_with(row)) {
    text.remove_prefix(row.size());
    return "the case" + std::string(text);
  }
  return std::string(text);
}

[[noreturn]] void fail_type(const std::string& key, const std::string& expected,
                            const nlohmann::json& value) {
  throw OptionError(key, fmt::format("expected {}, got {}", expected, util::json_type_name(value)));
}

/// The URL is checked by the same code as base_url (libcurl's parser), which reports
/// through a located Field; here the loader locates the OptionError at `url` instead.
std::string read_url(const nlohmann::json& options) {
  if (!options.contains("url")) {
    throw OptionError("", "missing required field 'url'");
  }
  const nlohmann::json& value = options["url"];
  if (!value.is_string()) {
    fail_type("url", "a string", value);
  }
  const std::string url = value.get<std::string>();
  const config::LocatedDocument document{"", value, {}, {}};
  try {
    config::check_base_url(config::Field(document, document.root, "", ""), url);
  } catch (const UserError& e) {
    throw OptionError("url", e.what());
  }
  return url;
}

std::string read_method(const nlohmann::json& options) {
  if (!options.contains("method")) {
    return "POST";
  }
  const nlohmann::json& value = options["method"];
  if (!value.is_string()) {
    fail_type("method", "a string", value);
  }
  const std::string method = value.get<std::string>();
  if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) {
    throw OptionError("method",
                      fmt::format("expected one of POST, PUT, PATCH, GET, got '{}'", method));
  }
  return method;
}

nlohmann::json read_body(const nlohmann::json& options, const std::string& method) {
  const auto body = options.find("body");
  if (method == "GET") {
    if (body != options.end()) {
      throw OptionError("body", "a GET request sends no body (use method: POST, PUT or PATCH)");
    }
    return nullptr;
  }
  if (body == options.end()) {
    throw OptionError("", fmt::format("missing required field 'body' (method {})", method));
  }
  if (!body->is_object() && !body->is_array()) {
    fail_type("body", "a mapping or a list", *body);
  }
  return *body;
}

ResponsePointer read_pointer(const nlohmann::json& response, const char* key) {
  const nlohmann::json& value = response[key];
  if (!value.is_string()) {
    throw OptionError("response", fmt::format("{}: expected a JSON pointer string, got {}", key,
                                              util::json_type_name(value)));
  }
  const std::string written = value.get<std::string>();
  auto pointer = util::parse_pointer(written);
  if (!pointer) {
    throw OptionError("response",
                      fmt::format("{}: '{}' is not a JSON pointer (write /result/answer, or "
                                  "\"\" for the whole response)",
                                  key, written));
  }
  return {written, std::move(*pointer)};
}

void read_response(const nlohmann::json& options, HttpOptions& out) {
  if (!options.contains("response")) {
    throw OptionError("", "missing required field 'response'");
  }
  const nlohmann::json& response = options["response"];
  if (!response.is_object()) {
    fail_type("response", "a mapping", response);
  }
  const std::vector<std::string> keys = {"text", "prompt_tokens", "completion_tokens"};
  for (const auto& [key, value] : response.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      throw OptionError("response", fmt::format("unknown key '{}' in response{}", key,
                                                util::did_you_mean(key, keys)));
    }
  }
  if (!response.contains("text")) {
    throw OptionError("response", "missing required field 'text' (a JSON pointer to the answer)");
  }
  out.text = read_pointer(response, "text");
  if (response.contains("prompt_tokens")) {
    out.prompt_tokens = read_pointer(response, "prompt_tokens");
  }
  if (response.contains("completion_tokens")) {
    out.completion_tokens = read_pointer(response, "completion_tokens");
  }
}

/// `leaf` when it is exactly one variable tag (`{{x}}`, `{{ x }}`, `{{{x}}}`, `{{&x}}`):
/// the variable's name. Such a leaf takes the variable's JSON value, not its text.
std::optional<std::string> sole_variable(const std::string& leaf) {
  std::string_view inner;
  bool triple = false;
  if (leaf.size() >= 6 && leaf.starts_with("{{{") && leaf.ends_with("}}}")) {
    inner = std::string_view(leaf).substr(3, leaf.size() - 6);
    triple = true;
  } else if (leaf.size() >= 4 && leaf.starts_with("{{") && leaf.ends_with("}}")) {
    inner = std::string_view(leaf).substr(2, leaf.size() - 4);
  } else {
    return std::nullopt;
  }
  std::string name = util::trim(inner);
  if (!triple && name.starts_with('&')) {
    name = util::trim(std::string_view(name).substr(1));
  }
  // "{{a}} {{b}}" has braces inside; "{{#a}}" and the like are not variables.
  if (name.empty() || name == "." ||
      std::string_view("#^/!>=&{").find(name[0]) != std::string_view::npos ||
      name.find_first_of("{} \t\r\n") != std::string::npos) {
    return std::nullopt;
  }
  return name;
}

/// Every string leaf with a tag, in document order; others are sent as written.
void collect_leaves(const nlohmann::json& value, const std::string& where,
                    std::vector<Leaf>& leaves) {
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      collect_leaves(item, util::pointer_append(where, key), leaves);
    }
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      collect_leaves(value[i], util::pointer_append(where, std::to_string(i)), leaves);
    }
  } else if (value.is_string() &&
             value.get_ref<const std::string&>().find("{{") != std::string::npos) {
    const std::string& source = value.get_ref<const std::string&>();
    Leaf leaf{where, nlohmann::json::json_pointer(where), {}, std::nullopt};
    if (auto name = sole_variable(source)) {
      leaf.variable = std::move(*name);
    } else {
      PromptConfig prompt;
      prompt.id = kTemplateId;
      prompt.text = source;
      try {
        leaf.text.emplace(prompt);
      } catch (const UserError& e) {
        throw OptionError("body", fmt::format("at {}: {}", where, template_message(e)));
      }
    }
    leaves.push_back(std::move(leaf));
  }
}

HttpOptions read_options(const ProviderOptions& options) {
  options.allow_only({"url", "method", "body", "response"});
  const nlohmann::json& raw = options.raw();
  HttpOptions out;
  out.url = read_url(raw);
  out.method = read_method(raw);
  out.body = read_body(raw, out.method);
  read_response(raw, out);
  return out;
}

/// Mustache's dotted names: `a.b` is member b of member a.
const nlohmann::json* find_variable(const nlohmann::json& scope, const std::string& name) {
  const nlohmann::json* at = &scope;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string part = name.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!at->is_object() || !at->contains(part)) {
      return nullptr;
    }
    at = &(*at)[part];
    if (dot == std::string::npos) {
      return at;
    }
    start = dot + 1;
  }
}

tl::unexpected<RequestError> bad_response(std::string message) {
  return tl::unexpected(RequestError{ErrorKind::bad_response, 0, std::move(message)});
}

/// A token count the response gives at `at`: nullopt when there is none (usage unknown),
/// an error when there is something other than an integer.
tl::expected<std::optional<std::int64_t>, RequestError> read_count(
    const nlohmann::json& document, const std::optional<ResponsePointer>& at) {
  if (!at) {
    return std::nullopt;
  }
  const nlohmann::json* value = util::find_pointer(document, at->pointer);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_number_integer() || value->get<std::int64_t>() < 0) {
    return bad_response(fmt::format("token count at {} is not an integer, 0 or more: {}",
                                    at->written, quoted_start(value->dump())));
  }
  return value->get<std::int64_t>();
}

class HttpServiceProvider final : public Provider {
 public:
  HttpServiceProvider(const ProviderConfig& config, HttpOptions options)
      : Provider(config), m_options(std::move(options)) {
    if (!m_options.body.is_null()) {
      collect_leaves(m_options.body, "", m_leaves);
    }
  }

  HttpRequest build_request(const RenderedPrompt& prompt,
                            const nlohmann::json& vars) const override {
    HttpRequest request;
    request.method = m_options.method;
    request.url = m_options.url;
    if (m_options.method != "GET") {
      request.headers.push_back({"Content-Type", "application/json", false});
      request.body = render_body(prompt, vars).dump();
    }
    add_configured_headers(request);
    return request;
  }

  tl::expected<Completion, RequestError> parse_success(
      const HttpResponse& response) const override {
    const auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (parsed.is_discarded()) {
      return bad_response(
          fmt::format("response body is not valid JSON: {}", quoted_start(response.body)));
    }
    const nlohmann::json* text = util::find_pointer(parsed, m_options.text.pointer);
    if (text == nullptr) {
      return bad_response(fmt::format("response has nothing at {} (body: {})",
                                      m_options.text.written, quoted_start(response.body)));
    }
    Completion completion;
    completion.text = text->is_string() ? text->get<std::string>() : text->dump();
    auto prompt_tokens = read_count(parsed, m_options.prompt_tokens);
    if (!prompt_tokens) {
      return tl::unexpected(std::move(prompt_tokens.error()));
    }
    auto completion_tokens = read_count(parsed, m_options.completion_tokens);
    if (!completion_tokens) {
      return tl::unexpected(std::move(completion_tokens.error()));
    }
    completion.usage = {*prompt_tokens, *completion_tokens};
    completion.latency_ms = response.latency_ms;
    return completion;
  }

 private:
  /// The body with every template leaf filled. The values go in as JSON values, so no
  /// prompt text can break the document's syntax, and a value's own "{{" is never expanded.
  nlohmann::json render_body(const RenderedPrompt& prompt, const nlohmann::json& vars) const {
    Case row;
    row.id = kCaseId;
    row.vars = vars.is_object() ? vars : nlohmann::json::object();
    // The rendered prompt wins over a dataset column of the same name.
    std::string joined;
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& message : prompt.messages) {
      if (!messages.empty()) {
        joined += "\n\n";
      }
      joined += message.content;
      messages.push_back({{"role", message.role}, {"content", message.content}});
    }
    row.vars["prompt"] = std::move(joined);
    row.vars["messages"] = std::move(messages);

    nlohmann::json body = m_options.body;
    for (const Leaf& leaf : m_leaves) {
      if (leaf.text) {
        body[leaf.at] = render_leaf(leaf, row);
      } else if (const nlohmann::json* value = find_variable(row.vars, leaf.variable)) {
        body[leaf.at] = *value;
      } else {
        std::vector<std::string> names;
        for (const auto& [key, value] : row.vars.items()) {
          names.push_back(key);
        }
        fail(leaf, fmt::format("the case has no variable '{}'{}", leaf.variable,
                               util::did_you_mean(leaf.variable, names)));
      }
    }
    return body;
  }

  std::string render_leaf(const Leaf& leaf, const Case& row) const {
    try {
      return leaf.text->render(row).messages.at(0).content;
    } catch (const UserError& e) {
      fail(leaf, template_message(e));
    }
  }

  /// A case the body cannot be filled with: located at the provider's entry, as the
  /// options keep no location of their own.
  [[noreturn]] void fail(const Leaf& leaf, const std::string& message) const {
    throw UserError(config().where, config().field.empty() ? "" : config().field + ".body",
                    fmt::format("provider '{}': body at {}: {}", config().id, leaf.where, message));
  }

  HttpOptions m_options;
  std::vector<Leaf> m_leaves;
};

}  // namespace

std::unique_ptr<Provider> make_http(const ProviderConfig& config) {
  const std::string field = config.field.empty() ? "" : config.field + ".";
  if (!config.base_url.empty()) {
    throw UserError(config.base_url_where, field + "base_url",
                    "the http type takes no base_url: give the whole address as `url`");
  }
  // The loader has checked the options already; a config built in code has not.
  try {
    return std::make_unique<HttpServiceProvider>(config,
                                                 read_options(ProviderOptions(config.options)));
  } catch (const OptionError& e) {
    throw UserError(config.where, e.key().empty() ? config.field : field + e.key(), e.what());
  }
}

void validate_http(const ProviderOptions& options) {
  const HttpOptions checked = read_options(options);
  // Compiling the templates finds a syntax error when the config loads.
  std::vector<Leaf> leaves;
  if (!checked.body.is_null()) {
    collect_leaves(checked.body, "", leaves);
  }
}

}  // namespace promptbench::providers

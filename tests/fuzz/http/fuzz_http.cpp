// SPDX-License-Identifier: Apache-2.0
// Fuzzes what the `http` provider reads from a service: the input's first byte picks one of
// four providers (their `response` pointers: a member, the whole document, a path through a
// list, escaped keys; with and without token counts), its second the HTTP status, and the
// rest is the body, given to parse_response and advise. A bad body must become a
// RequestError value, never an exception, so any exception, a crash or a broken invariant is
// a finding. Invariants, against an oracle that walks the pointers on nlohmann's own parse:
//  - a non-2xx answer is an http_status error;
//  - a 2xx answer is read exactly when the body is JSON, the text pointer finds a value and
//    each token pointer finds an integer or nothing;
//  - the text read is the value's string, or its JSON text when it is not a string, and the
//    token counts are the integers found (none when the pointer finds nothing);
//  - a refused 2xx answer is a bad_response error with a message.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "fuzz_support.hpp"
#include "promptbench/config.hpp"
#include "promptbench/provider.hpp"

namespace {

using nlohmann::json;
using promptbench::fuzz::invariant_failed;

using Tokens = std::vector<std::string>;  ///< a JSON pointer, unescaped, one step each

struct Variant {
  json response;  ///< the provider's `response` option
  Tokens text;
  std::optional<Tokens> prompt_tokens;
  std::optional<Tokens> completion_tokens;
  bool get = false;
};

const std::array<Variant, 4>& variants() {
  static const std::array<Variant, 4> made = {
      Variant{{{"text", "/answer"}}, {"answer"}, std::nullopt, std::nullopt, false},
      Variant{{{"text", ""}, {"prompt_tokens", "/usage/in"}, {"completion_tokens", "/usage/out"}},
              {},
              Tokens{"usage", "in"},
              Tokens{"usage", "out"},
              false},
      Variant{{{"text", "/choices/0/text"}, {"prompt_tokens", "/u/0"}},
              {"choices", "0", "text"},
              Tokens{"u", "0"},
              std::nullopt,
              true},
      Variant{{{"text", "/a~1b/~0c"}, {"completion_tokens", "/n"}},
              {"a/b", "~c"},
              std::nullopt,
              Tokens{"n"},
              false}};
  return made;
}

std::unique_ptr<promptbench::Provider> make(const Variant& variant) {
  promptbench::ProviderConfig config;
  config.id = "svc";
  config.type = "http";
  config.model = "m";
  config.options = {{"url", "http://127.0.0.1:9/answer"}, {"response", variant.response}};
  if (variant.get) {
    config.options["method"] = "GET";
  } else {
    config.options["body"] = {{"input", "{{prompt}}"}};
  }
  return promptbench::make_provider(config);
}

bool is_index(const std::string& token) {
  return !token.empty() && token.find_first_not_of("0123456789") == std::string::npos &&
         (token == "0" || token[0] != '0');
}

/// The value `tokens` names in `document`, or null when there is none.
const json* walk(const json& document, const Tokens& tokens) {
  const json* at = &document;
  for (const std::string& token : tokens) {
    if (at->is_object() && at->contains(token)) {
      at = &(*at)[token];
    } else if (at->is_array() && is_index(token) && token.size() < 10 &&
               std::stoul(token) < at->size()) {
      at = &(*at)[std::stoul(token)];
    } else {
      return nullptr;
    }
  }
  return at;
}

/// A token count's pointer: nullopt (no count) or the integer, or false when it is not an
/// integer, 0 or more.
bool read_count(const json& document, const std::optional<Tokens>& tokens,
                std::optional<std::int64_t>& count) {
  count.reset();
  if (!tokens) {
    return true;
  }
  const json* value = walk(document, *tokens);
  if (value == nullptr) {
    return true;
  }
  if (!value->is_number_integer() || value->get<std::int64_t>() < 0) {
    return false;
  }
  count = value->get<std::int64_t>();
  return true;
}

void check_success(const Variant& variant, const std::string& body,
                   const tl::expected<promptbench::Completion, promptbench::RequestError>& read,
                   std::string_view input) {
  const json document = json::parse(body, nullptr, false);
  const json* text = document.is_discarded() ? nullptr : walk(document, variant.text);
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  const bool expected = text != nullptr &&
                        read_count(document, variant.prompt_tokens, prompt_tokens) &&
                        read_count(document, variant.completion_tokens, completion_tokens);
  if (read.has_value() != expected) {
    invariant_failed(read ? "a 2xx answer the oracle refuses was read"
                          : "a 2xx answer the oracle reads was refused: " + read.error().message,
                     input);
  }
  if (!read) {
    if (read.error().kind != promptbench::ErrorKind::bad_response || read.error().message.empty()) {
      invariant_failed("a refused 2xx answer is not a bad_response error with a message", input);
    }
    return;
  }
  const std::string expected_text = text->is_string() ? text->get<std::string>() : text->dump();
  if (read->text != expected_text) {
    invariant_failed("the text read is not the value at the pointer: " + read->text, input);
  }
  if (read->usage.prompt_tokens != prompt_tokens ||
      read->usage.completion_tokens != completion_tokens) {
    invariant_failed("the token counts read are not the integers at the pointers", input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::array<std::unique_ptr<promptbench::Provider>, 4> providers = {
      make(variants()[0]), make(variants()[1]), make(variants()[2]), make(variants()[3])};
  static constexpr std::array<int, 6> kStatuses = {200, 200, 201, 400, 429, 503};
  if (size < 2) {
    return 0;
  }
  const std::string_view input = promptbench::fuzz::as_text(data, size);
  const std::size_t which = data[0] % providers.size();
  promptbench::HttpResponse response;
  response.status = kStatuses[data[1] % kStatuses.size()];
  response.headers.push_back({"content-type", "application/json"});
  response.body = std::string(input.substr(2));
  response.latency_ms = 10;
  try {
    const promptbench::Provider& provider = *providers[which];
    const auto completion = provider.parse_response(response);
    if (response.status >= 300) {
      if (completion || completion.error().kind != promptbench::ErrorKind::http_status) {
        invariant_failed("a non-2xx answer is not an http_status error", input);
      }
    } else {
      check_success(variants()[which], response.body, completion, input);
    }
    (void)provider.advise(response);
  } catch (const std::exception& e) {
    invariant_failed(std::string("reading a response threw ") + typeid(e).name() + ": " + e.what(),
                     input);
  }
  return 0;
}

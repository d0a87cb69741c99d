// SPDX-License-Identifier: Apache-2.0
// Reading a provider entry: the common keys here, the type's own keys through the registry,
// `${VAR}` expansion for base_url and headers, and the secrets that expansion reveals.
#include "config/provider_entry.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "config/base_url.hpp"
#include "promptbench/provider.hpp"
#include "promptbench/redact.hpp"
#include "provider/providers/recorded.hpp"
#include "util/text.hpp"

namespace promptbench::config {

namespace {

struct Expanded {
  std::string text;
  bool from_environment = false;  ///< some of `text` came from an environment variable
};

/// Expands ${VAR} and ${VAR:-default} from the environment, so a base URL can point at a
/// port chosen at run time and a header can carry a token. Every value read from the
/// environment is registered as a secret; the API key itself comes from api_key_env.
Expanded expand_environment(const Field& field, const std::string& text) {
  Expanded out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "${") != 0) {
      out.text += text[i++];
      continue;
    }
    const std::size_t close = text.find('}', i);
    if (close == std::string::npos) {
      field.fail("unterminated '${' in value");
    }
    const std::string inner = text.substr(i + 2, close - i - 2);
    const std::size_t dash = inner.find(":-");
    const std::string name = inner.substr(0, dash);
    const char* value = std::getenv(name.c_str());
    if (value != nullptr && *value != '\0') {
      add_secret(value);  // a ${VAR} may carry a token in a URL or header: never written
      out.text += value;
      out.from_environment = true;
    } else if (dash != std::string::npos) {
      out.text += inner.substr(dash + 2);
    } else {
      field.fail(fmt::format("environment variable '{}' is not set", name));
    }
    i = close + 1;
  }
  return out;
}

/// A rate of 0 would never let a request through; no limit is written by leaving it out.
double read_rate(const Field& field) {
  const double rate = field.as_number();
  if (!(rate > 0)) {
    field.fail(
        fmt::format("must be greater than 0, got {} (omit it for no limit)", field.written()));
  }
  return rate;
}

RateLimit read_rate_limit(const Field& field) {
  field.expect_object({"rpm", "tpm"});
  RateLimit limit;
  if (auto rpm = field.find("rpm")) {
    limit.rpm = read_rate(*rpm);
  }
  if (auto tpm = field.find("tpm")) {
    limit.tpm = read_rate(*tpm);
  }
  return limit;
}

Pricing read_pricing(const Field& field) {
  field.expect_object({"prompt", "completion"});
  Pricing pricing;
  for (const auto& [key, price] :
       {std::pair{"prompt", &pricing.prompt}, std::pair{"completion", &pricing.completion}}) {
    const Field value = field.require(key);
    *price = value.as_number();
    if (*price < 0) {
      value.fail("must not be negative");
    }
  }
  return pricing;
}

/// RFC 9110 5.6.2: a header name is a token, one or more of these characters.
bool is_token(std::string_view name) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

/// `headers: {X-Org: "${ORG_ID}"}`. A value that took anything from the environment is a
/// secret header: never logged, never part of a cache key (the cache would otherwise keep
/// answers apart by a token, or worse, store it).
std::vector<HttpHeader> read_headers(const Field& field) {
  field.expect_mapping();
  std::vector<HttpHeader> headers;
  std::vector<std::string> seen;
  for (const auto& [name, value] : field.members()) {
    if (!is_token(name)) {
      field.fail_at_key(name, fmt::format("'{}' is not a valid header name (letters, digits and "
                                          "!#$%&'*+-.^_`|~ only)",
                                          name));
    }
    if (std::find(seen.begin(), seen.end(), util::lower(name)) != seen.end()) {
      field.fail_at_key(name,
                        fmt::format("header '{}' is given twice (header names ignore case)", name));
    }
    seen.push_back(util::lower(name));
    const Expanded expanded = expand_environment(value, value.as_nonempty_string());
    if (expanded.text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      value.fail("a header value must not hold a line break or a NUL byte");
    }
    // libcurl drops a header whose value is empty instead of sending it.
    if (expanded.text.find_first_not_of(" \t") == std::string::npos) {
      value.fail("must not be empty after ${VAR} expansion");
    }
    headers.push_back({name, expanded.text, expanded.from_environment});
  }
  return headers;
}

/// The registry decides which types exist; its message, at the `type` value.
const ProviderInfo& read_type(const Field& field, ProviderConfig& provider) {
  const std::optional<Field> type = field.find("type");
  if (type) {
    provider.type = type->as_nonempty_string();
  }
  try {
    return provider_type(provider.type);
  } catch (const OptionError& e) {
    if (type) {
      type->fail(e.what());
    }
    field.fail(e.what());
  }
}

/// Every key but the common ones goes to the type's validator, whose errors are located at
/// the offending key like the loader's own (`providers[0].foo`).
void read_options(const Field& field, const ProviderInfo& info, ProviderConfig& provider) {
  for (const auto& [key, value] : field.value().items()) {
    if (std::find(kCommonProviderKeys.begin(), kCommonProviderKeys.end(), key) ==
        kCommonProviderKeys.end()) {
      provider.options[key] = value;
    }
  }
  try {
    info.validate(ProviderOptions(provider.options));
  } catch (const OptionError& e) {
    if (!e.key().empty() && field.has(e.key())) {
      field.fail_at_key(e.key(), e.what());
    }
    field.fail(e.what());
  }
}

/// `base_urls:`, a list of at least one URL, each checked like `base_url`; not together
/// with `base_url` (which one would win?), and no URL twice.
void read_replicas(const Field& urls, ProviderConfig& provider) {
  if (!provider.base_url.empty()) {
    urls.fail("give either base_url or base_urls, not both");
  }
  urls.expect_array();
  const std::vector<Field> items = urls.items();
  if (items.empty()) {
    urls.fail("base_urls needs at least one URL");
  }
  for (const Field& item : items) {
    std::string url = expand_environment(item, item.as_nonempty_string()).text;
    check_base_url(item, url);
    while (!url.empty() && url.back() == '/') {
      url.pop_back();
    }
    if (std::find(provider.base_urls.begin(), provider.base_urls.end(), url) !=
        provider.base_urls.end()) {
      item.fail(fmt::format("'{}' is listed twice", url));
    }
    provider.base_urls.push_back(std::move(url));
  }
  provider.base_url = provider.base_urls.front();
  provider.base_url_where = items.front().where();
}

/// A recorded provider sends no request, so the keys that shape requests mean nothing on it:
/// refused rather than ignored (a base_url would suggest a model is called). It cannot judge
/// either, and its file must exist (named at `path`, relative to the config file).
void check_recorded(const Field& field, const ProviderConfig& provider) {
  for (const char* key :
       {"base_url", "base_urls", "api_key_env", "headers", "params", "concurrency", "timeout",
        "connect_timeout", "retries", "rate_limit", "max_response_bytes"}) {
    if (field.has(key)) {
      field.fail_at_key(key, fmt::format("'{}' does not apply to a recorded provider: it sends no "
                                         "requests (its keys: id, type, path, model, pricing)",
                                         key));
    }
  }
  if (field.path().starts_with("judges")) {
    field.require("type").fail("a recorded provider cannot judge: it calls no model");
  }
  const providers::RecordedFile file = providers::recorded_file(provider);
  std::error_code error;
  if (!std::filesystem::is_regular_file(file.path, error)) {
    field.require("path").fail(fmt::format("recorded outputs file '{}' not found",
                                           provider.options.at("path").get<std::string>()));
  }
}

}  // namespace

ProviderConfig read_provider(const Field& field) {
  field.expect_mapping();
  ProviderConfig provider;
  provider.where = field.where();
  provider.field = field.path();
  provider.base_url_where = provider.where;
  const ProviderInfo& info = read_type(field, provider);
  read_options(field, info, provider);
  if (provider.type == providers::kRecordedType) {
    check_recorded(field, provider);
  }
  provider.id = field.require("id").as_nonempty_string();
  if (auto url = field.find("base_url")) {
    provider.base_url = expand_environment(*url, url->as_nonempty_string()).text;
    provider.base_url_where = url->where();
    check_base_url(*url, provider.base_url);
  }
  if (auto urls = field.find("base_urls")) {
    read_replicas(*urls, provider);
  }
  if (info.needs_model || field.has("model")) {
    provider.model = field.require("model").as_nonempty_string();
  }
  if (auto key = field.find("api_key_env")) {
    provider.api_key_env = key->as_nonempty_string();
  } else if (info.default_api_key_env != nullptr) {
    provider.api_key_env = info.default_api_key_env;
  }
  if (auto params = field.find("params")) {
    params->expect_mapping();
    provider.params = params->value();
  }
  if (auto concurrency = field.find("concurrency")) {
    provider.concurrency = concurrency->as_int(1, 4096);
  }
  if (auto timeout = field.find("timeout")) {
    provider.timeout = timeout->as_positive_duration();
  }
  if (auto timeout = field.find("connect_timeout")) {
    provider.connect_timeout = timeout->as_positive_duration();
  }
  if (auto retries = field.find("retries")) {
    provider.retries = retries->as_int(0, 100);
  }
  if (auto limit = field.find("rate_limit")) {
    provider.rate_limit = read_rate_limit(*limit);
  }
  if (auto pricing = field.find("pricing")) {
    provider.pricing = read_pricing(*pricing);
  }
  if (auto size = field.find("max_response_bytes")) {
    provider.max_response_bytes = size->as_byte_size();
  }
  if (auto headers = field.find("headers")) {
    provider.headers = read_headers(*headers);
  }
  return provider;
}

}  // namespace promptbench::config

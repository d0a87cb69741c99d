// SPDX-License-Identifier: Apache-2.0
// Fuzzes what a provider reads from a server: the input's first byte picks the provider
// (openai or anthropic, with or without streaming) and its second the HTTP status; the rest
// is the body, given to parse_response and advise, and to the server-sent-events parser.
// Providers do no I/O and answer a bad body with a RequestError value, so any exception, a
// crash, or a broken invariant is a finding. Invariants: a non-2xx answer is an http_status
// error; SSE events end in order, inside the body, each just after a line end.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>

#include "fuzz_support.hpp"
#include "promptbench/config.hpp"
#include "promptbench/provider.hpp"
#include "provider/sse.hpp"

namespace {

using promptbench::fuzz::invariant_failed;

std::unique_ptr<promptbench::Provider> make(const std::string& type, bool stream) {
  promptbench::ProviderConfig config;
  config.id = "p";
  config.type = type;
  config.base_url = "http://127.0.0.1:9/v1";
  config.model = "m";
  if (stream) {
    config.options = {{"stream", true}};
  }
  return promptbench::make_provider(config);
}

void check_sse(std::string_view body, std::string_view input) {
  const std::vector<promptbench::SseEvent> events = promptbench::parse_sse(body);
  std::size_t last_end = 0;
  for (const promptbench::SseEvent& event : events) {
    if (event.end <= last_end && last_end != 0) {
      invariant_failed("SSE events out of order", input);
    }
    if (event.end > body.size() || event.end == 0 ||
        (body[event.end - 1] != '\n' && body[event.end - 1] != '\r')) {
      invariant_failed("an SSE event does not end just after a line end", input);
    }
    last_end = event.end;
  }
  (void)promptbench::find_stream_failure(events);
  (void)promptbench::is_event_stream(body);
  (void)promptbench::stream_failure_advice(body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::array<std::unique_ptr<promptbench::Provider>, 4> providers = {
      make("openai", false), make("openai", true), make("anthropic", false),
      make("anthropic", true)};
  static constexpr std::array<int, 6> kStatuses = {200, 200, 400, 429, 500, 529};
  if (size < 2) {
    return 0;
  }
  const std::string_view input = promptbench::fuzz::as_text(data, size);
  promptbench::HttpResponse response;
  response.status = kStatuses[data[1] % kStatuses.size()];
  response.headers.push_back({"content-type", "application/json"});
  response.body = std::string(input.substr(2));
  response.latency_ms = 10;
  try {
    const promptbench::Provider& provider = *providers[data[0] % providers.size()];
    const auto completion = provider.parse_response(response);
    if (response.status >= 300 &&
        (completion || completion.error().kind != promptbench::ErrorKind::http_status)) {
      invariant_failed("a non-2xx answer is not an http_status error", input);
    }
    (void)provider.advise(response);
    check_sse(response.body, input);
  } catch (const std::exception& e) {
    invariant_failed(std::string("reading a response threw ") + typeid(e).name() + ": " + e.what(),
                     input);
  }
  return 0;
}

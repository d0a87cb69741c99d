// SPDX-License-Identifier: Apache-2.0
// Fuzzes the reading of an external scorer's reply line (the `command` metric,
// parse_scorer_reply; docs/SCORERS.md). The input is the line the scorer printed. A reply
// that breaks the protocol is an error value, never an exception, so any exception, a crash
// or a broken invariant is a finding. Invariants:
//  - a reply reads to a finite score, or to an error that says it is the scorer's reply and
//    quotes at most its first 200 bytes;
//  - the reader agrees with the protocol, checked here on nlohmann's own parse: a JSON object
//    (nested at most 100 deep) with a finite numeric `score` and a `pass` that is true,
//    false, null or absent is read, anything else is refused;
//  - the score, `pass` and `reason` read are the reply's own, and the reason written into
//    a report reads back equal.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <typeinfo>

#include "fuzz_support.hpp"
#include "metric/scorer_process.hpp"
#include "util/input_limits.hpp"
#include "util/json_depth.hpp"

namespace {

using nlohmann::json;
using promptbench::fuzz::invariant_failed;

/// The longest error: its fixed text and 200 quoted bytes with "...".
constexpr std::size_t kLongestError = 64 + 200 + 3;

/// What the protocol says of the reply, from nlohmann's parse alone.
bool follows_protocol(const std::string& reply, json& parsed) {
  if (promptbench::util::find_nesting_beyond(reply, promptbench::util::kMaxNestingDepth)) {
    return false;
  }
  parsed = json::parse(reply, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return false;
  }
  const auto score = parsed.find("score");
  if (score == parsed.end() || !score->is_number() || !std::isfinite(score->get<double>())) {
    return false;
  }
  const auto pass = parsed.find("pass");
  return pass == parsed.end() || pass->is_null() || pass->is_boolean();
}

void check_read(const promptbench::ScorerReply& read, const json& parsed, std::string_view input) {
  if (!std::isfinite(read.score) || read.score != parsed.at("score").get<double>()) {
    invariant_failed("the score read is not the reply's", input);
  }
  const auto pass = parsed.find("pass");
  const bool has_pass = pass != parsed.end() && !pass->is_null();
  if (read.pass.has_value() != has_pass || (has_pass && *read.pass != pass->get<bool>())) {
    invariant_failed("the pass read is not the reply's", input);
  }
  const json reason = parsed.value("reason", json());
  if (read.reason != reason) {
    invariant_failed("the reason read is not the reply's", input);
  }
  const json written =
      json::parse(read.reason.dump(-1, ' ', false, json::error_handler_t::replace), nullptr, false);
  if (written != read.reason) {
    invariant_failed("the reason does not read back from its JSON: " + read.reason.dump(), input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = promptbench::fuzz::as_text(data, size);
  const std::string reply(input);
  try {
    const auto read = promptbench::parse_scorer_reply(reply);
    json parsed;
    const bool expected = follows_protocol(reply, parsed);
    if (read.has_value() != expected) {
      invariant_failed(read ? "a reply outside the protocol was read"
                            : "a reply that follows the protocol was refused: " + read.error(),
                       input);
    }
    if (read) {
      check_read(*read, parsed, input);
    } else if (!read.error().starts_with("the scorer's ") || read.error().size() > kLongestError) {
      invariant_failed("a reply error does not name the scorer or quotes too much: " + read.error(),
                       input);
    }
  } catch (const std::exception& e) {
    invariant_failed(std::string("reading a reply threw ") + typeid(e).name() + ": " + e.what(),
                     input);
  }
  return 0;
}

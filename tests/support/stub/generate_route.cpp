// SPDX-License-Identifier: Apache-2.0
// A custom JSON service, neither OpenAI nor Anthropic: {"input": "...", "options": {...}} in,
// {"result": {"answer": ...}, "meta": {"tokens_in", "tokens_out"}} out.
#include "routes.hpp"
#include "text_model.hpp"

namespace promptbench::stub {

using nlohmann::json;

namespace {

std::string generate_request_problem(const json& request) {
  if (request.is_discarded()) {
    return "stub: request body is not valid JSON";
  }
  if (!request.is_object()) {
    return "stub: request body must be a JSON object";
  }
  if (!request.contains("input") || !request["input"].is_string()) {
    return "stub: \"input\" must be a string";
  }
  if (request.contains("options") && !request["options"].is_object()) {
    return "stub: \"options\" must be an object";
  }
  return {};
}

}  // namespace

std::uint64_t handle_generate(const Context& context, const StubState::Admission& admission,
                              const httplib::Request& req, httplib::Response& res) {
  const json request = json::parse(req.body, nullptr, false);
  if (answer_fault(context, Route::Generate, req, res, admission, false)) {
    return 0;
  }
  if (const std::string problem = generate_request_problem(request); !problem.empty()) {
    answer_error(context, Route::Generate, res, 400, "invalid_request_error", problem);
    context.state.record_answer(admission.body_hash, 400, false, false);
    return 0;
  }
  // The input is the conversation's one user message, so "one word" in it asks for a label.
  const std::vector<Turn> turns = {{"user", request["input"].get<std::string>()}};
  const std::string answer = reply_text(turns, context.options.mode);
  const std::size_t tokens_in = word_count(turns);
  const std::size_t tokens_out = output_tokens(answer);
  const json body = {{"result", {{"answer", answer}}},
                     {"meta", {{"tokens_in", tokens_in}, {"tokens_out", tokens_out}}}};
  answer_json(res, 200, body.dump(), json_type(context.options));
  mark_answer_complete();
  context.state.record_answer(admission.body_hash, 200, true, false);
  return tokens_in + tokens_out;
}

}  // namespace promptbench::stub

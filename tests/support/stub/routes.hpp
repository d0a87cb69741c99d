// SPDX-License-Identifier: Apache-2.0
// The stub's answer routes, each shaped after its API; serve() (answer.hpp) runs them after
// the shared prologue. Each returns the tokens a successful answer used, 0 otherwise.
#pragma once

#include "answer.hpp"

namespace promptbench::stub {

// POST /v1/chat/completions, /chat/completions: OpenAI chat completions (openai_route.cpp).
std::uint64_t handle_chat(const Context& context, const StubState::Admission& admission,
                          const httplib::Request& req, httplib::Response& res);

// POST /v1/messages, /messages: the Anthropic Messages API (anthropic_route.cpp).
std::uint64_t handle_messages(const Context& context, const StubState::Admission& admission,
                              const httplib::Request& req, httplib::Response& res);

// --custom-method /generate: a custom JSON service {input, options} (generate_route.cpp).
std::uint64_t handle_generate(const Context& context, const StubState::Admission& admission,
                              const httplib::Request& req, httplib::Response& res);

}  // namespace promptbench::stub

// SPDX-License-Identifier: Apache-2.0
// Prompt templates: Mustache without HTML escaping, strict about variables.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "promptbench/config.hpp"
#include "promptbench/dataset.hpp"

namespace promptbench {

struct ChatMessage {
  std::string role;
  std::string content;
};

/// A prompt filled with one case: the chat messages to send. A plain-text prompt is one
/// user message.
struct RenderedPrompt {
  std::vector<ChatMessage> messages;
};

/// A compiled prompt. Construction checks the Mustache syntax (UserError at file:line:col).
/// Rendering is strict: a variable the case lacks throws UserError naming the variable,
/// the prompt id and the case id. A section (`{{#x}}`, `{{^x}}`) whose name is missing is
/// simply false, so optional blocks need no placeholder field.
class PromptTemplate {
 public:
  explicit PromptTemplate(const PromptConfig& config);
  ~PromptTemplate();
  PromptTemplate(PromptTemplate&&) noexcept;
  PromptTemplate& operator=(PromptTemplate&&) noexcept;

  [[nodiscard]] const std::string& id() const;
  [[nodiscard]] RenderedPrompt render(const Case& row) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace promptbench

// SPDX-License-Identifier: Apache-2.0
// The files a config makes a run read, for `eval --watch`: what it names by key (prompt
// files, the dataset) and, generically, every existing file named by a metric's parameters
// or an endpoint's own options, so a new metric or provider type that reads a file is
// watched without a change here.
#include <algorithm>
#include <sstream>

#include "promptbench/watch.hpp"

namespace promptbench {

namespace {

/// Strings longer than this (inline rubrics, templates) are text, not paths.
constexpr std::size_t kLongestPath = 4096;

class FileList {
 public:
  void add(const std::filesystem::path& path) {
    const std::filesystem::path normal = path.lexically_normal();
    if (std::find(m_files.begin(), m_files.end(), normal) == m_files.end()) {
      m_files.push_back(normal);
    }
  }
  /// Adds base_dir/text when that is an existing regular file.
  void add_if_file(const std::filesystem::path& base_dir, const std::string& text) {
    if (text.empty() || text.size() > kLongestPath || text.find('\n') != std::string::npos) {
      return;
    }
    const std::filesystem::path path = base_dir / text;  // an absolute `text` stays as it is
    std::error_code error;
    if (std::filesystem::is_regular_file(path, error)) {
      add(path);
    }
  }
  /// Every string in `value`, at any depth. `run` (a command scorer's command line) is split
  /// at whitespace as the scorer splits it, so `python3 score.py` names score.py.
  void add_named(const std::filesystem::path& base_dir, const nlohmann::json& value,
                 const std::string& key = "") {
    if (value.is_string()) {
      const auto& text = value.get_ref<const std::string&>();
      if (key == "run") {
        std::istringstream words(text);
        for (std::string word; words >> word;) {
          add_if_file(base_dir, word);
        }
      }
      add_if_file(base_dir, text);
    } else if (value.is_object()) {
      for (const auto& item : value.items()) {
        add_named(base_dir, item.value(), item.key());
      }
    } else if (value.is_array()) {
      for (const auto& item : value) {
        add_named(base_dir, item, key);
      }
    }
  }
  std::vector<std::filesystem::path> take() { return std::move(m_files); }

 private:
  std::vector<std::filesystem::path> m_files;
};

}  // namespace

std::vector<std::filesystem::path> watched_files(const Config& config) {
  FileList files;
  files.add(config.path);
  for (const PromptConfig& prompt : config.prompts) {
    // The loader locates a prompt file's text at the file itself (as a path openable from
    // here); an inline template or message list is located in the config.
    if (prompt.messages.empty() && !prompt.text_where.file.empty() &&
        prompt.text_where.file != config.path.string()) {
      files.add(prompt.text_where.file);
    }
  }
  files.add(config.dataset.path);
  for (const MetricConfig& metric : config.metrics) {
    files.add_named(metric.base_dir, metric.params);
  }
  for (const ProviderConfig* endpoint : endpoints(config)) {
    files.add_named(config.base_dir, endpoint->options);
  }
  return files.take();
}

}  // namespace promptbench

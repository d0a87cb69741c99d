// SPDX-License-Identifier: Apache-2.0
// `promptbench init [DIR]`: scaffold a config, a prompt, a dataset and a .gitignore entry.
// It never overwrites: every target is checked before the first byte is written.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/init_files.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/error.hpp"
#include "util/atomic_file.hpp"

namespace promptbench::cli {

namespace {

namespace fs = std::filesystem;

/// Whether anything is at `path`; a dangling symlink counts, as a write would replace it.
bool occupied(const fs::path& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw UserError(fmt::format("cannot read {}", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// `relative` in `dir`, without a leading "./" so messages name files as a user would.
fs::path in_dir(const fs::path& dir, std::string_view relative) {
  return (dir / relative).lexically_normal();
}

/// Whether a .gitignore already ignores the cache directory, spelled any of the usual ways.
bool ignores_cache(const std::string& gitignore) {
  std::istringstream lines(gitignore);
  std::string line;
  while (std::getline(lines, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.pop_back();
    }
    if (line == ".promptbench/" || line == ".promptbench" || line == "/.promptbench/" ||
        line == "/.promptbench") {
      return true;
    }
  }
  return false;
}

/// Refuses a directory that is a file, a scaffold file that exists, and a second default
/// config: promptbench.yaml would silently take over from a promptbench.yml or .json.
void check_targets(const fs::path& dir) {
  if (occupied(dir) && !fs::is_directory(dir)) {
    throw UserError(fmt::format("{}: exists and is not a directory", dir.string()));
  }
  for (const ScaffoldFile& file : scaffold_files()) {
    const fs::path target = in_dir(dir, file.path);
    if (occupied(target)) {
      throw UserError(
          fmt::format("{}: already exists; init writes nothing over a file "
                      "(remove it or choose another directory)",
                      target.string()));
    }
  }
  for (const char* other : {"promptbench.yml", "promptbench.json"}) {
    if (occupied(in_dir(dir, other))) {
      throw UserError(
          fmt::format("{}: already exists; init writes nothing next to another "
                      "config (choose another directory)",
                      in_dir(dir, other).string()));
    }
  }
  const fs::path gitignore = in_dir(dir, ".gitignore");
  if (occupied(gitignore) && !fs::is_regular_file(gitignore)) {
    throw UserError(fmt::format("{}: exists and is not a regular file", gitignore.string()));
  }
}

/// The .gitignore's new contents, or "" when it already has the entry.
std::string gitignore_update(const fs::path& gitignore) {
  if (!occupied(gitignore)) {
    return fmt::format("# promptbench's response cache and journal\n{}\n", kGitignoreEntry);
  }
  std::string text = read_text(gitignore);
  if (ignores_cache(text)) {
    return "";
  }
  if (!text.empty() && text.back() != '\n') {
    text += '\n';
  }
  return fmt::format("{}{}\n", text, kGitignoreEntry);
}

/// Writes the scaffold files; if one fails, removes those already written (none existed).
std::vector<fs::path> write_scaffold(const fs::path& dir) {
  std::vector<fs::path> written;
  try {
    for (const ScaffoldFile& file : scaffold_files()) {
      util::write_file_atomically(in_dir(dir, file.path), file.contents);
      written.push_back(in_dir(dir, file.path));
    }
  } catch (...) {
    for (const fs::path& path : written) {
      std::error_code ignored;
      fs::remove(path, ignored);
    }
    throw;
  }
  return written;
}

/// A path as a shell word: quoted only when it needs to be.
std::string shell_word(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789._/-+=:,@") == std::string::npos) {
    return text;
  }
  std::string quoted = "'";
  for (const char c : text) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

/// How to call this promptbench: its name when PATH finds this very binary, else its path.
std::string self_command(const fs::path& self) {
  const char* path_env = std::getenv("PATH");
  std::istringstream dirs(path_env == nullptr ? "" : path_env);
  std::string entry;
  std::error_code ec;
  while (std::getline(dirs, entry, ':')) {
    const fs::path candidate = fs::path(entry.empty() ? "." : entry) / "promptbench";
    if (fs::equivalent(candidate, self, ec)) {
      return "promptbench";
    }
  }
  return self.empty() ? "promptbench" : shell_word(self.string());
}

/// The stub built next to this binary (build/<preset>/tests/), else where a checkout has it.
std::string stub_command(const fs::path& self) {
  const fs::path stub = self.parent_path() / "tests" / "promptbench-stub";
  std::error_code ec;
  if (!self.empty() && fs::is_regular_file(stub, ec)) {
    return shell_word(stub.string());
  }
  return "build/default/tests/promptbench-stub";
}

void print_next_steps(const fs::path& dir) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const std::string pb = self_command(self);
  std::cout << "\nnext steps:\n";
  if (dir != ".") {
    std::cout << fmt::format("  cd {}\n", shell_word(dir.string()));
  }
  std::cout << fmt::format(
      "  {0} validate        # reads the config and the dataset, sends nothing\n"
      "\n"
      "  # run it now against the bundled stub endpoint (deterministic, no key needed):\n"
      "  {1} --mode sentiment --port 0 --port-file /tmp/promptbench-stub.port &\n"
      "  until [ -s /tmp/promptbench-stub.port ]; do sleep 0.1; done\n"
      "  PROMPTBENCH_BASE_URL=\"http://127.0.0.1:$(cat /tmp/promptbench-stub.port)/v1\" {0} eval\n"
      "  kill %1; rm /tmp/promptbench-stub.port\n"
      "\n"
      "  # or against a real endpoint: set base_url, model and api_key_env in promptbench.yaml\n"
      "  # (see the comments there), export the key, then run `{0} eval`.\n",
      pb, stub_command(self));
}

int run_init(const std::string& dir_arg) {
  const fs::path dir = dir_arg.empty() ? fs::path(".") : fs::path(dir_arg);
  check_targets(dir);
  const fs::path gitignore = in_dir(dir, ".gitignore");
  const bool had_gitignore = occupied(gitignore);
  const std::string ignore_text = gitignore_update(gitignore);
  const std::vector<fs::path> written = write_scaffold(dir);
  if (!ignore_text.empty()) {
    util::write_file_atomically(gitignore, ignore_text);
  }
  std::cout << fmt::format("promptbench init: wrote {} files in {}\n",
                           written.size() + (ignore_text.empty() ? 0 : 1), dir.string());
  for (const ScaffoldFile& file : scaffold_files()) {
    std::cout << fmt::format("  {:<24}  {}\n", file.path, file.summary);
  }
  const char* what = ignore_text.empty() ? "already ignores .promptbench/; left alone"
                     : had_gitignore     ? "added .promptbench/ (the response cache)"
                                         : "ignores .promptbench/ (the response cache)";
  std::cout << fmt::format("  {:<24}  {}\n", ".gitignore", what);
  print_next_steps(dir);
  return kExitOk;
}

}  // namespace

void setup_init(CLI::App& app, CommandState& state) {
  auto dir = std::make_shared<std::string>();
  CLI::App* init = app.add_subcommand(
      "init",
      "Start a project: a commented config, a prompt, a 10-row dataset; overwrites nothing");
  init->add_option("dir", *dir, "Directory to write into (default: here; created if missing)");
  init->callback([dir, &state] { state.exit_code = run_init(*dir); });
}

}  // namespace promptbench::cli

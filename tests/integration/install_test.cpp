// SPDX-License-Identifier: Apache-2.0
// What `cmake --install` ships besides the binary keeps up with the CLI: the man page and
// the bash, zsh and fish completions name every command, every option and every value of an
// option with a closed set, as the binary's own --help and its errors list them. A new
// option without its completion fails here instead of silently rotting.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace install_test {
namespace {

namespace fs = std::filesystem;
using ::testing::IsSupersetOf;

// CLI11's help puts names in a 30-character column; a longer name has its description on
// the next line.
constexpr std::size_t kNameColumn = 30;

struct CliOption {
  std::vector<std::string> flags;  // "-o", "--output"
  std::string type;                // "TEXT", "ENUM", "PATH"; empty for a flag
};

struct CliCommand {
  std::string name;
  std::vector<CliOption> options;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) {
    if (!part.empty()) {
      parts.push_back(part);
    }
  }
  return parts;
}

/// The name column of each entry of one section ("Options:", "Subcommands:") of a help text.
std::vector<std::string> section_entries(const std::string& help, const std::string& heading) {
  std::vector<std::string> names;
  bool inside = false;
  for (const std::string& line : lines_of(help)) {
    if (line == heading) {
      inside = true;
    } else if (inside && !line.empty() && line[0] != ' ') {
      break;
    } else if (inside && line.size() > 2 && line.starts_with("  ") && line[2] != ' ') {
      const bool fits =
          line.size() > kNameColumn && line[kNameColumn - 1] == ' ' && line[kNameColumn] != ' ';
      names.push_back(fits ? line.substr(0, kNameColumn) : line);
    }
  }
  return names;
}

std::string help_of(const std::vector<std::string>& command) {
  std::vector<std::string> args = command;
  args.push_back("--help");
  TempDir dir;
  const ProcessResult result = promptbench(dir, args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

/// Every command and its options, read from the binary's --help.
std::vector<CliCommand> cli_commands() {
  std::vector<CliCommand> commands;
  for (const std::string& entry : section_entries(help_of({}), "Subcommands:")) {
    CliCommand command{split(entry, ' ').at(0), {}};
    for (const std::string& option : section_entries(help_of({command.name}), "Options:")) {
      const std::vector<std::string> words = split(option, ' ');
      const std::string type = words.size() > 1 ? words[1].substr(0, words[1].find('=')) : "";
      command.options.push_back({split(words.at(0), ','), type});
    }
    commands.push_back(command);
  }
  return commands;
}

std::vector<std::string> global_flags() {
  std::vector<std::string> flags;
  for (const std::string& entry : section_entries(help_of({}), "Options:")) {
    for (const std::string& flag : split(split(entry, ' ').at(0), ',')) {
      flags.push_back(flag);
    }
  }
  return flags;
}

/// The values an ENUM option accepts, from the error the binary gives for any other value:
/// "--color: expected auto, always or never, got 'x'".
std::vector<std::string> enum_values(const std::string& command, const std::string& flag) {
  TempDir dir;
  const ProcessResult result = promptbench(dir, {command, flag, "no-such-value"});
  const std::regex expected(flag + ": expected (.+) or ([^ ,]+), got 'no-such-value'");
  std::smatch match;
  if (!std::regex_search(result.err, match, expected)) {
    ADD_FAILURE() << command << " " << flag << ": no list of values in: " << result.err;
    return {};
  }
  std::vector<std::string> values;
  for (std::string value : split(match[1].str(), ',')) {
    value.erase(0, value.find_first_not_of(' '));
    values.push_back(value);
  }
  values.push_back(match[2].str());
  return values;
}

std::vector<std::string> all_flags(const CliCommand& command) {
  std::vector<std::string> flags;
  for (const CliOption& option : command.options) {
    flags.insert(flags.end(), option.flags.begin(), option.flags.end());
  }
  return flags;
}

std::set<std::string> as_set(const std::vector<std::string>& words) {
  return {words.begin(), words.end()};
}

/// `word` appears in `text` as a whole word: not inside a longer option or identifier.
bool has_word(const std::string& text, const std::string& word) {
  const auto is_word_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  };
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool starts = at == 0 || !is_word_char(text[at - 1]);
    const std::size_t end = at + word.size();
    const bool ends = end == text.size() || !is_word_char(text[end]);
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

/// The lines of `text` that name `word` (see has_word).
std::string lines_naming(const std::string& text, const std::string& word) {
  std::string found;
  for (const std::string& line : lines_of(text)) {
    if (has_word(line, word)) {
      found += line + "\n";
    }
  }
  return found;
}

fs::path completion_file(const std::string& name) {
  return fs::path(source_dir()) / "completions" / name;
}

class InstalledFiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { commands = new std::vector<CliCommand>(cli_commands()); }
  static void TearDownTestSuite() {
    delete commands;
    commands = nullptr;
  }
  static std::vector<CliCommand>* commands;
};
std::vector<CliCommand>* InstalledFiles::commands = nullptr;

TEST_F(InstalledFiles, TheHelpListsTheCommandsAndOptionsThisTestChecks) {
  // A guard against a parser that finds nothing and so checks nothing.
  ASSERT_GE(commands->size(), 8u);
  const auto eval = std::find_if(commands->begin(), commands->end(),
                                 [](const CliCommand& c) { return c.name == "eval"; });
  ASSERT_NE(eval, commands->end());
  EXPECT_THAT(all_flags(*eval), IsSupersetOf({"-o", "--output", "--shard", "--color", "--watch"}));
  EXPECT_THAT(global_flags(), IsSupersetOf({"-h", "--help", "--version"}));
}

// --- the man page, generated at build time beside the binary ------------------------------

TEST_F(InstalledFiles, ManPageDescribesEveryCommandAndOption) {
  const fs::path page = fs::path(promptbench_bin()).parent_path() / "man" / "promptbench.1";
  const std::string roff = read_file(page);
  EXPECT_THAT(roff, ::testing::StartsWith(".\\\" SPDX-License-Identifier"));
  EXPECT_THAT(roff, ::testing::HasSubstr(".TH PROMPTBENCH 1 "));
  for (const CliCommand& command : *commands) {
    EXPECT_THAT(roff, ::testing::HasSubstr(".SS \"promptbench " + command.name)) << command.name;
    for (const std::string& flag : all_flags(command)) {
      EXPECT_THAT(roff, ::testing::HasSubstr("\\fB" + replace_all(flag, "-", "\\-") + "\\fR"))
          << command.name << " " << flag;
    }
  }
}

// --- bash: the completion function itself, run as bash runs it ---------------------------

/// The words bash's completion offers after `words` (the last one being completed).
std::set<std::string> bash_complete(const std::vector<std::string>& words,
                                    const std::string& working_dir = "") {
  const std::string script = R"(source "$0" || exit 3
spec=$(complete -p promptbench) || exit 4
fn=${spec##*-F }; fn=${fn%% *}
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$fn" promptbench "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}")";
  std::vector<std::string> argv = {"bash", "--norc", "--noprofile",
                                   "-c",   script,   completion_file("promptbench.bash").string()};
  argv.insert(argv.end(), words.begin(), words.end());
  RunOptions options;
  options.working_dir = working_dir;
  const ProcessResult result = run_process(argv, options);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::set<std::string> offered;
  for (const std::string& line : lines_of(result.out)) {
    if (!line.empty()) {
      offered.insert(line);
    }
  }
  return offered;
}

TEST_F(InstalledFiles, BashCompletesTheCommandsAndGlobalOptions) {
  std::set<std::string> names;
  for (const CliCommand& command : *commands) {
    names.insert(command.name);
  }
  EXPECT_EQ(bash_complete({"promptbench", ""}), names);
  EXPECT_EQ(bash_complete({"promptbench", "-"}), as_set(global_flags()));
}

TEST_F(InstalledFiles, BashCompletesExactlyTheOptionsOfEachCommand) {
  for (const CliCommand& command : *commands) {
    EXPECT_EQ(bash_complete({"promptbench", command.name, "-"}), as_set(all_flags(command)))
        << "promptbench " << command.name << " -<TAB>";
  }
}

TEST_F(InstalledFiles, BashCompletesTheValuesOfEveryEnumOption) {
  for (const CliCommand& command : *commands) {
    for (const CliOption& option : command.options) {
      if (option.type != "ENUM") {
        continue;
      }
      const std::set<std::string> values = as_set(enum_values(command.name, option.flags.back()));
      EXPECT_EQ(bash_complete({"promptbench", command.name, option.flags.back(), ""}), values)
          << command.name << " " << option.flags.back();
      // --color=<TAB>: bash splits the word at '='.
      EXPECT_EQ(bash_complete({"promptbench", command.name, option.flags.back(), "=", ""}), values)
          << command.name << " " << option.flags.back() << "=";
    }
  }
}

TEST_F(InstalledFiles, BashCompletesShardsConfigsReportsAndDirectories) {
  TempDir dir;
  for (const char* name : {"a.yaml", "b.yml", "c.json", "notes.txt", "cases/x.jsonl"}) {
    dir.write(name, "x");
  }
  const std::string here = dir.path().string();
  EXPECT_THAT(bash_complete({"promptbench", "eval", "--shard", ""}),
              IsSupersetOf({"auto", "auto/"}));
  EXPECT_EQ(bash_complete({"promptbench", "eval", ""}, here),
            as_set({"a.yaml", "b.yml", "c.json", "cases"}));
  EXPECT_EQ(bash_complete({"promptbench", "validate", "-q", ""}, here),
            as_set({"a.yaml", "b.yml", "c.json", "cases"}));
  EXPECT_EQ(bash_complete({"promptbench", "compare", "c.json", ""}, here),
            as_set({"c.json", "cases"}));
  EXPECT_EQ(bash_complete({"promptbench", "eval", "--filter-failing", ""}, here),
            as_set({"c.json", "cases"}));
  EXPECT_EQ(bash_complete({"promptbench", "init", ""}, here), as_set({"cases"}));
}

// --- zsh: one function per command, _promptbench_cmd_NAME --------------------------------

/// The body of `name() {` up to the closing brace at the start of a line.
std::string shell_function(const std::string& text, const std::string& name) {
  const std::size_t start = text.find("\n" + name + "() {\n");
  if (start == std::string::npos) {
    ADD_FAILURE() << "no function " << name;
    return "";
  }
  const std::size_t end = text.find("\n}\n", start);
  return text.substr(start, end - start);
}

TEST_F(InstalledFiles, ZshCompletionNamesEveryCommandOptionAndValue) {
  const std::string zsh = read_file(completion_file("_promptbench"));
  EXPECT_THAT(zsh, ::testing::StartsWith("#compdef promptbench\n"));
  const std::string dispatcher = shell_function(zsh, "_promptbench");
  for (const std::string& flag : global_flags()) {
    EXPECT_TRUE(has_word(dispatcher, flag)) << flag;
  }
  for (const CliCommand& command : *commands) {
    EXPECT_TRUE(has_word(dispatcher, "'" + command.name)) << command.name;
    const std::string body = shell_function(zsh, "_promptbench_cmd_" + command.name);
    for (const CliOption& option : command.options) {
      for (const std::string& flag : option.flags) {
        EXPECT_TRUE(has_word(body, flag)) << command.name << " " << flag;
      }
      if (option.type == "ENUM") {
        const std::string spec = lines_naming(body, option.flags.back());
        for (const std::string& value : enum_values(command.name, option.flags.back())) {
          EXPECT_TRUE(has_word(spec, value))
              << command.name << " " << option.flags.back() << " " << value;
        }
      }
    }
  }
}

// --- fish: each line names its commands after __fish_seen_subcommand_from ----------------

/// The `complete` lines (joined with their continuation lines) that apply to `command`.
std::string fish_lines_for(const std::string& fish, const std::string& command) {
  std::string joined = replace_all(fish, "\\\n", " ");
  std::string lines;
  const std::regex condition("__fish_seen_subcommand_from ([^'\"]*)['\"]");
  for (const std::string& line : lines_of(joined)) {
    std::smatch match;
    if (!line.starts_with("complete ") || !std::regex_search(line, match, condition)) {
      continue;
    }
    const std::vector<std::string> applies_to = split(match[1].str(), ' ');
    const bool every_command = match[1].str() == "$commands";
    if (every_command ||
        std::find(applies_to.begin(), applies_to.end(), command) != applies_to.end()) {
      lines += line + "\n";
    }
  }
  return lines;
}

TEST_F(InstalledFiles, FishCompletionNamesEveryCommandOptionAndValue) {
  const std::string fish = read_file(completion_file("promptbench.fish"));
  for (const CliCommand& command : *commands) {
    EXPECT_TRUE(has_word(fish, "-a " + command.name)) << command.name;
    const std::string lines = fish_lines_for(fish, command.name);
    for (const CliOption& option : command.options) {
      for (const std::string& flag : option.flags) {
        const std::string fish_flag =
            flag.starts_with("--") ? "-l " + flag.substr(2) : "-s " + flag.substr(1);
        EXPECT_TRUE(has_word(lines, fish_flag)) << command.name << " " << flag;
      }
      if (option.type == "ENUM") {
        const std::string flag = option.flags.back();
        const std::string spec = lines_naming(lines, "-l " + flag.substr(2));
        for (const std::string& value : enum_values(command.name, flag)) {
          EXPECT_TRUE(has_word(spec, value)) << command.name << " " << flag << " " << value;
        }
      }
    }
  }
}

/// What fish offers for `line`, when fish is installed (scripts/test-package.sh installs it).
std::set<std::string> fish_complete(const std::string& line) {
  const ProcessResult result =
      run_process({"fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]",
                   completion_file("promptbench.fish").string(), line});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::set<std::string> offered;
  for (const std::string& entry : lines_of(result.out)) {
    offered.insert(entry.substr(0, entry.find('\t')));
  }
  return offered;
}

bool fish_installed() {
  try {
    return run_process({"fish", "--version"}).exit_code == 0;
  } catch (const std::exception&) {
    return false;
  }
}

TEST_F(InstalledFiles, FishCompletesExactlyTheOptionsOfEachCommand) {
  if (!fish_installed()) {
    GTEST_SKIP() << "fish is not installed (apt-get install fish)";
  }
  for (const CliCommand& command : *commands) {
    EXPECT_EQ(fish_complete("promptbench " + command.name + " -"), as_set(all_flags(command)))
        << "promptbench " << command.name << " -<TAB>";
    for (const CliOption& option : command.options) {
      if (option.type == "ENUM") {
        EXPECT_EQ(fish_complete("promptbench " + command.name + " " + option.flags.back() + " "),
                  as_set(enum_values(command.name, option.flags.back())));
      }
    }
  }
}

}  // namespace
}  // namespace install_test
}  // namespace promptbench::testing

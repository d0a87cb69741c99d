// SPDX-License-Identifier: Apache-2.0
// Output checks before the run (see output_paths.hpp).
#include "cli/output_paths.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "promptbench/report_formats.hpp"

namespace promptbench::cli {

namespace fs = std::filesystem;

namespace {

/// One output of the command line: the option that named it and the path as given.
struct Output {
  std::string option;
  std::string path;
};

[[noreturn]] void refuse(const Output& output, const std::string& problem) {
  throw UserError(fmt::format("{} {}: {}", output.option, output.path, problem));
}

/// The file a path names, however it is spelled (`./x`, `dir/../x`, through a symlinked
/// directory); the parts that do not exist yet are normalized lexically.
fs::path identity(const std::string& path) {
  std::error_code error;
  fs::path canonical = fs::weakly_canonical(fs::absolute(path, error), error);
  return error ? fs::absolute(path).lexically_normal() : canonical;
}

void refuse_duplicates(const std::vector<Output>& outputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (identity(outputs[i].path) == identity(outputs[j].path)) {
        refuse(outputs[i],
               fmt::format("the same file as {} {}", outputs[j].option, outputs[j].path));
      }
    }
  }
}

/// Removes, deepest first, the directories a check created, so the check leaves no trace.
class CreatedDirectories {
 public:
  explicit CreatedDirectories(const fs::path& directory) {
    std::error_code error;
    for (fs::path p = directory; !p.empty() && !fs::exists(p, error); p = p.parent_path()) {
      m_missing.push_back(p);
      if (p == p.parent_path()) {
        break;
      }
    }
  }
  ~CreatedDirectories() {
    std::error_code ignored;
    for (const fs::path& p : m_missing) {
      fs::remove(p, ignored);  // only removes an empty directory, i.e. one made here
    }
  }
  CreatedDirectories(const CreatedDirectories&) = delete;
  CreatedDirectories& operator=(const CreatedDirectories&) = delete;

 private:
  std::vector<fs::path> m_missing;
};

/// Creates and removes a file beside the output, which is what the real write needs:
/// permission, a writable file system, a free inode. The probe's name carries this process
/// id (PATH.PID.tmp), not the writers' PATH.tmp: removing it must never remove the temporary
/// file of another process writing the same output.
void probe_file(const Output& output, const fs::path& directory) {
  const std::string probe = fmt::format("{}.{}.tmp", output.path, getpid());
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return;  // a leftover of this very process id: the directory takes files
    }
    refuse(output,
           fmt::format("cannot create a file in {}: {}", directory.string(), std::strerror(errno)));
  }
  close(fd);
  unlink(probe.c_str());
}

void check_writable(const Output& output) {
  std::error_code error;
  const fs::file_status status = fs::status(output.path, error);
  if (fs::is_directory(status)) {
    refuse(output, "is a directory");
  }
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    // Renaming the finished file over a device or a pipe would replace it, not write to it.
    refuse(output, "is not a regular file");
  }
  const fs::path parent = fs::path(output.path).parent_path();
  const fs::path directory = parent.empty() ? fs::path(".") : parent;
  const CreatedDirectories cleanup(directory);
  fs::create_directories(directory, error);
  if (error) {
    refuse(output,
           fmt::format("cannot create directory {}: {}", directory.string(), error.message()));
  }
  probe_file(output, directory);
}

/// No output may be a file the command reads: it is written (renamed into place) while, or
/// after, that file is read.
void refuse_inputs(const std::vector<Output>& outputs, const std::vector<std::string>& inputs) {
  for (const Output& output : outputs) {
    for (const std::string& input : inputs) {
      std::error_code ignored;
      if (identity(output.path) == identity(input) || fs::equivalent(output.path, input, ignored)) {
        refuse(output,
               fmt::format("is an input of this command ({}), which it would overwrite", input));
      }
    }
  }
}

void check_all(const std::vector<Output>& outputs, const std::vector<std::string>& inputs) {
  refuse_duplicates(outputs);
  refuse_inputs(outputs, inputs);
  for (const Output& output : outputs) {
    check_writable(output);
  }
}

}  // namespace

void check_output_paths(const std::string& report,
                        const std::map<std::string, std::string>& formats,
                        const std::map<std::string, std::string>& streams,
                        const std::vector<std::string>& inputs) {
  if (report == "-") {
    std::vector<std::string> flags;
    for (const ReportFormat& format : report_formats()) {
      flags.push_back(fmt::format("--{} -", format.name));
    }
    throw UserError(fmt::format(
        "-o -: the JSON report is written to a file (atomically, then read back for the other "
        "formats); give a path, or write another format to stdout with {}",
        fmt::join(flags, ", ")));
  }
  if (report.empty()) {
    throw UserError("-o: expected a file path, got ''");
  }
  std::vector<Output> outputs = {{"-o", report}};
  for (const auto& [name, path] : formats) {
    if (!path.empty() && path != "-") {
      outputs.push_back({"--" + name, path});
    }
  }
  for (const auto& [name, path] : streams) {
    if (path == "-") {
      refuse({"--" + name, path}, "expected a file path (stdout holds the summary table)");
    }
    if (!path.empty()) {
      outputs.push_back({"--" + name, path});
    }
  }
  check_all(outputs, inputs);
}

void check_format_paths(const std::map<std::string, std::string>& formats,
                        const std::string& input) {
  std::vector<Output> outputs;
  for (const auto& [name, path] : formats) {
    if (!path.empty() && path != "-") {
      outputs.push_back({"--" + name, path});
    }
  }
  check_all(outputs, {input});
}

}  // namespace promptbench::cli

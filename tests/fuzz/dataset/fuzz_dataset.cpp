// SPDX-License-Identifier: Apache-2.0
// Fuzzes the dataset readers: every input is written to a scratch file and read to the end
// by a CaseReader as JSONL, as a JSON array and as CSV (open_rows, as `eval` opens it), once
// with an `id:` field and reference `label`, once with the row number as id and reference
// `answer` (as the two kinds of seed are written). A UserError is the expected
// answer to a malformed row; any other exception, a crash, or a case that breaks an
// invariant (no id, a vars that is not an object, indices out of order) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <typeinfo>

#include "fuzz_support.hpp"
#include "promptbench/config.hpp"
#include "promptbench/dataset.hpp"
#include "promptbench/error.hpp"

namespace {

using promptbench::fuzz::invariant_failed;

void read_all(const std::string& format, const std::string& reference, const std::string& id_field,
              std::string_view input) {
  promptbench::DatasetConfig config;
  config.path = promptbench::fuzz::write_scratch_file("data." + format, input);
  config.display_path = "data." + format;
  config.format = format;
  config.reference = reference;
  config.id = id_field;
  try {
    promptbench::CaseReader reader(config);
    std::size_t expected_index = 0;
    while (std::optional<promptbench::Case> row = reader.next()) {
      if (row->id.empty()) {
        invariant_failed(format + ": a case without an id", input);
      }
      if (id_field.empty() && row->id != std::to_string(expected_index + 1)) {
        invariant_failed(format + ": case id '" + row->id + "' is not its row number", input);
      }
      if (row->index != expected_index++) {
        invariant_failed(format + ": case index out of order", input);
      }
      if (!row->vars.is_object()) {
        invariant_failed(format + ": a case whose vars is not an object", input);
      }
      if (row->reference.is_null() || !row->vars.contains(reference)) {
        invariant_failed(format + ": a case without its reference", input);
      }
      if (row->where.line == 0) {
        invariant_failed(format + ": a case without a line", input);
      }
    }
  } catch (const promptbench::UserError&) {
    // The documented answer to a malformed dataset.
  } catch (const std::exception& e) {
    invariant_failed(format + ": the reader threw " + typeid(e).name() + ": " + e.what(), input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = promptbench::fuzz::as_text(data, size);
  for (const char* format : {"jsonl", "json", "csv"}) {
    read_all(format, "label", "id", input);  // the seeds from tests/data/datasets
    read_all(format, "answer", "", input);   // the seeds from tests/malformed
  }
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
// What changed between two runs of `eval --watch`: each variant's metric means, and the cases
// whose outcome flipped. A case's outcome folds its repeats the way --filter-failing reads a
// report: one error or one failed pass flag makes the case an error or a failure.
#include <algorithm>
#include <array>
#include <cmath>
#include <ostream>

#include <fmt/format.h>

#include "promptbench/watch.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

/// The outcome of a case over two of its results: an error wins, then a failure.
CaseOutcome fold(CaseOutcome a, CaseOutcome b) {
  if (a == CaseOutcome::none || b == CaseOutcome::error) {
    return b;
  }
  if (b == CaseOutcome::none || a == CaseOutcome::error) {
    return a;
  }
  return a == CaseOutcome::fail || b == CaseOutcome::fail ? CaseOutcome::fail : a;
}

CaseOutcome outcome_of(const MetricOutcome& metric) {
  if (metric.error) {
    return CaseOutcome::error;
  }
  if (metric.pass) {
    return *metric.pass ? CaseOutcome::pass : CaseOutcome::fail;
  }
  return metric.score ? CaseOutcome::scored : CaseOutcome::none;
}

void set(std::vector<CaseOutcome>& outcomes, std::size_t position, CaseOutcome outcome) {
  if (outcomes.size() <= position) {
    outcomes.resize(position + 1, CaseOutcome::none);
  }
  outcomes[position] = fold(outcomes[position], outcome);
}

/// The order flips are listed in: regressions first, then recoveries, then anything else.
constexpr std::array<std::pair<CaseOutcome, CaseOutcome>, 8> kTransitionOrder = {{
    {CaseOutcome::pass, CaseOutcome::fail},
    {CaseOutcome::pass, CaseOutcome::error},
    {CaseOutcome::fail, CaseOutcome::error},
    {CaseOutcome::scored, CaseOutcome::error},
    {CaseOutcome::fail, CaseOutcome::pass},
    {CaseOutcome::error, CaseOutcome::pass},
    {CaseOutcome::error, CaseOutcome::fail},
    {CaseOutcome::error, CaseOutcome::scored},
}};

std::size_t transition_rank(const Flip& flip) {
  const auto found =
      std::find(kTransitionOrder.begin(), kTransitionOrder.end(), std::pair{flip.before, flip.now});
  return static_cast<std::size_t>(found - kTransitionOrder.begin());
}

/// A mean as the summary table shows it: three decimals up to 1, else one.
std::string mean_text(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) {
    return "-";
  }
  return std::fabs(*value) <= 1.0 ? fmt::format("{:.3f}", *value) : fmt::format("{:.1f}", *value);
}

std::string change_text(const MetricChange& change) {
  if (!change.in_before) {
    return "new";
  }
  if (!change.in_now) {
    return "gone";
  }
  if (!change.before || !change.now) {
    return "-";
  }
  if (*change.before == *change.now) {
    return "no change";
  }
  const int decimals = std::max(std::fabs(*change.before), std::fabs(*change.now)) <= 1.0 ? 3 : 1;
  return fmt::format("{:+.{}f}", *change.now - *change.before, decimals);
}

/// "    fail -> pass (3): a, b, c" per transition, in kTransitionOrder.
void print_flips(std::ostream& out, std::vector<Flip> flips, std::size_t max_ids) {
  std::stable_sort(flips.begin(), flips.end(), [](const Flip& a, const Flip& b) {
    return std::pair{transition_rank(a), std::pair{a.before, a.now}} <
           std::pair{transition_rank(b), std::pair{b.before, b.now}};
  });
  for (auto group = flips.begin(); group != flips.end();) {
    const auto end = std::find_if(group, flips.end(), [&](const Flip& f) {
      return f.before != group->before || f.now != group->now;
    });
    const auto count = static_cast<std::size_t>(end - group);
    std::string ids;
    for (auto flip = group; flip != end && flip - group < static_cast<std::ptrdiff_t>(max_ids);
         ++flip) {
      ids += (ids.empty() ? "" : ", ") + flip->case_id;
    }
    if (count > max_ids) {
      ids += fmt::format(" and {} more", count - max_ids);
    }
    out << fmt::format("    {} -> {} ({}): {}\n", to_string(group->before), to_string(group->now),
                       count, ids);
    group = end;
  }
}

}  // namespace

const char* to_string(CaseOutcome outcome) {
  switch (outcome) {
    case CaseOutcome::pass:
      return "pass";
    case CaseOutcome::fail:
      return "fail";
    case CaseOutcome::scored:
      return "scored";
    case CaseOutcome::error:
      return "error";
    case CaseOutcome::none:
      break;
  }
  return "none";
}

void RunSnapshot::add_case(const CaseRecord& record) {
  const std::size_t position = m_case_ids.size();
  m_case_ids.push_back(record.id);
  m_positions.emplace(record.id, position);
  for (const CaseResult& result : record.results) {
    for (const MetricOutcome& metric : result.metrics) {
      set(m_outcomes[{result.variant, metric.name}], position, outcome_of(metric));
    }
    if (result.error) {
      // A failed request or extraction scores no metric: set_summary makes it an error of
      // every metric of the variant, which only the summary lists.
      set(m_outcomes[{result.variant, ""}], position, CaseOutcome::error);
    }
  }
}

void RunSnapshot::set_summary(const ReportSummary& summary) {
  m_means.clear();
  for (const VariantSummary& variant : summary.variants) {
    const auto errors = m_outcomes.find({variant.id, ""});
    for (const MetricSummary& metric : variant.metrics) {
      m_means.push_back({variant.id, metric.name,
                         metric.n > 0 ? std::optional<double>(metric.mean) : std::nullopt});
      if (errors == m_outcomes.end()) {
        continue;
      }
      std::vector<CaseOutcome>& outcomes = m_outcomes[{variant.id, metric.name}];
      for (std::size_t position = 0; position < errors->second.size(); ++position) {
        if (errors->second[position] == CaseOutcome::error) {
          set(outcomes, position, CaseOutcome::error);
        }
      }
    }
  }
  for (const VariantSummary& variant : summary.variants) {
    m_outcomes.erase({variant.id, ""});
  }
}

const std::vector<CaseOutcome>& RunSnapshot::outcomes(const std::string& variant,
                                                      const std::string& metric) const {
  static const std::vector<CaseOutcome> kNone;
  const auto found = m_outcomes.find({variant, metric});
  return found == m_outcomes.end() ? kNone : found->second;
}

std::optional<std::size_t> RunSnapshot::position(const std::string& case_id) const {
  const auto found = m_positions.find(case_id);
  return found == m_positions.end() ? std::nullopt : std::optional(found->second);
}

std::vector<MetricChange> changes_between(const RunSnapshot& before, const RunSnapshot& now) {
  const auto at = [](const std::vector<CaseOutcome>& outcomes, std::size_t position) {
    return position < outcomes.size() ? outcomes[position] : CaseOutcome::none;
  };
  std::vector<MetricChange> changes;
  for (const RunSnapshot::Mean& mean : now.means()) {
    MetricChange change{mean.variant, mean.metric, false, true, std::nullopt, mean.mean, {}};
    const auto old = std::find_if(before.means().begin(), before.means().end(), [&](const auto& m) {
      return m.variant == mean.variant && m.metric == mean.metric;
    });
    if (old != before.means().end()) {
      change.in_before = true;
      change.before = old->mean;
      const auto& was = before.outcomes(mean.variant, mean.metric);
      const auto& is = now.outcomes(mean.variant, mean.metric);
      for (std::size_t position = 0; position < now.case_ids().size(); ++position) {
        const std::string& id = now.case_ids()[position];
        const auto old_position = before.position(id);
        const CaseOutcome a = old_position ? at(was, *old_position) : CaseOutcome::none;
        const CaseOutcome b = at(is, position);
        if (a != CaseOutcome::none && b != CaseOutcome::none && a != b) {
          change.flips.push_back({id, a, b});
        }
      }
    }
    changes.push_back(std::move(change));
  }
  for (const RunSnapshot::Mean& mean : before.means()) {
    const bool kept = std::any_of(changes.begin(), changes.end(), [&](const MetricChange& c) {
      return c.variant == mean.variant && c.metric == mean.metric;
    });
    if (!kept) {
      changes.push_back({mean.variant, mean.metric, true, false, mean.mean, std::nullopt, {}});
    }
  }
  return changes;
}

void print_changes(std::ostream& out, const std::vector<MetricChange>& changes,
                   std::size_t max_ids) {
  std::array<std::size_t, 4> width = {std::size("variant") - 1, std::size("metric") - 1,
                                      std::size("before") - 1, std::size("now") - 1};
  for (const MetricChange& change : changes) {
    width[0] = std::max(width[0], util::display_width(change.variant));
    width[1] = std::max(width[1], util::display_width(change.metric));
    width[2] = std::max(width[2], mean_text(change.before).size());
    width[3] = std::max(width[3], mean_text(change.now).size());
  }
  const auto row = [&](const std::string& variant, const std::string& metric,
                       const std::string& before, const std::string& now,
                       const std::string& change) {
    out << "  " << util::pad_right(variant, width[0]) << "  " << util::pad_right(metric, width[1])
        << "  " << util::pad_right(before, width[2]) << "  " << util::pad_right(now, width[3])
        << "  " << change << "\n";
  };
  out << "changes since the previous run:\n";
  row("variant", "metric", "before", "now", "change");
  for (const MetricChange& change : changes) {
    row(change.variant, change.metric, mean_text(change.before), mean_text(change.now),
        change_text(change));
    print_flips(out, change.flips, max_ids);
  }
}

}  // namespace promptbench

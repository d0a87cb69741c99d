# SPDX-License-Identifier: Apache-2.0
# fish completion for promptbench: installed as
# share/fish/vendor_completions.d/promptbench.fish. The commands, each command's options
# (every line names the commands it applies to after __fish_seen_subcommand_from), the values
# of --color, --progress, --format and --shard, and files of the right kind: configs
# (*.yaml, *.yml, *.json), reports (*.json), outputs by their format.
# tests/integration/install_test.cpp checks it against the binary's own --help.

set -l commands eval compare merge report validate render metrics init

# Nothing but what is listed below: files only where a line adds them.
complete -c promptbench -f

# The files under the token being completed that end in one of the suffixes, and the
# directories (to descend into). fish 3.6's __fish_complete_suffix takes a single suffix.
function __promptbench_files -d 'Files with one of the suffixes, and directories'
    set -l paths (__fish_complete_path (commandline -ct) | string replace -r '\t.*' '')
    for suffix in $argv
        string match -- "*$suffix" $paths
    end
    string match -- '*/' $paths
end

# --- commands and the global options ----------------------------------------------------
set -l no_command "not __fish_seen_subcommand_from $commands"
complete -c promptbench -n $no_command -s h -l help -d 'Print the help and exit'
complete -c promptbench -n $no_command -l version -d 'Print the version and exit'
complete -c promptbench -n $no_command -a eval -d 'Run the evaluation, write reports, apply gates'
complete -c promptbench -n $no_command -a compare -d 'Paired comparison of two reports'
complete -c promptbench -n $no_command -a merge -d 'Merge the reports of eval --shard into one'
complete -c promptbench -n $no_command -a report -d 'Convert a report JSON to other formats'
complete -c promptbench -n $no_command -a validate -d 'Check config, templates, metrics and dataset'
complete -c promptbench -n $no_command -a render -d 'Print the request body for one prompt and case'
complete -c promptbench -n $no_command -a metrics -d 'List every metric and its parameters'
complete -c promptbench -n $no_command -a init -d 'Start a project: config, prompt, dataset'

# --- arguments ----------------------------------------------------------------------------
complete -c promptbench -n '__fish_seen_subcommand_from eval validate render' \
    -a '(__promptbench_files .yaml .yml .json)' -d 'Config file'
complete -c promptbench -n '__fish_seen_subcommand_from compare merge report' \
    -a '(__promptbench_files .json)' -d 'Report JSON'
complete -c promptbench -n '__fish_seen_subcommand_from init' \
    -a '(__fish_complete_directories)' -d 'Directory to write into'

# --- options ------------------------------------------------------------------------------
complete -c promptbench -n "__fish_seen_subcommand_from $commands" -s h -l help \
    -d 'Print the help and exit'

# Outputs and inputs, by kind of file.
complete -c promptbench -n '__fish_seen_subcommand_from eval merge' -s o -l output -x \
    -a '(__promptbench_files .json)' -d 'Report JSON path'
complete -c promptbench -n '__fish_seen_subcommand_from eval merge report' -l junit -x \
    -a '(__promptbench_files .xml)' -d 'Write JUnit XML to PATH (-: stdout)'
complete -c promptbench -n '__fish_seen_subcommand_from eval merge report' -l md -x \
    -a '(__promptbench_files .md)' -d 'Write Markdown to PATH (-: stdout)'
complete -c promptbench -n '__fish_seen_subcommand_from eval merge report' -l csv -x \
    -a '(__promptbench_files .csv)' -d 'Write CSV to PATH (-: stdout)'
complete -c promptbench -n '__fish_seen_subcommand_from eval merge report' -l html -x \
    -a '(__promptbench_files .html)' -d 'Write the HTML page to PATH (-: stdout)'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l filter-failing -x \
    -a '(__promptbench_files .json)' -d 'Only the cases that failed in this report'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l filter-errors-only -x \
    -a '(__promptbench_files .json)' -d 'Only the cases with an error in this report'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l cache -x \
    -a '(__promptbench_files .db)' -d 'Response cache (SQLite)'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l samples -x \
    -a '(__promptbench_files .jsonl)' -d 'Write a JSON line per result to this file'

# Closed sets of values.
complete -c promptbench -n '__fish_seen_subcommand_from eval merge' -l color -x \
    -a 'auto always never' -d 'Colour output'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l progress -x \
    -a 'auto always never' -d 'Progress bar'
complete -c promptbench -n '__fish_seen_subcommand_from compare' -l format -x \
    -a 'text md json' -d 'Output format'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l shard -x \
    -a 'auto\t"a Slurm array task" auto/\t"auto/N: a Kubernetes Indexed Job" 0/\t"I/N: shard I of N, 0-based" 1/\t"I/N: shard I of N, 0-based"' \
    -d 'Run one shard of the cases'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l split -x \
    -a 'dev\t"the dev split" test\t"the test split (a look, counted)" all\t"every case (a look, counted)"' \
    -d 'Run the dev split, the test split or all cases'

# Values to type: numbers, ids, expressions.
complete -c promptbench -n '__fish_seen_subcommand_from eval' -s j -l concurrency -x \
    -d 'Requests in flight across all providers'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l limit -x \
    -d 'Evaluate only the first N cases'
complete -c promptbench -n '__fish_seen_subcommand_from eval render' -l case -x \
    -d 'Only the case with this id'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l case-pattern -x \
    -d 'Only the cases whose id the RE2 expression matches'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l sample -x \
    -d 'A seeded random N of the selected cases'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l seed -x \
    -d 'The seed of --sample'
complete -c promptbench -n '__fish_seen_subcommand_from eval render' -l prompt -x \
    -d 'Only this prompt id'
complete -c promptbench -n '__fish_seen_subcommand_from eval render' -l provider -x \
    -d 'Only this provider id'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l max-errors -x \
    -d 'Tolerate N (or P%) failed requests'
complete -c promptbench -n '__fish_seen_subcommand_from eval merge' -l gate -x \
    -d 'Fail unless METRIC>=X or METRIC<=X holds'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l repeat -x \
    -d 'Samples per case and variant'
complete -c promptbench -n '__fish_seen_subcommand_from eval report' -l show-failures -x \
    -d 'Up to N failed or errored results per variant'
complete -c promptbench -n '__fish_seen_subcommand_from compare' -l metric -x \
    -d 'Compare only this metric'
complete -c promptbench -n '__fish_seen_subcommand_from compare' -l variant -x \
    -d 'Variant A of BASE against variant B of CAND, as A:B'
complete -c promptbench -n '__fish_seen_subcommand_from compare' -l alpha -x \
    -d 'Significance level after Holm\'s correction'
complete -c promptbench -n '__fish_seen_subcommand_from compare' -l min-effect -x \
    -d 'Differences smaller than this never count'
complete -c promptbench -n '__fish_seen_subcommand_from compare' -l min-overlap -x \
    -d 'Fraction of cases that must be in both'
complete -c promptbench -n '__fish_seen_subcommand_from compare' -l slice -x \
    -d 'Compare each value of this dataset field too'
complete -c promptbench -n '__fish_seen_subcommand_from compare' -l slice-min-cases -x \
    -d 'A smaller slice never counts as a regression'

# Flags.
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l dry-run \
    -d 'Check everything and show the plan; send nothing'
complete -c promptbench -n '__fish_seen_subcommand_from eval merge' -s q -l quiet \
    -d 'No progress bar and no summary table'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -s v -l verbose \
    -d 'Log every request to stderr'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l insecure \
    -d 'Do not verify TLS certificates'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l no-cache \
    -d 'Neither read nor write the response cache'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l force-look \
    -d 'Evaluate the test split even past holdout.max_looks'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l watch \
    -d 'Run again whenever the config or a file it names changes'
complete -c promptbench -n '__fish_seen_subcommand_from merge' -l allow-missing \
    -d 'Merge even when shards are missing'
complete -c promptbench -n '__fish_seen_subcommand_from compare' -l fail-on-regression \
    -d 'Exit 1 when a metric is significantly worse'
complete -c promptbench -n '__fish_seen_subcommand_from compare' -l no-slices \
    -d 'Compare the whole reports only, not their slices'
complete -c promptbench -n '__fish_seen_subcommand_from eval' -l slices \
    -d 'Every slice value\'s means, intervals and comparisons'
complete -c promptbench -n '__fish_seen_subcommand_from render' -l text \
    -d 'Print the filled messages instead of the body'

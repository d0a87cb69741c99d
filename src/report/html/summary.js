// SPDX-License-Identifier: Apache-2.0
// The run header, the variants × metrics summary, the comparisons, the gates and the timing histograms.
// Wrapped in its own function: the page's parts share one scope, so names stay local here.
(function summaryPart() {
  const DASH = '–';
  const VERDICTS = ['better', 'worse', 'no_significant_difference', 'no_paired_cases'];

  // ---- small helpers -------------------------------------------------------------------

  // An old or hand-edited report may lack any field: read through these, never crash.
  const objectOr = (value) => (value && typeof value === 'object' && !Array.isArray(value) ? value : {});
  const arrayOr = (value) => (Array.isArray(value) ? value : []);
  const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);
  const plural = (n, one, many) => n + ' ' + (n === 1 ? one : many);

  /// A field shown as text exactly as the report has it (no rounding): ids, times, hashes.
  function textField(tag, field, value, attrs) {
    const text = value === null || value === undefined || value === '' ? DASH : String(value);
    return PB.el(tag, Object.assign({'data-field': field}, attrs), text);
  }

  /// A number for people (PB.num, or `format`) whose exact JSON value sits in data-value so
  /// tests can compare it; a null shows as '–' and has no data-value.
  function numberField(tag, field, value, format, attrs) {
    const exact = isNumber(value) ? String(value) : null;
    const base = {'data-field': field, 'data-value': exact, class: 'num'};
    return PB.el(tag, Object.assign(base, attrs), (format || PB.num)(value));
  }

  /// "timeout: 2, http_status: 1" ("" when nothing failed; CSS shows the dash).
  function kindsText(byKind) {
    return Object.entries(objectOr(byKind))
      .map(([kind, count]) => kind + ': ' + count)
      .join(', ');
  }

  /// A long id cut in the middle for an SVG label, which cannot wrap or ellipsize.
  function shortLabel(text, max) {
    if (text.length <= max) return text;
    const head = Math.ceil((max - 1) / 2);
    return text.slice(0, head) + '…' + text.slice(text.length - (max - 1 - head));
  }

  /// About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k).
  function niceTicks(lo, hi, count) {
    const raw = (hi - lo) / Math.max(1, count);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
    const ticks = [];
    // Multiples of the step, not a running sum: no 0.30000000000000004 or -2.8e-17 on an axis.
    for (let i = Math.ceil(lo / step); i * step <= hi + step * 1e-9; ++i) {
      ticks.push(Number((i * step).toPrecision(12)));
    }
    return ticks;
  }

  /// A linear scale [lo, hi] -> [x0, x1].
  function linearScale(lo, hi, x0, x1) {
    const span = hi - lo || 1;
    return (v) => x0 + ((v - lo) / span) * (x1 - x0);
  }

  function section(id, title, ...children) {
    return PB.el('section', {id: id, class: 'pb-section'}, PB.el('h2', null, title), ...children);
  }

  // ---- header --------------------------------------------------------------------------

  /// The banner's verdict on the run: incomplete runs and failed gates are what a reader must
  /// not miss, then failed calls and regressions.
  function runStatus(head) {
    const run = objectOr(head.run);
    const gates = arrayOr(head.gates);
    const failedGates = gates.filter((g) => objectOr(g).passed !== true).length;
    const failedCalls = objectOr(run.errors).failed;
    const worse = arrayOr(head.comparisons).filter((c) => objectOr(c).verdict === 'worse').length;
    const parts = [];
    let level = 'ok';
    if (run.complete === false) {
      parts.push('INCOMPLETE' + (run.stop_reason ? ': ' + run.stop_reason : ''));
      level = 'bad';
    } else {
      parts.push(run.complete === true ? 'complete' : 'completion not recorded');
    }
    if (failedGates > 0) {
      parts.push(failedGates + ' of ' + plural(gates.length, 'gate', 'gates') + ' failed');
      level = 'bad';
    } else if (gates.length > 0) {
      parts.push(gates.length === 1 ? 'the gate passed' : 'all ' + gates.length + ' gates passed');
    }
    if (isNumber(failedCalls) && failedCalls > 0) {
      parts.push(plural(failedCalls, 'call', 'calls') + ' failed');
      if (level === 'ok') level = 'warn';
    }
    if (worse > 0) {
      parts.push(plural(worse, 'comparison', 'comparisons') + ' worse than the baseline');
      if (level === 'ok') level = 'warn';
    }
    return {level: level, text: parts.join(' · ')};
  }

  function statusBanner(head) {
    const status = runStatus(head);
    const icon = {ok: '✓', warn: '!', bad: '✗'}[status.level];
    return PB.el('div', {class: 'pb-status pb-status-' + status.level, role: 'status', 'data-status': status.level},
      PB.el('span', {class: 'pb-status-icon', 'aria-hidden': 'true'}, icon),
      PB.el('span', {class: 'pb-status-text'}, status.text));
  }

  function completeText(run) {
    if (run.complete === true) return 'complete';
    if (run.complete === false) return 'incomplete' + (run.stop_reason ? ': ' + run.stop_reason : '');
    return DASH;
  }

  /// "12 s" between two ISO times, or nothing when either is missing or unreadable.
  function durationText(started, finished) {
    const ms = Date.parse(finished) - Date.parse(started);
    if (!Number.isFinite(ms) || ms < 0) return null;
    const s = Math.round(ms / 1000);
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }

  function fact(label, ...values) {
    return PB.el('div', {class: 'pb-fact'}, PB.el('dt', null, label), PB.el('dd', null, ...values));
  }

  function hashField(field, value) {
    return textField('code', field, value, {class: 'pb-hash', title: value ? String(value) : null});
  }

  const muted = (text) => PB.el('span', {class: 'pb-muted'}, text);
  const countText = (value) => (isNumber(value) ? String(value) : DASH);
  const isObject = (value) => !!value && typeof value === 'object' && !Array.isArray(value);

  /// run.split (README "Splits and the holdout guard"): "test · 40 of 200 cases", then how
  /// the cases were split, in the words of `--dry-run`.
  function splitFact(value) {
    if (!isObject(value)) return null;
    const config = objectOr(value.config);
    const how = config.by === 'field' ? "by the field '" + PB.text(config.field) + "'"
      : config.by === 'hash' ? 'by hash of the case id (dev ' + PB.text(config.dev) + ', test ' +
        PB.text(config.test) + ", salt '" + PB.text(config.salt) + "')" : null;
    return fact('split', textField('span', 'split_name', value.name), muted(' · '),
      numberField('span', 'split_cases', value.cases, countText), muted(' of '),
      numberField('span', 'split_of', value.of, countText), muted(' cases'),
      how ? PB.el('div', {class: 'pb-muted', 'data-field': 'split_config'}, how) : null);
  }

  /// run.selection (README "Choosing cases") as the flags that made it: "--case-pattern ^r0,
  /// --sample 20 --seed 1"; a long list of ids is cut on screen and whole in the tooltip.
  function selectionText(selection) {
    const ids = arrayOr(selection.ids).map((id) => '--case ' + PB.text(id));
    const rest = [];
    if ('pattern' in selection) rest.push('--case-pattern ' + PB.text(selection.pattern));
    if ('sample' in selection) rest.push('--sample ' + PB.text(selection.sample) + ' --seed ' + PB.text(selection.seed));
    if ('filter_failing' in selection) rest.push('--filter-failing ' + PB.text(selection.filter_failing));
    if ('filter_errors_only' in selection) rest.push('--filter-errors-only ' + PB.text(selection.filter_errors_only));
    const shownIds = ids.length > 5 ? ids.slice(0, 5).concat(['… (' + ids.length + ' ids)']) : ids;
    return {full: ids.concat(rest).join(', '), shown: shownIds.concat(rest).join(', ')};
  }

  function selectionFact(value) {
    if (!isObject(value)) return null;
    const text = selectionText(value);
    return fact('selection', textField('code', 'selection', text.shown, {title: text.full}), muted(' · '),
      numberField('span', 'selection_cases', value.cases, countText), muted(' cases selected'));
  }

  /// run.shard of one shard's report, as `--shard` writes it: "1/4 · 33 cases".
  function shardFact(value) {
    const shard = objectOr(value);
    if (!isNumber(shard.count) || shard.count <= 1) return null;
    return fact('shard', numberField('span', 'shard_index', shard.index, countText), '/',
      numberField('span', 'shard_count', shard.count, countText), muted(' · '),
      numberField('span', 'shard_cases', shard.cases, countText), muted(' cases'));
  }

  /// run.merged_from of a merged report: "3 of 3 shards: 0, 1, 2", and which are missing
  /// (`merge --allow-missing`).
  function mergedFact(value) {
    if (!isObject(value)) return null;
    const shards = arrayOr(value.shards);
    const missing = [];
    if (isNumber(value.count)) {
      for (let i = 0; i < value.count && missing.length < 100; ++i) if (!shards.includes(i)) missing.push(i);
    }
    return fact('merged from', numberField('span', 'merged_parts', shards.length, countText), muted(' of '),
      numberField('span', 'merged_count', value.count, countText), muted(' shards: '),
      textField('span', 'merged_shards', shards.map(PB.text).join(', ')),
      missing.length ? PB.el('span', {class: 'pb-bad-text'}, ' · missing: ',
        PB.el('span', {'data-field': 'merged_missing'}, missing.join(', '))) : null);
  }

  /// run.holdout of a look at the test split: "look 3 at the test split (at most 5)".
  function holdoutFact(value) {
    if (!isObject(value)) return null;
    return fact('holdout', muted('look '),
      numberField('span', 'holdout_look', value.look, countText, {title: value.ledger ? 'ledger: ' + PB.text(value.ledger) : null}),
      muted(' at the test split'),
      isNumber(value.max_looks)
        ? [muted(' (at most '), numberField('span', 'holdout_max_looks', value.max_looks, countText), muted(')')] : null,
      value.forced === true ? PB.el('span', {class: 'pb-bad-text', 'data-field': 'holdout_forced'}, ' · forced (--force-look)') : null);
  }

  function runFacts(head) {
    const run = objectOr(head.run);
    const dataset = objectOr(run.dataset);
    const duration = durationText(run.started_at, run.finished_at);
    return PB.el('dl', {class: 'pb-facts'},
      fact('status', textField('span', 'complete', completeText(run),
        {class: run.complete === false ? 'pb-bad-text' : null})),
      fact('started', textField('time', 'started_at', run.started_at)),
      fact('finished', textField('time', 'finished_at', run.finished_at),
        duration ? PB.el('span', {class: 'pb-muted'}, ' (' + duration + ')') : null),
      fact('dataset', textField('code', 'dataset_path', dataset.path)),
      fact('dataset sha256', hashField('dataset_sha256', dataset.sha256)),
      fact('config sha256', hashField('config_sha256', run.config_sha256)),
      fact('cases', textField('span', 'cases_evaluated', run.cases_evaluated),
        PB.el('span', {class: 'pb-muted'}, ' evaluated of '),
        textField('span', 'dataset_cases', dataset.cases)),
      splitFact(run.split),
      selectionFact(run.selection),
      shardFact(run.shard),
      mergedFact(run.merged_from),
      holdoutFact(run.holdout),
      fact('baseline', textField('code', 'baseline', run.baseline)),
      fact('repeat', textField('span', 'repeat', run.repeat)),
      fact('seed', textField('span', 'seed', run.seed)),
      fact('alpha', textField('span', 'alpha', run.alpha)),
      fact('min effect', textField('span', 'min_effect', run.min_effect)),
      fact(objectOr(head.tool).name || 'promptbench', textField('span', 'tool_version', objectOr(head.tool).version)));
  }

  /// One failed tally: "requests 3 of 396 failed · timeout: 2, http_status: 1", then the first error.
  function tallyLine(name, tally) {
    const first = tally.first ? objectOr(tally.first) : null;
    return PB.el('div', {class: 'pb-tally', 'data-tally': name},
      PB.el('div', null,
        PB.el('strong', null, name), ' ',
        numberField('span', 'failed', tally.failed, String), ' of ',
        numberField('span', 'total', tally.total, String), ' failed',
        kindsText(tally.by_kind) ? ' · ' : null,
        PB.el('span', {'data-field': 'by_kind'}, kindsText(tally.by_kind))),
      first ? firstError(first) : null);
  }

  function firstError(first) {
    return PB.el('div', {class: 'pb-first-error'},
      PB.el('span', {class: 'pb-muted'}, 'first: '),
      textField('span', 'first_kind', first.kind, {class: 'pb-kind'}),
      isNumber(first.status) ? ' ' + first.status : null,
      first.case !== undefined ? [PB.el('span', {class: 'pb-muted'}, ' on case '), textField('code', 'first_case', first.case)] : null,
      first.variant ? [PB.el('span', {class: 'pb-muted'}, ' of '), textField('code', 'first_variant', first.variant)] : null,
      first.source ? [PB.el('span', {class: 'pb-muted'}, ' in '), textField('code', 'first_source', first.source)] : null,
      PB.el('pre', {class: 'pb-message', 'data-field': 'first_message'}, PB.text(first.message)));
  }

  /// #pb-run-errors: empty (and hidden by CSS) when nothing failed.
  function runErrors(errors) {
    const e = objectOr(errors);
    const box = PB.el('div', {id: 'pb-run-errors'});
    const lines = ['requests', 'judges', 'scorers']
      .filter((name) => objectOr(e[name]).failed > 0)
      .map((name) => tallyLine(name, objectOr(e[name])));
    if (e.extract_failures > 0) {
      lines.push(PB.el('div', {class: 'pb-tally', 'data-tally': 'extract'},
        PB.el('strong', null, 'extraction'), ' ',
        numberField('span', 'failed', e.extract_failures, String), ' answers had no extractable answer'));
    }
    if (lines.length === 0) return box;
    box.append(PB.el('h2', null, 'Errors',
      isNumber(e.allowed) ? PB.el('span', {class: 'pb-muted pb-h-note'}, ' (allowed: ' + e.allowed + ')') : null), ...lines);
    return box;
  }

  function replicasTable(replicas) {
    const rows = arrayOr(replicas).map(objectOr);
    if (rows.length === 0) return null;
    return PB.el('div', {id: 'pb-replicas'},
      PB.el('h2', null, 'Replicas'),
      PB.el('table', {class: 'pb-table'},
        PB.el('thead', null, PB.el('tr', null,
          PB.el('th', null, 'provider'), PB.el('th', null, 'base_url'),
          PB.el('th', {class: 'num'}, 'requests'), PB.el('th', {class: 'num'}, 'failures'))),
        PB.el('tbody', null, rows.map((r) => PB.el('tr', {class: 'pb-replica'},
          textField('td', 'provider', r.provider),
          PB.el('td', null, textField('code', 'base_url', r.base_url)),
          numberField('td', 'requests', r.requests, String),
          numberField('td', 'failures', r.failures, String, {class: r.failures > 0 ? 'num pb-warn-text' : 'num'}))))));
  }

  PB.renderHeader = function (head, app) {
    const run = objectOr(head.run);
    app.appendChild(PB.el('header', {id: 'pb-run'},
      statusBanner(head),
      PB.el('div', {class: 'pb-title'},
        PB.el('h1', null, textField('span', 'name', run.name)),
        PB.el('span', {class: 'pb-brand'}, 'promptbench report')),
      runFacts(head),
      runErrors(run.errors),
      replicasTable(run.replicas)));
  };

  // ---- summary table -------------------------------------------------------------------

  function baselineId(head) {
    const run = objectOr(head.run);
    const first = objectOr(arrayOr(head.variants)[0]);
    return run.baseline || first.id || '';
  }

  function metricOf(variant, name) {
    return objectOr(objectOr(variant.metrics)[name]);
  }

  function ciOf(metric) {
    const ci = arrayOr(metric.ci95);
    return [isNumber(ci[0]) ? ci[0] : null, isNumber(ci[1]) ? ci[1] : null];
  }

  /// One scale per metric shared by every variant: [0, 1] when every interval lies there (so
  /// rates read as rates), else the intervals' extent with some padding.
  function metricScale(variants, name) {
    const ends = [];
    for (const v of variants) {
      const m = metricOf(v, name);
      for (const x of [...ciOf(m), m.mean]) if (isNumber(x)) ends.push(x);
    }
    if (ends.length === 0) return null;
    let lo = Math.min(...ends);
    let hi = Math.max(...ends);
    if (lo >= 0 && hi <= 1) return {lo: 0, hi: 1};
    const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
    // Ends snapped to round values, so the header's "bar 2 – 5" reads as a scale.
    const ticks = niceTicks(lo - pad, hi + pad, 4);
    const step = ticks.length > 1 ? ticks[1] - ticks[0] : pad;
    return {lo: Number((Math.floor((lo - pad) / step) * step).toPrecision(12)),
      hi: Number((Math.ceil((hi + pad) / step) * step).toPrecision(12))};
  }

  const WHISKER = {width: 136, height: 18, pad: 6};

  /// The mean and its 95% CI on the metric's shared scale; the baseline's mean is drawn as a
  /// faint line on every other variant's bar so a difference is seen at a glance.
  function whiskerBar(metric, scale, baselineMean, isBaseline) {
    const {width, height, pad} = WHISKER;
    const [low, high] = ciOf(metric);
    const mean = isNumber(metric.mean) ? metric.mean : null;
    const label = mean === null ? 'no score'
      : 'mean ' + PB.num(mean) + ', 95% CI ' + PB.num(low) + ' to ' + PB.num(high);
    const svg = PB.svg('svg', {class: 'pb-whisker' + (isBaseline ? ' is-baseline' : ''), width: width, height: height,
      viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': label});
    svg.appendChild(PB.svg('line', {class: 'pb-track', x1: pad, x2: width - pad, y1: height / 2, y2: height / 2}));
    if (!scale || mean === null) return svg;
    const x = linearScale(scale.lo, scale.hi, pad, width - pad);
    const y = height / 2;
    if (!isBaseline && isNumber(baselineMean)) {
      svg.appendChild(PB.svg('line', {class: 'pb-baseline-mark', x1: x(baselineMean), x2: x(baselineMean), y1: 1, y2: height - 1}));
    }
    if (low !== null && high !== null) {
      svg.appendChild(PB.svg('line', {class: 'pb-ci', x1: x(low), x2: x(high), y1: y, y2: y}));
      for (const end of [low, high]) {
        svg.appendChild(PB.svg('line', {class: 'pb-ci', x1: x(end), x2: x(end), y1: y - 4, y2: y + 4}));
      }
    }
    svg.appendChild(PB.svg('circle', {class: 'pb-mean', cx: x(mean), cy: y, r: 4}));
    return svg;
  }

  function metricCell(variant, name, scale, baselineMean, isBaseline) {
    const m = metricOf(variant, name);
    const [low, high] = ciOf(m);
    return PB.el('td', {class: 'pb-metric-cell', 'data-variant': variant.id, 'data-metric': name},
      PB.el('div', {class: 'pb-mean-line'},
        numberField('span', 'mean', m.mean, null, {class: 'num pb-mean-value'}),
        PB.el('span', {class: 'pb-ci-text'}, ' [', numberField('span', 'ci_low', low), ', ',
          numberField('span', 'ci_high', high), ']')),
      whiskerBar(m, scale, baselineMean, isBaseline),
      PB.el('div', {class: 'pb-sub'},
        'pass_rate' in m ? [PB.el('span', {class: 'pb-muted'}, 'pass '), numberField('span', 'pass_rate', m.pass_rate, PB.percent), ' · '] : null,
        PB.el('span', {class: 'pb-muted'}, 'n '), numberField('span', 'n', m.n, String),
        PB.el('span', {class: 'pb-muted'}, ' · unscored '),
        numberField('span', 'unscored', m.unscored, String, {class: m.unscored > 0 ? 'num pb-warn-text' : 'num'})));
  }

  function variantCell(variant, isBaseline) {
    const describe = [variant.prompt, variant.provider, variant.model].filter((x) => x).join(' · ');
    // Retries and cache hits only when there were some: zeros are noise in a narrow column.
    const calls = [
      isNumber(variant.cases) ? plural(variant.cases, 'case', 'cases') : null,
      isNumber(variant.attempts) ? plural(variant.attempts, 'request', 'requests') : null,
      variant.retries > 0 ? plural(variant.retries, 'retry', 'retries') : null,
      variant.cache_hits > 0 ? variant.cache_hits + ' cached' : null,
    ].filter((x) => x).join(' · ');
    return PB.el('th', {scope: 'row', class: 'pb-variant-cell'},
      PB.el('div', {class: 'pb-variant-id'}, textField('span', 'variant', variant.id),
        isBaseline ? PB.el('span', {class: 'pb-badge'}, 'baseline') : null),
      describe ? PB.el('div', {class: 'pb-sub pb-muted'}, describe) : null,
      calls ? PB.el('div', {class: 'pb-sub pb-muted'}, calls) : null);
  }

  function errorsCell(variant) {
    const id = variant.id;
    const kinds = kindsText(variant.errors_by_kind);
    return PB.el('td', {class: 'pb-errors-cell'},
      numberField('span', 'errors', variant.errors, String,
        {'data-variant': id, class: variant.errors > 0 ? 'num pb-bad-text' : 'num'}),
      PB.el('div', {class: 'pb-sub'}, PB.el('span', {'data-variant': id, 'data-field': 'errors_by_kind',
        'data-value': JSON.stringify(objectOr(variant.errors_by_kind))}, kinds)));
  }

  function costCell(variant) {
    const usage = objectOr(variant.usage);
    const count = (n) => (isNumber(n) ? n.toLocaleString('en-US') : DASH);
    const tokens = isNumber(usage.prompt_tokens) || isNumber(usage.completion_tokens)
      ? count(usage.prompt_tokens) + ' in · ' + count(usage.completion_tokens) + ' out' : null;
    return PB.el('td', {class: 'pb-cost-cell'},
      isNumber(variant.cost_usd) ? '$' : null,
      numberField('span', 'cost_usd', variant.cost_usd, null, {'data-variant': variant.id}),
      tokens ? PB.el('div', {class: 'pb-sub pb-muted'}, tokens) : null);
  }

  /// The log scale shared by every variant's percentile strip of one timing (latency or TTFT).
  function timingScale(variants, key) {
    const values = [];
    for (const v of variants) {
      for (const p of ['p50', 'p90', 'p99']) {
        const x = objectOr(v[key])[p];
        if (isNumber(x) && x > 0) values.push(x);
      }
    }
    if (values.length === 0) return null;
    const lo = Math.log10(Math.min(...values));
    const hi = Math.log10(Math.max(...values));
    const pad = (hi - lo) * 0.06 || 0.3;
    return {lo: lo - pad, hi: hi + pad};
  }

  /// p50 as a dot, the line out to p99 and a tick at p90, on the shared log scale: a glance
  /// at each variant's spread; the histograms below show the whole distribution.
  function percentileStrip(percentiles, scale) {
    const {width, height, pad} = WHISKER;
    const svg = PB.svg('svg', {class: 'pb-strip', width: width, height: height, viewBox: '0 0 ' + width + ' ' + height,
      role: 'img', 'aria-label': 'p50 ' + PB.num(percentiles.p50) + ', p90 ' + PB.num(percentiles.p90) + ', p99 ' + PB.num(percentiles.p99) + ' ms'});
    svg.appendChild(PB.svg('line', {class: 'pb-track', x1: pad, x2: width - pad, y1: height / 2, y2: height / 2}));
    if (!scale || !(percentiles.p50 > 0)) return svg;
    const x = (v) => linearScale(scale.lo, scale.hi, pad, width - pad)(Math.log10(v));
    const y = height / 2;
    if (percentiles.p99 > 0) svg.appendChild(PB.svg('line', {class: 'pb-ci', x1: x(percentiles.p50), x2: x(percentiles.p99), y1: y, y2: y}));
    for (const p of ['p90', 'p99']) {
      if (percentiles[p] > 0) svg.appendChild(PB.svg('line', {class: 'pb-ci', x1: x(percentiles[p]), x2: x(percentiles[p]), y1: y - 4, y2: y + 4}));
    }
    svg.appendChild(PB.svg('circle', {class: 'pb-mean', cx: x(percentiles.p50), cy: y, r: 4}));
    return svg;
  }

  function timingCell(variant, key, prefix, scale) {
    if (!(key in variant)) return PB.el('td', {class: 'pb-timing-cell pb-muted'}, DASH);
    const percentiles = objectOr(variant[key]);
    // The column's heading names the three figures (p50 · p90 · p99): no labels per cell.
    const figures = ['p50', 'p90', 'p99'].map((p) =>
      numberField('span', prefix + '_' + p, percentiles[p], null, {'data-variant': variant.id, class: 'num pb-percentile-' + p}));
    return PB.el('td', {class: 'pb-timing-cell'}, PB.el('div', {class: 'pb-percentiles'}, figures),
      percentileStrip(percentiles, scale));
  }

  function timingHeader(title) {
    return PB.el('th', {scope: 'col'}, title, PB.el('div', {class: 'pb-sub pb-muted pb-scale-note'}, 'p50 · p90 · p99, log bar'));
  }

  function metricHeader(head, name, scale) {
    const higher = PB.higherIsBetter(head, name);
    return PB.el('th', {scope: 'col', 'data-metric': name},
      PB.el('span', {class: 'pb-metric-name'}, name),
      PB.el('span', {class: 'pb-direction', title: higher ? 'higher is better' : 'lower is better'}, higher ? ' ↑' : ' ↓'),
      PB.el('div', {class: 'pb-sub pb-muted pb-scale-note'},
        'mean [95% CI]', scale ? ' · bar ' + PB.num(scale.lo) + ' – ' + PB.num(scale.hi) : null));
  }

  function summaryTable(head) {
    const variants = arrayOr(head.variants).map(objectOr);
    const metrics = PB.metricNames(head);
    const baseline = baselineId(head);
    const baselineVariant = variants.find((v) => v.id === baseline) || {};
    const scales = metrics.map((name) => metricScale(variants, name));
    const hasTtft = variants.some((v) => 'ttft_ms' in v);
    const latencyScale = timingScale(variants, 'latency_ms');
    const ttftScale = timingScale(variants, 'ttft_ms');
    const headRow = PB.el('tr', null,
      PB.el('th', {scope: 'col'}, 'variant'),
      metrics.map((name, i) => metricHeader(head, name, scales[i])),
      PB.el('th', {scope: 'col', class: 'num'}, 'errors'),
      PB.el('th', {scope: 'col', class: 'num'}, 'cost (USD)', PB.el('div', {class: 'pb-sub pb-muted pb-scale-note'}, 'tokens in · out')),
      timingHeader('latency (ms)'),
      hasTtft ? timingHeader('TTFT (ms)') : null);
    const rows = variants.map((v) => PB.el('tr', {'data-variant': v.id, class: v.id === baseline ? 'is-baseline' : null},
      variantCell(v, v.id === baseline),
      metrics.map((name, i) => metricCell(v, name, scales[i], metricOf(baselineVariant, name).mean, v.id === baseline)),
      errorsCell(v),
      costCell(v),
      timingCell(v, 'latency_ms', 'latency', latencyScale),
      hasTtft ? timingCell(v, 'ttft_ms', 'ttft', ttftScale) : null));
    return PB.el('div', {class: 'pb-scroll'},
      PB.el('table', {class: 'pb-table pb-summary-table'}, PB.el('thead', null, headRow), PB.el('tbody', null, rows)));
  }

  // ---- comparisons ---------------------------------------------------------------------

  function verdictClass(verdict) {
    return 'verdict-' + (VERDICTS.includes(verdict) ? verdict : 'no_significant_difference');
  }

  /// The comparisons of each metric, metrics in the summary's order (then any others).
  function comparisonsByMetric(head) {
    const groups = new Map(PB.metricNames(head).map((name) => [name, []]));
    for (const c of arrayOr(head.comparisons).map(objectOr)) {
      if (!groups.has(c.metric)) groups.set(c.metric, []);
      groups.get(c.metric).push(c);
    }
    return [...groups].filter(([, list]) => list.length > 0);
  }

  /// The x range of a forest plot: every interval and zero, padded.
  function forestRange(list) {
    const xs = [0];
    for (const c of list) for (const x of [c.mean_diff, ...ciOf(c)]) if (isNumber(x)) xs.push(x);
    let lo = Math.min(...xs);
    let hi = Math.max(...xs);
    if (lo === hi) return {lo: -1, hi: 1};
    const pad = (hi - lo) * 0.08;
    return {lo: lo - pad, hi: hi + pad};
  }

  const FOREST = {width: 560, label: 180, right: 16, top: 10, row: 26, axis: 44};

  function forestRow(c, index, x) {
    const f = FOREST;
    const y = f.top + index * f.row + f.row / 2;
    const [low, high] = ciOf(c);
    const id = PB.text(c.variant);
    const g = PB.svg('g', {class: 'pb-forest-row ' + verdictClass(c.verdict), 'data-variant': id},
      PB.svg('title', null, id + ' − ' + PB.text(c.baseline) + ': ' + PB.num(c.mean_diff) +
        ' [' + PB.num(low) + ', ' + PB.num(high) + '], ' + String(c.verdict || '').replace(/_/g, ' ')),
      PB.svg('text', {class: 'pb-forest-label', x: f.label - 8, y: y, 'text-anchor': 'end', 'dominant-baseline': 'middle'},
        shortLabel(id, 23)));
    if (!isNumber(c.mean_diff)) {
      g.appendChild(PB.svg('text', {class: 'pb-forest-none', x: x(0) + 8, y: y, 'dominant-baseline': 'middle'}, 'no paired cases'));
      return g;
    }
    if (low !== null && high !== null) {
      g.appendChild(PB.svg('line', {class: 'pb-ci', x1: x(low), x2: x(high), y1: y, y2: y}));
      for (const end of [low, high]) g.appendChild(PB.svg('line', {class: 'pb-ci', x1: x(end), x2: x(end), y1: y - 5, y2: y + 5}));
    }
    g.appendChild(PB.svg('circle', {class: 'pb-mean', cx: x(c.mean_diff), cy: y, r: 5}));
    return g;
  }

  /// Tick labels, the zero line and, under the axis, which side favours the variant.
  function forestAxis(svg, range, x, rows, higherIsBetter) {
    const f = FOREST;
    const bottom = f.top + rows * f.row;
    for (const t of niceTicks(range.lo, range.hi, 6)) {
      svg.appendChild(PB.svg('line', {class: 'pb-grid', x1: x(t), x2: x(t), y1: f.top, y2: bottom}));
      svg.appendChild(PB.svg('text', {class: 'pb-tick', x: x(t), y: bottom + 14, 'text-anchor': 'middle'}, PB.num(t)));
    }
    svg.appendChild(PB.svg('line', {class: 'pb-zero', x1: x(0), x2: x(0), y1: f.top - 4, y2: bottom + 2}));
    svg.appendChild(PB.svg('line', {class: 'pb-axis', x1: f.label, x2: f.width - f.right, y1: bottom, y2: bottom}));
    const [left, right] = higherIsBetter ? ['worse', 'better'] : ['better', 'worse'];
    svg.appendChild(PB.svg('text', {class: 'pb-direction-note', x: f.label, y: bottom + 32}, '← variant ' + left));
    svg.appendChild(PB.svg('text', {class: 'pb-direction-note', x: f.width - f.right, y: bottom + 32, 'text-anchor': 'end'}, 'variant ' + right + ' →'));
  }

  function forestPlot(head, metric, list) {
    const f = FOREST;
    const range = forestRange(list);
    const x = linearScale(range.lo, range.hi, f.label, f.width - f.right);
    const height = f.top + list.length * f.row + f.axis;
    const svg = PB.svg('svg', {class: 'pb-forest-svg', width: f.width, height: height, viewBox: '0 0 ' + f.width + ' ' + height,
      role: 'img', 'aria-label': 'mean differences of ' + metric + ' with 95% CIs'});
    const higher = list.every((c) => typeof c.higher_is_better === 'boolean')
      ? list[0].higher_is_better : PB.higherIsBetter(head, metric);
    forestAxis(svg, range, x, list.length, higher);
    list.forEach((c, i) => svg.appendChild(forestRow(c, i, x)));
    return PB.el('figure', {class: 'pb-forest', 'data-metric': metric},
      PB.el('figcaption', null, PB.el('span', {class: 'pb-metric-name'}, metric),
        PB.el('span', {class: 'pb-muted'}, higher ? ' · higher is better' : ' · lower is better')),
      svg);
  }

  function comparisonRow(c, showBaseline) {
    const [low, high] = ciOf(c);
    const verdict = String(c.verdict || '');
    return PB.el('tr', {class: verdictClass(c.verdict), 'data-variant': PB.text(c.variant), 'data-metric': PB.text(c.metric)},
      PB.el('td', null, PB.el('code', null, PB.text(c.metric))),
      PB.el('td', null, PB.el('code', null, PB.text(c.variant))),
      showBaseline ? PB.el('td', null, PB.el('code', null, PB.text(c.baseline))) : null,
      numberField('td', 'n', c.n, String),
      numberField('td', 'mean_diff', c.mean_diff),
      numberField('td', 'ci_low', low),
      numberField('td', 'ci_high', high),
      textField('td', 'test', c.test, {class: 'pb-muted'}),
      numberField('td', 'p_value', c.p_value),
      numberField('td', 'p_adjusted', c.p_adjusted),
      PB.el('td', null, PB.el('span', {class: 'pb-verdict', 'data-field': 'verdict'}, verdict.replace(/_/g, ' ') || DASH)));
  }

  /// The baseline gets a column only when the comparisons do not all share the run's.
  function comparisonsTable(list, runBaseline) {
    const showBaseline = list.some((c) => c.baseline !== runBaseline);
    const headings = ['metric', 'variant', showBaseline ? 'baseline' : null, 'n', 'Δ mean', 'CI low', 'CI high', 'test', 'p', 'p (Holm)', 'verdict'];
    const numeric = new Set(['n', 'Δ mean', 'CI low', 'CI high', 'p', 'p (Holm)']);
    return PB.el('div', {class: 'pb-scroll'}, PB.el('table', {class: 'pb-table pb-comparisons-table'},
      PB.el('thead', null, PB.el('tr', null, headings.filter((h) => h).map((h) =>
        PB.el('th', {scope: 'col', class: numeric.has(h) ? 'num' : null}, h)))),
      PB.el('tbody', null, list.map((c) => comparisonRow(c, showBaseline)))));
  }

  function comparisonsSection(head) {
    const groups = comparisonsByMetric(head);
    const run = objectOr(head.run);
    if (groups.length === 0) {
      return section('pb-comparisons', 'Comparisons', PB.el('p', {class: 'pb-empty'}, 'No comparisons: a single variant, or nothing to compare.'));
    }
    const note = 'Each variant\'s mean minus the baseline\'s' + (run.baseline ? ' (' + run.baseline + ')' : '') +
      ', with its 95% CI; p-values Holm-adjusted' +
      (isNumber(run.alpha) ? ', alpha ' + run.alpha : '') + (run.min_effect ? ', min effect ' + run.min_effect : '') + '.';
    return section('pb-comparisons', 'Comparisons',
      PB.el('p', {class: 'pb-note'}, note),
      PB.el('div', {class: 'pb-forests'}, groups.map(([metric, list]) => forestPlot(head, metric, list))),
      comparisonsTable(groups.flatMap(([, list]) => list), run.baseline));
  }

  // ---- gates ---------------------------------------------------------------------------

  /// Why a gate failed, in the words of its bound: "ci_low 0.75 < min 0.8, short by 0.05".
  function gateReasons(gate) {
    if (gate.passed === true) return [];
    const reasons = isNumber(gate.value) ? [] : ['no score'];
    const [low, high] = ciOf(gate);
    const onInterval = gate.on === 'ci_low';
    const lowEnd = onInterval ? low : gate.value;
    const highEnd = onInterval ? high : gate.value;
    const lowName = onInterval ? 'ci_low' : 'mean';
    const highName = onInterval ? 'ci_high' : 'mean';
    if (!isNumber(gate.value)) {
      // nothing to hold against the bounds
    } else if (isNumber(gate.min) && isNumber(lowEnd) && lowEnd < gate.min) {
      reasons.push(lowName + ' ' + PB.num(lowEnd) + ' < min ' + PB.num(gate.min) + ', short by ' + PB.num(gate.shortfall));
    } else if (isNumber(gate.max) && isNumber(highEnd) && highEnd > gate.max) {
      reasons.push(highName + ' ' + PB.num(highEnd) + ' > max ' + PB.num(gate.max) + ', over by ' + PB.num(gate.shortfall));
    } else if (isNumber(gate.shortfall)) {
      reasons.push('short by ' + PB.num(gate.shortfall));
    }
    if (isNumber(gate.unscored) && isNumber(gate.max_unscored) && gate.unscored > gate.max_unscored) {
      const percent = isNumber(gate.max_unscored_percent) ? ' (' + gate.max_unscored_percent + '%)' : '';
      reasons.push(gate.unscored + ' unscored > max ' + gate.max_unscored + percent);
    }
    return reasons.length ? reasons : ['failed'];
  }

  function gateRow(gate) {
    const passed = gate.passed === true;
    const [low, high] = ciOf(gate);
    return PB.el('tr', {class: 'pb-gate ' + (passed ? 'gate-passed' : 'gate-failed'),
      'data-variant': PB.text(gate.variant), 'data-metric': PB.text(gate.metric)},
      PB.el('td', null, PB.el('span', {class: 'pb-gate-mark', 'aria-hidden': 'true'}, passed ? '✓ ' : '✗ '),
        PB.el('span', {'data-field': 'passed'}, passed ? 'passed' : 'failed')),
      PB.el('td', null, PB.el('code', null, PB.text(gate.variant))),
      PB.el('td', null, PB.el('code', null, PB.text(gate.metric))),
      textField('td', 'on', gate.on || 'mean'),
      numberField('td', 'min', gate.min),
      numberField('td', 'max', gate.max),
      numberField('td', 'value', gate.value),
      PB.el('td', {class: 'num'}, '[', numberField('span', 'ci_low', low), ', ', numberField('span', 'ci_high', high), ']'),
      PB.el('td', {class: 'num'}, numberField('span', 'unscored', gate.unscored, String), ' / ',
        numberField('span', 'max_unscored', gate.max_unscored, String)),
      numberField('td', 'shortfall', gate.shortfall),
      PB.el('td', {class: 'pb-gate-reason', 'data-field': 'reason'}, gateReasons(gate).join('; ')));
  }

  function gatesSection(head) {
    const gates = arrayOr(head.gates).map(objectOr);
    if (gates.length === 0) return section('pb-gates', 'Gates', PB.el('p', {class: 'pb-empty'}, 'No gates configured.'));
    const failed = gates.filter((g) => g.passed !== true).length;
    const headings = ['result', 'variant', 'metric', 'on', 'min', 'max', 'value', '95% CI', 'unscored / max', 'shortfall', 'why'];
    const numeric = new Set(['min', 'max', 'value', '95% CI', 'unscored / max', 'shortfall']);
    return section('pb-gates', 'Gates',
      PB.el('p', {class: failed ? 'pb-note pb-bad-text' : 'pb-note'},
        failed ? failed + ' of ' + plural(gates.length, 'gate', 'gates') + ' failed.' : 'All ' + plural(gates.length, 'gate', 'gates') + ' passed.'),
      PB.el('div', {class: 'pb-scroll'}, PB.el('table', {class: 'pb-table pb-gates-table'},
        PB.el('thead', null, PB.el('tr', null, headings.map((h) => PB.el('th', {scope: 'col', class: numeric.has(h) ? 'num' : null}, h)))),
        PB.el('tbody', null, gates.map(gateRow)))));
  }

  // ---- slices (README "Slices") ---------------------------------------------------------

  /// One table per slice field: a row per value and variant with each metric's mean and 95%
  /// CI, then that value's comparisons with the baseline (Holm-adjusted with all the others).
  function slicesSection(head) {
    const slices = objectOr(head.slices);
    const values = arrayOr(slices.values).map(objectOr);
    if (values.length === 0) return null;
    const metrics = [];
    for (const v of values) {
      for (const variant of arrayOr(v.variants).map(objectOr)) {
        for (const name of Object.keys(objectOr(variant.metrics))) if (!metrics.includes(name)) metrics.push(name);
      }
    }
    const fields = arrayOr(slices.fields).map(PB.text);
    const tables = fields.map((field) => {
      const rows = [];
      for (const v of values.filter((x) => x.field === field)) {
        const label = field + '=' + PB.text(v.value);
        for (const variant of arrayOr(v.variants).map(objectOr)) {
          rows.push(PB.el('tr', {class: 'pb-slice', 'data-slice': label, 'data-variant': PB.text(variant.id)},
            PB.el('td', null, PB.el('code', null, label)),
            PB.el('td', {class: 'num'}, numberField('span', 'cases', v.cases, String),
              v.note ? PB.el('span', {class: 'pb-muted', 'data-field': 'note'}, ' (' + PB.text(v.note) + ')') : null),
            PB.el('td', null, PB.el('code', null, PB.text(variant.id))),
            metrics.map((name) => {
              const m = objectOr(objectOr(variant.metrics)[name]);
              const [low, high] = ciOf(m);
              return PB.el('td', {class: 'num', 'data-metric': name}, numberField('span', 'mean', m.mean),
                isNumber(low) && isNumber(high)
                  ? [' [', numberField('span', 'ci_low', low), ', ', numberField('span', 'ci_high', high), ']'] : null,
                m.unscored > 0
                  ? PB.el('span', {class: 'pb-warn-text'}, ' · ', numberField('span', 'unscored', m.unscored, String), ' unscored') : null);
            })));
        }
      }
      const comparisons = values.filter((x) => x.field === field).flatMap((x) =>
        arrayOr(x.comparisons).map(objectOr).map((c) => ({...c, metric: PB.text(c.metric) + ' on ' + field + '=' + PB.text(x.value)})));
      return PB.el('div', {class: 'pb-slice-field', 'data-field': field},
        PB.el('h3', null, 'By ' + field),
        PB.el('div', {class: 'pb-scroll'}, PB.el('table', {class: 'pb-table pb-slices-table'},
          PB.el('thead', null, PB.el('tr', null, ['slice', 'n', 'variant'].concat(metrics).map((h, i) =>
            PB.el('th', {scope: 'col', class: i === 1 || i > 2 ? 'num' : null}, h)))),
          PB.el('tbody', null, rows))),
        comparisons.length ? comparisonsTable(comparisons, objectOr(head.run).baseline) : null);
    });
    return section('pb-slices', 'Slices',
      PB.el('p', {class: 'pb-note'}, 'Each slice\'s cases alone: mean [95% CI]. Slices with fewer than ' +
        PB.text(slices.min_cases) + ' cases are not gated. Comparisons are Holm-adjusted together with the overall ones.'),
      tables);
  }

  PB.renderSummary = function (head, app) {
    const slices = slicesSection(head);
    app.append(
      section('pb-summary', 'Summary', summaryTable(head)),
      comparisonsSection(head),
      ...(slices ? [slices] : []),
      gatesSection(head),
      section('pb-distributions', 'Latency distributions', PB.el('p', {class: 'pb-placeholder'}, 'loading cases…')));
  };

  // ---- distributions -------------------------------------------------------------------

  const HIST = {width: 300, height: 124, left: 8, right: 8, top: 34, bottom: 20, bins: 30};

  /// Per variant index, the latencies (`l`) and times to first token (`t`) of its results.
  function collectTimings(cases, variantCount) {
    const latency = Array.from({length: variantCount}, () => []);
    const ttft = Array.from({length: variantCount}, () => []);
    for (const c of arrayOr(cases)) {
      for (const r of arrayOr(c && c.r)) {
        if (!r || !(r.v >= 0 && r.v < variantCount)) continue;
        if (isNumber(r.l)) latency[r.v].push(r.l);
        if (isNumber(r.t)) ttft[r.v].push(r.t);
      }
    }
    return {latency: latency, ttft: ttft};
  }

  /// A percentile by linear interpolation between closest ranks (of sorted values).
  function percentile(sorted, q) {
    if (sorted.length === 0) return null;
    const rank = (sorted.length - 1) * q;
    const below = Math.floor(rank);
    const above = Math.min(sorted.length - 1, below + 1);
    return sorted[below] + (sorted[above] - sorted[below]) * (rank - below);
  }

  /// The log10 range shared by every variant's histogram, so their bins line up.
  function sharedLogRange(samples) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const list of samples) {
      for (const x of list) {
        if (x > 0 && x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
    if (!Number.isFinite(lo) || !(hi > 0)) return null;
    if (hi <= lo * 1.05) return {lo: Math.log10(lo) - 0.1, hi: Math.log10(hi) + 0.1};
    return {lo: Math.log10(lo), hi: Math.log10(hi)};
  }

  function binCounts(values, range, bins) {
    const counts = new Array(bins).fill(0);
    const span = range.hi - range.lo;
    for (const x of values) {
      // A zero latency (a cached answer can have one) cannot sit on a log axis: first bin.
      const position = x > 0 ? (Math.log10(x) - range.lo) / span : 0;
      counts[Math.max(0, Math.min(bins - 1, Math.floor(position * bins)))] += 1;
    }
    return counts;
  }

  /// Round values for a log axis: powers of ten, with 2 and 5 between them on a short range.
  function logTicks(range) {
    const decades = range.hi - range.lo;
    const multiples = decades < 1.2 ? [1, 2, 5] : decades < 3 ? [1, 3] : [1];
    const ticks = [];
    for (let power = Math.floor(range.lo); power <= Math.ceil(range.hi); ++power) {
      for (const m of multiples) {
        const v = m * Math.pow(10, power);
        const at = Math.log10(v);
        if (at >= range.lo - 1e-9 && at <= range.hi + 1e-9) ticks.push(Number(v.toPrecision(6)));
      }
    }
    return ticks;
  }

  /// Milliseconds for an axis: "500", "2k", "0.5".
  function msLabel(v) {
    if (v >= 1000) return PB.num(v / 1000) + 'k';
    return PB.num(v);
  }

  function histogramAxis(svg, range, x) {
    const h = HIST;
    const bottom = h.height - h.bottom;
    svg.appendChild(PB.svg('line', {class: 'pb-axis', x1: h.left, x2: h.width - h.right, y1: bottom, y2: bottom}));
    const ticks = logTicks(range);
    ticks.forEach((t, i) => {
      const at = x(Math.log10(t));
      const unit = i === ticks.length - 1 ? ' ms' : '';  // the unit once, on the last label
      svg.appendChild(PB.svg('line', {class: 'pb-axis', x1: at, x2: at, y1: bottom, y2: bottom + 3}));
      svg.appendChild(PB.svg('text', {class: 'pb-tick', x: at, y: bottom + 14, 'text-anchor': 'middle'}, msLabel(t) + unit));
    });
  }

  /// p50/p90/p99 as vertical lines, their labels staggered so close markers stay readable.
  function percentileMarkers(svg, marks, range, x) {
    const h = HIST;
    const bottom = h.height - h.bottom;
    marks.forEach(([name, value], i) => {
      if (!(value > 0)) return;
      const at = x(Math.min(range.hi, Math.max(range.lo, Math.log10(value))));
      svg.appendChild(PB.svg('line', {class: 'pb-marker pb-marker-' + name, 'data-percentile': name, 'data-value': String(value),
        x1: at, x2: at, y1: h.top - 9 + i * 9, y2: bottom}));
      // Near the right edge the label goes on the marker's left, inside the plot.
      const flip = at > h.width * 0.85;
      svg.appendChild(PB.svg('text', {class: 'pb-marker-label', x: flip ? at - 2 : at + 2, y: h.top - 11 + i * 9,
        'text-anchor': flip ? 'end' : 'start'}, name));
    });
  }

  function histogram(values, marks, range, maxCount) {
    const h = HIST;
    const x = linearScale(range.lo, range.hi, h.left, h.width - h.right);
    const bottom = h.height - h.bottom;
    const y = linearScale(0, maxCount || 1, bottom, h.top);
    const svg = PB.svg('svg', {class: 'pb-hist-svg', width: h.width, height: h.height, viewBox: '0 0 ' + h.width + ' ' + h.height,
      role: 'img', 'aria-label': 'histogram of ' + values.length + ' values, log scale'});
    const counts = binCounts(values, range, h.bins);
    const binWidth = (h.width - h.left - h.right) / h.bins;
    counts.forEach((count, i) => {
      if (count === 0) return;
      svg.appendChild(PB.svg('rect', {class: 'pb-bar', x: h.left + i * binWidth + 0.5, width: Math.max(0.5, binWidth - 1),
        y: y(count), height: bottom - y(count)}, PB.svg('title', null, count + (count === 1 ? ' value' : ' values'))));
    });
    histogramAxis(svg, range, x);
    percentileMarkers(svg, marks, range, x);
    return svg;
  }

  /// The percentiles to mark: the head's (the numbers of the summary table) when it has
  /// them, else computed from the values.
  function markedPercentiles(variant, key, values) {
    const fromHead = objectOr(objectOr(variant)[key]);
    const sorted = values.slice().sort((a, b) => a - b);
    return [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]].map(([name, q]) =>
      [name, isNumber(fromHead[name]) ? fromHead[name] : percentile(sorted, q)]);
  }

  function histogramFigure(id, key, values, marks, range, maxCount) {
    // Zero latencies sit in the first bin (a log axis has no 0): say how many there are.
    const zeros = values.filter((x) => !(x > 0)).length;
    return PB.el('figure', {class: 'pb-hist', 'data-variant': id, 'data-kind': key},
      PB.el('figcaption', null, PB.el('code', {class: 'pb-hist-title', title: id}, id),
        PB.el('span', {class: 'pb-muted'}, ' · n ' + values.length + (zeros ? ' · ' + zeros + ' at 0 ms (first bar)' : ''))),
      values.length ? histogram(values, marks, range, maxCount) : PB.el('p', {class: 'pb-empty'}, 'no timings'),
      values.length ? PB.el('div', {class: 'pb-hist-legend'}, marks.map(([name, value]) => PB.el('span', {class: 'pb-percentile'},
        PB.el('span', {class: 'pb-muted'}, name + ' '), numberField('span', name, value), PB.el('span', {class: 'pb-muted'}, ' ms')))) : null);
  }

  function distributionGroup(head, meta, title, key, samples) {
    const range = sharedLogRange(samples);
    const variants = arrayOr(head.variants).map(objectOr);
    if (!range) return PB.el('div', {class: 'pb-hist-group', 'data-kind': key}, PB.el('h3', null, title), PB.el('p', {class: 'pb-empty'}, 'No timings recorded.'));
    const maxCount = Math.max(1, ...samples.map((values) => Math.max(0, ...binCounts(values, range, HIST.bins))));
    const ids = arrayOr(meta.variants);
    // Only latency is expected of every variant; a variant that never streamed has no TTFT
    // and gets a line in the note rather than an empty card.
    const shown = ids.map((id, i) => i).filter((i) => key === 'latency_ms' || samples[i].length > 0);
    const missing = ids.filter((id, i) => !shown.includes(i));
    const figures = shown.map((i) => {
      const id = ids[i];
      const marks = markedPercentiles(variants.find((v) => v.id === id) || {}, key, samples[i]);
      return histogramFigure(id, key, samples[i], marks, range, maxCount);
    });
    return PB.el('div', {class: 'pb-hist-group', 'data-kind': key},
      PB.el('h3', null, title, PB.el('span', {class: 'pb-muted pb-h-note'}, ' · log scale, ' + HIST.bins + ' bins shared by all variants')),
      missing.length ? PB.el('p', {class: 'pb-note'}, 'Not streamed (no TTFT): ' + missing.join(', ')) : null,
      PB.el('div', {class: 'pb-hist-grid'}, figures));
  }

  PB.renderDistributions = function (head, meta, cases) {
    const target = document.getElementById('pb-distributions');
    if (!target) return;
    const samples = collectTimings(cases, arrayOr(objectOr(meta).variants).length);
    const hasTtft = samples.ttft.some((list) => list.length > 0);
    const parts = [
      PB.el('h2', null, hasTtft ? 'Latency and time to first token' : 'Latency distributions'),
      distributionGroup(head, objectOr(meta), 'Latency', 'latency_ms', samples.latency)];
    if (hasTtft) parts.push(distributionGroup(head, objectOr(meta), 'Time to first token', 'ttft_ms', samples.ttft));
    target.replaceChildren(...parts);
  };
})();

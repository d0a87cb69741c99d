// SPDX-License-Identifier: Apache-2.0
// The case explorer: filters, search, sort, a virtualized row list and the side-by-side case detail.
//
// Each case's status, value(M) and latency per variant are computed once, as its block arrives,
// into flat typed arrays, so that a filter over 100,000 cases is one tight loop; only the rows on
// screen exist in the DOM. Report text reaches the DOM only through PB.el / textContent.

/// Fixed height of one row in px: the list is virtualized, so every row must be this tall.
PB.ROW_HEIGHT = 30;
/// Rows drawn above and below the visible window, so a fast scroll shows no blank band.
PB.ROW_OVERSCAN = 10;
/// The word diff gives up beyond this many differing tokens per side ("too long to diff").
PB.DIFF_MAX_TOKENS = 4000;
/// ... and falls back to "all removed, all inserted" beyond this many edits (bounds time and memory).
PB.DIFF_MAX_EDITS = 1500;
PB.SEARCH_DEBOUNCE_MS = 120;
/// URL writes allowed at once before they are paced (see writeFragment).
PB.FRAGMENT_BURST = 40;
/// While blocks arrive, a sorted list is recomputed at most this often (appending is not enough).
PB.LOADING_REFRESH_MS = 400;

/// Status bits per case and variant; PRESENT marks a variant that has results in the case.
PB.STATUS_BITS = {pass: 1, fail: 2, error: 4, present: 8};
PB.SORTS = [['order', 'dataset order'], ['score-asc', 'score ↑'], ['score-desc', 'score ↓'],
  ['latency-asc', 'latency ↑'], ['latency-desc', 'latency ↓']];

// ---------------------------------------------------------------------------------------------
// Per-result facts (the contract's "Explorer semantics")

/// 'error' when the result has an error (any kind); else 'fail' when a pass flag is 0 or a
/// metric could not be scored; else 'pass'.
PB.resultStatus = function (r) {
  if (r.e) return 'error';
  if (Array.isArray(r.p) && r.p.some((flag) => flag === 0)) return 'fail';
  if (r.se && typeof r.se === 'object' && Object.keys(r.se).length > 0) return 'fail';
  return 'pass';
};

/// The default metric: the first (META order) with a pass rate in some variant, else the first.
PB.defaultMetric = function (head, metrics) {
  const hasPassRate = (name) => (head.variants || []).some((v) =>
    v.metrics && v.metrics[name] && typeof v.metrics[name].pass_rate === 'number');
  return metrics.find(hasPassRate) || metrics[0] || '';
};

/// The baseline's index in META variants: head.run.baseline, or the first variant.
PB.baselineIndex = function (head, variants) {
  const id = head.run && head.run.baseline;
  const index = id ? variants.indexOf(id) : 0;
  return index < 0 ? 0 : index;
};

/// A case's searchable text outside the outputs: id, each var's value, reference; lowercased.
PB.caseSearchFields = function (c) {
  const fields = [PB.text(c.id)];
  if (c.vars && typeof c.vars === 'object' && !Array.isArray(c.vars)) {
    for (const value of Object.values(c.vars)) fields.push(PB.text(value));
  } else {
    fields.push(PB.text(c.vars));
  }
  fields.push(PB.text(c.ref));
  return fields.map((f) => f.toLowerCase());
};

/// The outputs and extracted answers of variant `v`'s results in a case, lowercased.
PB.outputSearchFields = function (c, v) {
  const fields = [];
  for (const r of c.r || []) {
    if (r.v !== v) continue;
    if (r.o !== null && r.o !== undefined) fields.push(PB.text(r.o).toLowerCase());
    if (r.x !== null && r.x !== undefined) fields.push(PB.text(r.x).toLowerCase());
  }
  return fields;
};

// ---------------------------------------------------------------------------------------------
// The case store: the decoded cases plus flat typed arrays of what the filters and sorts need,
// computed once per case as blocks arrive, so that filtering 100,000 cases is a tight loop.

PB.createCaseStore = function (head, meta) {
  const variants = meta.variants || [];
  const metrics = meta.metrics || [];
  const nv = Math.max(variants.length, 1);
  const BITS = PB.STATUS_BITS;
  const store = {
    nv, n: 0, cases: [], byId: new Map(), ordered: true, lastOrder: -Infinity,
    order: new Float64Array(0), status: new Uint8Array(0),
    value: new Float64Array(0), latency: new Float64Array(0),
    metric: '', metricIndex: -1, higherIsBetter: true,
    baseline: PB.baselineIndex(head, variants),
    searchBase: null, searchOut: null, searchIndexed: 0,
  };

  /// Room for `total` cases (grows by doubling when a report holds more than it announced).
  store.reserve = function (total) {
    if (total <= store.order.length) return;
    const grow = (old, Type, per) => { const a = new Type(total * per); a.set(old); return a; };
    store.order = grow(store.order, Float64Array, 1);
    store.status = grow(store.status, Uint8Array, nv);
    store.value = grow(store.value, Float64Array, nv);
    store.latency = grow(store.latency, Float64Array, nv);
  };

  store.add = function (cases) {
    const from = store.n;
    if (from + cases.length > store.order.length) store.reserve(Math.max(2 * store.order.length, from + cases.length));
    for (const c of cases) {
      const p = store.n++;
      store.cases.push(c);
      const id = PB.text(c.id);
      if (!store.byId.has(id)) store.byId.set(id, p);
      const order = typeof c.i === 'number' ? c.i : p;
      store.order[p] = order;
      if (order < store.lastOrder) store.ordered = false;
      store.lastOrder = order;
    }
    store.computeStatusAndLatency(from, store.n);
    store.computeValues(from, store.n);
    if (store.searchBase && store.searchIndexed === from) store.extendSearchIndex();
    return from;
  };

  /// The results of case p grouped by variant (results with an unknown variant are dropped).
  store.resultsOf = function (p) {
    return (store.cases[p].r || []).filter((r) => Number.isInteger(r.v) && r.v >= 0 && r.v < variants.length);
  };

  store.computeStatusAndLatency = function (from, to) {
    const sum = new Float64Array(nv), count = new Uint32Array(nv);
    for (let p = from; p < to; ++p) {
      const base = p * nv;
      sum.fill(0); count.fill(0);
      for (let v = 0; v < nv; ++v) store.status[base + v] = 0;
      for (const r of store.resultsOf(p)) {
        store.status[base + r.v] |= BITS.present | BITS[PB.resultStatus(r)];
        if (typeof r.l === 'number') { sum[r.v] += r.l; count[r.v]++; }
      }
      for (let v = 0; v < nv; ++v) store.latency[base + v] = count[v] ? sum[v] / count[v] : NaN;
    }
  };

  /// value(M) per case and variant: the mean of M's scores over the variant's results; NaN = none.
  store.computeValues = function (from, to) {
    const mi = store.metricIndex;
    const sum = new Float64Array(nv), count = new Uint32Array(nv);
    for (let p = from; p < to; ++p) {
      sum.fill(0); count.fill(0);
      for (const r of store.resultsOf(p)) {
        const score = Array.isArray(r.s) && mi >= 0 ? r.s[mi] : null;
        if (typeof score === 'number') { sum[r.v] += score; count[r.v]++; }
      }
      for (let v = 0; v < nv; ++v) store.value[p * nv + v] = count[v] ? sum[v] / count[v] : NaN;
    }
  };

  store.setMetric = function (name) {
    store.metric = name;
    store.metricIndex = metrics.indexOf(name);
    store.higherIsBetter = PB.higherIsBetter(head, name);
    store.computeValues(0, store.n);
  };

  /// Lowercased search text, built on the first search and kept up to date after that. Fields are
  /// joined with U+0000 so a query (which has none, see matchesQuery) never spans two fields.
  store.extendSearchIndex = function (limit) {
    if (!store.searchBase) { store.searchBase = []; store.searchOut = []; }
    const end = Math.min(store.n, limit === undefined ? store.n : limit);
    for (let p = store.searchIndexed; p < end; ++p) {
      const c = store.cases[p];
      store.searchBase.push(PB.caseSearchFields(c).join('\u0000'));
      for (let v = 0; v < nv; ++v) store.searchOut.push(PB.outputSearchFields(c, v).join('\u0000'));
    }
    store.searchIndexed = end;
  };

  /// Builds the search index in slices while the page is idle, so that the first search does
  /// not pay for lowercasing every text at once.
  store.indexInBackground = function () {
    const slice = () => {
      if (store.searchIndexed >= store.n) return;
      store.extendSearchIndex(store.searchIndexed + 4000);
      later(slice);
    };
    const later = (fn) => (window.requestIdleCallback ? requestIdleCallback(fn, {timeout: 500}) : setTimeout(fn, 20));
    later(slice);
  };

  store.matchesQuery = function (p, query, v) {
    if (query.includes('\u0000')) return store.matchesQuerySlowly(p, query, v);
    if (store.searchBase[p].includes(query)) return true;
    if (v >= 0) return store.searchOut[p * nv + v].includes(query);
    for (let w = 0; w < nv; ++w) if (store.searchOut[p * nv + w].includes(query)) return true;
    return false;
  };

  /// Field by field, for the odd query that contains U+0000 itself.
  store.matchesQuerySlowly = function (p, query, v) {
    const c = store.cases[p];
    const fields = PB.caseSearchFields(c);
    for (let w = 0; w < nv; ++w) if (v < 0 || v === w) fields.push(...PB.outputSearchFields(c, w));
    return fields.some((f) => f.includes(query));
  };

  /// The variants with results in case p do not all have the same value(M) (none is a value too).
  store.disagrees = function (p) {
    let seen = false, first = 0;
    for (let v = 0; v < nv; ++v) {
      if (!(store.status[p * nv + v] & BITS.present)) continue;
      const x = store.value[p * nv + v];
      if (!seen) { first = x; seen = true; continue; }
      if (!(x === first || (x !== x && first !== first))) return true;
    }
    return false;
  };

  /// Variant v's value(M) is worse than the baseline's, or v has none while the baseline has one.
  store.worseThanBaseline = function (p, v) {
    if (v === store.baseline) return false;
    const b = store.value[p * nv + store.baseline], x = store.value[p * nv + v];
    if (b !== b) return false;
    if (x !== x) return true;
    return store.higherIsBetter ? x < b : x > b;
  };

  store.anyWorse = function (p, v) {
    if (v >= 0) return store.worseThanBaseline(p, v);
    for (let w = 0; w < variants.length; ++w) if (store.worseThanBaseline(p, w)) return true;
    return false;
  };

  /// Whether case p passes the filter f = {variant, statusBit, disagree, worse, query}.
  store.matches = function (p, f) {
    if (f.statusBit) {
      let bits = 0;
      for (let v = 0; v < nv; ++v) if (f.variant < 0 || f.variant === v) bits |= store.status[p * nv + v];
      if (!(bits & f.statusBit)) return false;
    }
    if (f.disagree && !store.disagrees(p)) return false;
    if (f.worse && !store.anyWorse(p, f.variant)) return false;
    if (f.query && !store.matchesQuery(p, f.query, f.variant)) return false;
    return true;
  };

  /// The sort key of case p: `values` (value(M) or latency) of variant v, or with v = -1 the mean
  /// of the variants' values; NaN when there is none.
  store.sortKey = function (values, p, v) {
    if (v >= 0) return values[p * nv + v];
    let sum = 0, count = 0;
    for (let w = 0; w < nv; ++w) {
      const x = values[p * nv + w];
      if (x === x) { sum += x; count++; }
    }
    return count ? sum / count : NaN;
  };

  /// Sorts the positions in `list` in place: by dataset order, or by score / latency with the
  /// cases that have none last and ties in dataset order.
  store.sort = function (list, sort, v) {
    const order = store.order;
    const byOrder = (a, b) => (order[a] - order[b]) || (a - b);
    if (sort === 'order' || !sort) {
      if (!store.ordered) list.sort(byOrder);
      return;
    }
    const values = sort.startsWith('latency') ? store.latency : store.value;
    const sign = sort.endsWith('desc') ? -1 : 1;
    const key = new Float64Array(store.n);
    for (const p of list) key[p] = store.sortKey(values, p, v);
    list.sort((a, b) => {
      const ka = key[a], kb = key[b];
      if (ka !== ka || kb !== kb) return (ka !== ka) - (kb !== kb) || byOrder(a, b);
      return sign * (ka - kb) || byOrder(a, b);
    });
  };

  store.setMetric(PB.defaultMetric(head, metrics));
  return store;
};

// ---------------------------------------------------------------------------------------------
// Word diff: Myers' O((N+M)D) algorithm over word / whitespace / punctuation tokens, bounded by
// DIFF_MAX_TOKENS and DIFF_MAX_EDITS so that no output, however long, can hang the page.

/// Runs of whitespace, runs of letters/digits, or one other character: together, the whole text.
PB.diffTokens = function (text) {
  return text.match(/\s+|[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_]/gu) || [];
};

/// The edit script from token ids `a` to `b`: [[op, index], ...] with op '=' (a index), '-'
/// (a index) or '+' (b index), in order; null when more than maxEdits edits are needed.
PB.myersEdits = function (a, b, maxEdits) {
  const n = a.length, m = b.length, limit = Math.min(n + m, maxEdits);
  const offset = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  const trace = [];
  for (let d = 0; d <= limit; ++d) {
    trace.push(v.slice(offset - d, offset + d + 1));  // step d-1's furthest x, for k in [-d, d]
    for (let k = -d; k <= d; k += 2) {
      let x = (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]))
        ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { ++x; ++y; }
      v[offset + k] = x;
      if (x >= n && y >= m) return PB.myersBacktrack(trace, d, n, m);
    }
  }
  return null;
};

PB.myersBacktrack = function (trace, edits, n, m) {
  const script = [];
  let x = n, y = m;
  for (let d = edits; d > 0; --d) {
    const previous = trace[d];
    const at = (k) => previous[k + d];
    const k = x - y;
    const prevK = (k === -d || (k !== d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1;
    const prevX = at(prevK), prevY = prevX - prevK;
    while (x > prevX && y > prevY) script.push(['=', --x, --y]);
    if (x === prevX) script.push(['+', x, --y]); else script.push(['-', --x, y]);
  }
  while (x > 0 && y > 0) script.push(['=', --x, --y]);
  return script.reverse();
};

/// Word diff from `reference` to `output`: [[op, text], ...] with op '=' (both), '-' (only in
/// the reference) or '+' (only in the output); null when the texts are too long to diff.
PB.wordDiff = function (reference, output) {
  const a = PB.diffTokens(reference), b = PB.diffTokens(output);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) ++start;
  let endA = a.length, endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { --endA; --endB; }
  if (endA - start > PB.DIFF_MAX_TOKENS || endB - start > PB.DIFF_MAX_TOKENS) return null;
  const ops = [['=', a.slice(0, start).join('')]];
  ops.push(...PB.diffMiddle(a.slice(start, endA), b.slice(start, endB)));
  ops.push(['=', a.slice(endA).join('')]);
  return PB.tidyDiff(ops.filter((op) => op[1] !== ''));
};

/// The differing middle of two token lists as [[op, token]...] (coarse when too different).
PB.diffMiddle = function (a, b) {
  const ids = new Map();
  const intern = (token) => { if (!ids.has(token)) ids.set(token, ids.size); return ids.get(token); };
  const script = PB.myersEdits(a.map(intern), b.map(intern), PB.DIFF_MAX_EDITS);
  if (!script) return [['-', a.join('')], ['+', b.join('')]];
  return script.map(([op, i, j]) => [op, op === '+' ? b[j] : a[i]]);
};

/// Merges token ops into runs, and makes each changed region read as "removed words, then
/// inserted words": whitespace that only separates two changes joins the change.
PB.tidyDiff = function (ops) {
  const out = [];
  let removed = [], inserted = [];
  const flush = () => {
    if (removed.length) out.push(['-', removed.join('')]);
    if (inserted.length) out.push(['+', inserted.join('')]);
    removed = []; inserted = [];
  };
  for (let i = 0; i < ops.length; ++i) {
    const [op, text] = ops[i];
    if (op === '-') removed.push(text);
    else if (op === '+') inserted.push(text);
    else if (/^\s+$/.test(text) && (removed.length || inserted.length) && ops[i + 1] && ops[i + 1][0] !== '=') {
      removed.push(text); inserted.push(text);
    } else {
      flush();
      if (out.length && out[out.length - 1][0] === '=') out[out.length - 1][1] += text;
      else out.push(['=', text]);
    }
  }
  flush();
  return out;
};

/// The diff as DOM: a .pb-diff with text nodes for equal parts and <del>/<ins> for changes,
/// or a note when there is nothing to compare or the texts are too long.
PB.renderDiff = function (reference, output) {
  if (reference === null || reference === undefined) return PB.el('p', {class: 'pbx-diff-note'}, 'no reference to diff against');
  const ops = PB.wordDiff(PB.text(reference), output);
  if (!ops) return PB.el('p', {class: 'pbx-diff-note'}, 'too long to diff');
  const box = PB.el('div', {class: 'pb-diff pbx-text', dir: 'auto'});
  for (const [op, text] of ops) {
    if (op === '=') box.appendChild(document.createTextNode(text));
    else box.appendChild(PB.el(op === '+' ? 'ins' : 'del', null, text));
  }
  return box;
};

/// The diff with its label; the label says so when the output is the reference exactly.
PB.renderDiffBlock = function (reference, output) {
  const same = reference !== null && reference !== undefined && PB.text(reference) === output;
  return PB.el('div', {class: 'pbx-block'},
    PB.el('div', {class: 'pbx-label'}, 'diff vs reference', same ? ' · identical' : null),
    PB.renderDiff(reference, output));
};

// ---------------------------------------------------------------------------------------------
// URL fragment: #case=ID&variant=V&status=...&q=...&metric=...&sort=...&disagree=1&worse=1

/// The fragment's parameters as a Map; values that do not decode are dropped (data, never code).
PB.readFragment = function (hash) {
  const params = new Map();
  for (const part of String(hash || '').replace(/^#/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const decode = (s) => { try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch (e) { return null; } };
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = decode(eq < 0 ? '' : part.slice(eq + 1));
    if (name !== null && value !== null && !params.has(name)) params.set(name, value);
  }
  return params;
};

/// The fragment for `params` ([name, value] pairs; empty values are left out).
PB.writeFragment = function (params) {
  return params.filter(([, value]) => value !== '' && value !== null && value !== undefined)
    .map(([name, value]) => name + '=' + encodeURIComponent(value)).join('&');
};

// ---------------------------------------------------------------------------------------------
// Small DOM pieces

/// One line of text for a row cell: newlines and separators as spaces, cut at `max` characters.
PB.snippet = function (text, max) {
  let s = text.length > max * 4 ? text.slice(0, max * 4) : text;
  s = s.replace(/[\s\u2028\u2029]+/g, ' ').trim();
  if (s.length > max) {
    s = s.slice(0, max);
    if (/[\uD800-\uDBFF]$/.test(s)) s = s.slice(0, -1);  // never cut a surrogate pair in two
    s += '…';
  }
  return s;
};

PB.varsText = function (vars) {
  if (vars && typeof vars === 'object' && !Array.isArray(vars)) return Object.values(vars).map(PB.text).join(' · ');
  return PB.text(vars);
};

/// A labelled select; `options` are [value, label] pairs.
PB.selectControl = function (id, label, options) {
  const select = PB.el('select', {id}, options.map(([value, text]) => PB.el('option', {value}, text)));
  return {select, node: PB.el('label', {class: 'pbx-control'}, PB.el('span', null, label), select)};
};

PB.checkboxControl = function (id, label) {
  const input = PB.el('input', {id, type: 'checkbox'});
  return {input, node: PB.el('label', {class: 'pbx-control pbx-check'}, input, PB.el('span', null, label))};
};

/// A labelled block of text: the label outside, so `.cls`'s textContent is exactly the text.
PB.textBlock = function (label, cls, text, emptyNote) {
  const empty = text === null || text === undefined;
  const body = PB.el('div', {class: cls + ' pbx-text' + (empty ? ' pbx-none' : ''), dir: 'auto',
    'data-empty': empty ? emptyNote : null}, empty ? null : PB.text(text));
  return PB.el('div', {class: 'pbx-block'}, PB.el('div', {class: 'pbx-label'}, label), body);
};

// ---------------------------------------------------------------------------------------------
// The case detail

PB.renderScores = function (r, metrics) {
  const box = PB.el('div', {class: 'pb-scores'});
  metrics.forEach((name, mi) => {
    const score = Array.isArray(r.s) ? r.s[mi] : null;
    const flag = Array.isArray(r.p) ? r.p[mi] : null;
    const failed = r.se && Object.prototype.hasOwnProperty.call(r.se, name);
    if (typeof score !== 'number' && (flag === null || flag === undefined) && !failed) return;
    const mark = flag === 1 ? 'pass' : flag === 0 ? 'fail' : failed ? 'fail' : null;
    box.appendChild(PB.el('span', {
      class: 'pbx-score' + (mark ? ' pbx-' + mark : ''), 'data-metric': name,
      'data-value': typeof score === 'number' ? String(score) : null,
      'data-pass': flag === 1 ? '1' : flag === 0 ? '0' : null,
    }, PB.el('span', {class: 'pbx-score-name'}, name), ' ',
    PB.el('span', {class: 'pbx-score-value'}, PB.num(score)),
    mark ? PB.el('span', {class: 'pbx-mark', 'aria-label': mark}, mark === 'pass' ? ' ✓' : ' ✗') : null));
  });
  return box.childNodes.length ? box : null;
};

/// The judge's reply or the scorer's reason per metric, and why a metric has no score.
PB.renderExplanations = function (r) {
  const parts = [];
  for (const [name, detail] of Object.entries(r.d && typeof r.d === 'object' ? r.d : {})) {
    if (!detail || typeof detail !== 'object') continue;
    const who = detail.judge !== undefined ? 'judge ' + PB.text(detail.judge) : 'scorer';
    const text = detail.reply !== undefined ? detail.reply : detail.reason;
    parts.push(PB.el('div', {class: 'pb-judge', 'data-metric': name},
      PB.el('div', {class: 'pbx-label'}, name + ' · ' + who),
      PB.el('div', {class: 'pbx-text pbx-judge-text', dir: 'auto'}, PB.text(text))));
  }
  for (const [name, message] of Object.entries(r.se && typeof r.se === 'object' ? r.se : {})) {
    parts.push(PB.el('div', {class: 'pbx-score-error', 'data-metric': name},
      PB.el('span', {class: 'pbx-label'}, name + ' not scored: '), PB.el('span', {dir: 'auto'}, PB.text(message))));
  }
  return parts;
};

PB.renderResultError = function (e) {
  return PB.el('div', {class: 'pb-error', role: 'note'},
    PB.el('span', {class: 'pbx-error-kind'}, PB.text(e.k)),
    e.s !== undefined && e.s !== null ? PB.el('span', {class: 'pbx-error-status'}, 'HTTP ' + PB.text(e.s)) : null,
    PB.el('div', {class: 'pbx-error-message pbx-text', dir: 'auto'}, PB.text(e.m)));
};

/// Latency, TTFT, cost, tokens and cache, each with data-field and data-value for tests.
PB.renderFacts = function (r) {
  const facts = [];
  const fact = (field, label, value, text) => facts.push(PB.el('span', {class: 'pbx-fact', 'data-field': field,
    'data-value': typeof value === 'number' ? String(value) : null}, PB.el('span', {class: 'pbx-label'}, label + ' '), text));
  if (typeof r.l === 'number') fact('latency_ms', 'latency', r.l, PB.num(r.l) + ' ms');
  if (typeof r.t === 'number') fact('ttft_ms', 'TTFT', r.t, PB.num(r.t) + ' ms');
  if (typeof r.$ === 'number') fact('cost_usd', 'cost', r.$, '$' + PB.num(r.$));
  if (Array.isArray(r.u)) {
    const tokens = (x) => (typeof x === 'number' ? String(x) : '–');
    fact('tokens', 'tokens', null, tokens(r.u[0]) + ' in · ' + tokens(r.u[1]) + ' out');
  }
  if (r.c) fact('cached', 'cached', null, 'yes');
  return facts.length ? PB.el('div', {class: 'pbx-facts'}, facts) : null;
};

PB.renderResult = function (r, c, ctx) {
  const status = PB.resultStatus(r);
  const hasOutput = r.o !== null && r.o !== undefined;
  return PB.el('div', {class: 'pb-result pbx-status-' + status, 'data-variant': ctx.variants[r.v],
    'data-repeat': String(r.rep || 0), 'data-status': status},
  PB.el('div', {class: 'pbx-result-head'},
    PB.el('span', {class: 'pbx-badge pbx-' + status}, status),
    ctx.repeats > 1 ? PB.el('span', {class: 'pbx-repeat'}, 'repeat ' + ((r.rep || 0) + 1)) : null),
  r.e ? PB.renderResultError(r.e) : null,
  PB.textBlock('output', 'pb-output', hasOutput ? r.o : null, 'no output'),
  r.x !== undefined && r.x !== null && r.x !== r.o ? PB.textBlock('extracted', 'pb-extracted', r.x, '') : null,
  hasOutput ? PB.renderDiffBlock(c.ref, PB.text(r.o)) : null,
  PB.renderScores(r, ctx.metrics),
  PB.renderExplanations(r),
  PB.renderFacts(r));
};

/// The variants side by side: one column per variant, one .pb-result per repeat.
PB.renderVariantColumns = function (c, results, ctx) {
  const columns = PB.el('div', {class: 'pbx-variants'});
  ctx.variants.forEach((id, v) => {
    const own = results.filter((r) => r.v === v).sort((x, y) => (x.rep || 0) - (y.rep || 0));
    const cls = 'pbx-variant' + (v === ctx.selectedVariant ? ' pbx-focus' : '') + (v === ctx.baseline ? ' pbx-baseline' : '');
    columns.appendChild(PB.el('div', {class: cls, 'data-variant': id},
      PB.el('h4', {class: 'pbx-variant-name', dir: 'auto'}, id,
        v === ctx.baseline ? PB.el('span', {class: 'pbx-tag'}, 'baseline') : null),
      own.length ? own.map((r) => PB.renderResult(r, c, ctx)) : PB.el('p', {class: 'pbx-muted'}, 'no result')));
  });
  return columns;
};

PB.renderVars = function (vars) {
  if (!vars || typeof vars !== 'object' || Array.isArray(vars)) {
    return PB.el('div', {class: 'pb-vars pbx-text', dir: 'auto'}, PB.text(vars));
  }
  return PB.el('dl', {class: 'pb-vars'}, Object.entries(vars).flatMap(([name, value]) => [
    PB.el('dt', {dir: 'auto'}, name), PB.el('dd', {class: 'pbx-text', dir: 'auto'}, PB.text(value))]));
};

// ---------------------------------------------------------------------------------------------
// The explorer

PB.createExplorer = function (head, meta, app) {
  const variants = meta.variants || [];
  const metrics = meta.metrics || [];
  const store = PB.createCaseStore(head, meta);
  const ROW_H = PB.ROW_HEIGHT;
  const filter = {variant: -1, status: '', disagree: false, worse: false, query: '', sort: 'order'};
  let visible = [];           // positions of the matching cases, in display order
  let selected = -1;          // position of the selected case (-1: none)
  let openPos = -1;           // position of the case shown in the detail (-1: closed)
  let pendingCaseId = null;   // a case the URL asks for that is not decoded yet
  let loading = true, expected = 0, refreshTimer = 0, searchTimer = 0, renderQueued = false;
  let revealOpenCase = false; // the URL opened a case: keep its row in view while blocks arrive
  let fragmentTimer = 0, fragmentTokens = PB.FRAGMENT_BURST, fragmentRefilled = 0;
  const rowCache = new Map(); // position -> rendered row element

  // --- DOM -----------------------------------------------------------------------------------
  const controls = buildControls();
  const count = PB.el('span', {id: 'pb-count', 'data-visible': '0', 'data-total': '0', role: 'status'}, '0 of 0 cases');
  const progress = PB.el('progress', {max: '1', value: '0'});
  const loadingNote = PB.el('span', {id: 'pb-loading', class: 'pbx-loading'}, 'loading cases… ', progress);
  const notice = PB.el('span', {class: 'pbx-notice', role: 'alert', hidden: true});
  const spacer = PB.el('div', {class: 'pbx-spacer'});
  const emptyNote = PB.el('div', {class: 'pbx-empty-list', hidden: true}, 'No case matches the filters.');
  const rows = PB.el('div', {id: 'pb-rows', role: 'listbox', 'aria-label': 'Cases', tabindex: '-1'}, spacer, emptyNote);
  const detail = PB.el('section', {id: 'pb-case', hidden: true, 'aria-label': 'Case detail', tabindex: '-1'});
  const section = PB.el('section', {id: 'pb-explorer', 'aria-labelledby': 'pb-explorer-title'},
    PB.el('h2', {id: 'pb-explorer-title'}, 'Cases'),
    controls.node,
    PB.el('div', {class: 'pbx-statusline'}, count, loadingNote, notice),
    PB.el('div', {class: 'pbx-list'}, buildListHead(), rows),
    PB.el('p', {class: 'pbx-keys'}, 'Keys: j/k or ↓/↑ move · Enter or o opens · n/p next/previous case · / search · Esc closes'),
    PB.el('p', {class: 'pbx-print-note'}, 'Printed: the rows on screen only; the report file holds every case.'),
    detail);
  section.style.setProperty('--pb-row-h', ROW_H + 'px');
  section.style.setProperty('--pb-chips', 'repeat(' + Math.max(variants.length, 1) + ', var(--pb-chip-w))');
  app.appendChild(section);

  function buildControls() {
    const variant = PB.selectControl('pb-filter-variant', 'variant',
      [['', 'all variants']].concat(variants.map((id) => [id, id])));
    const status = PB.selectControl('pb-filter-status', 'status',
      [['', 'any status'], ['pass', 'pass'], ['fail', 'fail'], ['error', 'error']]);
    const disagree = PB.checkboxControl('pb-filter-disagree', 'variants disagree');
    const worse = PB.checkboxControl('pb-filter-worse', 'worse than the baseline (' + (variants[store.baseline] || '') + ')');
    const search = PB.el('input', {id: 'pb-search', type: 'search', placeholder: 'search ids, inputs, outputs, references  (/)',
      'aria-label': 'search', autocomplete: 'off', spellcheck: 'false'});
    const metric = PB.selectControl('pb-metric', 'metric', metrics.map((name) => [name, name]));
    const sort = PB.selectControl('pb-sort', 'sort', PB.SORTS);
    const node = PB.el('div', {class: 'pbx-controls'}, PB.el('label', {class: 'pbx-control pbx-searchbox'}, search),
      variant.node, status.node, metric.node, sort.node, disagree.node, worse.node);
    return {node, variant: variant.select, status: status.select, disagree: disagree.input,
      worse: worse.input, search, metric: metric.select, sort: sort.select};
  }

  function buildListHead() {
    return PB.el('div', {class: 'pbx-list-head', 'aria-hidden': 'true'},
      PB.el('span', null, 'case'), PB.el('span', null, 'input'), PB.el('span', null, 'reference'),
      variants.map((id) => PB.el('span', {class: 'pbx-chip-head', title: id, dir: 'auto'}, id)));
  }

  // --- filtering ---------------------------------------------------------------------------
  function currentFilter() {
    return {variant: filter.variant, statusBit: PB.STATUS_BITS[filter.status] || 0, disagree: filter.disagree,
      worse: filter.worse, query: filter.query.toLowerCase()};
  }

  /// Recomputes the whole list of matching cases (filters, then sort).
  function refresh() {
    clearTimeout(refreshTimer); refreshTimer = 0;
    const f = currentFilter();
    if (f.query) store.extendSearchIndex();
    const list = [];
    for (let p = 0; p < store.n; ++p) if (store.matches(p, f)) list.push(p);
    store.sort(list, filter.sort, filter.variant);
    visible = list;
    showList();
  }

  /// The cases of a new block: appended when the list is in dataset order, else a (throttled)
  /// full refresh, since a sort may put them anywhere.
  function takeNewCases(from) {
    if (store.n === from) return;
    if (from === 0) { refresh(); return; }
    if (filter.sort === 'order' && store.ordered && !refreshTimer) {
      const f = currentFilter();
      if (f.query) store.extendSearchIndex();
      for (let p = from; p < store.n; ++p) if (store.matches(p, f)) visible.push(p);
      showList();
    } else {
      count.dataset.total = String(store.n);  // the matches follow with the next refresh
      count.textContent = visible.length + ' of ' + store.n + ' cases';
      if (!refreshTimer) refreshTimer = setTimeout(refresh, PB.LOADING_REFRESH_MS);
    }
  }

  function showList() {
    count.dataset.visible = String(visible.length);
    count.dataset.total = String(store.n);
    count.textContent = visible.length + ' of ' + store.n + ' cases';
    spacer.style.height = (visible.length * ROW_H) + 'px';
    emptyNote.hidden = visible.length > 0 || store.n === 0;
    if (revealOpenCase) revealSelected();
    render();
    if (openPos >= 0) updateDetailPosition();
  }

  // --- the virtualized rows ----------------------------------------------------------------
  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => { renderQueued = false; render(); });
  }

  /// Draws the rows in the scroll window (plus overscan), reusing the ones already drawn.
  function render() {
    const height = rows.clientHeight || 20 * ROW_H;
    const top = rows.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_H) - PB.ROW_OVERSCAN);
    const last = Math.min(visible.length, Math.ceil((top + height) / ROW_H) + PB.ROW_OVERSCAN);
    const wanted = new Map();
    for (let index = first; index < last; ++index) wanted.set(visible[index], index);
    for (const [p, row] of rowCache) {
      if (!wanted.has(p)) { row.remove(); rowCache.delete(p); }
    }
    for (const [p, index] of wanted) {
      let row = rowCache.get(p);
      if (!row) { row = buildRow(p); rowCache.set(p, row); rows.appendChild(row); }
      placeRow(row, p, index);
    }
  }

  function placeRow(row, p, index) {
    row.style.transform = 'translateY(' + (index * ROW_H) + 'px)';
    row.style.order = String(index);  // print lays the drawn rows out in flow, in this order
    row.setAttribute('aria-posinset', String(index + 1));
    row.setAttribute('aria-setsize', String(visible.length));
    const isSelected = p === selected;
    row.classList.toggle('selected', isSelected);
    row.setAttribute('aria-selected', isSelected ? 'true' : 'false');
    row.tabIndex = isSelected || (selected < 0 && index === 0) ? 0 : -1;
  }

  function buildRow(p) {
    const c = store.cases[p];
    return PB.el('div', {class: 'pb-row', role: 'option', id: 'pb-row-' + p, 'data-pos': String(p),
      'data-case-id': PB.text(c.id)},
    PB.el('span', {class: 'pbx-cell-id', dir: 'auto'}, PB.snippet(PB.text(c.id), 80)),
    PB.el('span', {class: 'pbx-cell-input', dir: 'auto'}, PB.snippet(PB.varsText(c.vars), 240)),
    PB.el('span', {class: 'pbx-cell-ref', dir: 'auto'}, PB.snippet(PB.text(c.ref), 120)),
    variants.map((id, v) => buildChip(p, v)));
  }

  /// A variant's status in a row: worst status of its results, with value(M) as text.
  function buildChip(p, v) {
    const bits = store.status[p * store.nv + v];
    const B = PB.STATUS_BITS;
    const status = !(bits & B.present) ? 'none' : bits & B.error ? 'error' : bits & B.fail ? 'fail' : 'pass';
    const value = store.value[p * store.nv + v];
    const mixed = [B.pass, B.fail, B.error].filter((b) => bits & b).length > 1;
    const text = value === value ? PB.num(value) : status === 'none' ? '—' : status === 'error' ? 'err' : '–';
    return PB.el('span', {class: 'pbx-chip pbx-' + status + (mixed ? ' pbx-mixed' : ''), 'data-variant': variants[v],
      'data-status': status, title: variants[v] + ': ' + status + (mixed ? ' (repeats differ)' : '') +
        (store.metric ? ', ' + store.metric + ' ' + PB.num(value) : '')}, text);
  }

  function clearRows() {
    for (const row of rowCache.values()) row.remove();
    rowCache.clear();
  }

  // --- selection and keyboard ----------------------------------------------------------------
  function selectedIndex() {
    return selected < 0 ? -1 : visible.indexOf(selected);
  }

  function scrollToIndex(index) {
    const top = index * ROW_H, height = rows.clientHeight;
    if (top < rows.scrollTop) rows.scrollTop = top;
    else if (top + ROW_H > rows.scrollTop + height) rows.scrollTop = top + ROW_H - height;
  }

  /// Scrolls the list so that the selected row is in the middle of it (when it is in the list).
  function revealSelected() {
    const index = selectedIndex();
    if (index >= 0) rows.scrollTop = Math.max(0, index * ROW_H - (rows.clientHeight - ROW_H) / 2);
  }

  function selectIndex(index, focus) {
    if (!visible.length) return;
    index = Math.max(0, Math.min(visible.length - 1, index));
    selected = visible[index];
    scrollToIndex(index);
    render();
    const row = rowCache.get(selected);
    if (focus && row) row.focus({preventScroll: true});
  }

  /// Moves the selection by `step`; with the detail open, shows the case it lands on.
  function move(step, openIt) {
    const index = selectedIndex();
    const focusRow = !openIt || rows.contains(document.activeElement);  // keep the keyboard in the list
    selectIndex(index < 0 ? (step > 0 ? 0 : visible.length - 1) : index + step, focusRow);
    if (openIt && selected >= 0) openCase(selected, false);
  }

  function isTyping(target) {
    return target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
  }

  /// Keys a focused button or link handles itself (Enter and Space activate it).
  function isActivation(event) {
    return (event.key === 'Enter' || event.key === ' ') && /^(BUTTON|A|SUMMARY)$/.test(event.target.tagName || '');
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      if (event.key === 'Escape') event.target.blur();
      return;
    }
    if (isActivation(event)) return;
    const inExplorer = section.contains(document.activeElement);
    const arrows = inExplorer || selected >= 0;
    const handled = {
      'j': () => move(1, false), 'k': () => move(-1, false),
      'ArrowDown': arrows ? () => move(1, false) : null, 'ArrowUp': arrows ? () => move(-1, false) : null,
      'Enter': selected >= 0 ? () => openCase(selected, true) : null, 'o': selected >= 0 ? () => openCase(selected, true) : null,
      'Escape': openPos >= 0 ? () => closeCase() : null,
      'n': () => move(1, true), 'p': () => move(-1, true),
      'ArrowRight': openPos >= 0 ? () => move(1, true) : null, 'ArrowLeft': openPos >= 0 ? () => move(-1, true) : null,
      'Home': inExplorer ? () => selectIndex(0, true) : null,
      'End': inExplorer ? () => selectIndex(visible.length - 1, true) : null,
      '/': () => controls.search.focus(),
    }[event.key];
    if (!handled) return;
    event.preventDefault();
    handled();
  }

  // --- the detail ----------------------------------------------------------------------------
  function openCase(p, scrollIntoView) {
    pendingCaseId = null;
    selected = p;
    openPos = p;
    const index = selectedIndex();
    if (index >= 0) scrollToIndex(index);
    render();
    fillDetail(p);
    writeFragment();
    if (scrollIntoView && detail.getBoundingClientRect().top > window.innerHeight * 0.6) {
      detail.scrollIntoView({block: 'start'});
    }
  }

  function closeCase() {
    openPos = -1;
    detail.hidden = true;
    detail.removeAttribute('data-case-id');
    detail.replaceChildren();
    section.classList.remove('pbx-has-case');
    writeFragment();
    const row = rowCache.get(selected);
    if (row) row.focus({preventScroll: true});
  }

  function fillDetail(p) {
    const c = store.cases[p];
    const results = store.resultsOf(p);
    const ctx = {variants, metrics, selectedVariant: filter.variant, baseline: store.baseline,
      repeats: Math.max(1, ...results.map((r) => (r.rep || 0) + 1))};
    const button = (label, title, action) => {
      const b = PB.el('button', {type: 'button', title}, label);
      b.addEventListener('click', action);
      return b;
    };
    detail.replaceChildren(
      PB.el('div', {class: 'pbx-case-head'},
        PB.el('h3', null, 'Case ', PB.el('span', {class: 'pbx-case-id', dir: 'auto'}, PB.text(c.id))),
        PB.el('span', {class: 'pbx-case-pos pbx-muted'}),
        PB.el('span', {class: 'pbx-case-nav'}, button('← previous', 'previous case (p)', () => move(-1, true)),
          button('next →', 'next case (n)', () => move(1, true)), button('close ✕', 'close (Esc)', closeCase))),
      PB.el('div', {class: 'pbx-case-inputs'},
        PB.el('div', {class: 'pbx-block'}, PB.el('div', {class: 'pbx-label'}, 'input'), PB.renderVars(c.vars)),
        PB.textBlock('reference', 'pb-reference', c.ref, 'no reference')),
      PB.renderVariantColumns(c, results, ctx));
    detail.setAttribute('data-case-id', PB.text(c.id));
    detail.hidden = false;
    section.classList.add('pbx-has-case');
    updateDetailPosition();
  }

  function updateDetailPosition() {
    const pos = detail.querySelector('.pbx-case-pos');
    if (!pos) return;
    const index = visible.indexOf(openPos);
    pos.textContent = index >= 0 ? (index + 1) + ' of ' + visible.length : 'not in the filtered list';
  }

  // --- state <-> controls <-> URL fragment ---------------------------------------------------
  function readControls() {
    filter.variant = variants.indexOf(controls.variant.value);
    filter.status = controls.status.value;
    filter.disagree = controls.disagree.checked;
    filter.worse = controls.worse.checked;
    filter.sort = controls.sort.value;
  }

  /// Applies the fragment's state to the controls; returns the case id it asks for (or null).
  function applyFragment(hash) {
    const params = PB.readFragment(hash);
    const choose = (select, value) => {
      select.value = Array.from(select.options).some((o) => o.value === value) ? value : select.options[0] ? select.options[0].value : '';
    };
    choose(controls.variant, params.get('variant') || '');
    choose(controls.status, params.get('status') || '');
    choose(controls.sort, params.get('sort') || 'order');
    choose(controls.metric, params.has('metric') ? params.get('metric') : PB.defaultMetric(head, metrics));
    controls.disagree.checked = params.get('disagree') === '1';
    controls.worse.checked = params.get('worse') === '1';
    controls.search.value = params.get('q') || '';
    filter.query = controls.search.value;
    readControls();
    if (controls.metric.value !== store.metric) { store.setMetric(controls.metric.value); clearRows(); }
    return params.has('case') ? params.get('case') : null;
  }

  function fragment() {
    const openId = openPos >= 0 ? PB.text(store.cases[openPos].id) : pendingCaseId;
    return PB.writeFragment([
      ['case', openId], ['variant', controls.variant.value], ['status', filter.status], ['q', filter.query],
      ['metric', store.metric === PB.defaultMetric(head, metrics) ? '' : store.metric],
      ['sort', filter.sort === 'order' ? '' : filter.sort],
      ['disagree', filter.disagree ? '1' : ''], ['worse', filter.worse ? '1' : '']]);
  }

  /// Writes the state to the URL. Browsers throttle (Chrome) or refuse (Safari: ~100 in 30 s)
  /// floods of replaceState, so writes spend tokens from a bucket that refills at 3 a second: a
  /// person's clicks are written at once, a held-down n key at 3 a second plus the last state.
  function writeFragment() {
    const now = performance.now();
    fragmentTokens = Math.min(PB.FRAGMENT_BURST, fragmentTokens + (now - fragmentRefilled) * 0.003);
    fragmentRefilled = now;
    if (fragmentTokens < 1) {
      if (!fragmentTimer) fragmentTimer = setTimeout(() => { fragmentTimer = 0; writeFragment(); }, (1 - fragmentTokens) / 0.003);
      return;
    }
    const hash = fragment();
    if (hash === location.hash.replace(/^#/, '')) return;
    fragmentTokens -= 1;
    try {
      history.replaceState(history.state, '', hash ? '#' + hash : location.pathname + location.search);
    } catch (e) {
      // Some browsers refuse replaceState on file:// pages; the state then lives only in the page.
    }
  }

  /// Opens the case the URL asks for once it is decoded (or says it does not exist).
  function openPendingCase() {
    if (pendingCaseId === null) return;
    const p = store.byId.get(pendingCaseId);
    if (p !== undefined) {
      openCase(p, true);
      revealOpenCase = loading;
      revealSelected();
      render();
      return;
    }
    if (!loading) {
      showNotice('No case with id “' + pendingCaseId + '” in this report.');
      pendingCaseId = null;
    }
  }

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  function onHashChange() {
    if (location.hash.replace(/^#/, '') === fragment()) return;
    const caseId = applyFragment(location.hash);
    refresh();
    if (caseId === null) { if (openPos >= 0) closeCase(); return; }
    if (openPos >= 0 && PB.text(store.cases[openPos].id) === caseId) { fillDetail(openPos); return; }
    pendingCaseId = caseId;
    openPendingCase();
  }

  function onFilterChange() {
    readControls();
    refresh();
    const index = selectedIndex();
    if (index >= 0) scrollToIndex(index); else rows.scrollTop = 0;
    render();
    if (openPos >= 0) fillDetail(openPos);
    writeFragment();
  }

  function onMetricChange() {
    store.setMetric(controls.metric.value);
    clearRows();
    onFilterChange();
  }

  function onSearchInput() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      if (filter.query === controls.search.value) return;
      filter.query = controls.search.value;
      onFilterChange();
    }, PB.SEARCH_DEBOUNCE_MS);
  }

  function onRowClick(event) {
    const row = event.target.closest('.pb-row');
    if (!row || !rows.contains(row)) return;
    openCase(Number(row.dataset.pos), true);
  }

  // --- wiring --------------------------------------------------------------------------------
  for (const control of [controls.variant, controls.status, controls.sort, controls.disagree, controls.worse]) {
    control.addEventListener('change', onFilterChange);
  }
  controls.metric.addEventListener('change', onMetricChange);
  controls.search.addEventListener('input', onSearchInput);
  rows.addEventListener('scroll', queueRender, {passive: true});
  rows.addEventListener('click', onRowClick);
  for (const type of ['wheel', 'pointerdown', 'keydown']) {
    rows.addEventListener(type, () => { revealOpenCase = false; }, {passive: true});  // the user took over
  }
  window.addEventListener('resize', queueRender);
  window.addEventListener('hashchange', onHashChange);
  document.addEventListener('keydown', onKey);
  pendingCaseId = applyFragment(location.hash);

  return {
    expect(total) {
      expected = total;
      store.reserve(total);
      progress.max = Math.max(total, 1);
    },
    add(cases) {
      const from = store.add(cases);
      progress.value = store.n;
      takeNewCases(from);
      openPendingCase();
    },
    done() {
      loading = false;
      loadingNote.hidden = true;
      if (refreshTimer || expected !== store.n) refresh();
      revealOpenCase = false;
      openPendingCase();
      store.indexInBackground();
    },
  };
};

// SPDX-License-Identifier: Apache-2.0
// Shared by the page's parts. Every piece of text from a report reaches the document through
// textContent or an attribute setter (el() below), never as markup: a model's output that
// says "<img onerror=...>" is shown as those characters.
const PB = {};

const SVG_NS = 'http://www.w3.org/2000/svg';

/// An element: el('td', {class: 'num', 'data-field': 'mean'}, 'text', childNode, ...).
/// Attributes are set with setAttribute (never `on*` handlers or `style` strings: the
/// Content-Security-Policy allows neither); children are strings (as text nodes) or nodes;
/// null and undefined children are skipped.
PB.el = function (tag, attrs, ...children) {
  const node = document.createElement(tag);
  PB.fill(node, attrs, children);
  return node;
};

/// The same in the SVG namespace.
PB.svg = function (tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  PB.fill(node, attrs, children);
  return node;
};

PB.fill = function (node, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (/^on/i.test(name) || name === 'style') throw new Error('not allowed: ' + name);
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return node;
};

/// A number for people: four significant digits, no exponent for large values; '–' for none.
PB.num = function (value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1e4) return value.toFixed(0);
  if (value === 0) return '0';
  return String(Number(value.toPrecision(4)));
};

/// A share as a percentage: 0.8030 -> "80.3%".
PB.percent = function (value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  return (value * 100).toFixed(1) + '%';
};

/// Any JSON value as text: strings as themselves, null as '', the rest as JSON.
PB.text = function (value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
};

/// The metric names of the head's variants, in order of first appearance.
PB.metricNames = function (head) {
  const names = [];
  for (const variant of head.variants || []) {
    for (const name of Object.keys(variant.metrics || {})) {
      if (!names.includes(name)) names.push(name);
    }
  }
  return names;
};

/// Whether higher values of `metric` are better (from the first variant that has it).
PB.higherIsBetter = function (head, metric) {
  for (const variant of head.variants || []) {
    const m = (variant.metrics || {})[metric];
    if (m && typeof m.higher_is_better === 'boolean') return m.higher_is_better;
  }
  return true;
};

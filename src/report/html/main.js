// SPDX-License-Identifier: Apache-2.0
// The page's entry point: draws what the head holds at once, then decodes the case blocks in
// order and hands them to the explorer as they arrive, so the first view never waits for
// the cases. Test hooks: <html data-pb-state="loading|ready|error"> and window.pbTimings.
(function main() {
  const root = document.documentElement;
  const timings = {};
  window.pbTimings = timings;
  const since = () => Math.round(performance.now() * 10) / 10;

  function fail(message) {
    root.dataset.pbState = 'error';
    const box = document.getElementById('pb-error') || PB.el('div', {id: 'pb-error', role: 'alert'});
    box.textContent = message;
    document.getElementById('app').prepend(box);
  }

  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  /// The cases of one block: base64 -> (inflate) -> UTF-8 JSON.
  async function decodeBlock(element, compression) {
    const binary = atob(element.textContent.trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; ++i) bytes[i] = binary.charCodeAt(i);
    if (compression === 'none') return JSON.parse(new TextDecoder().decode(bytes));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return JSON.parse(await new Response(stream).text());
  }

  async function loadCases(meta, explorer) {
    const blocks = Array.from(document.querySelectorAll('script.pb-cases'));
    const total = blocks.reduce((sum, b) => sum + Number(b.dataset.cases || 0), 0);
    explorer.expect(total);
    const all = [];
    for (const block of blocks) {
      const cases = await decodeBlock(block, meta.compression);
      block.textContent = '';  // the decoded cases replace their text: memory held once
      for (const c of cases) all.push(c);
      explorer.add(cases);
      if (timings.firstRows === undefined) timings.firstRows = since();
    }
    return all;
  }

  async function start() {
    root.dataset.pbState = 'loading';
    const head = readJson('pb-head');
    const meta = readJson('pb-meta');
    const app = document.getElementById('app');
    PB.renderHeader(head, app);
    PB.renderSummary(head, app);
    timings.firstView = since();
    const explorer = PB.createExplorer(head, meta, app);
    const cases = await loadCases(meta, explorer);
    explorer.done();
    PB.renderDistributions(head, meta, cases);
    timings.ready = since();
    root.dataset.pbState = 'ready';
  }

  start().catch((error) => fail('This report could not be shown: ' + (error && error.message)));
})();

// The floor for the dashboard row: the least a page can do for the same work,
// measured in the same browser against the same service. It lists every pair,
// reads the same event stream and updates each pair's state and latency as
// plain text, and draws a timeline as one coloured column per pixel from the
// same history request. It reports through the same hooks the app does
// (window.__pbxPerf, the `pairs-rendered` mark, the `timeline-draw` measure),
// so one measurement serves both pages.

/** The page, served by the browser itself (page.route) on the service's origin so its API answers. */
export function floorHtml(): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>floor</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; }
  .row { display: flex; gap: 1em; height: 20px; content-visibility: auto; contain-intrinsic-size: auto 20px; }
  .row span { width: 10em; }
  canvas { width: 100%; height: 120px; display: block; }
</style></head>
<body><div id="ranges"></div><canvas id="timeline"></canvas><div id="list"></div>
<script type="module">${FLOOR_SCRIPT}</script></body></html>`;
}

const FLOOR_SCRIPT = `
const perf = { flushes: [], timelineDraws: 0 };
window.__pbxPerf = perf;
const token = decodeURIComponent((/token=([^&]+)/.exec(location.hash) || [])[1] || '');
const auth = { headers: { authorization: 'Bearer ' + token } };
const api = (path) => fetch(path, auth).then((r) => r.json());
const cells = new Map();

async function showPairs() {
  const pairs = await api('/api/pairs');
  const list = document.getElementById('list');
  const frag = document.createDocumentFragment();
  for (const p of pairs) {
    const row = document.createElement('div');
    row.className = 'row';
    const [name, state, latency] = [0, 1, 2].map(() => row.appendChild(document.createElement('span')));
    name.textContent = p.name;
    state.textContent = p.state;
    latency.textContent = p.lastPrimary ? p.lastPrimary.latencyMs + ' ms' : '';
    cells.set(p.id, { state, latency });
    frag.appendChild(row);
  }
  list.appendChild(frag);
  requestAnimationFrame(() => { perf.pairsRenderedAt = performance.now(); performance.mark('pairs-rendered'); });
}

function apply(events) {
  const start = performance.now();
  for (const e of events) {
    const c = cells.get(e.pair);
    if (!c) continue;
    if (e.type === 'state') c.state.textContent = e.to;
    else if (e.type === 'check' && e.result.target === 'primary') c.latency.textContent = e.result.latencyMs + ' ms';
  }
  perf.flushes.push({ events: events.length, ms: performance.now() - start });
}

async function follow() {
  const res = await fetch('/api/events', auth);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\\n\\n')) >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = message.split('\\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\\n');
      if (data) apply(JSON.parse(data));
    }
  }
}

const RANGES = { '1h': 3600e3, '24h': 864e5, '7d': 6048e5, '30d': 2592e6 };
async function showTimeline(pair, range) {
  const to = Date.now();
  const from = to - RANGES[range];
  const history = await api('/api/pairs/' + pair + '/history?from=' + from + '&to=' + to);
  const start = performance.now();
  const canvas = document.getElementById('timeline');
  const width = canvas.clientWidth;
  canvas.width = width;
  canvas.height = 120;
  const ctx = canvas.getContext('2d');
  const failures = new Float64Array(width);
  const checks = new Float64Array(width);
  for (const m of history.minutes) {
    if (m.target !== 'primary') continue;
    const x = Math.floor(((Date.parse(m.minute) - from) / (to - from)) * width);
    if (x < 0 || x >= width) continue;
    checks[x] += m.checks;
    failures[x] += m.failures;
  }
  for (let x = 0; x < width; x++) {
    if (!checks[x]) continue;
    ctx.fillStyle = failures[x] ? '#c62828' : '#2e7d32';
    ctx.fillRect(x, 0, 1, 120);
  }
  perf.timelineDraws++;
  perf.timelineDrawMs = performance.now() - start;
  performance.measure('timeline-draw', { start, end: performance.now() });
}

let shown;
function route() {
  const match = /^#\\/pair\\/([^/]+)/.exec(location.hash);
  if (!match) return;
  shown = match[1];
  const ranges = document.getElementById('ranges');
  ranges.replaceChildren(...Object.keys(RANGES).map((key) => {
    const button = document.createElement('button');
    button.textContent = key;
    button.onclick = () => showTimeline(shown, key);
    return button;
  }));
  showTimeline(shown, '24h');
}
window.addEventListener('hashchange', route);
showPairs().then(follow);
`;

// The demo page's script: fires COUNT fetches at once at /delay?ms=DELAY (24 and 300 unless the
// page's query says n= and ms=), then draws their waterfall from the Resource Timing API and
// leaves the numbers for a test: window.syslabResults and <body data-done="1">.
// What to look at: over HTTP/1.1 a browser opens at most 6 connections to one host, so the bars
// come in steps of six; over h2 one connection carries every stream, and they run side by side.
'use strict';

// The parameters: the page's own query, else 24 fetches of 300 ms; axis=MS draws at least MS
// of time (two waterfalls side by side on one scale).
function parameters() {
  const query = new URLSearchParams(location.search);
  const count = Number(query.get('n')) || 24;
  const delay = Number(query.get('ms')) || 300;
  const axis = Number(query.get('axis')) || 0;
  return {count, delay, axis};
}

// Distinct URLs (a run id and an index), so that no fetch is served from a cache or merged.
function fetchUrls({count, delay}) {
  const run = Date.now().toString(36);
  return Array.from({length: count},
                    (_, i) => new URL(`/delay?ms=${delay}&run=${run}&fetch=${i}`, location.href).href);
}

// One fetch, its body read to the end; its status, or 0 when it failed.
async function fetchOne(url) {
  try {
    const response = await fetch(url, {cache: 'no-store'});
    await response.text();
    return response.status;
  } catch (error) {
    return 0;
  }
}

// The Resource Timing entry of each URL. An entry is queued when its response ends, which may be
// a moment after the fetch's promise settles: wait for all of them, up to a second.
async function timingEntries(urls) {
  const find = () => urls.map((url) => performance.getEntriesByName(url, 'resource').at(-1));
  for (let waited = 0; waited < 1000 && find().some((entry) => !entry); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return find();
}

// The most fetches in flight at once. A fetch is in flight from requestStart (sent on a
// connection) to responseEnd; the count is taken at the middle of each fetch, so the instant
// where one HTTP/1.1 connection hands over from one request to the next is not counted twice.
function maxInFlight(entries) {
  let most = 0;
  for (const entry of entries) {
    const middle = (entry.requestStart + entry.responseEnd) / 2;
    const inFlight = entries.filter((other) => other.requestStart <= middle &&
                                               middle < other.responseEnd).length;
    most = Math.max(most, inFlight);
  }
  return most;
}

// The waterfall: one row per fetch, on a common time axis from the first fetch's start.
function draw(entries, results, shortestAxis) {
  const origin = Math.min(...entries.map((e) => e.startTime));
  const end = Math.max(...entries.map((e) => e.responseEnd));
  const span = Math.max(end - origin, shortestAxis, 1);
  const percent = (time) => `${((time - origin) / span) * 100}%`;
  const width = (from, to) => `${(Math.max(to - from, 0) / span) * 100}%`;
  const kind = results.protocol === 'h2' ? 'h2' : 'http1';
  const waterfall = document.getElementById('waterfall');
  entries.forEach((entry, i) => {
    const row = document.createElement('div');
    row.className = 'row';
    row.innerHTML = `<span class="label">#${i + 1}</span><div class="lane">
      <div class="queued" style="left:${percent(entry.startTime)};width:${width(entry.startTime, entry.requestStart)}"></div>
      <div class="active ${kind}" style="left:${percent(entry.requestStart)};width:${width(entry.requestStart, entry.responseEnd)}"></div></div>`;
    waterfall.append(row);
  });
  const axis = document.getElementById('axis');
  const step = span > 1500 ? 500 : span > 600 ? 200 : 100;
  for (let t = 0; t <= span; t += step) {
    const tick = document.createElement('span');
    tick.className = 'tick';
    tick.style.left = `${(t / span) * 100}%`;
    tick.textContent = `${t} ms`;
    axis.append(tick);
  }
  document.getElementById('summary').innerHTML =
    `<span class="${kind}">${results.protocol}</span>: ${results.count} of ${results.fetched} ` +
    `fetches done, at most ${results.maxInFlight} in flight at once, ${Math.round(end - origin)} ` +
    'ms in all';
}

// How this script itself came. A 103 Early Hints with "Link: </waterfall.js>; rel=preload"
// (httpd --early-hints) lets the browser ask for it before the page's 200: Chromium marks such an
// entry's initiatorType "early-hints" (it honours a 103 over HTTP/2 only). A pushed script would
// show no request at all, but Chromium refuses push since version 106 (its SETTINGS say
// ENABLE_PUSH 0), so httpd --push sends it nothing: nghttp -a shows what a push looks like.
const scriptUrl = document.currentScript.src;
function scriptArrival() {
  const entry = performance.getEntriesByName(scriptUrl, 'resource').at(-1);
  if (!entry) return {how: 'unknown', text: 'waterfall.js: no timing entry'};
  const page = performance.getEntriesByType('navigation')[0];
  const early = entry.initiatorType === 'early-hints';
  const before = page && entry.requestStart > 0 && entry.requestStart < page.responseStart;
  const how = early ? 'early-hints' : entry.initiatorType;
  const when = page ? `${Math.round(entry.requestStart - page.responseStart)} ms after the page's ` +
      'first byte' : '';
  return {how, beforePage: Boolean(before),
          text: early ? `waterfall.js came by the 103's preload (initiatorType early-hints; asked ` +
                        `${before ? 'before' : 'as'} the page's 200 arrived)`
                      : `waterfall.js came as an ordinary ${entry.initiatorType} request, ${when}; ` +
                        'no 103 preload (httpd --early-hints; Chromium honours it over h2 only)'};
}

async function main() {
  const params = parameters();
  const urls = fetchUrls(params);
  performance.setResourceTimingBufferSize(Math.max(250, 2 * params.count));
  const statuses = await Promise.all(urls.map(fetchOne));
  const found = await timingEntries(urls);
  const entries = found.filter((entry, i) => entry && statuses[i] === 200);
  const protocols = [...new Set(entries.map((entry) => entry.nextHopProtocol))];
  window.syslabResults = {
    protocol: protocols.join(','),  // one name when every fetch took the same protocol
    fetched: urls.length,
    count: entries.length,          // the fetches that ended with a 200 and a timing entry
    maxInFlight: maxInFlight(entries),
    preload: scriptArrival().how,
    entries: entries.map((e) => ({name: e.name, startTime: e.startTime, requestStart: e.requestStart,
                                  responseEnd: e.responseEnd, nextHopProtocol: e.nextHopProtocol})),
  };
  if (entries.length > 0) draw(entries, window.syslabResults, params.axis);
  else document.getElementById('summary').textContent = 'no fetch succeeded';
  document.getElementById('arrival').textContent =
    scriptArrival().text + '. Server push: none here, whatever httpd does: Chromium turned it off ' +
    'in version 106 (SETTINGS_ENABLE_PUSH 0); try nghttp -v -a against httpd --push.';
  document.body.dataset.done = '1';
}

main();

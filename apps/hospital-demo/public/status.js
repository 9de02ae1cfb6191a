// The status page's only script: served from /status.js so that the page's CSP
// (script-src 'self', no inline script) allows it. Refreshes from /status.json every second.

(() => {
  const REFRESH_MS = 1000;
  const STATE_TEXT = { closed: 'closed', open: 'open', halfOpen: 'half-open' };

  function cell(row, text, className) {
    const td = document.createElement('td');
    const span = document.createElement('span');
    span.textContent = text;
    if (className) span.className = className;
    td.appendChild(span);
    row.appendChild(td);
  }

  function seconds(ms) {
    return ms > 0 ? `${(ms / 1000).toFixed(1)} s` : '-';
  }

  function render(s) {
    document.getElementById('meta').textContent =
      `worker ${s.worker} · state ${s.sharedState ? 'shared through Redis' : 'in this process only'} · updated ${new Date(s.time).toLocaleTimeString()}`;

    const breakers = document.getElementById('breakers');
    breakers.replaceChildren();
    for (const b of s.breakers) {
      const tr = document.createElement('tr');
      tr.dataset.breaker = b.name;
      cell(tr, b.name);
      cell(tr, STATE_TEXT[b.state] || b.state, `state state-${b.state}`);
      cell(tr, `${b.failures} / ${b.failureThreshold}`);
      cell(tr, seconds(b.nextProbeInMs));
      cell(tr, b.storage);
      breakers.appendChild(tr);
    }

    const limits = document.getElementById('limits');
    limits.replaceChildren();
    const add = (term, value) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      limits.append(dt, dd);
    };
    add(
      'outbound (to the registry)',
      `${s.outbound.usedInWindow} of ${s.outbound.limit} per ${s.outbound.windowMs} ms used`,
    );
    add('outbound waits refused', String(s.outbound.refused));
    add(
      'inbound',
      `${s.inbound.limit} per ${s.inbound.windowMs} ms per client; ${s.inbound.rejected} refused (429)`,
    );

    document.getElementById('retries-total').textContent = `${s.retries.total} retries since start`;
    const retries = document.getElementById('retries');
    retries.replaceChildren();
    for (const r of s.retries.recent) {
      const tr = document.createElement('tr');
      cell(tr, new Date(r.at).toLocaleTimeString());
      cell(tr, r.endpoint);
      cell(tr, String(r.attempt));
      cell(tr, `${r.delayMs} ms`);
      cell(tr, r.reason);
      retries.appendChild(tr);
    }
  }

  async function refresh() {
    const error = document.getElementById('error');
    try {
      const res = await fetch('/status.json', { headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      render(await res.json());
      error.textContent = '';
    } catch (err) {
      error.textContent = `could not refresh: ${err.message}`;
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }

  // The fleet and its charts: server-rendered HTML and SVG (no inline script or style in it),
  // swapped in every FLEET_MS. Parsed by DOMParser, so nothing in it runs.
  const FLEET_MS = 3000;
  async function refreshFleet() {
    try {
      const res = await fetch('/status/fleet', { headers: { accept: 'text/html' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const fresh = doc.getElementById('fleet-view');
      if (fresh) document.getElementById('fleet').replaceChildren(document.importNode(fresh, true));
    } catch (err) {
      document.getElementById('error').textContent = `could not refresh the fleet: ${err.message}`;
    } finally {
      setTimeout(refreshFleet, FLEET_MS);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    refresh();
    setTimeout(refreshFleet, FLEET_MS);
  });
})();

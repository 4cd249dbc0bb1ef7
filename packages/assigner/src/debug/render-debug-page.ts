/**
 * The Assigner's debug page (Dicer's `/debug` component "Dicer Assigner"): assigner information,
 * (with the preferred-assigner role, URI and record generation), then per target the key-space
 * picture, a table of pods (state, load, slice count), the state transfers in flight, the recent
 * generations with their reason, outcome and churn, and the effective config. Pure: snapshot in,
 * HTML out.
 *
 * @see store-ha.md §8
 */
import type { DebugGeneration, DebugPod, DebugPreferredAssigner, DebugSnapshot, DebugStateTransfer, DebugTarget } from './debug-snapshot.js';
import { escapeHtml } from './escape-html.js';
import { podColour, renderKeySpaceSvg } from './render-key-space.js';

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:13px}
th{background:#f4f4f4}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
section.target{border-top:2px solid #888;margin-top:1.5em}code{font-size:12px}`;

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function renderPods(pods: readonly DebugPod[]): string {
  if (pods.length === 0) return '<p>No pods yet.</p>';
  const rows = pods
    .map(
      (p) =>
        `<tr><td><span class="swatch" style="background:${podColour(p.address)}"></span>${escapeHtml(p.address)}</td>` +
        `<td><code>${escapeHtml(p.uuid)}</code></td><td>${escapeHtml(p.state)}</td><td>${escapeHtml(p.reported)}</td>` +
        `<td>${p.expiresInMs === undefined ? '' : `${Math.round(p.expiresInMs / 1000)} s`}</td>` +
        `<td>${p.load.toFixed(2)}</td><td>${p.sliceCount}</td></tr>`,
    )
    .join('');
  return `<table class="pods"><tr><th>pod</th><th>uuid</th><th>state</th><th>reported</th><th>expires in</th><th>load</th><th>slices</th></tr>${rows}</table>`;
}

function renderGenerations(generations: readonly DebugGeneration[], nowMs: number): string {
  if (generations.length === 0) return '<p>No generations yet.</p>';
  const rows = generations
    .map(
      (g) =>
        `<tr><td>${Math.round((nowMs - g.atMs) / 1000)} s ago</td><td>${escapeHtml(g.reason)}</td><td>${escapeHtml(g.outcome)}</td>` +
        `<td>${escapeHtml(g.generation ?? '')}</td><td>${g.slices}</td><td>${percent(g.churn.removal)}</td>` +
        `<td>${percent(g.churn.addition)}</td><td>${percent(g.churn.loadBalancing)}</td><td>${g.algorithmMs.toFixed(1)} ms</td></tr>`,
    )
    .join('');
  return (
    '<table class="generations"><tr><th>when</th><th>reason</th><th>outcome</th><th>generation</th><th>slices</th>' +
    `<th>churn: removal</th><th>addition</th><th>load balancing</th><th>algorithm</th></tr>${rows}</table>`
  );
}

function renderStateTransfers(transfers: readonly DebugStateTransfer[]): string {
  if (transfers.length === 0) return '<p>No state transfers in flight.</p>';
  const rows = transfers
    .map(
      (t) =>
        `<tr><td><code>${escapeHtml(t.slice)}</code></td><td>${escapeHtml(t.from)} → ${escapeHtml(t.to)}</td>` +
        `<td>${t.ageMs === undefined ? 'unknown' : `${Math.round(t.ageMs / 1000)} s`}</td><td>${t.id}</td></tr>`,
    )
    .join('');
  return `<table class="state-transfers"><tr><th>slice</th><th>from → to</th><th>age</th><th>id</th></tr>${rows}</table>`;
}

/** The "preferred assigner" line of the information table. */
export function renderPreferredAssigner(pa: DebugPreferredAssigner): string {
  if (pa.generation === undefined) return 'Preferred because preferred-assigner mode is disabled';
  const parts = [escapeHtml(pa.role), `preferred: ${pa.preferredUri === undefined ? 'none' : escapeHtml(pa.preferredUri)}`];
  parts.push(`PA generation: <code>${escapeHtml(pa.generation)}</code>`);
  return parts.join(' · ');
}

function renderConfig(config: DebugTarget['config']): string {
  const rows = Object.entries(config)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(String(v ?? ''))}</td></tr>`)
    .join('');
  return `<details><summary>Configuration</summary><table>${rows}</table></details>`;
}

/** One target's section. */
export function renderTargetSection(target: DebugTarget, nowMs: number): string {
  return (
    `<section class="target" id="${escapeHtml(target.target)}"><h2>${escapeHtml(target.target)}</h2>` +
    `<p>Generation: <code>${escapeHtml(target.generation ?? 'none')}</code>${target.isFrozen ? ' (frozen)' : ''} · ` +
    `${target.slices.length} slices · last watch ${Math.round(target.lastWatchAgoMs / 1000)} s ago</p>` +
    renderKeySpaceSvg(target) +
    `<h3>Pods</h3>${renderPods(target.pods)}<h3>State transfers in flight</h3>${renderStateTransfers(target.stateTransfers)}` +
    `<h3>Recent generations</h3>${renderGenerations(target.generations, nowMs)}` +
    `${renderConfig(target.config)}</section>`
  );
}

/** The whole debug page. */
export function renderDebugPage(snapshot: DebugSnapshot): string {
  const a = snapshot.assigner;
  const idle = snapshot.configuredTargets.filter((t) => !snapshot.targets.some((s) => s.name === t));
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>Dicer Assigner</title><style>${STYLE}</style></head><body>` +
    `<h1>Dicer Assigner</h1><h2>Assigner Information</h2><table><tr><td>gRPC address</td><td>${escapeHtml(a.grpcAddress)}</td></tr>` +
    `<tr><td>store incarnation</td><td>${escapeHtml(a.storeIncarnation)}</td></tr>` +
    `<tr><td>up for</td><td>${Math.round((a.nowMs - a.startedAtMs) / 1000)} s</td></tr>` +
    `<tr><td>preferred assigner</td><td>${renderPreferredAssigner(snapshot.preferredAssigner)}</td></tr></table>` +
    `<p><a href="/debug/json">JSON</a> · <a href="/metrics">metrics</a></p>` +
    `<p>Configured targets: ${snapshot.configuredTargets.map(escapeHtml).join(', ') || 'none'}` +
    `${idle.length > 0 ? ` (no generator yet: ${idle.map(escapeHtml).join(', ')})` : ''}</p>` +
    snapshot.targets.map((t) => renderTargetSection(t, a.nowMs)).join('') +
    '</body></html>'
  );
}

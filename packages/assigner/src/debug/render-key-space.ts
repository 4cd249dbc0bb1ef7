/**
 * The key-space picture of one target as SVG: the key space runs left to right, each slice is a
 * rectangle as wide as its key range, split vertically among its replicas, coloured by pod and
 * shaded by load density (load per unit of key space, relative to the densest slice). A legend
 * names each pod's colour. Pure: snapshot in, markup out.
 */
import type { DebugTarget } from './debug-snapshot.js';
import { escapeHtml } from './escape-html.js';

/** Width of the picture in SVG units. */
export const KEY_SPACE_WIDTH = 1000;
/** Height of the slice band. */
export const KEY_SPACE_HEIGHT = 80;

/** A stable colour for a pod: the hue comes from a hash of its address. */
export function podColour(address: string): string {
  let h = 2166136261;
  for (let i = 0; i < address.length; i++) {
    h ^= address.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  const hue = (h >>> 0) % 360;
  return `hsl(${hue}, 65%, 45%)`;
}

/** The SVG of `target`'s latest assignment (an empty band when there is none). */
export function renderKeySpaceSvg(target: DebugTarget): string {
  const pods = [...new Set(target.slices.flatMap((s) => s.resources))].sort();
  const densities = target.slices.map((s) => (s.load === undefined || s.end <= s.start ? 0 : s.load / (s.end - s.start)));
  const maxDensity = Math.max(0, ...densities);
  const legendRows = Math.ceil(pods.length / 3);
  const height = KEY_SPACE_HEIGHT + 24 + legendRows * 18;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="key-space" width="${KEY_SPACE_WIDTH}" height="${height}" viewBox="0 0 ${KEY_SPACE_WIDTH} ${height}" role="img" aria-label="key space of ${escapeHtml(target.target)}">`,
    `<rect x="0" y="0" width="${KEY_SPACE_WIDTH}" height="${KEY_SPACE_HEIGHT}" fill="#eee"/>`,
  ];
  target.slices.forEach((s, i) => {
    const x = s.start * KEY_SPACE_WIDTH;
    const w = Math.max((s.end - s.start) * KEY_SPACE_WIDTH, 0.5);
    const replicaHeight = KEY_SPACE_HEIGHT / Math.max(1, s.resources.length);
    const shade = maxDensity > 0 ? 0.35 + 0.65 * ((densities[i] ?? 0) / maxDensity) : 1;
    s.resources.forEach((r, j) => {
      const title = `${s.slice} → ${r}${s.load === undefined ? '' : ` (load ${s.load.toFixed(2)})`}`;
      parts.push(
        `<rect class="slice" data-pod="${escapeHtml(r)}" x="${x.toFixed(3)}" y="${(j * replicaHeight).toFixed(3)}" width="${w.toFixed(3)}" height="${replicaHeight.toFixed(3)}" fill="${podColour(r)}" fill-opacity="${shade.toFixed(3)}"><title>${escapeHtml(title)}</title></rect>`,
      );
    });
  });
  parts.push(`<text x="0" y="${KEY_SPACE_HEIGHT + 14}" font-size="11">""</text>`);
  parts.push(`<text x="${KEY_SPACE_WIDTH}" y="${KEY_SPACE_HEIGHT + 14}" font-size="11" text-anchor="end">∞</text>`);
  pods.forEach((pod, i) => {
    const x = (i % 3) * (KEY_SPACE_WIDTH / 3);
    const y = KEY_SPACE_HEIGHT + 24 + Math.floor(i / 3) * 18;
    parts.push(
      `<g class="legend" data-pod="${escapeHtml(pod)}"><rect x="${x}" y="${y}" width="12" height="12" fill="${podColour(pod)}"/><text x="${x + 16}" y="${y + 10}" font-size="11">${escapeHtml(pod)}</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

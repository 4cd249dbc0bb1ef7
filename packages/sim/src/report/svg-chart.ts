/** A named line of a chart; `null` y values leave a gap. */
export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number | null])[];
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  readonly xLabel: string;
  readonly yLabel: string;
  /** Draw markers at each point, and label them with these texts (one per point, per series). */
  readonly pointLabels?: readonly (readonly string[])[];
  /** @default false: lines join the points */
  readonly markersOnly?: boolean;
  /** @default 760 */
  readonly width?: number;
  /** @default 280 */
  readonly height?: number;
  /** Lowest y shown; @default the data's minimum (0 if all data are ≥ 0 and the min is small). */
  readonly yMin?: number;
}

/** A colour-blind-friendly palette (Okabe–Ito, then Tableau), cycled. */
export const PALETTE: readonly string[] = [
  '#0072b2', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9', '#f0e442', '#000000',
  '#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#9c755f', '#76b7b2', '#edc948', '#ff9da7',
];

/** Escapes text for SVG and HTML. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About five round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(4)).toString();
}

/**
 * An inline SVG line (or marker) chart with axes, ticks, a legend and a title. Pure: data in,
 * markup out; it needs no script or stylesheet to display.
 */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 280;
  const m = { left: 60, right: 170, top: 30, bottom: 42 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of options.series) {
    for (const [x, y] of s.points) {
      xs.push(x);
      if (y !== null && Number.isFinite(y)) ys.push(y);
    }
  }
  let xMin = xs.length === 0 ? 0 : Math.min(...xs);
  let xMax = xs.length === 0 ? 1 : Math.max(...xs);
  if (xMax === xMin) {
    xMin -= 1;
    xMax += 1;
  }
  let yMin = options.yMin ?? (ys.length === 0 ? 0 : Math.min(...ys));
  let yMax = ys.length === 0 ? 1 : Math.max(...ys);
  if (options.yMin === undefined && yMin >= 0 && yMin < yMax * 0.3) yMin = 0;
  if (yMax === yMin) {
    yMax += Math.abs(yMax) * 0.1 || 1;
    yMin -= options.yMin === undefined ? Math.abs(yMin) * 0.1 : 0;
  }
  const padY = (yMax - yMin) * 0.05;
  yMax += padY;
  if (options.markersOnly === true) {
    const padX = (xMax - xMin) * 0.05;
    xMin -= padX;
    xMax += padX;
  }
  const sx = (x: number): number => m.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number): number => m.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${m.left}" y="18" font-size="14" font-weight="bold" font-family="sans-serif">${escapeXml(options.title)}</text>`,
  );
  for (const t of niceTicks(yMin, yMax)) {
    const y = sy(t).toFixed(1);
    parts.push(
      `<line x1="${m.left}" x2="${m.left + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${y}" font-size="11" font-family="sans-serif" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`,
    );
  }
  for (const t of niceTicks(xMin, xMax, 8)) {
    const x = sx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${m.top + plotH}" y2="${m.top + plotH + 4}" stroke="#333"/>`,
      `<text x="${x}" y="${m.top + plotH + 16}" font-size="11" font-family="sans-serif" text-anchor="middle">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + plotH}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left + plotW}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#333"/>`,
    `<text x="${m.left + plotW / 2}" y="${height - 6}" font-size="12" font-family="sans-serif" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text x="14" y="${m.top + plotH / 2}" font-size="12" font-family="sans-serif" text-anchor="middle" transform="rotate(-90 14 ${m.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`,
  );
  options.series.forEach((s, si) => {
    const cls = `series series-${si}`;
    if (options.markersOnly !== true) {
      let d = '';
      let pen = false;
      for (const [x, y] of s.points) {
        if (y === null || !Number.isFinite(y)) {
          pen = false;
          continue;
        }
        d += `${pen ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
        pen = true;
      }
      if (d !== '') parts.push(`<path class="${cls}" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"><title>${escapeXml(s.name)}</title></path>`);
    }
    const labels = options.pointLabels?.[si];
    if (options.markersOnly === true || labels !== undefined) {
      s.points.forEach(([x, y], pi) => {
        if (y === null || !Number.isFinite(y)) return;
        const label = labels?.[pi];
        parts.push(
          `<circle class="${cls}" cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="4" fill="${s.color}"><title>${escapeXml(`${s.name}${label === undefined ? '' : ` ${label}`}: (${fmt(x)}, ${fmt(y)})`)}</title></circle>`,
        );
        if (label !== undefined) {
          parts.push(`<text x="${(sx(x) + 6).toFixed(1)}" y="${(sy(y) - 6).toFixed(1)}" font-size="10" font-family="sans-serif">${escapeXml(label)}</text>`);
        }
      });
    }
  });
  const legendRows = Math.floor((plotH + 20) / 16);
  options.series.slice(0, legendRows).forEach((s, i) => {
    const y = m.top + i * 16;
    const x = m.left + plotW + 14;
    parts.push(
      `<rect x="${x}" y="${y}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${x + 14}" y="${y + 9}" font-size="11" font-family="sans-serif">${escapeXml(s.name)}</text>`,
    );
  });
  if (options.series.length > legendRows) {
    parts.push(`<text x="${m.left + plotW + 14}" y="${m.top + legendRows * 16 + 9}" font-size="11" font-family="sans-serif">+${options.series.length - legendRows} more</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** Options of {@link barChart}. */
export interface BarChartOptions {
  readonly title: string;
  readonly categories: readonly string[];
  readonly groups: readonly { readonly name: string; readonly color: string; readonly values: readonly number[] }[];
  readonly yLabel: string;
  /** @default 760 */
  readonly width?: number;
  /** @default 290 */
  readonly height?: number;
}

/** An inline SVG grouped bar chart: one cluster per category, one bar per group. */
export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 290;
  const m = { left: 60, right: 170, top: 30, bottom: 70 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const all = options.groups.flatMap((g) => g.values).filter((v) => Number.isFinite(v));
  const yMax = Math.max(1e-9, ...all) * 1.1;
  const sy = (y: number): number => m.top + plotH - (y / yMax) * plotH;
  const cluster = plotW / Math.max(1, options.categories.length);
  const barW = (cluster * 0.8) / Math.max(1, options.groups.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${m.left}" y="18" font-size="14" font-weight="bold" font-family="sans-serif">${escapeXml(options.title)}</text>`,
  ];
  for (const t of niceTicks(0, yMax)) {
    const y = sy(t).toFixed(1);
    parts.push(
      `<line x1="${m.left}" x2="${m.left + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${y}" font-size="11" font-family="sans-serif" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`,
    );
  }
  options.categories.forEach((c, ci) => {
    const x0 = m.left + ci * cluster + cluster * 0.1;
    options.groups.forEach((g, gi) => {
      const v = g.values[ci] ?? 0;
      const y = sy(Math.max(0, v));
      parts.push(
        `<rect class="bar" x="${(x0 + gi * barW).toFixed(1)}" y="${y.toFixed(1)}" width="${(barW * 0.9).toFixed(1)}" height="${(m.top + plotH - y).toFixed(1)}" fill="${g.color}"><title>${escapeXml(`${c} ${g.name}: ${fmt(v)}`)}</title></rect>`,
      );
    });
    const lx = (x0 + cluster * 0.4).toFixed(1);
    const ly = m.top + plotH + 14;
    parts.push(`<text x="${lx}" y="${ly}" font-size="11" font-family="sans-serif" text-anchor="end" transform="rotate(-25 ${lx} ${ly})">${escapeXml(c)}</text>`);
  });
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + plotH}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left + plotW}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#333"/>`,
    `<text x="14" y="${m.top + plotH / 2}" font-size="12" font-family="sans-serif" text-anchor="middle" transform="rotate(-90 14 ${m.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`,
  );
  options.groups.forEach((g, i) => {
    const y = m.top + i * 16;
    const x = m.left + plotW + 14;
    parts.push(
      `<rect x="${x}" y="${y}" width="10" height="10" fill="${g.color}"/>`,
      `<text x="${x + 14}" y="${y + 9}" font-size="11" font-family="sans-serif">${escapeXml(g.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

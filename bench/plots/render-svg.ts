// Renders a vega-lite specification to SVG text in Node: vega-lite compiles it to a vega
// specification, a headless vega View (renderer 'none': no browser, no canvas) lays it out and
// serialises the scene graph. Without a canvas, vega estimates text widths from the font size,
// so the layout does not depend on the fonts installed: the same spec gives the same bytes on
// every machine, which keeps committed plots stable across re-runs of the report.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { textWidth } from './text-width.js';

export type { TopLevelSpec };

// vega measures text with a canvas when the optional `canvas` package is installed and otherwise
// guesses 0.8 em per character, which is half again too wide for Helvetica and makes labels
// truncate early. Both would make the SVG depend on the machine; a fixed per-character table
// (text-width.ts) keeps it identical everywhere and close to what a viewer draws. vega looks the
// function up on this shared object each time (vl-convert replaces it the same way), but its
// type declarations do not list it.
const metrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
metrics.width = (item, text) => {
  const width = textWidth(String(text ?? '').trim(), item.fontSize != null ? Number(item.fontSize) || 0 : 11, String(item.fontWeight ?? ''));
  // With a label limit, vega's own truncation asks whether `width < limit`: capping at the limit
  // keeps that test right and keeps the bounds of truncated labels at the limit.
  const limit = Number(item.limit) || 0;
  return limit > 0 ? Math.min(width, limit) : width;
};

interface TextItem {
  fontSize?: number | string | null;
  fontWeight?: number | string | null;
  limit?: number | string | null;
}

/** Raised when a spec does not compile or render; names the chart so the suite can be found. */
export class PlotError extends Error {
  override name = 'PlotError';
}

/**
 * SVG text of a vega-lite spec. Deterministic: no timestamps, no random ids; the only ids vega
 * writes (clip paths, gradients) come from counters that restart per View, and are renumbered
 * below in order of appearance in case a future vega version makes them global.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  let vgSpec;
  try {
    // Warnings (e.g. a log scale that drops zero values) go nowhere: builders handle those cases
    // themselves and say so in the chart.
    vgSpec = compile(spec, { logger: silentLogger() }).spec;
  } catch (err) {
    throw new PlotError(`vega-lite spec ${describe(spec)}: does not compile (${(err as Error).message})`);
  }
  vega.resetSVGDefIds();
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logLevel: 0 });
  try {
    const svg = await view.toSVG();
    return renumberIds(svg) + (svg.endsWith('\n') ? '' : '\n');
  } catch (err) {
    throw new PlotError(`vega-lite spec ${describe(spec)}: does not render (${(err as Error).message})`);
  } finally {
    view.finalize();
  }
}

function describe(spec: TopLevelSpec): string {
  const title = (spec as { title?: unknown }).title;
  const text = typeof title === 'string' ? title : typeof title === 'object' && title !== null ? (title as { text?: unknown }).text : undefined;
  return typeof text === 'string' ? JSON.stringify(text) : '(untitled)';
}

/** Renames every id="…" (and its url(#…)/href references) to p1, p2, … in order of first appearance. */
function renumberIds(svg: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\bid="([^"]+)"/g)) {
    if (!ids.has(m[1]!)) ids.set(m[1]!, `p${ids.size + 1}`);
  }
  if (ids.size === 0) return svg;
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${ids.get(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => (ids.has(id) ? `url(#${ids.get(id)})` : whole))
    .replace(/href="#([^"]+)"/g, (whole, id: string) => (ids.has(id) ? `href="#${ids.get(id)}"` : whole));
}

function silentLogger() {
  let level = 0;
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error() {
      return logger;
    },
    warn() {
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

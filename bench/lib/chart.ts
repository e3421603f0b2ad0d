// The TS/Go ratio chart, written as SVG by hand: one bar per figure measured on both sides, parity at 1.0 and each
// figure's goal marked.
import type { Metric } from "./context.ts";
import { goalState, ratioOf } from "./format.ts";

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function ratioChart(metrics: Metric[], subtitle: string): string {
  const rows = metrics.filter((m) => m.kind === "ratio" && ratioOf(m) !== undefined);
  const labelW = 480;
  const plotW = 420;
  const rowH = 22;
  const top = 56;
  const width = labelW + plotW + 70;
  const height = top + rows.length * rowH + 40;
  const maxRatio = Math.max(2, ...rows.map((m) => Math.min(ratioOf(m)!, 8)), ...rows.map((m) => m.goal ?? 0));
  const scaleMax = Math.ceil(maxRatio * 2) / 2;
  const x = (r: number) => labelW + (Math.min(r, scaleMax) / scaleMax) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="10" y="20" font-size="15" font-weight="bold">operator-ts / Go controller-runtime (TS ÷ Go, lower is better)</text>`);
  out.push(`<text x="10" y="38" fill="#555">${esc(subtitle)}</text>`);
  for (let t = 0; t <= scaleMax + 1e-9; t += 0.5) {
    const gx = x(t);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + rows.length * rowH}" stroke="${t === 1 ? "#333" : "#e3e3e3"}" stroke-width="${t === 1 ? 1.5 : 1}"/>`);
    out.push(`<text x="${gx}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${t.toFixed(1)}</text>`);
  }
  rows.forEach((m, i) => {
    const y = top + i * rowH;
    const r = ratioOf(m)!;
    const state = goalState(m);
    const color = state === "met" ? "#3a9d5d" : state === "missed" ? "#d0473f" : r <= 1 ? "#8fbfa0" : "#b9b9b9";
    out.push(`<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(m.label.length > 72 ? `${m.label.slice(0, 69)}...` : m.label)}</text>`);
    out.push(`<rect x="${labelW}" y="${y + 4}" width="${Math.max(1, x(r) - labelW)}" height="${rowH - 8}" fill="${color}"/>`);
    if (m.goal !== undefined) {
      const gx = x(m.goal);
      out.push(`<line x1="${gx}" y1="${y + 1}" x2="${gx}" y2="${y + rowH - 1}" stroke="#1f4e9c" stroke-width="2"/>`);
    }
    out.push(`<text x="${Math.min(x(r), labelW + plotW) + 4}" y="${y + 15}" fill="#222">${r > scaleMax ? `${r.toFixed(2)} ›` : r.toFixed(2)}</text>`);
  });
  const ly = height - 8;
  out.push(`<rect x="10" y="${ly - 9}" width="10" height="10" fill="#3a9d5d"/><text x="24" y="${ly}">goal met</text>`);
  out.push(`<rect x="90" y="${ly - 9}" width="10" height="10" fill="#d0473f"/><text x="104" y="${ly}">goal missed</text>`);
  out.push(`<rect x="185" y="${ly - 9}" width="10" height="10" fill="#b9b9b9"/><text x="199" y="${ly}">no goal</text>`);
  out.push(`<line x1="260" y1="${ly - 10}" x2="260" y2="${ly + 1}" stroke="#1f4e9c" stroke-width="2"/><text x="266" y="${ly}">goal</text>`);
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}

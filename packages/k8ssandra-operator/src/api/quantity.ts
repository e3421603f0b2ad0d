const BINARY_SUFFIXES: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIXES: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity ("256Mi", "1G", "1e9", 268435456) in whole units, rounded up as Quantity.Value() does. */
export function quantityValue(q: number | string): number {
  if (typeof q === "number") return Math.ceil(q);
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/.exec(q.trim());
  if (!m) throw new Error(`"${q}" is not a quantity`);
  const base = Number(m[1]);
  const factor = m[3] !== undefined ? 10 ** Number(m[3]) : (BINARY_SUFFIXES[m[2] ?? ""] ?? DECIMAL_SUFFIXES[m[2] ?? ""] ?? 1);
  return Math.ceil(base * factor);
}

/** Bytes as the API server would print them: the largest binary suffix that divides them. */
export function bytesQuantity(n: number): string {
  for (const [suffix, factor] of Object.entries(BINARY_SUFFIXES).reverse()) if (n % factor === 0) return `${n / factor}${suffix}`;
  return String(n);
}

// Migration versions compare by their numeric parts: "20240101120000" < "20240102000000",
// "2019-05-02-051656" (diesel) and "1.10" > "1.9" (Flyway).

export function compareVersions(a: string, b: string): number {
  const pa = numericParts(a);
  const pb = numericParts(b);
  // Timestamps written with and without separators compare as one number.
  if (pa.length !== pb.length && /^\d{4}-\d{2}-\d{2}/.test(a) !== /^\d{4}-\d{2}-\d{2}/.test(b)) {
    return compareDigits(a.replace(/\D/g, ''), b.replace(/\D/g, ''));
  }
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const c = compareDigits(pa[i] ?? '0', pb[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

function numericParts(v: string): string[] {
  return v.match(/\d+/g) ?? [];
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Whether `version` is at or before `baseline`. A baseline written as a shorter timestamp than the
 * version (a date, `20240102` or `2024-01-02`, against `20240102093000`) covers the whole of that
 * period: the version's leading digits are compared with it. Compared as numbers, every timestamp of
 * that day would be after it, and the baseline would keep nothing quiet.
 */
export function atOrBeforeBaseline(version: string, baseline: string): boolean {
  const v = version.replace(/\D/g, '');
  const b = baseline.replace(/\D/g, '');
  if (TIMESTAMP.test(version) && TIMESTAMP.test(baseline) && b.length >= 8 && b.length < v.length) {
    return compareDigits(v.slice(0, b.length), b) <= 0;
  }
  return compareVersions(version, baseline) <= 0;
}

/** A timestamp version: a year 1970-2999 first, with or without separators (dbmate, diesel, goose -t). */
const TIMESTAMP = /^(?:19[7-9]\d|2\d{3})(?:-?\d{2}){2}/;

// Reads HdrHistogram's percentile-distribution text (.hgrm), the format LatencyHistogram.toHgrm()
// and HdrHistogram's outputPercentileDistribution write:
//
//          Value     Percentile TotalCount 1/(1-Percentile)
//
//          1.013 0.000000000000          1           1.00
//        100.031 0.100000000000        100           1.11
//        ...
//       1000.447 1.000000000000       1000
//   #[Mean    =      500.540, StdDeviation   =      288.671]
//   #[Max     =     1000.447, Total count    =         1000]
//   #[Buckets =           32, SubBuckets     =         2048]
//
// The last row has no 1/(1-Percentile) (it would be infinite; Java prints nothing or "Infinity").
// The CSV variant ("Value","Percentile","TotalCount","1/(1-Percentile)" then comma-separated rows)
// is read too. Values are in the unit the writer scaled to: repath writes microseconds.

export interface HgrmPoint {
  /** Latency at this percentile, in the file's unit (microseconds for repath's files). */
  valueUs: number;
  /** Cumulative fraction of samples at or below `valueUs`, 0..1 (the column HdrHistogram calls Percentile). */
  percentile: number;
  /** Samples at or below `valueUs`. */
  totalCount: number;
}

export interface Hgrm {
  /** Rows in file order: values and percentiles never decrease. */
  points: HgrmPoint[];
  /** From the footer; the last row's TotalCount when the footer is absent; 0 for an empty histogram. */
  totalCount: number;
  mean: number | undefined;
  stdDeviation: number | undefined;
  max: number | undefined;
}

export class HgrmError extends Error {
  override name = 'HgrmError';
}

/** Parses .hgrm text; throws HgrmError naming the line and the offending field on malformed input. */
export function parseHgrm(text: string): Hgrm {
  const lines = text.split(/\r?\n/);
  const points: HgrmPoint[] = [];
  let sawHeader = false;
  let footerTotal: number | undefined;
  let mean: number | undefined;
  let stdDeviation: number | undefined;
  let max: number | undefined;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const where = `hgrm line ${i + 1}`;
    if (line === '') continue;
    if (line.startsWith('#')) {
      for (const m of line.matchAll(/([A-Za-z][A-Za-z ]*?)\s*=\s*([^,\]]+)/g)) {
        const key = m[1]!.trim().toLowerCase();
        const value = Number(m[2]!.trim());
        if (key === 'mean') mean = value;
        else if (key === 'stddeviation') stdDeviation = value;
        else if (key === 'max') max = value;
        else if (key === 'total count') footerTotal = value;
      }
      continue;
    }
    if (!sawHeader) {
      if (!/^"?Value"?[\s,]+"?Percentile"?[\s,]+"?TotalCount"?/.test(line)) {
        throw new HgrmError(`${where}: expected the header "Value Percentile TotalCount 1/(1-Percentile)", got ${JSON.stringify(line)}`);
      }
      sawHeader = true;
      continue;
    }
    const fields = line.split(line.includes(',') ? /\s*,\s*/ : /\s+/);
    if (fields.length < 3 || fields.length > 4) {
      throw new HgrmError(`${where}: expected 3 or 4 columns (Value, Percentile, TotalCount[, 1/(1-Percentile)]), got ${fields.length}: ${JSON.stringify(line)}`);
    }
    const valueUs = Number(fields[0]);
    const percentile = Number(fields[1]);
    const totalCount = Number(fields[2]);
    if (!Number.isFinite(valueUs) || valueUs < 0) throw new HgrmError(`${where}: Value ${JSON.stringify(fields[0])} is not a number >= 0`);
    if (!(percentile >= 0 && percentile <= 1)) throw new HgrmError(`${where}: Percentile ${JSON.stringify(fields[1])} is not a fraction in [0, 1]`);
    if (!Number.isInteger(totalCount) || totalCount < 0) throw new HgrmError(`${where}: TotalCount ${JSON.stringify(fields[2])} is not an integer >= 0`);
    const prev = points[points.length - 1];
    if (prev !== undefined && (valueUs < prev.valueUs || percentile < prev.percentile || totalCount < prev.totalCount)) {
      throw new HgrmError(`${where}: row ${JSON.stringify(line)} decreases after Value ${prev.valueUs}, Percentile ${prev.percentile}, TotalCount ${prev.totalCount}`);
    }
    points.push({ valueUs, percentile, totalCount });
  }
  if (!sawHeader) throw new HgrmError('hgrm: no "Value Percentile TotalCount" header: not a percentile distribution');
  const totalCount = footerTotal ?? points[points.length - 1]?.totalCount ?? 0;
  return { points, totalCount, mean, stdDeviation, max };
}

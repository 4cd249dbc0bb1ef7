/**
 * Build labels parsed from a Databricks-style branch/version string
 * (`service_<yyyy-MM-dd_HH.mm.ssZ>_<branch>_<hash8>_<n>`), as Databricks' `BuildInfo.parseClientVersion`.
 * Only used for metric labels; anything unparseable becomes `unknown`.
 */

/** Label value used for every part that cannot be parsed. */
export const UNKNOWN_BUILD_LABEL = 'unknown';

/** Parsed build information. */
export interface BuildInfo {
  /** The branch, when the string matched at all. */
  readonly branchName: string | undefined;
  readonly branchNameLabelValue: string;
  readonly commitTimeLabelValue: string;
  /** Commit time, epoch ms; 0 when unknown. */
  readonly commitTimeEpochMs: bigint;
  readonly commitHashLabelValue: string;
}

const VERSION_PATTERN = /(\d{4}-\d{2}-\d{2}_\d{2}\.\d{2}\.\d{2}Z)_(.*?)_([a-z0-9]{8})_\d+$/;
const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})_(\d{2})\.(\d{2})\.(\d{2})Z$/;

/** Parses a version string; never throws. */
export function parseBuildInfo(version: string): BuildInfo {
  const match = VERSION_PATTERN.exec(version);
  if (match === null) {
    return {
      branchName: undefined,
      branchNameLabelValue: UNKNOWN_BUILD_LABEL,
      commitTimeLabelValue: UNKNOWN_BUILD_LABEL,
      commitTimeEpochMs: 0n,
      commitHashLabelValue: UNKNOWN_BUILD_LABEL,
    };
  }
  const [, time, branch, hash] = match as unknown as [string, string, string, string];
  const epochMs = parseCommitTime(time);
  return {
    branchName: branch,
    branchNameLabelValue: branch,
    commitTimeLabelValue: epochMs === undefined ? UNKNOWN_BUILD_LABEL : time,
    commitTimeEpochMs: epochMs ?? 0n,
    commitHashLabelValue: hash,
  };
}

/** `yyyy-MM-dd_HH.mm.ssX` in UTC; undefined for out-of-range fields (Java rejects them too). */
function parseCommitTime(text: string): bigint | undefined {
  const m = TIME_PATTERN.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  return BigInt(Date.UTC(year, month - 1, day, hour, minute, second));
}

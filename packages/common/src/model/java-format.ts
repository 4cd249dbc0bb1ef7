/**
 * Java-compatible renderings of values that appear inside Dicer's messages (`Instant.toString`,
 * `Double.toString`), so that our error texts and debug strings match Dicer's byte for byte.
 *
 * @see protocol.md §2.1, §8 item 16
 */

const MS_PER_DAY = 86_400_000n;

/**
 * Formats epoch milliseconds the way Java's `Instant.toString` does: ISO-8601 UTC, seconds always
 * shown, no fraction when the millisecond part is 0 and otherwise exactly three digits
 * (`1970-01-01T00:00:00Z`, `1970-01-01T00:00:00.042Z`); years above 9999 carry a `+` sign.
 * JavaScript's `toISOString` differs (always `.000Z`, and a limited range), hence this.
 */
export function formatJavaInstant(epochMs: bigint): string {
  let days = epochMs / MS_PER_DAY;
  let msOfDay = epochMs % MS_PER_DAY;
  if (msOfDay < 0n) {
    msOfDay += MS_PER_DAY;
    days -= 1n;
  }
  const { year, month, day } = civilFromDays(Number(days));
  const ms = Number(msOfDay);
  const hh = Math.floor(ms / 3_600_000);
  const mm = Math.floor(ms / 60_000) % 60;
  const ss = Math.floor(ms / 1000) % 60;
  const frac = ms % 1000;
  let yearText: string;
  if (year > 9999) yearText = `+${year}`;
  else if (year < 0) yearText = `-${String(-year).padStart(4, '0')}`;
  else yearText = String(year).padStart(4, '0');
  const time = `${pad2(hh)}:${pad2(mm)}:${pad2(ss)}${frac === 0 ? '' : `.${String(frac).padStart(3, '0')}`}`;
  return `${yearText}-${pad2(month)}-${pad2(day)}T${time}Z`;
}

/** Java's `Double.toString` for the values our messages print (`42.0`, `-1.0`, `NaN`, `Infinity`). */
export function formatJavaDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(value, -0)) return '-0.0';
  return Number.isInteger(value) && Math.abs(value) < 1e7 ? `${value}.0` : String(value);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`). */
function civilFromDays(daysSinceEpoch: number): { year: number; month: number; day: number } {
  const z = daysSinceEpoch + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

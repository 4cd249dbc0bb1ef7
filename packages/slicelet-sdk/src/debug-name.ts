/**
 * The Slicelet's `subscriber_debug_name`: `S<n>-<target>-<resource>`, where `<n>` comes from a
 * process-wide counter that goes up by one per Slicelet and `<resource>` is the host's first DNS
 * label when the whole host matches `[A-Za-z][^.]*\..*`, else the whole host (IPs stay whole).
 *
 * @see protocol.md §3.2; vectors `slicelet_test_data.json`; Dicer `SliceletImpl` debug name
 */
import type { Target } from '@dicer-ts/common';

let nextSliceletIndex = 0;

/** The resource part of the debug name for `host`. */
export function debugNameResource(host: string): string {
  return /^[A-Za-z][^.]*\..*$/s.test(host) ? host.slice(0, host.indexOf('.')) : host;
}

/** `S<index>-<target>-<resource>`. */
export function formatSliceletDebugName(index: number, target: Target, host: string): string {
  return `S${index}-${target.toString()}-${debugNameResource(host)}`;
}

/** The next Slicelet debug name of this process (the counter goes up by one per call). */
export function nextSliceletDebugName(target: Target, host: string): string {
  return formatSliceletDebugName(nextSliceletIndex++, target, host);
}

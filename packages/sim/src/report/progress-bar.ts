/** Where a progress bar writes: a stream with `write` (stderr in the CLI). */
export interface ProgressStream {
  write(text: string): unknown;
}

/**
 * A one-line progress bar redrawn in place with `\r`. It redraws at most once per whole percent
 * (so it costs nothing per simulated request) and clears its line when done.
 */
export class ProgressBar {
  private lastPercent = -1;
  private lastLabel = '';

  constructor(
    private readonly stream: ProgressStream,
    private readonly width = 30,
  ) {}

  /** Shows `fraction` (0..1) done, with a label (the policy being simulated). */
  update(fraction: number, label: string): void {
    const percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    if (percent === this.lastPercent && label === this.lastLabel) return;
    this.lastPercent = percent;
    this.lastLabel = label;
    const filled = Math.round((percent / 100) * this.width);
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${String(percent).padStart(3)}% ${label.padEnd(24).slice(0, 24)}`);
  }

  /** Clears the bar's line. */
  done(): void {
    if (this.lastPercent >= 0) this.stream.write(`\r${' '.repeat(this.width + 32)}\r`);
  }
}

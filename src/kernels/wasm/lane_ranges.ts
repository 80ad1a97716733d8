/*
 * What the lane commands queued since the last barrier read and wrote (lanes.ts), so that a new
 * split call runs in lanes only where no lane of it can touch memory that another lane's command
 * may not have finished with. Lane l of every split call covers the same part of each batch-split
 * operand: samples [⌊l·B/T⌋, ⌊(l+1)·B/T⌋) of B, that is bytes [start + ⌊l·B/T⌋·len/B, ...) of a
 * tensor of len bytes at start. Two split calls that see the same tensor (same start, same length)
 * therefore pair their lanes' parts exactly, and the previous command of a lane is all that lane
 * waits for. Anything else is refused, and the call then runs whole, as a barrier:
 * - a split operand that overlaps a tensor lanes touched without being exactly that tensor
 *   (another view: its parts would not pair);
 * - a split write to a tensor that a lane read whole (another lane may still be reading it);
 * - a whole read of a tensor that lanes wrote (another lane may still be writing it);
 * - any use of a reduce command's output (later lanes do not wait for reduce commands).
 */

interface Range {
  start: number;
  end: number;
  written: boolean;
  readWhole: boolean;
  reduced: boolean;
}

export class LaneRanges {
  private ranges: Range[] = [];

  clear(): void {
    this.ranges.length = 0;
  }

  /** Whether a split call may read `splitReads` and write `splitWrites` in parts, and read `wholeReads` whole. */
  admits(splitReads: readonly ArrayBufferView[], splitWrites: readonly ArrayBufferView[], wholeReads: readonly ArrayBufferView[]): boolean {
    for (const a of splitReads) if (!this.admitsSplit(a, false)) return false;
    for (const a of splitWrites) if (!this.admitsSplit(a, true)) return false;
    for (const a of wholeReads) {
      const start = a.byteOffset;
      const end = start + a.byteLength;
      for (const r of this.ranges) if (r.start < end && start < r.end && (r.written || r.reduced)) return false;
    }
    return true;
  }

  private admitsSplit(a: ArrayBufferView, write: boolean): boolean {
    const start = a.byteOffset;
    const end = start + a.byteLength;
    for (const r of this.ranges) {
      if (r.end <= start || end <= r.start) continue;
      if (r.start !== start || r.end !== end || r.reduced || (write && r.readWhole)) return false;
    }
    return true;
  }

  /** Records a split call that admits() accepted. */
  record(splitReads: readonly ArrayBufferView[], splitWrites: readonly ArrayBufferView[], wholeReads: readonly ArrayBufferView[]): void {
    for (const a of splitReads) this.entry(a);
    for (const a of splitWrites) this.entry(a).written = true;
    for (const a of wholeReads) this.entry(a).readWhole = true;
  }

  /** Records the output of a reduce command: no lane may touch it until the next barrier. */
  recordReduced(a: ArrayBufferView): void {
    this.entry(a).reduced = true;
  }

  private entry(a: ArrayBufferView): Range {
    const start = a.byteOffset;
    const end = start + a.byteLength;
    let r = this.ranges.find((x) => x.start === start && x.end === end);
    if (!r) {
      r = { start, end, written: false, readWhole: false, reduced: false };
      this.ranges.push(r);
    }
    return r;
  }
}

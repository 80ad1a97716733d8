/**
 * Live training curves drawn with uPlot: the training series gets a point per progress message
 * (Keras's running epoch mean), validation a point per epoch end. x is in epochs.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export class TrainingChart {
  private readonly xs: number[] = [];
  private readonly train: (number | null)[] = [];
  private readonly val: (number | null)[] = [];
  private readonly plot: uPlot;

  constructor(readonly root: HTMLElement, title: string, private readonly percent: boolean) {
    const fmt = (v: number | null) => (v === null ? '' : percent ? `${(v * 100).toFixed(1)}%` : v.toFixed(3));
    this.plot = new uPlot(
      {
        title,
        width: 420,
        height: 230,
        scales: { x: { time: false }, y: percent ? { range: (_u, lo, hi) => [Math.max(0, Math.min(lo, 0.5)), Math.min(1, Math.max(hi, 0.9))] } : {} },
        axes: [{ label: 'epoch' }, { values: (_u, ticks) => ticks.map((t) => (percent ? `${Math.round(t * 100)}%` : t.toFixed(2))), size: 56 }],
        series: [
          { label: 'epoch', value: (_u, v) => (v === null ? '' : v.toFixed(2)) },
          { label: 'train', stroke: '#2563eb', width: 2, value: (_u, v) => fmt(v) },
          { label: 'validation', stroke: '#f59e0b', width: 2, spanGaps: true, points: { show: true, size: 7, fill: '#f59e0b' }, value: (_u, v) => fmt(v) },
        ],
        legend: { live: false },
      },
      [[], [], []],
      root,
    );
    this.sync();
  }

  reset(): void {
    this.xs.length = 0;
    this.train.length = 0;
    this.val.length = 0;
    this.redraw();
  }

  addTrain(x: number, y: number): void {
    this.push(x, y, null);
  }

  addValidation(x: number, y: number): void {
    // Share the row of the epoch's last training point: uPlot ranges its scales over the rows of
    // the visible x window, and a second row at the same x would be left out.
    const last = this.xs.length - 1;
    if (last >= 0 && this.xs[last] === x && this.val[last] === null) {
      this.val[last] = y;
      this.redraw();
    } else {
      this.push(x, null, y);
    }
  }

  private push(x: number, train: number | null, val: number | null): void {
    this.xs.push(x);
    this.train.push(train);
    this.val.push(val);
    this.redraw();
  }

  private redraw(): void {
    this.plot.setData([this.xs, this.train, this.val] as uPlot.AlignedData);
    this.sync();
  }

  /** Point counts as attributes: what the end-to-end test watches while training runs. */
  private sync(): void {
    this.root.dataset.trainPoints = String(this.train.filter((v) => v !== null).length);
    this.root.dataset.valPoints = String(this.val.filter((v) => v !== null).length);
  }
}

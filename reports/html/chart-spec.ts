/**
 * What the page script draws: plain JSON, built by pure functions from
 * summaries and rendered in the browser by uPlot. Times on the x axis are
 * seconds (scenario time); `null` is a gap (nothing measured).
 */

/** How axis values and legend values are written. */
export type ValueFormat = 'count' | 'rate' | 'real-ms' | 'percent' | 'megabytes' | 'share-percent';

export interface ChartSeries {
  label: string;
  /** CSS colour of the line. */
  color: string;
  values: (number | null)[];
  /** The series' own x values (seconds), when it does not share the chart's (two runs on one axis). */
  x?: number[];
  /** Stacked areas draw cumulative `values`; the legend shows these instead. */
  legendValues?: (number | null)[];
  /** CSS colour of the area under the line. */
  fill?: string;
  /** Dash pattern in px, e.g. [6, 4] for a prediction. */
  dash?: number[];
  width?: number;
  /** Draw as steps (a CDF). */
  stepped?: boolean;
  /** Show a dot at each value (sparse data). */
  points?: boolean;
}

/** A time span on a scenario-time axis: a chaos event (inject to undo), or the backend not answering. */
export interface TimeBand {
  fromS: number;
  toS: number;
  label: string;
  /** `chaos`: a fault in effect; `unreachable`: the backend's metrics did not answer. */
  kind: 'chaos' | 'unreachable';
  /** Which run of a comparison it belongs to ('a' or 'b'); absent for a single run. */
  run?: 'a' | 'b';
  /** The fault was never undone within the recording. */
  open?: boolean;
}

/** A point in time on a scenario-time axis: a chaos note (e.g. "restarted"). */
export interface TimeMark {
  atS: number;
  label: string;
  run?: 'a' | 'b';
}

export interface ChartSpec {
  id: string;
  title: string;
  /** One line under the title: what is drawn, and units. */
  caption: string;
  /** `scenario-time`: seconds since the run's origin (or since the fault, in a comparison); `since-restore`: seconds since the backend was back. */
  xAxis: 'scenario-time' | 'since-fault' | 'since-restore';
  x: number[];
  series: ChartSeries[];
  yFormat: ValueFormat;
  yLabel: string;
  /** The x range to show at least, when series carry their own x (so every time chart of a page spans the same range). */
  xSpan?: [number, number];
  /** Logarithmic y axis (latencies that span decades). */
  yLog?: boolean;
  /** Fixed y range, e.g. [0, devices]. */
  yRange?: [number, number];
  heightPx?: number;
  bands: TimeBand[];
  marks: TimeMark[];
}

/** A chart that could not be drawn because the run did not measure it, and why. */
export interface MissingChart {
  id: string;
  title: string;
  reason: string;
}

export type ChartSlot = { kind: 'chart'; spec: ChartSpec } | { kind: 'missing'; missing: MissingChart };

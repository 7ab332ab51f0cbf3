// One import for suites that draw figures: build a spec from plain data, then render it or hand
// it to the report through BenchResult.plots ({ file, title, spec }).
export { renderSvg, PlotError, type TopLevelSpec } from './render-svg.js';
export {
  barChart,
  chartConfig,
  latencyCdf,
  seriesStyles,
  sensitivity,
  smMadsVsHosts,
  CHART_HEIGHT,
  CHART_WIDTH,
  FONT_FAMILY,
  type BarChartOptions,
  type CdfPoint,
  type ChartText,
  type LatencyCdfOptions,
  type LatencySeries,
  type SensitivityOptions,
  type SensitivityPoint,
  type SmMadsOptions,
  type SmMadsPoint,
} from './charts.js';
export { parseHgrm, HgrmError, type Hgrm, type HgrmPoint } from './hgrm.js';
export { splitRateColumn, throughputChart, throughputColumns, type ThroughputColumns } from './throughput-chart.js';

// Draws the charts of an aftershock report from the JSON embedded in the
// page (#aftershock-data), with uPlot (inlined before this script). Plain
// browser JavaScript: the page must open from disk, offline, with no build.
// window.aftershockReport exposes what was drawn, for tests and for people
// poking at a report in the browser console.
(() => {
  'use strict';
  const state = (window.aftershockReport = { charts: [], errors: [] });
  window.addEventListener('error', (event) => state.errors.push(String(event.message)));

  const data = JSON.parse(document.getElementById('aftershock-data').textContent);

  /** Seconds as people read durations: 0s, 950ms, 42.5s, 6m, 6m30s, 1h2m. */
  function duration(s) {
    if (s === 0) return '0s';
    const sign = s < 0 ? '-' : '';
    const a = Math.abs(s);
    if (a < 1) return sign + Math.round(a * 1000) + 'ms';
    if (a < 60) return sign + +a.toFixed(1) + 's';
    const total = Math.round(a);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const sec = total % 60;
    if (h > 0) return sign + h + 'h' + (m > 0 ? m + 'm' : '');
    return sign + m + 'm' + (sec > 0 ? sec + 's' : '');
  }

  const compact = (v) => {
    const a = Math.abs(v);
    if (a >= 1e6) return +(v / 1e6).toFixed(1) + 'M';
    if (a >= 1e4) return +(v / 1e3).toFixed(0) + 'k';
    if (a >= 1e3) return +(v / 1e3).toFixed(1) + 'k';
    return String(+v.toFixed(2));
  };

  /** Legend values, with units. */
  const formats = {
    count: (v) => Math.round(v).toLocaleString('en'),
    rate: (v) => (+v.toFixed(1)).toLocaleString('en') + '/s',
    'real-ms': (v) => (v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en')) + ' ms',
    percent: (v) => v.toFixed(1) + '%',
    megabytes: (v) => Math.round(v).toLocaleString('en') + ' MB',
    'share-percent': (v) => v.toFixed(1) + '%',
  };
  const show = (format, v) => (v === null || v === undefined ? '–' : formats[format](v));

  const xLabels = {
    'scenario-time': 'scenario time since the run started',
    'since-fault': 'scenario time since the fault',
    'since-restore': 'scenario time since the backend was back',
  };

  /** Chaos events and unreachable spans as labelled DOM bands over the plot (behind the cursor, above the canvas). */
  function bandsPlugin(spec) {
    const items = [];
    return {
      hooks: {
        init: (u) => {
          const layer = document.createElement('div');
          layer.className = 'band-layer';
          u.over.appendChild(layer);
          spec.bands.forEach((band, i) => {
            const el = document.createElement('div');
            el.className = 'band band-' + band.kind + (band.run ? ' band-run-' + band.run : '') + (band.open ? ' band-open' : '');
            el.title = band.label + ' (' + duration(band.fromS) + ' to ' + duration(band.toS) + ')';
            const label = document.createElement('span');
            label.className = 'band-label';
            label.textContent = band.label;
            label.style.top = 2 + (i % 3) * 15 + 'px';
            el.appendChild(label);
            layer.appendChild(el);
            items.push({ el, from: band.fromS, to: band.toS });
          });
          spec.marks.forEach((mark, i) => {
            const el = document.createElement('div');
            el.className = 'mark' + (mark.run ? ' mark-run-' + mark.run : '');
            el.title = mark.label + ' at ' + duration(mark.atS);
            const label = document.createElement('span');
            label.className = 'mark-label';
            label.textContent = mark.label;
            label.style.bottom = 2 + (i % 3) * 15 + 'px';
            el.appendChild(label);
            layer.appendChild(el);
            items.push({ el, from: mark.atS, to: null });
          });
        },
        draw: (u) => {
          const width = u.over.clientWidth;
          for (const item of items) {
            const left = u.valToPos(item.from, 'x');
            if (item.to === null) {
              item.el.style.display = left < -1 || left > width + 1 ? 'none' : '';
              item.el.style.left = Math.min(width - 1, Math.max(0, left)) + 'px';
              // Near the right edge the label goes to the left of its line.
              item.el.classList.toggle('mark-flip', left > width * 0.8);
              continue;
            }
            const right = u.valToPos(item.to, 'x');
            const l = Math.max(0, left);
            const r = Math.min(width, right);
            item.el.style.display = r <= l ? 'none' : '';
            item.el.style.left = l + 'px';
            item.el.style.width = Math.max(1, r - l) + 'px';
          }
        },
      },
    };
  }

  function chartData(spec) {
    const own = spec.series.some((s) => s.x);
    if (!own) return [spec.x, ...spec.series.map((s) => s.values)];
    // Series on their own x values (two runs on one axis): align them, keeping nulls as gaps.
    const tables = spec.series.map((s) => [s.x || spec.x, s.values]);
    const modes = tables.map(() => [1]);
    // An x-only table widens the axis to the common span without drawing anything.
    if (spec.xSpan) {
      tables.push([spec.xSpan]);
      modes.push([]);
    }
    const joined = uPlot.join(tables, modes);
    return joined;
  }

  function draw(spec, box) {
    const entry = { id: spec.id, title: spec.title, drawn: false, points: 0, colors: spec.series.map((s) => s.color) };
    state.charts.push(entry);
    for (const s of spec.series) for (const v of s.values) if (v !== null && Number.isFinite(v)) entry.points++;
    const target = box.querySelector('.chart-canvas');
    const height = spec.heightPx || 260;
    const yScale = {};
    if (spec.yLog) {
      yScale.distr = 3;
      yScale.log = 10;
    }
    if (spec.yRange) yScale.range = () => [spec.yRange[0], spec.yRange[1] * 1.03];
    const stepped = uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    const opts = {
      width: target.clientWidth,
      height,
      cursor: spec.xAxis === 'since-restore' ? {} : { sync: { key: 'aftershock-time', scales: ['x', null] } },
      scales: { x: { time: false }, y: yScale },
      legend: { live: true },
      axes: [
        { label: xLabels[spec.xAxis], values: (u, splits) => splits.map(duration), space: 70, labelSize: 22 },
        { label: spec.yLabel, values: (u, splits) => splits.map((v) => (v === null ? '' : compact(v))), size: 56, labelSize: 22 },
      ],
      series: [
        { label: 'time', value: (u, v) => (v === null || v === undefined ? '–' : duration(v)) },
        ...spec.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width || 1.5,
          fill: s.fill,
          dash: s.dash,
          spanGaps: false,
          paths: s.stepped ? stepped : undefined,
          points: s.points ? { show: true, size: 4 } : undefined,
          value: s.legendValues
            ? (u, v, si, idx) => (idx === null || idx === undefined ? '–' : show(spec.yFormat, s.legendValues[idx]))
            : (u, v) => show(spec.yFormat, v),
        })),
      ],
      plugins: [bandsPlugin(spec)],
      hooks: { draw: [() => (entry.drawn = true)] },
    };
    const plot = new uPlot(opts, chartData(spec), target);
    entry.plot = plot;
    return { plot, target, height };
  }

  const drawn = [];
  for (const spec of data.charts) {
    const box = document.querySelector('[data-chart-id="' + spec.id + '"]');
    try {
      drawn.push(draw(spec, box));
    } catch (error) {
      state.errors.push(spec.id + ': ' + error.message);
      box.querySelector('.chart-canvas').textContent = 'This chart could not be drawn: ' + error.message;
      throw error;
    }
  }

  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const d of drawn) d.plot.setSize({ width: d.target.clientWidth, height: d.height });
    }, 100);
  });
})();

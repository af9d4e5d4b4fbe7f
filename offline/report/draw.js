/* global document, window */
// Runs in the report page (inlined by page.ts): draws every chart as SVG from the JSON in
// #report-data, with no library and no network. Then it writes what it drew into
// #render-summary (JSON: per chart the data points drawn, their sum and the plot's box;
// any script error or blocked load), which the tests read from the rendered DOM.
(function () {
  'use strict'
  const SVG = 'http://www.w3.org/2000/svg'
  const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#3b8bc2', '#d37295', '#8cd17d']
  const LEVEL_COLORS = { emerg: '#67000d', alert: '#a50f15', crit: '#d62728', err: '#f0623e', warning: '#f5b041', notice: '#59a14f', info: '#4e79a7', debug: '#a0a7b4' }
  const REASON_COLORS = { dropped: '#e15759', corrupt: '#b07aa1', reload: '#edc948', collector: '#f28e2b' }
  const summary = { charts: {}, errors: [] }
  window.addEventListener('error', function (e) { summary.errors.push(String(e.message)); writeSummary() })
  document.addEventListener('securitypolicyviolation', function (e) { summary.errors.push('blocked: ' + e.blockedURI); writeSummary() })

  const data = JSON.parse(document.getElementById('report-data').textContent)
  const bucket = data.bucket
  const tip = document.createElement('div')
  tip.className = 'tip'
  document.body.appendChild(tip)

  function el (tag, attrs, parent) {
    const e = document.createElementNS(SVG, tag)
    for (const k in attrs) e.setAttribute(k, attrs[k])
    if (parent) parent.appendChild(e)
    return e
  }
  function label (parent, x, y, s, anchor, cls) {
    const t = el('text', { x, y, 'text-anchor': anchor || 'start' }, parent)
    if (cls) t.setAttribute('class', cls)
    t.textContent = s
    return t
  }
  function fmt (v) {
    const a = Math.abs(v)
    if (a >= 1e9) return (v / 1e9).toFixed(a >= 1e10 ? 0 : 1) + 'G'
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M'
    if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k'
    if (a >= 1e3) return (v / 1e3).toFixed(1) + 'k'
    return String(Math.round(v * 10) / 10)
  }
  const pad = function (n, w) { return String(n).padStart(w || 2, '0') }
  function utc (ms, stepMs) {
    const d = new Date(ms)
    const hm = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes())
    const day = pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate())
    if (stepMs >= 86400000) return day
    if (stepMs >= 60000) return (d.getUTCHours() === 0 && d.getUTCMinutes() === 0 ? day + ' ' : '') + hm
    const s = hm + ':' + pad(d.getUTCSeconds())
    return stepMs >= 1000 ? s : s + '.' + pad(d.getUTCMilliseconds(), 3)
  }
  const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5, 864e5, 1728e5, 6048e5]
  function niceStep (max, n) {
    const raw = max / n
    const p = Math.pow(10, Math.floor(Math.log10(raw)))
    const f = raw / p
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p
  }
  function legend (card, names, colors, extra) {
    const box = document.createElement('div')
    box.className = 'legend'
    names.forEach(function (n, i) {
      const item = document.createElement('span')
      const sw = document.createElement('i')
      sw.style.background = colors[i]
      item.appendChild(sw)
      item.appendChild(document.createTextNode(n + (extra ? extra(n, i) : '')))
      box.appendChild(item)
    })
    card.appendChild(box)
  }
  function record (id, svg, points, total, extra) {
    const r = svg.getBoundingClientRect()
    summary.charts[id] = Object.assign({ points, total, box: { x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height } }, extra || {})
  }

  // A chart over time: mode 'area' (stacked), 'line' or 'bars' (stacked bars).
  function timeChart (id, set, o) {
    const card = document.getElementById(id)
    const host = card.querySelector('.plot')
    const W = Math.max(300, host.clientWidth)
    const H = o.height
    const m = { l: 52, r: 14, t: 8, b: 24 }
    const pw = W - m.l - m.r
    const ph = H - m.t - m.b
    const n = bucket.count
    const k = o.perSecond ? 1000 / bucket.widthMs : 1
    const colors = set.names.map(o.color)
    const svg = el('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': card.querySelector('h2').textContent }, host)
    const stack = o.mode !== 'line'
    let points = 0
    let total = 0
    let max = 0
    const base = new Array(n).fill(0)
    const layers = set.values.map(function (v) {
      const lo = base.slice()
      for (let b = 0; b < n; b++) {
        if (v[b] > 0) { points++; total += v[b] }
        base[b] = (stack ? base[b] : 0) + v[b] * k
        if (base[b] > max) max = base[b]
      }
      return { lo, hi: base.slice() }
    })
    const step = niceStep(max || 1, 4)
    const top = Math.max(step, Math.ceil(max / step) * step)
    const x = function (b) { return m.l + (b + 0.5) * pw / n }
    const y = function (v) { return m.t + ph - v / top * ph }
    // with nothing to draw, no scale: only the baseline
    for (let t = 0; t <= (total === 0 ? 0 : top + step / 2); t += step) {
      el('line', { x1: m.l, x2: W - m.r, y1: y(t), y2: y(t), class: 'grid' }, svg)
      label(svg, m.l - 6, y(t) + 4, fmt(t), 'end')
    }
    const t0 = bucket.startMs
    const t1 = t0 + n * bucket.widthMs
    const ts = STEPS.find(function (s) { return (t1 - t0) / s <= Math.max(3, pw / 110) }) || 6048e5
    for (let t = Math.ceil(t0 / ts) * ts; t <= t1; t += ts) {
      const px = m.l + (t - t0) / (t1 - t0) * pw
      el('line', { x1: px, x2: px, y1: m.t + ph, y2: m.t + ph + 4, class: 'axis' }, svg)
      // the last label ends at the plot's edge rather than past it
      label(svg, Math.min(px, W - 2), H - 6, utc(t, ts), px > W - m.r - 28 ? 'end' : 'middle')
    }
    el('line', { x1: m.l, x2: W - m.r, y1: m.t + ph, y2: m.t + ph, class: 'axis' }, svg)
    if (total === 0) {
      label(svg, m.l + pw / 2, m.t + ph / 2, o.empty, 'middle', 'empty')
    } else if (o.mode === 'bars') {
      const bw = Math.max(3, pw / n * 0.8)
      layers.forEach(function (L, i) {
        for (let b = 0; b < n; b++) {
          if (L.hi[b] > L.lo[b]) el('rect', { x: x(b) - bw / 2, y: y(L.hi[b]), width: bw, height: Math.max(1, y(L.lo[b]) - y(L.hi[b])), fill: colors[i] }, svg)
        }
      })
    } else {
      layers.forEach(function (L, i) {
        let d = ''
        for (let b = 0; b < n; b++) d += (b === 0 ? 'M' : 'L') + x(b).toFixed(1) + ' ' + y(L.hi[b]).toFixed(1)
        if (stack) {
          let back = ''
          for (let b = n - 1; b >= 0; b--) back += 'L' + x(b).toFixed(1) + ' ' + y(L.lo[b]).toFixed(1)
          el('path', { d: d + back + 'Z', fill: colors[i], 'fill-opacity': 0.8, stroke: colors[i], 'stroke-width': 1 }, svg)
        } else {
          el('path', { d, fill: 'none', stroke: colors[i], 'stroke-width': 1.6, 'stroke-linejoin': 'round' }, svg)
        }
      })
    }
    hover(svg, set, colors, k, x, m, pw)
    legend(card, set.names, colors, o.legendExtra)
    record(id, svg, points, total, { series: set.names.length })
  }

  // Tooltip: the bucket under the pointer with each series' value.
  function hover (svg, set, colors, k, x, m, pw) {
    svg.addEventListener('mousemove', function (e) {
      const r = svg.getBoundingClientRect()
      const b = Math.floor((e.clientX - r.left - m.l) / pw * bucket.count)
      if (b < 0 || b >= bucket.count) { tip.style.display = 'none'; return }
      const lines = [utc(bucket.startMs + b * bucket.widthMs, bucket.widthMs) + ' UTC (' + bucket.label + ')']
      set.names.forEach(function (name, i) { lines.push(name + ': ' + fmt(set.values[i][b] * k)) })
      tip.textContent = lines.join('\n')
      tip.style.display = 'block'
      tip.style.left = (e.clientX + 14) + 'px'
      tip.style.top = (e.clientY + 10) + 'px'
    })
    svg.addEventListener('mouseleave', function () { tip.style.display = 'none' })
  }

  // Horizontal bars, one per item, largest first.
  function barChart (id, items, color) {
    const card = document.getElementById(id)
    const host = card.querySelector('.plot')
    const W = Math.max(300, host.clientWidth)
    const row = 22
    const H = Math.max(1, items.length) * row + 6
    const lw = Math.min(240, W * 0.4)
    const svg = el('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': card.querySelector('h2').textContent }, host)
    const max = items.reduce(function (a, it) { return Math.max(a, it.count) }, 0) || 1
    let total = 0
    if (items.length === 0) label(svg, W / 2, H - 6, 'no records', 'middle', 'empty')
    items.forEach(function (it, i) {
      const yy = 3 + i * row
      const w = Math.max(2, it.count / max * (W - lw - 70))
      const t = label(svg, lw - 8, yy + 15, it.label, 'end', 'bar-label')
      el('title', {}, t).textContent = it.label
      el('rect', { x: lw, y: yy + 3, width: w, height: row - 7, rx: 2, fill: color }, svg)
      label(svg, lw + w + 6, yy + 15, it.count.toLocaleString('en-US'), 'start')
      total += it.count
    })
    record(id, svg, items.length, total)
  }

  function writeSummary () {
    const out = document.getElementById('render-summary')
    if (out) out.textContent = JSON.stringify(summary)
  }

  const byIndex = function (i) { return PALETTE[i % PALETTE.length] }
  const byName = function (map) { return function (name, i) { return map[name] || PALETTE[(i + 3) % PALETTE.length] } }
  const cpuColor = function (name, i) { return name === 'other' ? '#a0a7b4' : byIndex(i) }
  try {
    timeChart('chart-cpus', data.cpus, { mode: 'area', perSecond: true, height: 300, color: function (n) { return cpuColor(n, data.cpus.names.indexOf(n)) }, empty: 'no records' })
    timeChart('chart-losses', data.losses, {
      mode: 'bars',
      height: 170,
      color: function (n) { return byName(REASON_COLORS)(n, data.losses.names.indexOf(n)) },
      empty: 'no losses',
      legendExtra: function (n) { return ' (' + data.lossRows[n] + ' rows)' },
    })
    timeChart('chart-levels', data.levels, { mode: 'area', perSecond: true, height: 230, color: function (n) { return byName(LEVEL_COLORS)(n, data.levels.names.indexOf(n)) }, empty: 'no records' })
    timeChart('chart-types', data.types, { mode: 'line', perSecond: true, height: 230, color: function (n) { return cpuColor(n, data.types.names.indexOf(n)) }, empty: 'no records' })
    barChart('chart-comms', data.topComms, PALETTE[0])
    barChart('chart-pids', data.topPids, PALETTE[2])
    const rows = document.querySelectorAll('#chart-busiest tbody tr[data-records]')
    let busy = 0
    rows.forEach(function (r) { busy += Number(r.getAttribute('data-records')) })
    record('chart-busiest', document.querySelector('#chart-busiest table'), rows.length, busy)
  } catch (e) {
    summary.errors.push(String(e && e.stack ? e.stack : e))
  }
  writeSummary()
  document.body.setAttribute('data-rendered', summary.errors.length === 0 ? 'ok' : 'error')
})()

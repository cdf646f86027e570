/// <reference lib="dom" />
/**
 * The report page's code. It runs in the browser: `renderApp.toString()` is inlined into the HTML (the report
 * file and the dashboard alike), so it must stay self-contained (no imports, no outer variables). Every string
 * from the database (names, parameter values, error messages) is written with textContent or drawn on a
 * canvas by ECharts (tooltips are rendered as rich text on the canvas too), never parsed as HTML.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export function renderApp(data: any, echarts: any, root: HTMLElement): void {
  const el = (tag: string, attrs: Record<string, string> = {}, text?: string): HTMLElement => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const fmt = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(3);
    return String(v);
  };
  const s = data.sweep;
  const maximize = s.goal === 'maximize';
  const trials: any[] = data.trials;
  // Trials that break a constraint are shown in the history, never ranked (the leaderboard, the front, slices).
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null && t.feasible !== false);
  const pareto = data.pareto;
  const objectives: Array<{ name: string; goal: string }> = pareto ? pareto.objectives : [{ name: s.metric, goal: s.goal }];
  const constraints: string[] = data.constraints ?? [];
  const params: string[] = Object.keys(s.parameters).filter((p) => s.parameters[p].type !== 'constant');
  const isLog = (p: string): boolean => ['log_uniform_values', 'q_log_uniform_values', 'log_uniform', 'inv_log_uniform', 'inv_log_uniform_values', 'log_normal', 'q_log_normal'].includes(s.parameters[p].type);
  const isCat = (p: string): boolean => s.parameters[p].type === 'categorical';
  const stateColor: Record<string, string> = { complete: '#3b6fd6', pruned: '#e08a1e', failed: '#c62828', interrupted: '#888888', running: '#2e9e5b' };
  const paramText = (t: any): string => params.map((p) => `${p}=${fmt(t.params[p])}`).join('\n');
  const charts: any[] = [];

  root.replaceChildren();
  // Header.
  const header = el('header');
  header.append(el('h1', {}, `Sweep ${s.name}`));
  const facts: Array<[string, string]> = [
    ['method', `${s.method}${s.pruner ? `, pruner ${s.pruner}` : ''}`],
    pareto ? ['objectives', `${objectives.map((o) => `${o.name} (${o.goal})`).join(', ')}: a Pareto front`] : ['metric', `${s.metric} (${s.goal})`],
    ...(constraints.length ? [['constraints', constraints.join(', ')] as [string, string]] : []),
    ['seed', fmt(s.seed)],
    ...(data.summary.note ? [['note', data.summary.note] as [string, string]] : []),
    ['state', `${s.state}${s.message ? ` — ${s.message}` : ''}`],
    ['trials', Object.entries(data.summary.counts).filter(([, n]) => (n as number) > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'none yet'],
    ['planned', s.planned === null ? 'unbounded' : String(s.planned)],
    ['wall time', data.wall_s === null ? '' : `${(data.wall_s / 60).toFixed(1)} min`],
    ['backends', data.backends.join(', ') || '—'],
    ['tfsweep', data.tfsweep_version],
    ['reproduce', s.command],
  ];
  const dl = el('dl', { class: 'facts' });
  for (const [k, v] of facts) dl.append(el('dt', {}, k), el('dd', {}, v));
  header.append(dl);
  const source = el('details');
  source.append(el('summary', {}, 'the sweep file as given'), el('pre', {}, s.source));
  header.append(source);
  root.append(header);

  const section = (title: string, id: string, note?: string): HTMLElement => {
    const sec = el('section', { id });
    sec.append(el('h2', {}, title));
    if (note) sec.append(el('p', { class: 'note' }, note));
    root.append(sec);
    return sec;
  };
  const chartBox = (parent: HTMLElement, id: string, height = 360): HTMLElement => {
    const box = el('div', { class: 'chart', id, 'data-chart': id });
    box.style.height = `${height}px`;
    parent.append(box);
    return box;
  };
  const draw = (box: HTMLElement, option: any): void => {
    const chart = echarts.init(box, null, { renderer: 'canvas' });
    chart.setOption({ animation: false, tooltip: { renderMode: 'richText', confine: true }, ...option });
    charts.push(chart);
  };

  // Leaderboard: complete trials best first; click a header to sort.
  const board = section(
    'Leaderboard',
    'leaderboard',
    complete.length
      ? [pareto ? 'ranked by Pareto front (✓: no other trial beats it on every objective), then by the first objective' : '', constraints.length ? 'trials that break a constraint are left out' : ''].filter(Boolean).join('; ') || undefined
      : 'no complete trial yet',
  );
  const ranked = pareto
    ? [...complete].sort((a, b) => (a.front ?? 1e9) - (b.front ?? 1e9) || (maximize ? b.value - a.value : a.value - b.value) || a.number - b.number)
    : [...complete].sort((a, b) => (maximize ? b.value - a.value : a.value - b.value) || a.number - b.number);
  const columns: Array<{ key: string; label: string; get: (t: any, i: number) => unknown }> = [
    { key: 'rank', label: 'rank', get: (_t, i) => i + 1 },
    { key: 'number', label: '#', get: (t) => t.number },
    ...(pareto
      ? [{ key: 'pareto', label: 'pareto', get: (t: any) => (t.front === 0 ? '✓' : '') }, ...objectives.map((o) => ({ key: `o:${o.name}`, label: o.name, get: (t: any) => t.values?.[o.name] ?? null }))]
      : [{ key: 'value', label: s.metric, get: (t: any) => t.value }]),
    { key: 'std', label: 'std', get: (t) => t.value_std ?? null },
    { key: 'ci', label: '95% CI', get: (t) => (t.value_ci95 ? `${fmt(t.value_ci95[0])} – ${fmt(t.value_ci95[1])}` : null) },
    { key: 'test_accuracy', label: 'test accuracy', get: (t) => t.test_metrics?.test_accuracy ?? null },
    { key: 'test_loss', label: 'test loss', get: (t) => t.test_metrics?.test_loss ?? null },
    ...params.map((p) => ({ key: `p:${p}`, label: p, get: (t: any) => t.params[p] })),
    { key: 'duration', label: 'time (s)', get: (t) => t.duration_s },
    ...(trials.some((t) => t.note || t.origin || t.attempt) ? [{ key: 'note', label: 'note', get: (t: any) => [t.note, t.origin, t.attempt ? `${t.attempt} runs` : null].filter(Boolean).join('; ') || null }] : []),
  ];
  const rows = ranked.map((t, i) => columns.map((c) => c.get(t, i)));
  const table = el('table', { class: 'leaderboard' });
  const thead = el('thead');
  const headRow = el('tr');
  const tbody = el('tbody');
  // The dashboard redraws when new data arrives: the chosen order survives it.
  const saved = (window as any).tfsweepSort as { col: number; dir: number } | undefined;
  let sortCol = saved && saved.col < columns.length ? saved.col : 0;
  let sortDir = saved?.dir ?? 1;
  const fill = (): void => {
    const sorted = [...rows].sort((a, b) => {
      const x = a[sortCol];
      const y = b[sortCol];
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sortDir;
    });
    tbody.replaceChildren(...sorted.map((r) => {
      const tr = el('tr');
      for (const v of r) tr.append(el('td', {}, fmt(v)));
      return tr;
    }));
    headRow.querySelectorAll('th').forEach((th, i) => th.setAttribute('aria-sort', i === sortCol ? (sortDir > 0 ? 'ascending' : 'descending') : 'none'));
  };
  columns.forEach((c, i) => {
    const th = el('th', { title: 'click to sort' }, c.label);
    th.addEventListener('click', () => {
      sortDir = sortCol === i ? -sortDir : 1;
      sortCol = i;
      (window as any).tfsweepSort = { col: sortCol, dir: sortDir };
      fill();
    });
    headRow.append(th);
  });
  thead.append(headRow);
  table.append(thead, tbody);
  board.append(table);
  fill();

  // The Pareto front: the first two objectives against each other (three or more: parallel coordinates over
  // them), the front drawn through its trials; and the hypervolume the front covered as trials completed.
  if (pareto) {
    const frontSet = new Set<number>(pareto.front);
    const [o1, o2] = objectives as [{ name: string; goal: string }, { name: string; goal: string }];
    const sec = section(
      'Pareto front',
      'pareto',
      `${pareto.front.length} of ${complete.length} complete trials are Pareto-optimal: no other trial is at least as good on every objective and better on one${constraints.length ? ' (among those meeting the constraints)' : ''}`,
    );
    const tip = (t: any): string => `trial ${t.number}${frontSet.has(t.number) ? ' (Pareto front)' : ''}\n${objectives.map((o) => `${o.name}: ${fmt(t.values?.[o.name])}`).join('\n')}\n${paramText(t)}`;
    const infeasible = trials.filter((t) => t.state === 'complete' && t.feasible === false && t.values);
    if (objectives.length === 2) {
      const xy = (t: any) => ({ value: [t.values[o1.name], t.values[o2.name]], name: tip(t) });
      const frontTrials = complete.filter((t) => frontSet.has(t.number)).sort((a, b) => a.values[o1.name] - b.values[o1.name]);
      // The front as a staircase: between two of its trials, the region one of them dominates ends.
      // (ECharts' 'start' turns at the first point, running along y first; 'end' along x first.)
      const stepEnd = o1.goal === o2.goal ? 'end' : 'start';
      // An objective spanning orders of magnitude (a model's size) reads on a log axis.
      const all = [...complete, ...infeasible];
      const axisType = (name: string): string => {
        const vs = all.map((t) => t.values?.[name]).filter((v: unknown): v is number => typeof v === 'number');
        return vs.length && Math.min(...vs) > 0 && Math.max(...vs) / Math.min(...vs) >= 30 ? 'log' : 'value';
      };
      draw(chartBox(sec, 'pareto-chart', 420), {
        grid: { left: 80, right: 30, top: 40, bottom: 50 },
        legend: { top: 0 },
        xAxis: { type: axisType(o1.name), name: `${o1.name} (${o1.goal})`, nameLocation: 'middle', nameGap: 30, scale: true, axisLabel: { formatter: (v: unknown) => fmt(v) } },
        yAxis: { type: axisType(o2.name), name: `${o2.name} (${o2.goal})`, scale: true, axisLabel: { formatter: (v: unknown) => fmt(v) } },
        tooltip: { trigger: 'item', renderMode: 'richText', formatter: (q: any) => q.data?.name ?? '' },
        series: [
          { name: 'dominated', type: 'scatter', symbolSize: 7, itemStyle: { color: '#9fb4e3' }, data: complete.filter((t) => !frontSet.has(t.number)).map(xy) },
          ...(infeasible.length ? [{ name: 'breaks a constraint', type: 'scatter', symbol: 'triangle', symbolSize: 7, itemStyle: { color: '#bbbbbb' }, data: infeasible.map(xy) }] : []),
          { name: 'Pareto front', type: 'line', step: stepEnd, symbolSize: 10, lineStyle: { color: '#c0392b', width: 2 }, itemStyle: { color: '#c0392b' }, data: frontTrials.map(xy) },
        ],
      });
    } else {
      draw(chartBox(sec, 'pareto-chart', 400), {
        parallelAxis: objectives.map((o, dim) => ({ dim, name: `${o.name} (${o.goal === 'maximize' ? 'max' : 'min'})`, type: 'value', scale: true, axisLabel: { formatter: (v: unknown) => fmt(v) } })),
        parallel: { left: 60, right: 80, top: 50, bottom: 30 },
        legend: { top: 0 },
        series: [
          { name: 'dominated', type: 'parallel', lineStyle: { width: 1, opacity: 0.35, color: '#9fb4e3' }, data: complete.filter((t) => !frontSet.has(t.number)).map((t) => objectives.map((o) => t.values[o.name])) },
          { name: 'Pareto front', type: 'parallel', lineStyle: { width: 2, opacity: 0.9, color: '#c0392b' }, data: complete.filter((t) => frontSet.has(t.number)).map((t) => objectives.map((o) => t.values[o.name])) },
        ],
      });
    }
    sec.append(el('p', { class: 'note' }, `hypervolume of the front after each trial: each objective scaled to [0, 1] over the complete trials (0 best), reference point 1.1 on every axis (at most ${fmt(1.1 ** objectives.length)})`));
    draw(chartBox(sec, 'hypervolume-chart', 280), {
      grid: { left: 60, right: 50, top: 35, bottom: 40 },
      xAxis: { type: 'value', name: 'trial', minInterval: 1 },
      yAxis: { type: 'value', name: 'hypervolume', scale: true },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      series: [{ type: 'line', step: 'end', symbol: 'none', lineStyle: { color: '#c0392b', width: 2 }, areaStyle: { color: 'rgba(192, 57, 43, 0.08)' }, data: pareto.hypervolume }],
    });
  }

  // Optimization history: by trial number and by time, best so far, states, CI bars, the end of TPE's start-up.
  const history = section('Optimization history', 'history', 'each trial\'s value (pruned: at its last epoch; failed and interrupted trials at the bottom), the best so far, and 95% intervals for repeated trials');
  const byNumber = [...trials].sort((a, b) => a.number - b.number);
  let best: number | null = null;
  const bestLine: Array<[number, number]> = [];
  for (const t of byNumber) {
    if (t.state === 'complete' && t.value !== null) {
      best = best === null ? t.value : maximize ? Math.max(best, t.value) : Math.min(best, t.value);
    }
    if (best !== null) bestLine.push([t.number, best]);
  }
  const values = complete.map((t) => t.value);
  const floor = values.length ? Math.min(...values) : 0;
  const point = (x: (t: any) => number) => (t: any) => ({ value: [x(t), t.value ?? floor], name: `trial ${t.number} (${t.state})\n${paramText(t)}`, itemStyle: { color: stateColor[t.state] ?? '#555' } });
  const historyOption = (x: (t: any) => number, xAxis: any) => ({
    grid: { left: 60, right: 20, top: 30, bottom: 40 },
    legend: { top: 0 },
    xAxis,
    yAxis: { type: 'value', name: s.metric, scale: true },
    tooltip: { trigger: 'item', renderMode: 'richText', formatter: (p: any) => `${p.name ?? ''}\n${s.metric}: ${fmt(p.value?.[1])}` },
    series: [
      ...['complete', 'pruned', 'failed', 'interrupted'].map((state) => ({
        name: state,
        type: 'scatter',
        symbol: state === 'failed' ? 'triangle' : state === 'pruned' ? 'diamond' : 'circle',
        itemStyle: { color: stateColor[state] },
        data: trials.filter((t) => t.state === state).map(point(x)),
      })),
      ...(x === byNum ? [{ name: 'best so far', type: 'line', step: 'end', symbol: 'none', lineStyle: { color: '#111' }, data: bestLine, markLine: s.startup_trials !== null && s.method === 'bayes' ? { symbol: 'none', label: { formatter: 'TPE begins' }, data: [{ xAxis: s.startup_trials - 0.5 }] } : undefined }] : []),
      {
        name: '95% CI',
        type: 'custom',
        renderItem: (_params: any, api: any) => {
          const lo = api.coord([api.value(0), api.value(1)]);
          const hi = api.coord([api.value(0), api.value(2)]);
          return { type: 'group', children: [{ type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: '#3b6fd6', lineWidth: 1.5 } }, { type: 'line', shape: { x1: lo[0] - 4, y1: lo[1], x2: lo[0] + 4, y2: lo[1] }, style: { stroke: '#3b6fd6' } }, { type: 'line', shape: { x1: hi[0] - 4, y1: hi[1], x2: hi[0] + 4, y2: hi[1] }, style: { stroke: '#3b6fd6' } }] };
        },
        data: complete.filter((t) => t.value_ci95).map((t) => [x(t), t.value_ci95[0], t.value_ci95[1]]),
      },
    ],
  });
  const byNum = (t: any): number => t.number;
  const byTime = (t: any): number => Date.parse(t.ended_at ?? t.started_at ?? data.generated_at);
  draw(chartBox(history, 'history-number'), historyOption(byNum, { type: 'value', name: 'trial', minInterval: 1 }));
  draw(chartBox(history, 'history-time', 300), historyOption(byTime, { type: 'time', name: 'ended' }));

  // Learning curves: the metric at each epoch (first execution), and its training counterpart dashed.
  const curves = section('Learning curves', 'curves', 'each trial\'s metric per epoch (validation solid, training dashed when recorded), coloured by state; a pruned trial ends with a diamond, an early-stopped one with a square');
  const trainMetric = s.metric.startsWith('val_') ? s.metric.slice(4) : null;
  // An epoch's own fields win over a metric of the same name, which the data carry as `metric:NAME`.
  const epochKey = (m: string): string => (m === 'epoch' || m === 'execution' || m === 'duration_ms' ? `metric:${m}` : m);
  const metricKey = epochKey(s.metric);
  const curveSeries: any[] = [];
  for (const t of trials) {
    const epochs = (t.epochs ?? []).filter((e: any) => !e.execution);
    if (!epochs.length) continue;
    const color = stateColor[t.state] ?? '#555';
    const stoppedEarly = t.state === 'complete' && t.stopped_epoch && epochs.length < (Math.max(...trials.map((u) => (u.epochs ?? []).length)) || 0);
    const endSymbol = t.state === 'pruned' ? 'diamond' : stoppedEarly ? 'rect' : 'none';
    const name = `trial ${t.number} (${t.state})\n${paramText(t)}`;
    curveSeries.push({
      name: `trial ${t.number}`,
      type: 'line',
      showSymbol: true,
      // A curve of one step is a point; otherwise only a pruned or early-stopped end is marked.
      symbolSize: (_v: any, p: any) => (epochs.length === 1 ? 5 : p.dataIndex === epochs.length - 1 && endSymbol !== 'none' ? 9 : 0),
      symbol: endSymbol === 'none' ? 'circle' : endSymbol,
      lineStyle: { color, width: 1.2, opacity: 0.8 },
      itemStyle: { color },
      data: epochs.map((e: any) => ({ value: [e.epoch, e[metricKey] ?? null], name })),
    });
    if (trainMetric && epochs.some((e: any) => e[trainMetric] !== undefined)) {
      curveSeries.push({ name: `trial ${t.number} (${trainMetric})`, type: 'line', symbol: 'none', lineStyle: { color, width: 1, type: 'dashed', opacity: 0.45 }, data: epochs.map((e: any) => ({ value: [e.epoch, e[trainMetric] ?? null], name })) });
    }
  }
  draw(chartBox(curves, 'curves-chart', 380), {
    grid: { left: 60, right: 20, top: 20, bottom: 40 },
    xAxis: { type: 'value', name: s.program ? 'step' : 'epoch', minInterval: 1, min: 'dataMin' },
    yAxis: { type: 'value', name: s.metric, scale: true },
    tooltip: { trigger: 'item', renderMode: 'richText', formatter: (p: any) => `${p.data?.name ?? ''}\nepoch ${p.value?.[0]}: ${fmt(p.value?.[1])}` },
    series: curveSeries,
  });

  // Parallel coordinates with brushing (drag along an axis to select).
  const parallel = section('Parallel coordinates', 'parallel', 'complete trials; drag along an axis to select a range');
  const axes = [...params, s.metric];
  const numericRange = (p: string): [number, number] => {
    const xs = complete.map((t) => Number(t.params[p])).filter(Number.isFinite);
    return [Math.min(...xs), Math.max(...xs)];
  };
  draw(chartBox(parallel, 'parallel-chart', 380), {
    parallelAxis: axes.map((p, dim) => {
      const axisLabel = { formatter: (v: unknown) => fmt(v) };
      if (p !== s.metric && isCat(p)) return { dim, name: p, type: 'category', data: s.parameters[p].values.map((v: unknown) => fmt(v)) };
      if (p !== s.metric && isLog(p)) return { dim, name: p, type: 'log', min: numericRange(p)[0], max: numericRange(p)[1], axisLabel };
      return { dim, name: p, type: 'value', scale: true, axisLabel };
    }),
    parallel: { left: 60, right: 80, top: 40, bottom: 30 },
    visualMap: values.length ? { show: false, dimension: axes.length - 1, min: Math.min(...values), max: Math.max(...values), inRange: { color: maximize ? ['#c9d7f5', '#0b3d91'] : ['#0b3d91', '#c9d7f5'] } } : undefined,
    series: [{ type: 'parallel', lineStyle: { width: 1.2, opacity: 0.6 }, data: complete.map((t) => [...params.map((p) => (isCat(p) ? fmt(t.params[p]) : t.params[p])), t.value]) }],
  });

  // Slices: the value against each parameter (log axes for log distributions).
  const slices = section('Slices', 'slices', 'the value of every complete trial against each parameter');
  const grid = el('div', { class: 'grid' });
  slices.append(grid);
  for (const p of params) {
    const box = chartBox(grid, `slice-${params.indexOf(p)}`, 260);
    draw(box, {
      title: { text: p, left: 'center', textStyle: { fontSize: 13 } },
      grid: { left: 55, right: 15, top: 30, bottom: 35 },
      xAxis: isCat(p) ? { type: 'category', data: s.parameters[p].values.map((v: unknown) => fmt(v)) } : { type: isLog(p) ? 'log' : 'value', scale: true },
      yAxis: { type: 'value', scale: true },
      tooltip: { trigger: 'item', renderMode: 'richText', formatter: (q: any) => `${q.data?.name ?? ''}\n${s.metric}: ${fmt(q.value?.[1])}` },
      series: [{ type: 'scatter', symbolSize: 7, itemStyle: { color: '#3b6fd6' }, data: complete.map((t) => ({ value: [isCat(p) ? fmt(t.params[p]) : t.params[p], t.value], name: `trial ${t.number}` })) }],
    });
  }

  // Importance, and a heat map over the two most important parameters.
  // The importance carries a note whenever its shares say nothing (too few trials, nothing varies).
  const enough = !data.importance.note;
  const imp = section(
    'Parameter importance',
    'importance',
    enough ? `PED-ANOVA over ${data.importance.trials} complete trials (the top ${data.importance.topTrials} against all)` : data.importance.note,
  );
  const impEntries = enough ? Object.entries(data.importance.importances as Record<string, number>).filter(([p]) => params.includes(p)) : [];
  if (enough) draw(chartBox(imp, 'importance-chart', Math.max(160, 40 * impEntries.length + 60)), {
    grid: { left: 140, right: 40, top: 10, bottom: 30 },
    xAxis: { type: 'value', max: 1 },
    yAxis: { type: 'category', data: impEntries.map(([p]) => p).reverse() },
    tooltip: { trigger: 'item', renderMode: 'richText' },
    series: [{ type: 'bar', itemStyle: { color: '#3b6fd6' }, data: impEntries.map(([, v]) => Number(v.toFixed(4))).reverse(), label: { show: true, position: 'right', formatter: (q: any) => fmt(q.value) } }],
  });
  // Several objectives: what mattered for each of the others too (the chart above is the first objective's).
  if (pareto && data.importance_by_objective) {
    if (enough) imp.insertBefore(el('p', { class: 'note' }, `for ${objectives[0]!.name}:`), imp.querySelector('#importance-chart'));
    objectives.slice(1).forEach((o, k) => {
      const r = data.importance_by_objective[o.name];
      if (!r || r.note) {
        imp.append(el('p', { class: 'note' }, `for ${o.name}: ${r?.note ?? 'no importances'}`));
        return;
      }
      const entries = Object.entries(r.importances as Record<string, number>).filter(([p]) => params.includes(p));
      imp.append(el('p', { class: 'note' }, `for ${o.name} (${o.goal}): PED-ANOVA over ${r.trials} complete trials`));
      draw(chartBox(imp, `importance-chart-${k + 2}`, Math.max(160, 40 * entries.length + 60)), {
        grid: { left: 140, right: 40, top: 10, bottom: 30 },
        xAxis: { type: 'value', max: 1 },
        yAxis: { type: 'category', data: entries.map(([p]) => p).reverse() },
        tooltip: { trigger: 'item', renderMode: 'richText' },
        series: [{ type: 'bar', itemStyle: { color: '#c0392b' }, data: entries.map(([, v]) => Number(v.toFixed(4))).reverse(), label: { show: true, position: 'right', formatter: (q: any) => fmt(q.value) } }],
      });
    });
  }
  const top2 = impEntries.slice(0, 2).map(([p]) => p);
  if (top2.length === 2 && complete.length >= 3) {
    const bins = (p: string): { labels: string[]; index: (v: unknown) => number } => {
      if (isCat(p)) {
        const labels = s.parameters[p].values.map((v: unknown) => fmt(v));
        return { labels, index: (v) => labels.indexOf(fmt(v)) };
      }
      const [lo, hi] = numericRange(p);
      const tr = (v: number): number => (isLog(p) ? Math.log(v) : v);
      const n = 8;
      const a = tr(lo);
      const b = tr(hi) === a ? a + 1 : tr(hi);
      const labels = Array.from({ length: n }, (_, i) => fmt(isLog(p) ? Math.exp(a + ((b - a) * (i + 0.5)) / n) : a + ((b - a) * (i + 0.5)) / n));
      return { labels, index: (v) => Math.min(n - 1, Math.max(0, Math.floor(((tr(Number(v)) - a) / (b - a)) * n))) };
    };
    const bx = bins(top2[0]!);
    const by = bins(top2[1]!);
    const cells = new Map<string, number[]>();
    for (const t of complete) {
      const key = `${bx.index(t.params[top2[0]!])},${by.index(t.params[top2[1]!])}`;
      cells.set(key, [...(cells.get(key) ?? []), t.value]);
    }
    const heat = [...cells.entries()].map(([k, vs]) => [...k.split(',').map(Number), vs.reduce((x, y) => x + y, 0) / vs.length]);
    imp.append(el('p', { class: 'note' }, `mean ${s.metric} over ${top2[0]} × ${top2[1]} (the two most important parameters; empty cells: no trial there)`));
    draw(chartBox(imp, 'heatmap-chart', 340), {
      grid: { left: 80, right: 90, top: 10, bottom: 50 },
      xAxis: { type: 'category', name: top2[0], data: bx.labels, nameLocation: 'middle', nameGap: 30 },
      yAxis: { type: 'category', name: top2[1], data: by.labels },
      visualMap: { min: Math.min(...values), max: Math.max(...values), precision: 3, calculable: true, right: 0, top: 'middle', inRange: { color: maximize ? ['#f4f6fb', '#0b3d91'] : ['#0b3d91', '#f4f6fb'] } },
      tooltip: { trigger: 'item', renderMode: 'richText', formatter: (q: any) => `mean ${s.metric}: ${fmt(q.value?.[2])}` },
      series: [{ type: 'heatmap', data: heat }],
    });
  }

  // Timeline of trials: one row per worker of each process (a trial takes the first of its process's rows free
  // when it starts, as a worker thread would).
  const timeline = section('Timeline', 'timeline', 'each trial from start to end, one row per worker of each process');
  const procs: any[] = data.processes.length ? data.processes : [{ id: null, host: 'this machine', pid: 0 }];
  const procLabel = (p: any): string => (p.id === null ? p.host : `${p.host}:${p.pid}`);
  const lanes: Array<{ label: string; proc: unknown; busyUntil: number }> = [];
  const laneOf = new Map<number, number>();
  for (const t of [...trials].filter((u) => u.started_at).sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))) {
    const proc = procs.find((p) => p.id === t.process_id) ?? procs[0];
    const start = Date.parse(t.started_at);
    const end = Date.parse(t.ended_at ?? data.generated_at);
    let lane = lanes.findIndex((l) => l.proc === proc && l.busyUntil <= start);
    if (lane < 0) {
      const n = lanes.filter((l) => l.proc === proc).length;
      lanes.push({ label: `${procLabel(proc)} #${n + 1}`, proc, busyUntil: end });
      lane = lanes.length - 1;
    } else lanes[lane]!.busyUntil = end;
    laneOf.set(t.number, lane);
  }
  const rowOf = (t: any): number => laneOf.get(t.number) ?? 0;
  draw(chartBox(timeline, 'timeline-chart', Math.max(160, 36 * lanes.length + 70)), {
    grid: { left: 170, right: 20, top: 10, bottom: 40 },
    xAxis: { type: 'time' },
    yAxis: { type: 'category', data: lanes.map((l) => l.label) },
    tooltip: { trigger: 'item', renderMode: 'richText', formatter: (q: any) => q.data?.name ?? '' },
    series: [{
      type: 'custom',
      renderItem: (_params: any, api: any) => {
        const start = api.coord([api.value(1), api.value(0)]);
        const end = api.coord([api.value(2), api.value(0)]);
        const h = api.size([0, 1])[1] * 0.6;
        return { type: 'rect', shape: { x: start[0], y: start[1] - h / 2, width: Math.max(2, end[0] - start[0]), height: h }, style: { fill: api.visual('color') } };
      },
      encode: { x: [1, 2], y: 0 },
      data: trials.filter((t) => t.started_at).map((t) => ({ value: [rowOf(t), Date.parse(t.started_at), Date.parse(t.ended_at ?? data.generated_at)], name: `trial ${t.number} (${t.state})`, itemStyle: { color: stateColor[t.state] ?? '#555' } })),
    }],
  });

  // Failures grouped by message.
  const failures = section('Failed trials', 'failures', data.failures.length ? undefined : 'no trial failed');
  if (data.failures.length) {
    const list = el('ul', { class: 'failures' });
    for (const f of data.failures) {
      const li = el('li');
      li.append(el('span', { class: 'count' }, `${f.trials.length} × `), el('code', {}, f.message), el('span', { class: 'which' }, ` (trials ${f.trials.join(', ')})`));
      list.append(li);
    }
    failures.append(list);
  }

  const footer = el('footer', {}, `generated ${data.generated_at} by tfsweep ${data.tfsweep_version}`);
  root.append(footer);
  (window as any).tfsweepCharts = charts;
  // Once per page, not per render: the dashboard renders again whenever new data arrives.
  if (!(window as any).tfsweepResize) {
    (window as any).tfsweepResize = true;
    window.addEventListener('resize', () => ((window as any).tfsweepCharts as any[]).forEach((c) => c.resize()));
  }
}

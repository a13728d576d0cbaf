// Figures of one `--restart` run (restart-run.mjs) from the workers' per-reader rows: times are
// made relative to t0 (SIGTERM to node A); a reader without a time counts as "never" and holds
// the percentiles above it at null, so 100% is only given when every reader got there.

const r1 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10) / 10);
const r3 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);

/** p-th percentiles (and min, max) of per-reader values; readers without one count as never. */
export function readerPercentiles(values, ps) {
  const xs = values.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  const never = values.length - xs.length;
  const out = { n: xs.length, never, min: xs.length ? r1(xs[0]) : null };
  for (const p of ps) {
    const rank = Math.max(1, Math.ceil((p / 100) * values.length));
    out[`p${p}`] = rank <= xs.length ? r1(xs[rank - 1]) : null;
  }
  out.max = never === 0 && xs.length ? r1(xs[xs.length - 1]) : null;
  return out;
}

function merged(parts, key) {
  return parts.flatMap((p) => p.rows[key]);
}

function addCounts(parts, key) {
  const out = {};
  for (const p of parts) for (const [k, v] of Object.entries(p[key])) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The JSON-line result: `res` (settings so far), `m` (measurements of restart-run.mjs). */
export function restartResult(res, m, errors, o) {
  const parts = m.parts ?? [];
  const sum = (k) => parts.reduce((a, p) => a + p[k], 0);
  const rel = (xs) => xs.map((x) => (x === null ? null : x - m.t0));
  const closeAt = rel(merged(parts, 'closeAt'));
  const lastSubAt = rel(merged(parts, 'lastSubAt'));
  const bConnAt = rel(merged(parts, 'bConnAt'));
  const doneAt = rel(merged(parts, 'doneAt'));
  const connects = merged(parts, 'connectsToB');
  const diff = (a, b) => a.map((x, i) => (x === null || b[i] === null ? null : x - b[i]));
  const closeMs = readerPercentiles(closeAt, [50, 90]);
  const caughtUpMs = readerPercentiles(doneAt, [50, 90, 99, 100]);
  for (const p of parts) for (const s of Object.values(p.samples)) if (errors.length < 8) errors.push(s);
  const tot = (x) => (typeof x === 'number' ? x : x.user + x.sys);
  const cpu = (k) => (m.cpu1 && m.cpu0 ? tot(m.cpu1[k]) - tot(m.cpu0[k]) : null);
  const sys = (k) => (m.cpu1 && m.cpu0 ? m.cpu1[k].sys - m.cpu0[k].sys : null);
  const waveSec = m.waveMs ? m.waveMs / 1000 : null;
  const machineBusy = m.cpu1 && m.cpu0 ? (m.cpu1.machine.busy - m.cpu0.machine.busy) / (m.cpu1.machine.total - m.cpu0.machine.total) : null;
  Object.assign(res, {
    finalSeq: m.finalSeq ?? null,
    // ms after t0 at which node A's close reached each reader
    closeMs,
    closeCodes: addCounts(parts, 'closeCodes'),
    nodeA: { cpuSecAfterSigterm: r3(cpu('a')), exitCode: m.aExit?.code ?? null, exitSignal: m.aExit?.signal ?? null, exitMs: r1(m.aExit?.atMs), stillRunning: m.aAlive ?? null, errorLogs: m.aErrorLogs ?? null },
    // ms after t0: the subscribe on B that held; resubscribed AND holding the final seq
    resubscribedMs: readerPercentiles(lastSubAt, [50, 90, 99, 100]),
    caughtUpMs,
    // 100% caught up, counted from the last of A's closes rather than from t0
    caughtUpAfterLastCloseMs: caughtUpMs.p100 !== null && closeMs.max !== null ? r1(caughtUpMs.p100 - closeMs.max) : null,
    // per reader: A's close -> B's `subscribed` (backoff + connect + subscribe), and the part of it
    // spent on node B: its last connect to B -> `subscribed`
    downtimeMs: readerPercentiles(diff(lastSubAt, closeAt), [50, 90, 99, 100]),
    onBMs: readerPercentiles(diff(lastSubAt, bConnAt), [50, 90, 99, 100]),
    reconnects: {
      connectsToB: connects.reduce((a, b) => a + b, 0),
      readersRetried: connects.filter((x) => x > 1).length,
      maxAttempts: connects.reduce((a, b) => Math.max(a, b), 0),
      failedAttempts: sum('failedAttempts'),
      failedReasons: addCounts(parts, 'failedReasons'),
      dropsOnB: sum('dropsOnB'),
      subscribesToB: sum('subscribesToB'),
      unavailableFrames: sum('unavailableFrames'),
      rateLimitedFrames: sum('rateLimitedFrames'),
    },
    posts: { ok: m.posts?.ok ?? 0, errors: m.posts?.errors ?? 0, lastPostMs: r1(m.posts?.lastPostMs) },
    waveSec: r3(waveSec),
    waveCapped: m.capped ?? null,
    nodeB: {
      cpuSec: r3(cpu('b')),
      sysCpuSec: r3(sys('b')),
      cpuAvgCores: waveSec ? r3(cpu('b') / waveSec) : null,
      cpuPeakCores: r3(m.bPeak?.peakCores),
      rssBeforeKB: m.bRssBeforeKB ?? null,
      peakRssKB: m.bPeak ? Math.max(m.bPeak.peakRssKB, m.bRssEndKB ?? 0) : null,
      rssEndKB: m.bRssEndKB ?? null,
      loopDelayMs: m.bLoopDelay ?? null,
      errorLogs: m.bErrorLogs ?? null,
    },
    clientCpuSec: r3(cpu('client')),
    clientSysCpuSec: r3(sys('client')),
    clientCpuCores: waveSec ? r3(cpu('client') / waveSec) : null,
    redisCpuSec: r3(cpu('redis')),
    machineBusyPct: machineBusy === null ? null : Math.round(100 * machineBusy),
    cpus: o.cpus,
    lost: sum('missing'),
    duplicated: sum('duplicates'),
    outOfOrder: sum('gaps'),
    epochMismatch: sum('epochMismatch'),
    resets: sum('resets'),
    extra: sum('extra'),
    errorFrames: sum('errorFrames'),
    badFrames: sum('badFrames') + sum('unexpected'),
    closesBeforeRestart: sum('closesBeforeRestart'),
    closesNot1012: sum('closesNot1012'),
    readersIncomplete: sum('readersIncomplete'),
  });
  res.errors = [...new Set(errors)].slice(0, 8);
  res.valid = !res.failed && parts.length > 0 && !m.capped && res.openFailures === 0 && res.posts.errors === 0 && res.posts.ok === res.entriesDuring
    && res.lost === 0 && res.duplicated === 0 && res.outOfOrder === 0 && res.epochMismatch === 0 && res.resets === 0 && res.extra === 0
    && res.errorFrames === 0 && res.badFrames === 0 && res.closesBeforeRestart === 0 && res.closesNot1012 === 0 && res.readersIncomplete === 0
    && res.nodeA.exitCode === 0 && caughtUpMs.p100 !== null;
  return res;
}

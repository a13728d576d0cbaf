// The short human report of one result (stderr).

const n = (x, unit = '') => (x === null || x === undefined ? 'n/a' : `${Number(x).toLocaleString('en-US')}${unit}`);

const sec = (ms) => (ms === null || ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
const pcts = (o, ps) => ps.map((p) => `${p}% ${sec(o?.[`p${p}`])}`).join(', ') + (o?.never ? ` (${n(o.never)} never)` : '');

function restartHuman(r) {
  const b = r.nodeB ?? {};
  const c = r.reconnects ?? {};
  const lines = [
    `== restart: ${n(r.readersOpened)}/${n(r.readers)} readers on node A (${r.workers} worker processes), SIGTERM to A at t0, drain ${n(r.drainMs, ' ms')}; `
      + `${n(r.posts?.ok)}/${n(r.entriesDuring)} entries posted to node B over ${sec(r.posts?.lastPostMs)}`,
    `   A's closes reached readers: min ${sec(r.closeMs?.min)}, p50 ${sec(r.closeMs?.p50)}, max ${sec(r.closeMs?.max)} ${JSON.stringify(r.closeCodes ?? {})}; `
      + `A exited ${n(r.nodeA?.exitCode)} after ${sec(r.nodeA?.exitMs)} (CPU ${n(r.nodeA?.cpuSecAfterSigterm, ' s')})`,
    `   resubscribed and caught up on B, from t0: ${pcts(r.caughtUpMs, [50, 90, 99, 100])}; 100% from A's last close ${sec(r.caughtUpAfterLastCloseMs)}`,
    `   per reader close -> resubscribed: p50 ${sec(r.downtimeMs?.p50)}, p99 ${sec(r.downtimeMs?.p99)}, max ${sec(r.downtimeMs?.p100)}; `
      + `of it on B (connect -> subscribed): p50 ${sec(r.onBMs?.p50)}, p99 ${sec(r.onBMs?.p99)}, max ${sec(r.onBMs?.p100)}`,
    `   reconnects ${n(c.connectsToB)} (${n(c.readersRetried)} readers retried, ${n(c.failedAttempts)} failed ${JSON.stringify(c.failedReasons ?? {})}); `
      + `unavailable ${n(c.unavailableFrames)}, rate_limited ${n(c.rateLimitedFrames)}, drops on B ${n(c.dropsOnB)}`,
    `   node B: CPU ${n(b.cpuSec, ' s')} (${n(b.sysCpuSec, ' s')} kernel) over ${sec(r.waveSec === null ? null : r.waveSec * 1000)} (${n(b.cpuAvgCores)} cores avg, ${n(b.cpuPeakCores)} peak), `
      + `RSS ${n(Math.round((b.rssBeforeKB ?? NaN) / 1024), ' MB')} -> peak ${n(Math.round((b.peakRssKB ?? NaN) / 1024), ' MB')}; `
      + `client CPU ${n(r.clientCpuSec, ' s')} (${n(r.clientSysCpuSec, ' s')} kernel; ${n(r.clientCpuCores)} cores); redis ${n(r.redisCpuSec, ' s')}; machine ${n(r.machineBusyPct, '%')} busy`,
    `   lost ${n(r.lost)} dup ${n(r.duplicated)} out-of-order ${n(r.outOfOrder)} epoch mismatch ${n(r.epochMismatch)} resets ${n(r.resets)}`,
  ];
  if (!r.valid) lines.push(`   NOT VALID: ${r.errors.join('; ') || 'see counts above'}`);
  return lines.join('\n');
}

/** A few lines describing one JSON result. */
export function human(r) {
  if (r.mode === 'machine') {
    return `machine: ${r.cpus} x ${r.cpuModel}, ${r.memGB} GB, Node ${r.node}, nginx ${r.nginx}, nchan ${r.nchan}; `
      + `Liveline ${r.root} at ${r.commit}; ${r.busyBeforePct}% busy before`;
  }
  if (r.mode === 'sweep-summary') {
    return `== ${r.target} sweep: highest clean rate ${n(r.maxCleanDeliveriesPerSec, ' deliveries/s')} `
      + `(step ${n(r.maxCleanStep)}/s, ${n(r.serverCpuUsPerDeliveryAtMax, ' µs')} server CPU per delivery); stopped by ${r.stoppedBy}`;
  }
  if (r.mode === 'idle') {
    return `== ${r.target} idle: ${n(r.opened)}/${n(r.connections)} connections in ${n(r.connectSec, ' s')}, `
      + `server RSS ${n(r.serverRssKB?.before, ' KB')} -> ${n(r.serverRssKB?.after, ' KB')} = ${n(r.rssPerConnectionKB, ' KB')} per connection`
      + `${r.valid ? '' : ` NOT VALID: ${r.errors.join('; ')}`}`;
  }
  if (r.mode === 'restart') return restartHuman(r);
  const L = r.latencyMs ?? {};
  const lines = [
    `== ${r.target} ${r.mode}${r.nodes ? ` ${r.nodes}` : ''}${r.pinned ? ' pinned' : ''}${r.step ? ` step ${n(r.step)}/s` : ''}: ${n(r.readersOpened)}/${n(r.readers)} readers, `
      + `${n(r.rate)} posts/s offered (${n(r.offeredDeliveriesPerSec)} deliveries/s), frame ${n(r.frameBytes, ' B')}`,
    `   achieved ${n(r.achievedDeliveriesPerSec, ' deliveries/s')} over ${n(r.windowSec, ' s')} (drain ${n(r.drainSec, ' s')}); `
      + `posts ${n(r.posts?.ok)}/${n(r.posts?.offered)} ok at ${n(r.posts?.achievedRate, '/s')}${r.posts?.retries ? ` (${n(r.posts.retries)} retried)` : ''}, HTTP p99 ${n(r.posts?.httpMs?.p99, ' ms')}`,
    `   latency p50 ${n(L.p50, ' ms')} p90 ${n(L.p90, ' ms')} p99 ${n(L.p99, ' ms')} max ${n(L.max, ' ms')}; `
      + `lost ${n(r.lost)} dup ${n(r.duplicated)} out-of-order ${n(r.outOfOrder)}`,
    `   server CPU ${n(r.serverCpuSec, ' s')} = ${n(r.serverCpuUsPerDelivery, ' µs')}/delivery (${n(r.serverCpuUtil)} cores); `
      + `redis ${n(r.redisCpuSec, ' s')}; generator ${n(r.generatorCpuSec, ' s')} (${n(r.generatorCpuUtil)} cores); `
      + `server RSS ${n(r.serverRssKB?.withReaders, ' KB')} -> ${n(r.serverRssKB?.end, ' KB')}`,
  ];
  if (r.perNode) {
    lines.push(`   per node (${n(r.deliveriesPerServerCoreSec, ' deliveries/s per server core')}; ${n(r.unattributedCores)} cores unattributed): ${r.perNode.map((p) => `#${p.node} ${n(p.readers)} readers `
      + `${n(p.deliveriesPerSec, '/s')} CPU ${n(p.cpuCores)} cores (${n(p.cpuUsPerDelivery, ' µs')}/delivery)`).join('; ')}`);
  }
  if (r.serverLoopDelayMs) lines.push(`   event-loop delay per node: ${r.serverLoopDelayMs.map((d) => `max ${n(d.max, ' ms')} p99 ${n(d.p99, ' ms')}`).join('; ')}`);
  if (!r.valid) lines.push(`   NOT VALID: ${r.errors.join('; ') || 'see counts above'}`);
  return lines.join('\n');
}

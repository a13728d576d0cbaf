// The short human report of one result (stderr).

const n = (x, unit = '') => (x === null || x === undefined ? 'n/a' : `${Number(x).toLocaleString('en-US')}${unit}`);

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
  const L = r.latencyMs ?? {};
  const lines = [
    `== ${r.target} ${r.mode}${r.pinned ? ' pinned' : ''}${r.step ? ` step ${n(r.step)}/s` : ''}: ${n(r.readersOpened)}/${n(r.readers)} readers, `
      + `${n(r.rate)} posts/s offered (${n(r.offeredDeliveriesPerSec)} deliveries/s), frame ${n(r.frameBytes, ' B')}`,
    `   achieved ${n(r.achievedDeliveriesPerSec, ' deliveries/s')} over ${n(r.windowSec, ' s')} (drain ${n(r.drainSec, ' s')}); `
      + `posts ${n(r.posts?.ok)}/${n(r.posts?.offered)} ok at ${n(r.posts?.achievedRate, '/s')}, HTTP p99 ${n(r.posts?.httpMs?.p99, ' ms')}`,
    `   latency p50 ${n(L.p50, ' ms')} p90 ${n(L.p90, ' ms')} p99 ${n(L.p99, ' ms')} max ${n(L.max, ' ms')}; `
      + `lost ${n(r.lost)} dup ${n(r.duplicated)} out-of-order ${n(r.outOfOrder)}`,
    `   server CPU ${n(r.serverCpuSec, ' s')} = ${n(r.serverCpuUsPerDelivery, ' µs')}/delivery (${n(r.serverCpuUtil)} cores); `
      + `redis ${n(r.redisCpuSec, ' s')}; generator ${n(r.generatorCpuSec, ' s')} (${n(r.generatorCpuUtil)} cores); `
      + `server RSS ${n(r.serverRssKB?.withReaders, ' KB')} -> ${n(r.serverRssKB?.end, ' KB')}`,
  ];
  if (r.serverLoopDelayMs) lines.push(`   event-loop delay per node: ${r.serverLoopDelayMs.map((d) => `max ${n(d.max, ' ms')} p99 ${n(d.p99, ' ms')}`).join('; ')}`);
  if (!r.valid) lines.push(`   NOT VALID: ${r.errors.join('; ') || 'see counts above'}`);
  return lines.join('\n');
}

#!/usr/bin/env node
// Writes docs/benchmarks.md from the JSON lines of one `npm run bench` run:
//   node scripts/bench/report.mjs RESULTS.jsonl [OUT.md]     (or npm run bench -- --write-doc RESULTS.jsonl)
// The ratios compare each target with Nchan measured in the same run.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const n = (x, d = 0) => (x === null || x === undefined || !Number.isFinite(Number(x)) ? 'n/a'
  : Number(x).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const ratio = (a, b) => (a === null || a === undefined || !b ? 'n/a' : `${(a / b).toFixed(2)}x`);

/** The JSON lines of `file` that are results of this benchmark. */
export function readLines(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
    .filter((r) => r.bench === 'liveline-vs-nchan');
}

function fanoutTable(rows) {
  const nchan = rows.find((r) => r.target === 'nchan' && r.valid) ?? rows.find((r) => r.target === 'nchan');
  const out = [
    '| target | offered deliveries/s | achieved deliveries/s | vs Nchan | server CPU µs/delivery | vs Nchan | server cores used | p50 ms | p90 ms | p99 ms | max ms | lost / dup / out-of-order | Redis CPU s | generator CPU s (cores) | server RSS MB | valid |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const L = r.latencyMs ?? {};
    out.push(`| ${r.target} | ${n(r.offeredDeliveriesPerSec)} | ${n(r.achievedDeliveriesPerSec)} | ${ratio(r.achievedDeliveriesPerSec, nchan?.achievedDeliveriesPerSec)} `
      + `| ${n(r.serverCpuUsPerDelivery, 2)} | ${ratio(r.serverCpuUsPerDelivery, nchan?.serverCpuUsPerDelivery)} | ${n(r.serverCpuUtil, 2)} `
      + `| ${n(L.p50, 1)} | ${n(L.p90, 1)} | ${n(L.p99, 1)} | ${n(L.max, 1)} | ${n(r.lost)} / ${n(r.duplicated)} / ${n(r.outOfOrder)} `
      + `| ${n(r.redisCpuSec, 2)} | ${n(r.generatorCpuSec, 1)} (${n(r.generatorCpuUtil, 2)}) | ${n((r.serverRssKB?.end ?? NaN) / 1024, 0)} | ${r.valid ? 'yes' : 'NO'} |`);
  }
  return out.join('\n');
}

function sweepTable(all) {
  const sums = all.filter((r) => r.mode === 'sweep-summary');
  const nchan = sums.find((r) => r.target === 'nchan');
  const out = [
    '| target | highest clean rate, deliveries/s | vs Nchan | server CPU µs/delivery there | vs Nchan | p99 ms there | stopped by |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of sums) {
    out.push(`| ${r.target} | ${n(r.maxCleanDeliveriesPerSec)} | ${ratio(r.maxCleanDeliveriesPerSec, nchan?.maxCleanDeliveriesPerSec)} `
      + `| ${n(r.serverCpuUsPerDeliveryAtMax, 2)} | ${ratio(r.serverCpuUsPerDeliveryAtMax, nchan?.serverCpuUsPerDeliveryAtMax)} | ${n(r.latencyMsAtMax?.p99, 1)} | ${r.stoppedBy} |`);
  }
  const steps = all.filter((r) => r.mode === 'sweep');
  out.push('', 'Every step:', '', '| target | step deliveries/s | achieved | server µs/delivery | p50 ms | p99 ms | lost | clean |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of steps) {
    out.push(`| ${r.target} | ${n(r.step)} | ${n(r.achievedDeliveriesPerSec)} | ${n(r.serverCpuUsPerDelivery, 2)} | ${n(r.latencyMs?.p50, 1)} | ${n(r.latencyMs?.p99, 1)} | ${n(r.lost)} | ${r.clean ? 'yes' : 'no'} |`);
  }
  return out.join('\n');
}

function idleTable(rows) {
  const nchan = rows.find((r) => r.target === 'nchan');
  const out = [
    '| target | connections | RSS before MB | RSS after MB | KB per connection | vs Nchan | connect time s | valid |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    out.push(`| ${r.target} | ${n(r.opened)} | ${n(r.serverRssKB?.before / 1024, 1)} | ${n(r.serverRssKB?.after / 1024, 1)} | ${n(r.rssPerConnectionKB, 1)} `
      + `| ${ratio(r.rssPerConnectionKB, nchan?.rssPerConnectionKB)} | ${n(r.connectSec, 1)} | ${r.valid ? 'yes' : 'NO'} |`);
  }
  return out.join('\n');
}

/** `--nodes`: one row per node count, then each node's share. */
export function nodesSection(rows) {
  if (rows.length === 0) return [];
  const loop = (d) => (d ? `${n(d.max, 1)} / ${n(d.p99, 1)}` : 'n/a');
  const out = [
    '## Nodes add up? 1, 2, 4 nodes on a Redis Cluster', '',
    `${n(rows[0].readers)} readers on one feed, ${n(rows[0].rate)} posts/s = ${n(rows[0].offeredDeliveriesPerSec)} deliveries/s offered, ${n(rows[0].seconds)} s of posting; `
      + 'N Liveline nodes (`REDIS_CLUSTER_NODES`) on one throwaway Redis Cluster of 3 masters (no replicas, no AOF); reader i on node i mod N, '
      + 'post k through node k mod N. Nodes, cluster and generator share the machine\'s CPUs. Per-node deliveries/s = total × the node\'s share of readers '
      + '(exact: a valid run loses nothing). Each measured run follows a 2 s warm-up run (dropped). Unattributed cores = machine busy − '
      + 'server − generator − Redis: mostly kernel softirq (loopback TCP). Capacity and what limits scaling here: docs/capacity.md.', '',
    '| nodes | achieved deliveries/s | per node | p50 ms | p99 ms | max ms | lost / dup / out-of-order | server CPU cores (per node) | server µs/delivery | deliveries/s per server core | event-loop max / p99 ms per node | Redis CPU s | generator cores | unattributed cores | machine busy % | valid |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const L = r.latencyMs ?? {};
    const per = r.perNode ?? [];
    out.push(`| ${r.nodes} | ${n(r.achievedDeliveriesPerSec)} | ${n(r.deliveriesPerSecPerNode)} | ${n(L.p50, 1)} | ${n(L.p99, 1)} | ${n(L.max, 1)} `
      + `| ${n(r.lost)} / ${n(r.duplicated)} / ${n(r.outOfOrder)} | ${n(r.serverCpuUtil, 2)} (${per.map((p) => n(p.cpuCores, 2)).join(', ')}) | ${n(r.serverCpuUsPerDelivery, 2)} `
      + `| ${n(r.deliveriesPerServerCoreSec)} | ${per.map((p) => loop(p.loopDelayMs)).join('; ')} | ${n(r.redisCpuSec, 2)} | ${n(r.generatorCpuUtil, 2)} | ${n(r.unattributedCores, 2)} | ${n(r.machineBusyPct)} | ${r.valid ? 'yes' : 'NO'} |`);
  }
  return [...out, ''];
}

const secs = (ms) => (ms === null || ms === undefined ? 'n/a' : (ms / 1000).toFixed(2));

function restartTable(rows) {
  const out = [
    '| readers | drain ms | workers | A\'s closes reached readers s (min / p50 / max) | close → resubscribed s (p50 / p99 / max) | resubscribed and caught up from t0 s (50% / 90% / 99% / 100%) | 100% from A\'s last close s | node A exit (code, s) | node B CPU s (cores avg / peak) | node B RSS MB (before → peak) | client CPU s | lost / dup / out-of-order | valid |',
    '| ---: | ---: | ---: | --- | --- | --- | ---: | --- | --- | --- | ---: | --- | --- |',
  ];
  for (const r of rows) {
    const c = r.closeMs ?? {};
    const d = r.downtimeMs ?? {};
    const u = r.caughtUpMs ?? {};
    const b = r.nodeB ?? {};
    out.push(`| ${n(r.readersOpened)}${r.pinned ? ' (B pinned)' : ''} | ${n(r.drainMs)} | ${n(r.workers)} | ${secs(c.min)} / ${secs(c.p50)} / ${secs(c.max)} `
      + `| ${secs(d.p50)} / ${secs(d.p99)} / ${secs(d.p100)} | ${secs(u.p50)} / ${secs(u.p90)} / ${secs(u.p99)} / ${secs(u.p100)} | ${secs(r.caughtUpAfterLastCloseMs)} `
      + `| ${n(r.nodeA?.exitCode)}, ${secs(r.nodeA?.exitMs)} | ${n(b.cpuSec, 2)} (${n(b.cpuAvgCores, 2)} / ${n(b.cpuPeakCores, 2)}) `
      + `| ${n(b.rssBeforeKB / 1024)} → ${n(b.peakRssKB / 1024)} | ${n(r.clientCpuSec, 2)} | ${n(r.lost)} / ${n(r.duplicated)} / ${n(r.outOfOrder)} | ${r.valid ? 'yes' : 'NO'} |`);
  }
  return out.join('\n');
}

/** Renders the markdown for `all` (parsed JSON lines). */
export function render(all) {
  const m = all.find((r) => r.mode === 'machine') ?? {};
  const commands = [...new Set(all.map((r) => r.command))];
  const sat = all.filter((r) => r.mode === 'saturate');
  const fixed = all.filter((r) => r.mode === 'fixed');
  const idle = all.filter((r) => r.mode === 'idle');
  const parts = [
    '# Benchmarks: Liveline next to nginx + Nchan',
    '',
    '<!-- Generated by scripts/bench/report.mjs from the JSON lines of one `npm run bench` run; do not edit by hand. -->',
    '',
    `Machine: ${m.cpus ?? '?'} × ${m.cpuModel ?? '?'}, ${m.memGB ?? '?'} GB RAM, Linux ${m.kernel ?? '?'}, Node ${m.node ?? '?'}, `
      + `nginx ${m.nginx ?? '?'} with libnginx-mod-nchan ${m.nchan ?? '?'}. Liveline commit \`${m.commit ?? '?'}\`.`,
    '',
    'Commands:',
    '',
    ...commands.map((c) => `    ${c}`),
    '',
    'How it measures: readers are WebSocket connections held by load-generator worker processes (child processes, '
      + 'not threads); one more process publishes through the real HTTP API with a keep-alive agent and bounded concurrency '
      + '(Liveline: `POST /v1/feeds/:feedId/entries` with a Bearer token; Nchan: `POST /pub/:channel`). Every delivery frame '
      + 'is ~500 bytes and carries its send time; latency is receive time minus send time (`performance.timeOrigin + performance.now()` '
      + 'in both processes). Every reader checks every delivery: lost, duplicated and out-of-order counts must be 0. '
      + 'Achieved deliveries/s = distinct deliveries / (last delivery − first post + one post interval): after the posting time the window stays open until '
      + 'every reader has every post (bounded; what is still missing then counts as lost), so an overloaded server\'s backlog is '
      + 'included. Server CPU is utime+stime of the server processes from /proc (nginx master + worker; both Liveline nodes for '
      + 'two-nodes); Redis CPU is reported apart. Nchan uses Redis storage on its own throwaway redis-server, like Liveline on Redis.',
    '',
  ];
  if (sat.length > 0) {
    parts.push('## Saturation, server pinned to one CPU', '',
      `${n(sat[0].readers)} readers on one feed, ${n(sat[0].rate)} posts/s offered = ${n(sat[0].offeredDeliveriesPerSec)} deliveries/s, `
        + `${n(sat[0].seconds)} s of posting. Server process(es) on CPU 0 (\`taskset\`), generator workers and Redis on the other CPU(s).`,
      '', fanoutTable(sat), '');
  }
  if (fixed.length > 0) parts.push('## Fixed rate, unpinned', '', fanoutTable(fixed), '');
  if (all.some((r) => r.mode === 'sweep-summary')) {
    const s = all.find((r) => r.mode === 'sweep-summary');
    parts.push('## Sweep, unpinned', '',
      `${n(s.readers)} readers, rising rates until p99 ≥ ${s.p99LimitMs} ms or any loss; the highest rate with p99 below it and nothing lost. `
        + 'Unpinned: server, Redis and generator share all CPUs.', '', sweepTable(all), '');
  }
  if (idle.length > 0) parts.push('## Idle connections', '', 'Subscribed WebSocket connections that receive nothing; server RSS growth per connection (one node / nginx master + worker).', '', idleTable(idle), '');
  const restarts = all.filter((r) => r.mode === 'restart');
  if (restarts.length > 0) {
    parts.push('## Restart', '',
      'Two Liveline nodes, A and B, on one throwaway redis-server; N readers subscribed on A from mid-history (seq after 10 entries). '
        + 't0 = SIGTERM to node A: A closes its readers (1012) over LIVELINE_DRAIN_MS; each reconnects to B after the SDK\'s full-jitter backoff '
        + '(random in [0, 0.5 s) at first) and resumes with `since` + `epoch` while 20 entries are posted to B over max(1 s, drain). '
        + '"Caught up" = resubscribed on B and holding the last seq. Client, both nodes and Redis share the machine\'s CPUs (node A\'s shutdown too).',
      '', restartTable(restarts), '');
  }
  parts.push(...nodesSection(all.filter((r) => r.mode === 'nodes')));
  parts.push('Ratios are against Nchan measured in the same run. A generator using close to all of its CPU(s) limits what can be measured; see its column.', '');
  return parts.join('\n');
}

/** Reads `jsonl`, writes `out`, returns `out`. */
export function writeDoc(jsonl, out) {
  writeFileSync(out, render(readLines(jsonl)));
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, out] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node scripts/bench/report.mjs RESULTS.jsonl [OUT.md]\n');
    process.exit(2);
  }
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  process.stdout.write(`${writeDoc(file, out ?? path.join(root, 'docs', 'benchmarks.md'))}\n`);
}

/**
 * `npm run bench [-- --only verify|http|fastify|nest|stores|memory|tracking] [-- --quick]`: every
 * scenario in one run, tables on stdout, JSON in bench/results/, and a PASS/FAIL line per bar of
 * the issue.
 */
import { QUICK, machine, type Bar } from './lib';
import { runFastify } from './fastify';
import { runHttp } from './http';
import { runMemory } from './memory';
import { runNest } from './nest';
import { runPipeline } from './pipeline';
import { runStores } from './stores';
import { runTracking } from './tracking';
import { runVerify } from './verify';

const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
const wanted = (name: string): boolean => only === undefined || only === name;

async function main(): Promise<void> {
  const started = Date.now();
  const m = machine();
  console.log(
    `auth-sdk-m8 bench — node ${m.node}, ${m.cpu} x ${m.cores}, ${m.memoryGiB} GiB${QUICK ? ' (quick)' : ''}`,
  );
  const bars: Bar[] = [];
  if (wanted('verify')) {
    const r = await runVerify();
    console.log(r.text);
    bars.push(...r.bars);
    console.log((await runPipeline()).text);
  }
  if (wanted('http')) {
    const r = await runHttp();
    console.log(r.text);
    bars.push(...r.bars);
  }
  if (wanted('fastify')) {
    const r = await runFastify();
    console.log(r.text);
    bars.push(...r.bars);
  }
  if (wanted('nest')) {
    const r = await runNest();
    console.log(r.text);
    bars.push(...r.bars);
  }
  if (wanted('stores')) console.log((await runStores()).text);
  if (wanted('tracking')) {
    const r = await runTracking();
    console.log(r.text);
    bars.push(...r.bars);
  }
  if (wanted('memory')) {
    const r = await runMemory();
    console.log(r.text);
    bars.push(...r.bars);
  }
  console.log('\nBars (one run, a shared 2-core machine: expect a few percent of noise)');
  for (const bar of bars) console.log(`${bar.ok ? 'PASS' : 'FAIL'}  ${bar.name}  (${bar.detail})`);
  console.log(`\nElapsed: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

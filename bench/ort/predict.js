// ONNX Runtime (onnxruntime-node, CPU, 1 thread) side of bench/predict_bench.sh, timed from
// JavaScript: each single-row call is `await session.run(...)` between two hrtime reads, so
// the JS-to-native call and the promise are included.
// usage: node predict.js CONFIG DIR [CALLS]   (reads DIR/CONFIG.json and DIR/CONFIG.onnx)
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

const ROWS = 1024;

async function measure(session, rows, batch, calls) {
  for (let i = 0; i < calls / 10; i++) await session.run(rows[i % ROWS]);
  const ns = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(rows[i % ROWS]);
    ns[i] = Number(process.hrtime.bigint() - t0);
  }
  ns.sort();
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await session.run(rows[i % ROWS]);
  const meanUs = Number(process.hrtime.bigint() - t0) / calls / 1e3;
  for (let i = 0; i < 3; i++) await session.run(batch);
  const secs = [];
  const end = Date.now() + 500;
  while (secs.length < 5 || Date.now() < end) {
    t0 = process.hrtime.bigint();
    await session.run(batch);
    secs.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  secs.sort((a, b) => a - b);
  return {p50_us: ns[calls >> 1] / 1e3, p99_us: ns[Math.floor(calls * 0.99)] / 1e3,
          mean_us: meanUs, batch_rows_per_s: ROWS / secs[0]};
}

async function main() {
  const [name, dir, callsArg] = process.argv.slice(2);
  const calls = Number(callsArg || 200000);
  const F = JSON.parse(fs.readFileSync(`${dir}/${name}.json`)).inputs;
  const session = await ort.InferenceSession.create(`${dir}/${name}.onnx`, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all'});
  const X = Float32Array.from({length: ROWS * F}, () => Math.random() * 2 - 1);
  const rows = [];
  for (let i = 0; i < ROWS; i++) {
    rows.push({x: new ort.Tensor('float32', X.slice(i * F, (i + 1) * F), [1, F])});
  }
  const result = await measure(session, rows, {x: new ort.Tensor('float32', X, [ROWS, F])}, calls);
  Object.assign(result, {tool: 'onnxruntime', config: name,
                         setting: 'onnxruntime-node (from JS, await run)',
                         maxrss_kb: process.resourceUsage().maxRSS});
  console.log(JSON.stringify(result));
}

main().catch((e) => { console.error(`ort predict.js: ${e.message}`); process.exit(1); });

// Stress: the arrival rate ramps up over each protocol until a threshold
// fails (p95 Send latency over P95_MS, or more than MAX_ERRORS failed),
// which stops the run 10 s later: the rate it reached is what the system,
// with k6 on the same machine, takes. teardown logs that rate.
//
//   TERN_KEY=$(cat data/dev-api-key) .bin/k6 run -e MAX_RATE=4000 -e RAMP=90s bench/k6/stress.js
//
// Environment: START_RATE and MAX_RATE Sends a second over both protocols
// together (default 100 and 4000), RAMP (default 90s), VUS the most VUs per
// protocol (default 500); lib.js has the rest.
import { both, thresholds, summaryTrendStats, start, finish, sendGRPC, sendConnect } from './lib.js';

const START = parseInt(__ENV.START_RATE || '100', 10);
const MAX = parseInt(__ENV.MAX_RATE || '4000', 10);
const RAMP = __ENV.RAMP || '90s';
const VUS = parseInt(__ENV.VUS || '500', 10);

export const options = {
  scenarios: both({
    executor: 'ramping-arrival-rate',
    startRate: START, timeUnit: '1s',
    stages: [{ target: MAX, duration: RAMP }],
    preAllocatedVUs: 50, maxVUs: VUS,
  }, ['startRate']),
  thresholds: thresholds(true),
  summaryTrendStats,
};

export const setup = () => start('stress');

// teardown logs the offered rate when the run stopped: the ramp is linear.
export function teardown(data) {
  const secs = (Date.now() - data.began) / 1000;
  const ramp = parseFloat(RAMP) * ({ s: 1, m: 60, h: 3600 }[RAMP.slice(-1)] || 1);
  const rate = START + (MAX - START) * Math.min(secs / ramp, 1);
  console.log(`stress: stopped ${secs.toFixed(0)} s after the start, offering about ${rate.toFixed(0)} Sends/s (both protocols)`);
  finish(data);
}

export const grpc = sendGRPC;
export const connect = sendConnect;

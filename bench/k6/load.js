// Load: a constant arrival rate over each protocol, the rate an operator
// expects, with latency counted for every Send that starts on schedule
// (one that cannot start for want of a free VU counts in
// dropped_iterations).
//
//   TERN_KEY=$(cat data/dev-api-key) .bin/k6 run -e RATE=500 -e DURATION=60s bench/k6/load.js
//
// Environment: RATE Sends a second over both protocols together (default
// 200), DURATION (default 60s), VUS the most VUs per protocol (default
// 200); lib.js has the rest.
import { both, thresholds, summaryTrendStats, start, finish, sendGRPC, sendConnect } from './lib.js';

const RATE = parseInt(__ENV.RATE || '200', 10);
const VUS = parseInt(__ENV.VUS || '200', 10);

export const options = {
  scenarios: both({
    executor: 'constant-arrival-rate',
    rate: RATE, timeUnit: '1s', duration: __ENV.DURATION || '60s',
    preAllocatedVUs: Math.min(VUS, 20), maxVUs: VUS,
  }, ['rate']),
  thresholds: thresholds(),
  summaryTrendStats,
};

export const setup = () => start('load');
export const teardown = finish;
export const grpc = sendGRPC;
export const connect = sendConnect;

// Smoke: a few Sends a second over each protocol for a few seconds, to
// show the script, the API key and tern work before a longer run.
//
//   TERN_KEY=$(cat data/dev-api-key) .bin/k6 run bench/k6/smoke.js
//
// Environment: RATE Sends a second over both protocols together (default
// 10), DURATION (default 10s); lib.js has the rest.
import { both, thresholds, summaryTrendStats, start, finish, sendGRPC, sendConnect } from './lib.js';

const RATE = parseInt(__ENV.RATE || '10', 10);

export const options = {
  scenarios: both({
    executor: 'constant-arrival-rate',
    rate: RATE, timeUnit: '1s', duration: __ENV.DURATION || '10s',
    preAllocatedVUs: 2, maxVUs: 10,
  }, ['rate']),
  thresholds: thresholds(),
  summaryTrendStats,
};

export const setup = () => start('smoke');
export const teardown = finish;
export const grpc = sendGRPC;
export const connect = sendConnect;

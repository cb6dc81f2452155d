// Soak: a modest constant arrival rate over each protocol for a long
// time, to show latency and errors stay flat while tern's tables, topics
// and ClickHouse grow. DURATION is the soak's length; the default is a
// two-minute demonstration, a real soak is hours.
//
//   TERN_KEY=$(cat data/dev-api-key) .bin/k6 run -e DURATION=4h bench/k6/soak.js
//
// Environment: RATE Sends a second over both protocols together (default
// 100), DURATION (default 2m), VUS the most VUs per protocol (default
// 200); lib.js has the rest.
import { both, thresholds, summaryTrendStats, start, finish, sendGRPC, sendConnect } from './lib.js';

const RATE = parseInt(__ENV.RATE || '100', 10);
const VUS = parseInt(__ENV.VUS || '200', 10);

export const options = {
  scenarios: both({
    executor: 'constant-arrival-rate',
    rate: RATE, timeUnit: '1s', duration: __ENV.DURATION || '2m',
    preAllocatedVUs: Math.min(VUS, 20), maxVUs: VUS,
  }, ['rate']),
  thresholds: thresholds(),
  summaryTrendStats,
};

export const setup = () => start('soak');
export const teardown = finish;
export const grpc = sendGRPC;
export const connect = sendConnect;

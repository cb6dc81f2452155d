// Unary MessageService.Send load for k6 (https://k6.io), the same load the Go
// harness makes (go run ./bench/e2e): one-part GSM-7 transactional and OTP
// texts to 100,000 distinct US numbers, one campaign per run.
//
// Not run on the machine whose numbers are in bench/RESULTS.md: the k6
// binary cannot be installed there, so the published numbers come from the
// Go harness. This script is for users who have k6.
//
// gRPC over cleartext HTTP/2 with server reflection, which tern serves on
// its API port (k6's HTTP client speaks HTTP/2 only over TLS, so the Connect
// protocol over h2c is out of its reach). Unlike the Go harness, which shares
// a few connections among its callers, k6 gives every VU its own connection.
//
//   k6 run -e TERN_KEY=$(cat data/dev-api-key) bench/k6/send.js
//   k6 run -e TERN_KEY=... -e RATE=2000 -e DURATION=60s bench/k6/send.js   # open loop
//
// Environment:
//   TERN_ADDR  host:port of the API (default 127.0.0.1:8080)
//   TERN_KEY   API key (required; `tern serve --dev` prints one)
//   VUS        closed loop: VUs each with one call in flight (default 256);
//              open loop: the most VUs k6 may use
//   RATE       calls per second for an open loop (constant-arrival-rate);
//              unset or 0 runs a closed loop (constant-vus)
//   DURATION   how long to run (default 60s)
//   CAMPAIGN   campaign id (default bench-k6-<start time>), for
//              AnalyticsService.GetCampaignStats afterwards
import grpc from 'k6/net/grpc';
import exec from 'k6/execution';
import { check, fail } from 'k6';

const ADDR = __ENV.TERN_ADDR || '127.0.0.1:8080';
const KEY = __ENV.TERN_KEY || '';
const VUS = parseInt(__ENV.VUS || '256', 10);
const RATE = parseInt(__ENV.RATE || '0', 10);
const DURATION = __ENV.DURATION || '60s';
const CAMPAIGN = __ENV.CAMPAIGN || `bench-k6-${new Date().toISOString().replace(/[-:.]/g, '')}`;
const RECIPIENTS = 100000;

export const options = {
  scenarios: {
    send: RATE > 0
      ? { executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s', duration: DURATION, preAllocatedVUs: VUS, maxVUs: VUS }
      : { executor: 'constant-vus', vus: VUS, duration: DURATION },
  },
  thresholds: {
    checks: ['rate>0.999'],
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(90)', 'p(99)', 'max'],
};

const client = new grpc.Client();
const params = { metadata: { authorization: `Bearer ${KEY}` }, timeout: '30s' };

export function setup() {
  if (!KEY) {
    fail('set TERN_KEY to an API key');
  }
  console.log(`campaign ${CAMPAIGN}`);
}

// request returns the i-th request: recipient i mod RECIPIENTS in area code
// 415 (exchanges 200-999, valid North American numbers), four text kinds.
function request(i) {
  const n = i % RECIPIENTS;
  const to = `+1415${2000000 + ((n * 7919) % 8000000)}`;
  const req = { to, from: 'Shop', campaign_id: CAMPAIGN, category: 'CATEGORY_TRANSACTIONAL' };
  switch (i % 4) {
    case 0:
      req.body = `Your order #${40000 + n} has shipped. Track it at https://shop.example/t/${(n * 2654435761 % 16777216).toString(16)}`;
      break;
    case 1:
      req.body = `Your login code is ${String((n * 7919) % 1000000).padStart(6, '0')}. It expires in 10 minutes.`;
      req.category = 'CATEGORY_OTP';
      break;
    case 2:
      req.body = `Order #${40000 + n} arrives today between 14:00 and 16:00.`;
      break;
    default:
      req.body = `We received your payment of $${5 + (n % 300)}.${String(n % 100).padStart(2, '0')} for order #${40000 + n}. Thank you!`;
  }
  return req;
}

export default function () {
  if (exec.vu.iterationInScenario === 0) {
    client.connect(ADDR, { plaintext: true, reflect: true, timeout: '10s' });
  }
  const res = client.invoke('tern.v1.MessageService/Send', request(exec.scenario.iterationInTest), params);
  check(res, {
    'status OK': (r) => r && r.status === grpc.StatusOK,
    'queued': (r) => r && r.message && r.message.status === 'STATUS_QUEUED',
  });
}

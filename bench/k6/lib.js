// What every k6 scenario of tern shares: the requests, a Send over gRPC
// (k6/net/grpc, with the proto files of proto/) and over Connect JSON on
// HTTP/1.1 (k6/http), the two protocols as two scenarios side by side,
// their thresholds, and a look at the campaign in ClickHouse at the end.
//
// Environment (bench/k6/run.sh sets the first two):
//   TERN_ADDR  host:port of the API (default 127.0.0.1:8080, `make run`'s)
//   TERN_KEY   API key (required; `tern serve --dev` writes data/dev-api-key)
//   P95_MS     threshold on each protocol's p95 Send latency (default 500)
//   MAX_ERRORS threshold on each protocol's share of failed Sends (default 0.01)
//   CAMPAIGN   campaign id (default k6-<scenario>-<start time>)
import grpc from 'k6/net/grpc';
import http from 'k6/http';
import exec from 'k6/execution';
import { check, fail, sleep } from 'k6';
import { Rate } from 'k6/metrics';

export const ADDR = __ENV.TERN_ADDR || '127.0.0.1:8080';
const KEY = __ENV.TERN_KEY || '';
const P95_MS = parseFloat(__ENV.P95_MS || '500');
const MAX_ERRORS = parseFloat(__ENV.MAX_ERRORS || '0.01');
const RECIPIENTS = 100000;

// sendErrors is the share of Sends that did not come back queued, per
// protocol (tagged by scenario).
const sendErrors = new Rate('send_errors');

const client = new grpc.Client();
client.load(['../../proto'], 'tern/v1/message_service.proto');
let connected = false;

const auth = `Bearer ${KEY}`;
const grpcParams = { metadata: { authorization: auth }, timeout: '30s' };
const httpParams = {
  headers: { 'Content-Type': 'application/json', Authorization: auth },
  timeout: '30s',
  tags: { name: 'MessageService/Send' },
};

// request is the i-th Send (gRPC sends the even ones, Connect the odd):
// recipient i mod RECIPIENTS in area code 415
// (exchanges 200-999, valid North American numbers), four one-part GSM-7
// texts, a quarter of them login codes, as the Go harness sends.
export function request(i, campaign) {
  const n = i % RECIPIENTS;
  const to = `+1415${2000000 + ((n * 7919) % 8000000)}`;
  const req = { to, from: 'Shop', campaign_id: campaign, category: 'CATEGORY_TRANSACTIONAL' };
  switch (i % 4) {
    case 0:
      req.body = `Your order #${40000 + n} has shipped. Track it at https://shop.example/t/${((n * 2654435761) % 16777216).toString(16)}`;
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

// sendGRPC sends the next request over gRPC, on one HTTP/2 connection per
// VU.
export function sendGRPC(data) {
  if (!connected) {
    client.connect(ADDR, { plaintext: true, timeout: '10s' });
    connected = true;
  }
  const res = client.invoke('tern.v1.MessageService/Send', request(2 * exec.scenario.iterationInTest, data.campaign), grpcParams);
  const ok = check(res, {
    'gRPC: OK and queued': (r) => r && r.status === grpc.StatusOK && r.message && r.message.status === 'STATUS_QUEUED',
  });
  sendErrors.add(!ok);
}

// sendConnect sends the next request as Connect JSON, a POST over
// HTTP/1.1 (k6's HTTP client speaks HTTP/2 only over TLS).
export function sendConnect(data) {
  const body = JSON.stringify(request(2 * exec.scenario.iterationInTest + 1, data.campaign));
  const res = http.post(`http://${ADDR}/tern.v1.MessageService/Send`, body, httpParams);
  const ok = check(res, {
    'Connect: 200 and queued': (r) => r.status === 200 && r.json('status') === 'STATUS_QUEUED',
  });
  sendErrors.add(!ok);
}

// both returns the executor cfg twice, as a gRPC and a Connect scenario,
// each with half of rate (the key cfg names it in, if any).
export function both(cfg, rateKeys = []) {
  const half = (c) => {
    const out = Object.assign({}, c);
    for (const k of rateKeys) {
      out[k] = Math.max(1, Math.round(c[k] / 2));
    }
    if (out.stages) {
      out.stages = c.stages.map((s) => ({ duration: s.duration, target: Math.max(1, Math.round(s.target / 2)) }));
    }
    return out;
  };
  return {
    grpc: Object.assign(half(cfg), { exec: 'grpc' }),
    connect: Object.assign(half(cfg), { exec: 'connect' }),
  };
}

// thresholds fail the run when either protocol's p95 Send latency passes
// P95_MS or more than MAX_ERRORS of its Sends fail; with abort, they stop
// it too (the stress scenario ramps until they do).
export function thresholds(abort = false) {
  const t = (expr) => (abort ? [{ threshold: expr, abortOnFail: true, delayAbortEval: '10s' }] : [expr]);
  return {
    'grpc_req_duration{scenario:grpc}': t(`p(95)<${P95_MS}`),
    'http_req_duration{scenario:connect}': t(`p(95)<${P95_MS}`),
    'send_errors{scenario:grpc}': t(`rate<${MAX_ERRORS}`),
    'send_errors{scenario:connect}': t(`rate<${MAX_ERRORS}`),
  };
}

export const summaryTrendStats = ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'];

// start checks the key and names the run's campaign, once for all VUs.
export function start(scenario) {
  if (!KEY) {
    fail('set TERN_KEY to an API key (make run writes data/dev-api-key)');
  }
  const campaign = __ENV.CAMPAIGN || `k6-${scenario}-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  console.log(`${scenario}: campaign ${campaign} on ${ADDR}`);
  return { campaign, began: Date.now() };
}

// finish waits up to 30 s for the campaign's count in ClickHouse
// (GetCampaignStats) to settle, with nothing accepted still queued or
// submitted, and logs it.
export function finish(data) {
  const url = `http://${ADDR}/tern.v1.AnalyticsService/GetCampaignStats`;
  const body = JSON.stringify({ campaign_id: data.campaign });
  let stats = {};
  let last = -1;
  for (let i = 0; i < 30; i++) {
    const res = http.post(url, body, { headers: httpParams.headers, tags: { name: 'GetCampaignStats' } });
    if (res.status === 200) {
      stats = res.json();
      const accepted = Number(stats.accepted || 0);
      if (accepted > 0 && accepted === last && Number(stats.queued || 0) + Number(stats.submitted || 0) === 0) {
        break;
      }
      last = accepted;
    }
    sleep(1);
  }
  console.log(`campaign ${data.campaign} in ClickHouse: ${JSON.stringify(stats)}`);
}

// Usage: node check.js host:port [host:port ...]
// For each address: list services by reflection, require pin.v1.* and grpc.health.v1.Health,
// resolve every pin.v1 service's descriptor, require health SERVING, and make one call that the
// service must reject with INVALID_ARGUMENT (an empty request) — all without any .proto file.
'use strict';
const grpc = require('@grpc/grpc-js');
const { Client: ReflectionClient } = require('grpc-reflection-js');

function unary(address, root, service, method, body) {
  const svc = root.lookupService(service);
  const m = svc.methods[method];
  const req = root.lookupType(m.requestType);
  const res = root.lookupType(m.responseType);
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(`/${service}/${method}`,
      (o) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      (b) => res.toObject(res.decode(b), { enums: String, defaults: true }),
      body, { deadline: Date.now() + 10000 },
      (err, value) => { client.close(); resolve({ err, value }); });
  });
}

async function check(address) {
  const reflection = new ReflectionClient(address, grpc.credentials.createInsecure());
  const services = await reflection.listServices();
  console.log(`${address}: ${services.join(', ')}`);
  const pin = services.filter((s) => s.startsWith('pin.v1.'));
  if (pin.length === 0) throw new Error(`${address}: no pin.v1 service listed`);
  if (!services.includes('grpc.health.v1.Health')) throw new Error(`${address}: no health service`);
  for (const name of pin) {
    const root = await reflection.fileContainingSymbol(name);
    const methods = Object.keys(root.lookupService(name).methods);
    console.log(`  ${name}: ${methods.join(', ')}`);
  }
  const healthRoot = await reflection.fileContainingSymbol('grpc.health.v1.Health');
  const health = await unary(address, healthRoot, 'grpc.health.v1.Health', 'Check', { service: '' });
  if (health.err) throw new Error(`${address}: health check failed: ${health.err.message}`);
  console.log(`  health: ${health.value.status}`);
  if (health.value.status !== 'SERVING') throw new Error(`${address}: not SERVING`);
  const service = pin[0];
  const root = await reflection.fileContainingSymbol(service);
  const method = Object.keys(root.lookupService(service).methods)
    .find((m) => !root.lookupService(service).methods[m].requestStream
      && !root.lookupService(service).methods[m].responseStream
      && !['ListRuns'].includes(m));
  const call = await unary(address, root, service, method, {});
  if (!call.err || call.err.code !== grpc.status.INVALID_ARGUMENT) {
    throw new Error(`${address}: ${service}/${method} with an empty request should be INVALID_ARGUMENT, got ${call.err ? call.err.code : 'OK'}`);
  }
  console.log(`  ${service}/${method}({}) -> INVALID_ARGUMENT: ${call.err.details}`);
}

(async () => {
  const addresses = process.argv.slice(2);
  if (addresses.length === 0) { console.error('usage: node check.js host:port ...'); process.exit(2); }
  try {
    for (const a of addresses) await check(a);
    console.log('reflection check passed');
  } catch (e) {
    console.error(`reflection check FAILED: ${e.message}`);
    process.exit(1);
  }
})();

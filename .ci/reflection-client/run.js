// Usage: node run.js ORCHESTRATOR_HOST:PORT SPEC.json [TIMEOUT_SECONDS]
// An independent client of the public API that knows it only through server reflection (no .proto
// file): it starts a run from SPEC.json (a pin.v1.RunSpec written with the .proto field names),
// follows WatchRun to the run's end printing each event (step and reward first), then reads the
// run back with GetRun. Exits 0 only when the run COMPLETED with every step reported and its best
// prompts evaluated on the test split.
'use strict';
const fs = require('fs');
const grpc = require('@grpc/grpc-js');
const { Client: ReflectionClient } = require('grpc-reflection-js');

const SERVICE = 'pin.v1.Orchestrator';

// Renames a JSON object's keys to the reflected type's field names (snake_case in the .proto,
// camelCase once protobufjs has read the descriptor), recursively, so the spec file does not
// depend on which form the descriptor loader chose.
function normalise(type, value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key]
      || Object.values(type.fields).find((f) => camel(f.name) === camel(key));
    if (!field) throw new Error(`${type.fullName} has no field '${key}'`);
    field.resolve();
    const sub = field.resolvedType && field.resolvedType.fields ? field.resolvedType : null;
    out[field.name] = sub
      ? (Array.isArray(v) ? v.map((x) => normalise(sub, x)) : normalise(sub, v))
      : v;
  }
  return out;
}

function methodOf(root, name) {
  const m = root.lookupService(SERVICE).methods[name];
  m.resolve();
  return { path: `/${SERVICE}/${name}`, req: m.resolvedRequestType, res: m.resolvedResponseType };
}

const toObject = (type, bytes) => type.toObject(type.decode(bytes),
  { enums: String, longs: Number, defaults: true, oneofs: true });

function unary(client, root, name, body, seconds) {
  const m = methodOf(root, name);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(m.path,
      (o) => Buffer.from(m.req.encode(m.req.fromObject(normalise(m.req, o))).finish()),
      (b) => toObject(m.res, b), body, { deadline: Date.now() + seconds * 1000 },
      (err, value) => (err ? reject(new Error(`${name}: ${err.code} ${err.details}`))
        : resolve(value)));
  });
}

// Field values by proto name, whichever case the descriptor loader used.
function get(obj, snake) {
  if (obj == null) return undefined;
  if (snake in obj) return obj[snake];
  return obj[snake.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())];
}

function describe(e) {
  const kind = e.event;
  const v = e[kind];
  switch (kind) {
    case 'step':
      return `step ${v.step}: reward mean ${get(v, 'reward_mean').toFixed(3)} max `
        + `${get(v, 'reward_max').toFixed(3)}, train accuracy `
        + `${get(v, 'train_accuracy').toFixed(1)}% (loss ${v.loss.toFixed(2)})`;
    case 'state': return `state ${v.from} -> ${v.to}: ${v.reason}`;
    case 'evaluation': return `evaluation at step ${v.step} on ${v.split}: score `
      + `${get(v.prompt, v.split === 'SPLIT_TEST' ? 'test_score' : 'dev_score')}`
      + ` for "${v.prompt.prompt.text}"`;
    case 'best_prompt': case 'bestPrompt':
      return `best prompt "${v.prompt.text}" (dev ${get(v, 'dev_score')})`;
    case 'checkpoint': return `checkpoint at step ${get(v, 'episode_step')}`;
    case 'message': return v;
    default: return JSON.stringify(e);
  }
}

async function main() {
  const [address, specFile, timeoutArg] = process.argv.slice(2);
  if (!address || !specFile) {
    console.error('usage: node run.js HOST:PORT SPEC.json [TIMEOUT_SECONDS]');
    process.exit(2);
  }
  const timeout = Number(timeoutArg || 300);
  const started = Date.now();
  const reflection = new ReflectionClient(address, grpc.credentials.createInsecure());
  const root = await reflection.fileContainingSymbol(SERVICE);
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));

  const run = await unary(client, root, 'StartRun', { spec }, 60);
  const maxSteps = get(get(run.spec, 'budget'), 'max_steps');
  console.log(`started ${run.id} (${run.spec.method}, ${maxSteps} steps of `
    + `${get(run.spec, 'prompts_per_step')} prompts)`);

  const watch = methodOf(root, 'WatchRun');
  const events = await new Promise((resolve, reject) => {
    const seen = [];
    const call = client.makeServerStreamRequest(watch.path,
      (o) => Buffer.from(watch.req.encode(watch.req.fromObject(normalise(watch.req, o))).finish()),
      (b) => toObject(watch.res, b), { run_id: run.id }, new grpc.Metadata(),
      { deadline: started + timeout * 1000 });
    call.on('data', (e) => {
      seen.push(e);
      console.log(`  #${e.sequence} ${describe(e)}`);
    });
    call.on('error', (err) => reject(new Error(`WatchRun: ${err.code} ${err.details}`)));
    call.on('end', () => resolve(seen));
  });

  const states = events.filter((e) => e.event === 'state').map((e) => e.state.to);
  const last = states[states.length - 1];
  const steps = events.filter((e) => e.event === 'step').map((e) => e.step.step);
  const done = await unary(client, root, 'GetRun', { run_id: run.id }, 30);
  client.close();
  const best = get(done, 'best_prompts');
  for (const p of best) {
    console.log(`best prompt "${p.prompt.text}": dev ${get(p, 'dev_score')}, test `
      + `${get(p, 'test_score')}`);
  }
  const problems = [];
  if (last !== 'RUN_STATE_COMPLETED') problems.push(`the stream ended in ${last}`);
  if (done.state !== 'RUN_STATE_COMPLETED') problems.push(`GetRun says ${done.state}`);
  if (steps.length !== maxSteps || steps.some((s, i) => s !== i + 1)) {
    problems.push(`steps reported: ${steps.join(',')}, expected 1..${maxSteps}`);
  }
  if (best.length === 0 || !best.every((p) => p.tested)) problems.push('best prompts not tested');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (problems.length) throw new Error(problems.join('; '));
  console.log(`run ${run.id} COMPLETED in ${seconds} s over TCP, seen only through reflection`);
}

main().catch((e) => {
  console.error(`reflection run FAILED: ${e.message}`);
  process.exit(1);
});

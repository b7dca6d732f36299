// A worker thread of the policy advisor (optimize-policy.ts): models the
// policies it is sent and answers with the figures the advisor ranks by.
// Plain JavaScript, so that it can install the TypeScript hook first: Node
// does not strip types under node_modules, where an installed aftershock lives.
import { parentPort } from 'node:worker_threads';

await import('../../scenarios/runtime/typescript-hooks.mjs');
const { evaluatePolicies } = await import('./optimize-evaluate.ts');

parentPort.on('message', (job) => parentPort.postMessage(evaluatePolicies(job.input, job.policies, job.full)));

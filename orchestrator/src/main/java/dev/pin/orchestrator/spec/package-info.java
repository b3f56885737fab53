/**
 * Run specs: YAML files that map one-to-one onto {@link dev.pin.v1.RunSpec} (snake_case field names
 * as in the proto, enums by short name such as {@code method: pin}), the orchestrator's own §8
 * defaults for each (method, task) in {@link dev.pin.orchestrator.spec.RunDefaults}, and {@link
 * dev.pin.orchestrator.spec.RunSpecValidator}, which names the field path of every problem (e.g.
 * {@code spec.budget.max_steps}) and reports them all at once. StartRun runs them in the order
 * parse → {@code RunDefaults.apply} → {@code RunSpecValidator.check} → the policy and reward
 * services, which fill and check the policy's and the task's parts from the real models and return
 * the effective config that is stored ({@code RunDefaults.withServiceDefaults}).
 */
package dev.pin.orchestrator.spec;

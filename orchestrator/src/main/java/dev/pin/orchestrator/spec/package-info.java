/**
 * Run specs: YAML files that map one-to-one onto {@link dev.pin.v1.RunSpec} (snake_case field names
 * as in the proto, enums by short name such as {@code method: pin}), the §8 defaults for each
 * (method, task) in {@link dev.pin.orchestrator.spec.RunDefaults}, and {@link
 * dev.pin.orchestrator.spec.RunSpecValidator}, which names the field path of every problem (e.g.
 * {@code spec.policy.prompt_length}) and reports them all at once. StartRun runs them in the order
 * parse → {@code RunDefaults.apply} → {@code RunSpecValidator.check}.
 */
package dev.pin.orchestrator.spec;

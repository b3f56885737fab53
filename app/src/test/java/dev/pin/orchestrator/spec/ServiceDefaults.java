package dev.pin.orchestrator.spec;

import dev.pin.policy.algorithm.PezHyperparameters;
import dev.pin.policy.algorithm.PolicyHyperparameters;
import dev.pin.reward.task.TaskCanonicalizer;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.RunSpec;
import dev.pin.v1.TaskSpec;

/**
 * What StartRun stores for a spec, without running the services: the orchestrator's defaults,
 * then the policy's and the task's as their services compute them from a model's facts (the
 * services themselves read those facts from the real manifests; ServiceDefaultsTest runs them).
 */
final class ServiceDefaults {
  /** BERT-base-uncased's facts: 30 522 tokens, masked, uncased. */
  static final int BERT_VOCAB = 30_522;

  private ServiceDefaults() {}

  static RunSpec effective(RunSpec raw, int backboneVocab, boolean maskedTaskModel,
      boolean uncasedTaskModel) {
    RunSpec own = RunDefaults.apply(raw);
    PolicyConfig requested = RunDefaults.policyConfig(own);
    PolicyConfig policy = !own.hasPolicy() ? null : PezHyperparameters.continuous(requested)
        ? PezHyperparameters.effective(requested)
        : PolicyHyperparameters.effective(requested, backboneVocab);
    TaskSpec task = TaskCanonicalizer.withoutExamples(
        TaskCanonicalizer.canonicalize(own.getTask(), maskedTaskModel, uncasedTaskModel));
    return RunDefaults.withServiceDefaults(own, policy, task);
  }

  /** {@link #effective} on BERT-base-uncased as backbone and task model. */
  static RunSpec onBert(RunSpec raw) {
    return effective(raw, BERT_VOCAB, true, true);
  }
}

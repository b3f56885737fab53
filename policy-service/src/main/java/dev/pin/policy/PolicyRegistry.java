package dev.pin.policy;

import dev.pin.policy.algorithm.PromptPolicy;
import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.policy.ort.OrtBackbone;
import dev.pin.v1.PolicyConfig;
import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The live policies, one per run, bounded by {@code policy.max-policies}: each holds an MLP, its
 * target, Adam state and a replay buffer of hidden states, so the bound is the memory bound.
 */
final class PolicyRegistry implements AutoCloseable {
  /** A run's policy with what the service needs around it. */
  record Entry(String runId, PolicyConfig config, PromptPolicy policy, Spelling spelling) {}

  /** How a policy's token ids read: each id's vocabulary entry, and the decoded text. */
  record Spelling(IntFunction<String> token, Function<int[], String> decode) {
    static Spelling of(OrtBackbone backbone) {
      return new Spelling(backbone::token, backbone::decode);
    }

    static Spelling of(TextTokenizer tokenizer) {
      return new Spelling(tokenizer::token, tokenizer::decode);
    }
  }

  private final int maxPolicies;
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  PolicyRegistry(int maxPolicies) {
    this.maxPolicies = maxPolicies;
  }

  /** Adds a run's policy; ALREADY_EXISTS or RESOURCE_EXHAUSTED when it cannot. */
  synchronized void add(Entry entry, boolean replace) {
    Entry old = entries.get(entry.runId());
    if (old != null && !replace) {
      throw Status.ALREADY_EXISTS.withDescription("run '" + entry.runId() + "' already has a "
          + "policy; drop it first or load a checkpoint over it").asRuntimeException();
    }
    if (old == null && entries.size() >= maxPolicies) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("this policy service holds its maximum of "
          + maxPolicies + " policies (policy.max-policies); drop finished runs' policies or add "
          + "a replica").asRuntimeException();
    }
    entries.put(entry.runId(), entry);
    if (old != null) {
      old.policy().close();
    }
  }

  /** The run's policy, or NOT_FOUND. */
  synchronized Entry get(String runId) {
    Entry entry = entries.get(runId);
    if (entry == null) {
      throw Status.NOT_FOUND.withDescription("no policy for run '" + runId + "'; create it with "
          + "CreatePolicy (or LoadCheckpoint after a restart)").asRuntimeException();
    }
    return entry;
  }

  /** Removes and frees the run's policy; false when there was none. */
  synchronized boolean drop(String runId) {
    Entry entry = entries.remove(runId);
    if (entry == null) {
      return false;
    }
    entry.policy().close();
    return true;
  }

  synchronized int size() {
    return entries.size();
  }

  @Override
  public synchronized void close() {
    entries.values().forEach(e -> e.policy().close());
    entries.clear();
  }
}

package dev.pin.policy;

import dev.pin.policy.algorithm.PromptPolicy;
import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.policy.ort.OrtBackbone;
import dev.pin.v1.PolicyConfig;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The live policies, bounded by {@code policy.max-policies}: each holds an MLP, its target, Adam
 * state and a replay buffer of hidden states, so the bound is the memory bound.
 *
 * <p>A run's policy (created by the orchestrator for a run) is never evicted. An anonymous one
 * (CreatePolicy from any other client) cannot starve runs: at most {@code
 * policy.max-anonymous-policies} are held, the least recently used one making room for a new one;
 * one idle for {@code policy.anonymous-idle-ttl} is dropped; and a run's policy that finds the
 * service full evicts the least recently used anonymous one instead of failing.
 */
final class PolicyRegistry implements AutoCloseable {
  /**
   * A policy with what the service needs around it.
   *
   * @param runId the id it is kept under
   * @param spelling how its token ids read
   * @param owner the identity it belongs to ("" with authentication off)
   * @param anonymous whether no run stands behind it (see the class comment)
   */
  record Entry(String runId, PolicyConfig config, PromptPolicy policy, Spelling spelling,
      String owner, boolean anonymous) {}

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
  private final int maxAnonymous;
  private final Duration anonymousIdleTtl;
  private final Clock clock;
  /** Access order: the least recently used first. */
  private final Map<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private final Map<String, Long> lastUsedMs = new LinkedHashMap<>();
  /** Ids of anonymous policies evicted lately, and why, so their next call can say so. */
  private final Map<String, String> evicted = new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > 256;
    }
  };

  PolicyRegistry(int maxPolicies, int maxAnonymous, Duration anonymousIdleTtl, Clock clock) {
    this.maxPolicies = maxPolicies;
    this.maxAnonymous = maxAnonymous;
    this.anonymousIdleTtl = anonymousIdleTtl;
    this.clock = clock;
  }

  PolicyRegistry(int maxPolicies) {
    this(maxPolicies, maxPolicies, Duration.ofDays(365), Clock.systemUTC());
  }

  /**
   * Adds a policy, replacing the id's old one when {@code replace}; ALREADY_EXISTS or
   * RESOURCE_EXHAUSTED when it cannot (naming the limit).
   */
  synchronized void add(Entry entry, boolean replace) {
    expireIdle();
    Entry old = entries.get(entry.runId());
    if (old != null && !replace) {
      throw Status.ALREADY_EXISTS.withDescription("run '" + entry.runId() + "' already has a "
          + "policy; drop it first or load a checkpoint over it").asRuntimeException();
    }
    if (old == null) {
      if (entry.anonymous()) {
        if (maxAnonymous == 0) {
          throw Status.RESOURCE_EXHAUSTED.withDescription("this policy service holds no "
              + "policies without a run (policy.max-anonymous-policies = 0); start a run with "
              + "the orchestrator instead").asRuntimeException();
        }
        if (anonymousCount() >= maxAnonymous) {
          evictLeastRecentlyUsedAnonymous("policy.max-anonymous-policies = " + maxAnonymous
              + " policies without a run were held");
        }
      }
      if (entries.size() >= maxPolicies && !evictLeastRecentlyUsedAnonymous(
          "the service was full (policy.max-policies = " + maxPolicies + ") and "
              + (entry.anonymous() ? "another policy without a run" : "a run") + " needed room")) {
        throw Status.RESOURCE_EXHAUSTED.withDescription("this policy service holds its maximum of "
            + maxPolicies + " policies (policy.max-policies), all of runs; drop finished runs' "
            + "policies or add a replica").asRuntimeException();
      }
    }
    entries.put(entry.runId(), entry);
    lastUsedMs.put(entry.runId(), clock.millis());
    evicted.remove(entry.runId());
    if (old != null) {
      old.policy().close();
    }
  }

  private long anonymousCount() {
    return entries.values().stream().filter(Entry::anonymous).count();
  }

  /** Evicts the least recently used anonymous policy; false when there is none. */
  private boolean evictLeastRecentlyUsedAnonymous(String why) {
    for (Entry e : entries.values()) { // access order: least recently used first
      if (e.anonymous()) {
        remove(e.runId(), why);
        return true;
      }
    }
    return false;
  }

  /** Drops anonymous policies idle for longer than {@code policy.anonymous-idle-ttl}. */
  private void expireIdle() {
    long now = clock.millis();
    List<String> idle = new ArrayList<>();
    for (Entry e : entries.values()) {
      Long used = lastUsedMs.get(e.runId());
      if (e.anonymous() && used != null && now - used > anonymousIdleTtl.toMillis()) {
        idle.add(e.runId());
      }
    }
    for (String id : idle) {
      remove(id, "it was idle for longer than policy.anonymous-idle-ttl = " + anonymousIdleTtl);
    }
  }

  private void remove(String runId, String why) {
    Entry e = entries.remove(runId);
    lastUsedMs.remove(runId);
    evicted.put(runId, why);
    e.policy().close();
  }

  /** The run's policy, or NOT_FOUND (saying why when it was an evicted anonymous one). */
  synchronized Entry get(String runId) {
    expireIdle();
    Entry entry = entries.get(runId);
    if (entry == null) {
      String why = evicted.get(runId);
      throw Status.NOT_FOUND.withDescription("no policy for run '" + runId + "'; "
          + (why != null ? "it had no run behind it and was evicted because " + why
              + "; create it again"
              : "create it with CreatePolicy (or LoadCheckpoint after a restart)"))
          .asRuntimeException();
    }
    lastUsedMs.put(runId, clock.millis());
    return entry;
  }

  /** The policy held under the id, if any, without touching it. */
  synchronized Entry peek(String runId) {
    return entries.get(runId);
  }

  /** Removes and frees the run's policy; false when there was none. */
  synchronized boolean drop(String runId) {
    Entry entry = entries.remove(runId);
    lastUsedMs.remove(runId);
    if (entry == null) {
      return false;
    }
    entry.policy().close();
    return true;
  }

  synchronized int size() {
    return entries.size();
  }

  synchronized int anonymousSize() {
    return (int) anonymousCount();
  }

  @Override
  public synchronized void close() {
    entries.values().forEach(e -> e.policy().close());
    entries.clear();
  }
}

package dev.pin.orchestrator.loop;

import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScorerGrpc;
import io.grpc.Channel;

/**
 * Blocking stubs of the three services a run drives. The channels carry the configured deadlines,
 * so every call here has one.
 */
public record Peers(
    PolicyGrpc.PolicyBlockingStub policy,
    RewardGrpc.RewardBlockingStub reward,
    ScorerGrpc.ScorerBlockingStub scorer) {

  /** Stubs over the given channels (the caller owns and closes them). */
  public static Peers over(Channel policy, Channel reward, Channel scorer) {
    return new Peers(PolicyGrpc.newBlockingStub(policy), RewardGrpc.newBlockingStub(reward),
        ScorerGrpc.newBlockingStub(scorer));
  }
}

package dev.pin.policy.algorithm;

import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.replay.Episode;
import dev.pin.policy.replay.ReplayBuffer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hidden states of sampled prompts, kept under their sample ids until an update learns from
 * them, so the update needs no second backbone pass (oldest evicted first beyond {@value
 * #CAPACITY}). A prompt not kept here (evicted, or written by a person) is encoded again.
 */
final class SampleCache {

  /** Sampled prompts kept for the next update. */
  static final int CAPACITY = 2048;

  private final Backbone backbone;
  private final ActionSpace actionSpace;
  private final int steps;
  private final int hiddenSize;
  private final Map<Long, Episode> episodes = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Episode> eldest) {
      return size() > CAPACITY;
    }
  };
  private long nextId = 1;

  SampleCache(Backbone backbone, ActionSpace actionSpace, int steps, int hiddenSize) {
    this.backbone = backbone;
    this.actionSpace = actionSpace;
    this.steps = steps;
    this.hiddenSize = hiddenSize;
  }

  /** Keeps a sampled prompt (reward 0 until an update brings one) under a fresh sample id. */
  long add(Episode episode) {
    long id = nextId++;
    episodes.put(id, episode);
    return id;
  }

  /**
   * The prompts of an update with their hidden states and rewards: from the cache, else one
   * backbone pass for all uncached prompts. The used samples leave the cache.
   *
   * @throws IllegalArgumentException for an unknown sample id without token ids, a wrong length or
   *     a token outside the action space
   */
  List<Episode> episodes(List<RewardedTokens> prompts) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("no prompts to learn from");
    }
    Episode[] out = new Episode[prompts.size()];
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      RewardedTokens p = prompts.get(i);
      Episode cached = p.sampleId() != 0 ? episodes.get(p.sampleId()) : null;
      if (cached != null) {
        out[i] = cached.withReward(p.reward());
        continue;
      }
      int[] ids = p.tokenIds();
      if (ids == null || ids.length == 0) {
        throw new IllegalArgumentException("sample " + p.sampleId()
            + " is not cached (unknown or evicted); send its token ids");
      }
      if (ids.length != steps) {
        throw new IllegalArgumentException("prompt has " + ids.length + " tokens, expected T = "
            + steps);
      }
      for (int id : ids) {
        if (!actionSpace.allows(id)) {
          throw new IllegalArgumentException("token id " + id + " is outside the action space");
        }
      }
      missing.add(i);
    }
    if (!missing.isEmpty()) {
      int[][] tokens = new int[missing.size()][];
      for (int j = 0; j < tokens.length; j++) {
        tokens[j] = prompts.get(missing.get(j)).tokenIds().clone();
      }
      int d = hiddenSize;
      // Every prefix of every prompt is known up front, so all N·T states go to the backbone in
      // one batch rather than one call per step t.
      List<int[]> prefixes = new ArrayList<>(tokens.length * steps);
      for (int[] row : tokens) {
        for (int t = 0; t < steps; t++) {
          prefixes.add(Arrays.copyOf(row, t));
        }
      }
      float[][] h = backbone.hiddenStates(prefixes);
      if (h.length != prefixes.size()) {
        throw new IllegalStateException("backbone returned " + h.length + " hidden states for "
            + prefixes.size() + " prefixes");
      }
      float[][] hidden = new float[tokens.length][steps * d];
      for (int j = 0; j < tokens.length; j++) {
        for (int t = 0; t < steps; t++) {
          System.arraycopy(h[j * steps + t], 0, hidden[j], t * d, d);
        }
      }
      for (int j = 0; j < tokens.length; j++) {
        int i = missing.get(j);
        out[i] = new Episode(tokens[j], hidden[j], prompts.get(i).reward());
      }
    }
    // Only now, with the whole request valid, are the used samples dropped from the cache.
    for (RewardedTokens p : prompts) {
      episodes.remove(p.sampleId());
    }
    return List.of(out);
  }

  // ---- checkpoints: the id counter and the kept samples ----

  long nextId() {
    return nextId;
  }

  void setNextId(long id) {
    nextId = id;
  }

  /** Writes the kept samples, oldest first. */
  void write(DataOutputStream out) throws IOException {
    out.writeInt(episodes.size());
    for (Map.Entry<Long, Episode> e : episodes.entrySet()) {
      out.writeLong(e.getKey());
      ReplayBuffer.writeEpisode(out, e.getValue());
    }
  }

  /** Replaces the kept samples with what {@link #write} wrote. */
  void read(DataInputStream in) throws IOException {
    episodes.clear();
    int n = in.readInt();
    for (int i = 0; i < n; i++) {
      long id = in.readLong();
      episodes.put(id, ReplayBuffer.readEpisode(in));
    }
  }
}

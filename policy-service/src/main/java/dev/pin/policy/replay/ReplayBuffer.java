package dev.pin.policy.replay;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * PIN's FIFO replay buffer (§4.4): once full, each new prompt evicts the oldest. Draws are uniform
 * with replacement, from a random source the caller owns (so one seeded RNG drives a whole run).
 */
public final class ReplayBuffer {

  private final Episode[] ring;
  private int next;
  private int size;

  /** An empty buffer holding at most {@code capacity} prompts. */
  public ReplayBuffer(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be ≥ 1");
    }
    ring = new Episode[capacity];
  }

  /** Appends, evicting the oldest prompt when full. */
  public void add(Episode episode) {
    ring[next] = episode;
    next = (next + 1) % ring.length;
    size = Math.min(size + 1, ring.length);
  }

  /** Prompts held. */
  public int size() {
    return size;
  }

  /** Maximum prompts held. */
  public int capacity() {
    return ring.length;
  }

  /** The i-th oldest prompt held. */
  public Episode get(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException(i);
    }
    return ring[(next - size + i + ring.length) % ring.length];
  }

  /**
   * {@code n} prompts drawn uniformly with replacement.
   *
   * @param randomIndex given a bound, returns a uniform index in [0, bound)
   */
  public List<Episode> sample(int n, IntUnaryOperator randomIndex) {
    if (size == 0) {
      throw new IllegalStateException("empty replay buffer");
    }
    List<Episode> batch = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      batch.add(get(randomIndex.applyAsInt(size)));
    }
    return batch;
  }

  /** Writes the held prompts, oldest first. */
  public void write(DataOutputStream out) throws IOException {
    out.writeInt(ring.length);
    out.writeInt(size);
    for (int i = 0; i < size; i++) {
      writeEpisode(out, get(i));
    }
  }

  /** Replaces the contents with what {@link #write} wrote; the capacity must match. */
  public void read(DataInputStream in) throws IOException {
    int capacity = in.readInt();
    if (capacity != ring.length) {
      throw new IOException("checkpoint replay capacity " + capacity + " ≠ " + ring.length);
    }
    int n = in.readInt();
    java.util.Arrays.fill(ring, null);
    next = 0;
    size = 0;
    for (int i = 0; i < n; i++) {
      add(readEpisode(in));
    }
  }

  /** One episode: tokens, hidden states, reward. */
  public static void writeEpisode(DataOutputStream out, Episode e) throws IOException {
    out.writeInt(e.tokens().length);
    for (int t : e.tokens()) {
      out.writeInt(t);
    }
    out.writeInt(e.hidden().length);
    for (float h : e.hidden()) {
      out.writeFloat(h);
    }
    out.writeFloat(e.reward());
  }

  /** Reads what {@link #writeEpisode} wrote. */
  public static Episode readEpisode(DataInputStream in) throws IOException {
    int[] tokens = new int[in.readInt()];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = in.readInt();
    }
    float[] hidden = new float[in.readInt()];
    for (int i = 0; i < hidden.length; i++) {
      hidden[i] = in.readFloat();
    }
    return new Episode(tokens, hidden, in.readFloat());
  }
}

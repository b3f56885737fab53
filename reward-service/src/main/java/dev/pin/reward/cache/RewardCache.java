package dev.pin.reward.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A bounded, thread-safe LRU cache of rewards.
 *
 * <p>Entries live in {@code segments} access-ordered maps, each with its own lock and an equal
 * share of the bound, so concurrent callers rarely contend; for bounds under 1024 there is one
 * segment and the eviction order is exact LRU. {@link #get(Object, Function)} also shares an
 * in-flight computation: two callers asking for the same missing key get the same future and the
 * model runs once. Failed computations are not cached.
 *
 * <p>Metrics (tag {@code cache}): {@code pin.reward.cache.hits}, {@code pin.reward.cache.misses},
 * {@code pin.reward.cache.evictions} (counters) and {@code pin.reward.cache.size} (gauge); hit
 * ratio = hits / (hits + misses). A lookup joined to an in-flight computation counts as a hit.
 *
 * @param <K> key, e.g. {@link RewardCacheKey}
 * @param <V> cached value, e.g. a prompt's score
 */
public final class RewardCache<K, V> {

  private final int maxEntries;
  private final Segment<K, V>[] segments;
  private final ConcurrentHashMap<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();
  private final Counter hits;
  private final Counter misses;
  private final Counter evictions;

  private static final class Segment<K, V> extends LinkedHashMap<K, V> {
    private static final long serialVersionUID = 1L;
    private final int capacity;
    private final transient Counter evictions;

    Segment(int capacity, Counter evictions) {
      super(16, 0.75f, true);
      this.capacity = capacity;
      this.evictions = evictions;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
      if (size() > capacity) {
        evictions.increment();
        return true;
      }
      return false;
    }
  }

  /**
   * Creates a cache.
   *
   * @param name metric tag, e.g. {@code "rewards"}
   * @param maxEntries the bound in entries (0 disables caching)
   * @param registry where metrics go
   */
  @SuppressWarnings({"unchecked", "rawtypes"}) // generic array of segments
  public RewardCache(String name, int maxEntries, MeterRegistry registry) {
    if (maxEntries < 0) {
      throw new IllegalArgumentException("maxEntries must be >= 0, got " + maxEntries);
    }
    this.maxEntries = maxEntries;
    this.hits =
        Counter.builder("pin.reward.cache.hits")
            .description("Reward lookups served from the cache")
            .tag("cache", name)
            .register(registry);
    this.misses =
        Counter.builder("pin.reward.cache.misses")
            .description("Reward lookups that had to run the model")
            .tag("cache", name)
            .register(registry);
    this.evictions =
        Counter.builder("pin.reward.cache.evictions")
            .description("Entries evicted by the LRU bound")
            .tag("cache", name)
            .register(registry);
    int count = maxEntries >= 1024 ? 16 : 1;
    this.segments = new Segment[count];
    int share = (maxEntries + count - 1) / count;
    for (int i = 0; i < count; i++) {
      segments[i] = new Segment<>(share, evictions);
    }
    Gauge.builder("pin.reward.cache.size", this, RewardCache::size)
        .description("Entries in the reward cache")
        .tag("cache", name)
        .register(registry);
  }

  private Segment<K, V> segment(Object key) {
    int h = key.hashCode();
    h ^= h >>> 16;
    return segments[Math.floorMod(h, segments.length)];
  }

  /**
   * Looks a key up, counting a hit or a miss.
   *
   * @param key the key
   * @return the cached value, or empty
   */
  public Optional<V> getIfPresent(K key) {
    V v = peek(key);
    if (v != null) {
      hits.increment();
    } else {
      misses.increment();
    }
    return Optional.ofNullable(v);
  }

  private V peek(K key) {
    if (maxEntries == 0) {
      return null;
    }
    Segment<K, V> s = segment(key);
    synchronized (s) {
      return s.get(key);
    }
  }

  /**
   * Stores a value, evicting the least recently used entry of its segment when full.
   *
   * @param key the key
   * @param value the value
   */
  public void put(K key, V value) {
    if (maxEntries == 0) {
      return;
    }
    Segment<K, V> s = segment(key);
    synchronized (s) {
      s.put(key, value);
    }
  }

  /**
   * The cached value, or the result of {@code loader} (stored when it succeeds). Concurrent callers
   * of a missing key share one computation.
   *
   * @param key the key
   * @param loader computes the value on a miss
   * @return the value's future; {@code cached} tells whether the model was skipped
   */
  public Lookup<V> get(K key, Function<? super K, CompletableFuture<V>> loader) {
    V v = peek(key);
    if (v != null) {
      hits.increment();
      return new Lookup<>(CompletableFuture.completedFuture(v), true);
    }
    CompletableFuture<V> mine = new CompletableFuture<>();
    CompletableFuture<V> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      hits.increment();
      return new Lookup<>(running, true);
    }
    V late = peek(key);
    if (late != null) {
      // Another caller finished between our first look and the in-flight registration.
      inFlight.remove(key, mine);
      mine.complete(late);
      hits.increment();
      return new Lookup<>(mine, true);
    }
    misses.increment();
    CompletableFuture<V> computed;
    try {
      computed = loader.apply(key);
    } catch (RuntimeException e) {
      inFlight.remove(key, mine);
      mine.completeExceptionally(e);
      return new Lookup<>(mine, false);
    }
    computed.whenComplete(
        (value, error) -> {
          if (error == null) {
            put(key, value);
            inFlight.remove(key, mine);
            mine.complete(value);
          } else {
            inFlight.remove(key, mine);
            mine.completeExceptionally(error);
          }
        });
    return new Lookup<>(mine, false);
  }

  /**
   * The outcome of {@link #get(Object, Function)}.
   *
   * @param value the value's future
   * @param cached true when it came from the cache or an in-flight computation of another caller
   * @param <V> value type
   */
  public record Lookup<V>(CompletableFuture<V> value, boolean cached) {}

  /**
   * Entries held now.
   *
   * @return the number of entries
   */
  public int size() {
    int n = 0;
    for (Segment<K, V> s : segments) {
      synchronized (s) {
        n += s.size();
      }
    }
    return n;
  }

  /**
   * The bound in entries.
   *
   * @return the maximum number of entries
   */
  public int maxEntries() {
    return maxEntries;
  }

  /**
   * Hits over lookups since start (0 when there were none).
   *
   * @return the hit ratio in [0, 1]
   */
  public double hitRatio() {
    double h = hits.count();
    double total = h + misses.count();
    return total == 0 ? 0 : h / total;
  }

  /** Drops every entry (in-flight computations finish and are stored). */
  public void invalidateAll() {
    for (Segment<K, V> s : segments) {
      synchronized (s) {
        s.clear();
      }
    }
  }
}

package dev.pin.reward.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * A bounded, thread-safe cache of rewards: a Caffeine {@link AsyncCache}, so two callers asking
 * for the same missing key share one computation (the model runs once), a computation that fails
 * or is cancelled (its caller gave up, see {@code DynamicBatcher}) is dropped rather than cached,
 * and the bound is kept by W-TinyLFU, which keeps the prompts a policy keeps resampling over ones
 * it tried once.
 *
 * <p>Metrics are Micrometer's cache metrics, tag {@code cache}: {@code cache.gets} (tag {@code
 * result} hit or miss; a lookup joined to an in-flight computation is a hit), {@code
 * cache.evictions}, {@code cache.size} and the rest of {@link CaffeineCacheMetrics}; Prometheus
 * shows {@code cache_gets_total{cache="rewards",result="hit"}} and so on.
 *
 * @param <K> key, e.g. {@link RewardCacheKey}
 * @param <V> cached value, e.g. a prompt's score
 */
public final class RewardCache<K, V> {

  private final int maxEntries;
  /** Null when caching is off (a bound of 0 entries). */
  private final AsyncCache<K, V> cache;

  /**
   * Creates a cache.
   *
   * @param name metric tag, e.g. {@code "rewards"}
   * @param maxEntries the bound in entries (0 disables caching)
   * @param registry where metrics go
   */
  public RewardCache(String name, int maxEntries, MeterRegistry registry) {
    if (maxEntries < 0) {
      throw new IllegalArgumentException("maxEntries must be >= 0, got " + maxEntries);
    }
    this.maxEntries = maxEntries;
    this.cache =
        maxEntries == 0
            ? null
            : CaffeineCacheMetrics.monitor(
                registry,
                Caffeine.newBuilder()
                    .maximumSize(maxEntries)
                    // Evict on the caller's thread: no background pool, and size() is exact
                    // right after a write.
                    .executor(Runnable::run)
                    .recordStats()
                    .<K, V>buildAsync(),
                name);
  }

  /**
   * Looks a finished value up, counting a hit or a miss.
   *
   * @param key the key
   * @return the cached value, or empty (also while its computation is still running)
   */
  public Optional<V> getIfPresent(K key) {
    if (cache == null) {
      return Optional.empty();
    }
    CompletableFuture<V> f = cache.getIfPresent(key);
    return f != null && f.isDone() && !f.isCompletedExceptionally()
        ? Optional.of(f.join())
        : Optional.empty();
  }

  /**
   * Stores a value.
   *
   * @param key the key
   * @param value the value
   */
  public void put(K key, V value) {
    if (cache != null) {
      cache.put(key, CompletableFuture.completedFuture(value));
    }
  }

  /**
   * The cached value, or the result of {@code loader} (kept when it succeeds). Concurrent callers
   * of a missing key share one computation.
   *
   * @param key the key
   * @param loader computes the value on a miss
   * @return the value's future; {@code cached} tells whether the model was skipped
   */
  public Lookup<V> get(K key, Function<? super K, CompletableFuture<V>> loader) {
    if (cache == null) {
      return new Lookup<>(load(key, loader), false);
    }
    // Caffeine runs the mapping function on this thread, inside its atomic compute, only on a miss.
    boolean[] loaded = {false};
    CompletableFuture<V> value =
        cache.get(
            key,
            (k, executor) -> {
              loaded[0] = true;
              return load(k, loader);
            });
    return new Lookup<>(value, !loaded[0]);
  }

  /**
   * Forgets {@code stale} as the value of {@code key} (a computation whose caller gave up), so the
   * next {@link #get} computes it again; a newer value of the key is kept.
   *
   * @param key the key
   * @param stale the future to forget
   */
  public void remove(K key, CompletableFuture<V> stale) {
    if (cache != null) {
      cache.asMap().remove(key, stale);
    }
  }

  /**
   * The loader's future; a loader that throws gives a failed future (Caffeine then drops it). A
   * computation whose caller gave up fails with a bare {@link CancellationException}, the one
   * failure Caffeine drops without logging a stack trace: it is expected, not a fault.
   */
  private static <K, V> CompletableFuture<V> load(
      K key, Function<? super K, CompletableFuture<V>> loader) {
    CompletableFuture<V> computed;
    try {
      computed = loader.apply(key);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<V> value = new CompletableFuture<>();
    computed.whenComplete((v, e) -> {
      if (e == null) {
        value.complete(v);
      } else {
        Throwable cause = e instanceof CompletionException && e.getCause() != null
            ? e.getCause() : e;
        value.completeExceptionally(cause instanceof CancellationException ? cause : e);
      }
    });
    return value;
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
   * Entries held now (finished and in flight).
   *
   * @return the number of entries
   */
  public int size() {
    if (cache == null) {
      return 0;
    }
    cache.synchronous().cleanUp();
    return (int) cache.synchronous().estimatedSize();
  }

  /**
   * Hits over lookups since start (0 when there were none).
   *
   * @return the hit ratio in [0, 1]
   */
  public double hitRatio() {
    return cache == null || cache.synchronous().stats().requestCount() == 0
        ? 0
        : cache.synchronous().stats().hitRate();
  }
}

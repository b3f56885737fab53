package dev.pin.reward.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.Split;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RewardCacheTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private static RewardCacheKey key(String prompt) {
    return RewardCacheKey.of("task-0123456789abcdef", Split.SPLIT_TRAIN, List.of(), prompt);
  }

  @Test
  void keysCoverHandleSplitSubsetAndPrompt() {
    RewardCacheKey a = key("great movie");
    assertEquals(
        a,
        RewardCacheKey.of(
            "task-0123456789abcdef", Split.SPLIT_UNSPECIFIED, List.of(), "great movie"));
    assertFalse(
        a.equals(
            RewardCacheKey.of("task-0123456789abcdef", Split.SPLIT_DEV, List.of(), "great movie")));
    assertFalse(
        a.equals(
            RewardCacheKey.of(
                "task-0123456789abcdef", Split.SPLIT_TRAIN, List.of(1, 2), "great movie")));
    assertFalse(
        a.equals(
            RewardCacheKey.of(
                "task-fedcba9876543210", Split.SPLIT_TRAIN, List.of(), "great movie")));
    assertFalse(a.equals(key("great  movie")));
    List<Integer> indices = new ArrayList<>(List.of(1, 2));
    RewardCacheKey k = RewardCacheKey.of("h", Split.SPLIT_TRAIN, indices, "p");
    indices.add(3);
    assertEquals(List.of(1, 2), k.exampleIndices());
  }

  @Test
  void keepsTheOftenUsedEntryAndCountsThroughMicrometersCacheMetrics() {
    RewardCache<RewardCacheKey, Float> cache = new RewardCache<>("t", 2, registry);
    cache.put(key("a"), 1f);
    cache.put(key("b"), 2f);
    assertEquals(Optional.of(1f), cache.getIfPresent(key("a")));
    assertEquals(Optional.of(1f), cache.getIfPresent(key("a")));
    cache.put(key("c"), 3f);
    assertEquals(2, cache.size());
    assertEquals(Optional.of(1f), cache.getIfPresent(key("a"))); // the frequent one survives
    assertEquals(Optional.empty(), cache.getIfPresent(key("never")));
    assertEquals(3.0, gets("hit"));
    assertEquals(1.0, gets("miss"));
    assertEquals(1.0, registry.get("cache.evictions").tag("cache", "t").functionCounter().count());
    assertEquals(2.0, registry.get("cache.size").tag("cache", "t").gauge().value());
    assertEquals(0.75, cache.hitRatio(), 1e-9);
  }

  private double gets(String result) {
    return registry.get("cache.gets").tag("cache", "t").tag("result", result)
        .functionCounter().count();
  }

  @Test
  void staysWithinTheBoundUnderManyKeys() {
    RewardCache<RewardCacheKey, Integer> cache = new RewardCache<>("big", 2048, registry);
    for (int i = 0; i < 10_000; i++) {
      cache.put(key("p" + i), i);
    }
    assertTrue(cache.size() <= 2048, "size " + cache.size());
    assertTrue(cache.size() > 1500, "the bound is used, size " + cache.size());
  }

  @Test
  void loaderRunsOnceAndFailuresAreNotCached() {
    RewardCache<RewardCacheKey, Float> cache = new RewardCache<>("t", 10, registry);
    AtomicInteger loads = new AtomicInteger();
    RewardCache.Lookup<Float> first =
        cache.get(
            key("x"), k -> CompletableFuture.completedFuture((float) loads.incrementAndGet()));
    assertFalse(first.cached());
    assertEquals(1f, first.value().join());
    RewardCache.Lookup<Float> second =
        cache.get(
            key("x"), k -> CompletableFuture.completedFuture((float) loads.incrementAndGet()));
    assertTrue(second.cached());
    assertEquals(1f, second.value().join());
    assertEquals(1, loads.get());

    RewardCache.Lookup<Float> failed =
        cache.get(
            key("y"), k -> CompletableFuture.failedFuture(new IllegalStateException("model down")));
    assertThrows(CompletionException.class, () -> failed.value().join());
    RewardCache.Lookup<Float> retry =
        cache.get(key("y"), k -> CompletableFuture.completedFuture(7f));
    assertFalse(retry.cached());
    assertEquals(7f, retry.value().join());
  }

  @Test
  void aCancelledComputationIsNotKept() {
    // DynamicBatcher drops the items of a caller that gave up: the next caller computes afresh.
    RewardCache<RewardCacheKey, Float> cache = new RewardCache<>("t", 10, registry);
    CompletableFuture<Float> abandoned = new CompletableFuture<>();
    cache.get(key("q"), k -> abandoned);
    abandoned.cancel(false);
    RewardCache.Lookup<Float> again = cache.get(key("q"), k -> CompletableFuture.completedFuture(5f));
    assertFalse(again.cached());
    assertEquals(5f, again.value().join());
  }

  @Test
  void concurrentCallersShareOneInFlightComputation() throws Exception {
    RewardCache<RewardCacheKey, Float> cache = new RewardCache<>("t", 10, registry);
    CompletableFuture<Float> slow = new CompletableFuture<>();
    AtomicInteger loads = new AtomicInteger();
    RewardCache.Lookup<Float> a =
        cache.get(
            key("z"),
            k -> {
              loads.incrementAndGet();
              return slow;
            });
    RewardCache.Lookup<Float> b =
        cache.get(
            key("z"),
            k -> {
              loads.incrementAndGet();
              return CompletableFuture.completedFuture(0f);
            });
    assertTrue(b.cached());
    assertSame(a.value(), b.value());
    slow.complete(42f);
    assertEquals(42f, b.value().join());
    assertEquals(1, loads.get());
    assertEquals(Optional.of(42f), cache.getIfPresent(key("z")));
  }

  @Test
  void threadSafeUnderContention() throws Exception {
    RewardCache<RewardCacheKey, Integer> cache = new RewardCache<>("t", 64, registry);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<CompletableFuture<Boolean>> runs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        runs.add(
            CompletableFuture.supplyAsync(
                () -> {
                  for (int i = 0; i < 5000; i++) {
                    String p = "p" + (i % 100);
                    int v =
                        cache
                            .get(
                                key(p),
                                k -> CompletableFuture.completedFuture(k.promptText().length()))
                            .value()
                            .join();
                    if (v != p.length()) {
                      return false;
                    }
                  }
                  return true;
                },
                pool));
      }
      for (CompletableFuture<Boolean> r : runs) {
        assertTrue(r.get(30, TimeUnit.SECONDS));
      }
      assertTrue(cache.size() <= 64);
      assertEquals(20_000.0, gets("hit") + gets("miss"));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void zeroEntriesDisablesCaching() {
    RewardCache<RewardCacheKey, Float> cache = new RewardCache<>("off", 0, registry);
    cache.put(key("a"), 1f);
    assertEquals(Optional.empty(), cache.getIfPresent(key("a")));
    assertEquals(0, cache.size());
  }
}

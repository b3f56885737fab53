package dev.pin.reward.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.reward.testing.Poll;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batcher over a real deterministic compute function: each item is an int array, its result the
 * sum of squares; the function records the batches it saw.
 */
class DynamicBatcherTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<List<int[]>> batches = Collections.synchronizedList(new ArrayList<>());
  private final List<DynamicBatcher<int[], Long>> opened = new ArrayList<>();

  private List<Long> sumOfSquares(List<int[]> batch) {
    batches.add(List.copyOf(batch));
    List<Long> out = new ArrayList<>(batch.size());
    for (int[] a : batch) {
      long s = 0;
      for (int x : a) {
        s += (long) x * x;
      }
      out.add(s);
    }
    return out;
  }

  private DynamicBatcher<int[], Long> batcher(BatcherConfig config, BatchFunction<int[], Long> fn) {
    DynamicBatcher<int[], Long> b = new DynamicBatcher<>(config, fn, a -> a.length, registry);
    opened.add(b);
    return b;
  }

  private DynamicBatcher<int[], Long> batcher(BatcherConfig config) {
    return batcher(config, this::sumOfSquares);
  }

  private static int[] ones(int length) {
    int[] a = new int[length];
    java.util.Arrays.fill(a, 1);
    return a;
  }

  @AfterEach
  void closeAll() {
    opened.forEach(DynamicBatcher::close);
  }

  /** Issue #17: a Score whose client gave up kept the CPU busy for 101 s more. */
  @Test
  void dropsTheItemsOfACallerThatGaveUpBeforeTheyReachTheModel() throws Exception {
    CountDownLatch firstBatchRunning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("abandon").withMaxBatchSize(1).withWorkers(1)
                .withMaxWait(Duration.ZERO),
            batch -> {
              firstBatchRunning.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return sumOfSquares(batch);
            });
    io.grpc.Context.CancellableContext caller = io.grpc.Context.current().withCancellation();
    List<CompletableFuture<Long>> gaveUp =
        caller.call(() -> b.submitEach(List.of(ones(1), ones(2), ones(3), ones(4))));
    assertTrue(firstBatchRunning.await(10, TimeUnit.SECONDS));
    caller.cancel(null); // its deadline passed, say, while its first item was in the model
    CompletableFuture<Long> stays = b.submit(ones(5));
    release.countDown();

    assertEquals(5L, stays.get(10, TimeUnit.SECONDS));
    assertEquals(1L, gaveUp.get(0).get(10, TimeUnit.SECONDS)); // already running: finished
    for (CompletableFuture<Long> f : gaveUp.subList(1, 4)) {
      assertThrows(java.util.concurrent.CancellationException.class,
          () -> f.get(10, TimeUnit.SECONDS));
    }
    assertEquals(2, batches.size(), "only the running item and the other caller's reached it");
    assertEquals(3.0, registry.get("pin.reward.queue.abandoned").counter().count());
    assertEquals(0, b.queueDepth());
  }

  /**
   * Issue #17 (fault-test hang): a dropped item's future must end even when nothing else is queued;
   * a live caller may share it and compute the item again when it fails.
   */
  @Test
  void theItemsOfACallerThatGaveUpFailAtOnceWhenNothingElseIsQueued() throws Exception {
    DynamicBatcher<int[], Long> b =
        batcher(BatcherConfig.defaults("alone").withMaxBatchSize(64)
            .withMaxWait(Duration.ofMillis(200)));
    io.grpc.Context.CancellableContext caller = io.grpc.Context.current().withCancellation();
    List<CompletableFuture<Long>> gaveUp =
        caller.call(() -> b.submitEach(List.of(ones(1), ones(2), ones(3))));
    caller.cancel(null);
    for (CompletableFuture<Long> f : gaveUp) {
      assertThrows(java.util.concurrent.CancellationException.class,
          () -> f.get(10, TimeUnit.SECONDS));
    }
    // A caller that resubmits from the failed future's callback is served.
    CompletableFuture<Long> again = gaveUp.get(0).exceptionallyCompose(e -> b.submit(ones(7)));
    assertEquals(7L, again.get(10, TimeUnit.SECONDS));
    assertEquals(1, batches.size(), "only the resubmitted item reached the model");
  }

  @Test
  void mergesConcurrentCallersIntoOneBatch() throws Exception {
    // The wait is long; the batch goes out because it is full, not because time ran out.
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("merge")
                .withMaxBatchSize(8)
                .withMaxWait(Duration.ofSeconds(30)));
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<CompletableFuture<Long>>> submitted = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        int k = i;
        submitted.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    go.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  return b.submit(new int[] {k, 1});
                },
                callers));
      }
      go.countDown();
      for (int i = 0; i < 8; i++) {
        assertEquals(
            (long) i * i + 1, submitted.get(i).get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS));
      }
      assertEquals(1, batches.size());
      assertEquals(8, batches.get(0).size());
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void neverExceedsTheMaxBatchSize() {
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("size").withMaxBatchSize(8).withMaxWait(Duration.ofMillis(20)));
    List<int[]> items = IntStream.range(0, 20).mapToObj(i -> new int[] {i}).toList();
    List<Long> out = b.submitAll(items).join();
    for (int i = 0; i < 20; i++) {
      assertEquals((long) i * i, out.get(i));
    }
    assertEquals(List.of(8, 8, 4), batches.stream().map(List::size).toList());
  }

  @Test
  void aLoneItemGoesOutAfterMaxWait() {
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("wait").withMaxBatchSize(8).withMaxWait(Duration.ofMillis(80)));
    long start = System.nanoTime();
    assertEquals(25L, b.submit(new int[] {3, 4}).join());
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(elapsedMs >= 75, "dispatched after " + elapsedMs + " ms, before maxWait");
    assertEquals(1, batches.size());
  }

  @Test
  void keepsLengthBucketsApart() {
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("buckets")
                .withMaxBatchSize(64)
                .withMaxWait(Duration.ofMillis(30))
                .withBucketBoundaries(4, 16));
    List<int[]> items = List.of(ones(2), ones(40), ones(3), ones(10), ones(1), ones(12), ones(100));
    List<Long> out = b.submitAll(items).join();
    assertEquals(List.of(2L, 40L, 3L, 10L, 1L, 12L, 100L), out);
    assertEquals(3, batches.size());
    for (List<int[]> batch : batches) {
      int bucket = bucketOf(batch.get(0).length);
      for (int[] a : batch) {
        assertEquals(bucket, bucketOf(a.length), "mixed lengths in one batch");
      }
    }
  }

  @Test
  void alignedBucketsLeaveLessThanOnePaddingStepPerRow() {
    int[] buckets = BatcherConfig.alignedBuckets(8);
    assertEquals(8, buckets[0]);
    assertEquals(128, buckets[15]);
    assertEquals(512, buckets[buckets.length - 1]);
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("aligned")
                .withMaxBatchSize(64)
                .withMaxWait(Duration.ofMillis(30))
                .withBucketBoundaries(buckets));
    // One §6.1 step: the same sentences under 8 prompts, lengths 10-60 tokens.
    Random random = new Random(7);
    List<int[]> items = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      items.add(ones(10 + random.nextInt(51)));
    }
    b.submitAll(items).join();
    long real = 0;
    long padded = 0;
    for (List<int[]> batch : batches) {
      // The ORT runner pads a batch to its longest row rounded up to a multiple of 8.
      int longest = batch.stream().mapToInt(a -> a.length).max().orElseThrow();
      int width = (longest + 7) / 8 * 8;
      for (int[] a : batch) {
        assertTrue(width - a.length < 8, "row of " + a.length + " padded to " + width);
        real += a.length;
        padded += width;
      }
    }
    assertTrue(padded < real * 1.2, "padding " + padded + " for " + real + " tokens");
  }

  private static int bucketOf(int length) {
    return length <= 4 ? 0 : length <= 16 ? 1 : 2;
  }

  @Test
  void rejectsFastWhenTheQueueIsFull() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    BatchFunction<int[], Long> blocking =
        batch -> {
          entered.countDown();
          release.await();
          return sumOfSquares(batch);
        };
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("full")
                .withMaxBatchSize(1)
                .withMaxWait(Duration.ZERO)
                .withMaxQueuedItems(4),
            blocking);
    CompletableFuture<Long> first = b.submit(new int[] {1});
    assertTrue(entered.await(10, TimeUnit.SECONDS));
    Poll.until("first item dispatched", Duration.ofSeconds(10), () -> b.queueDepth() == 0);
    // The only worker is busy: these wait in the queue, up to its bound of 4 items.
    List<CompletableFuture<Long>> waiting =
        b.submitEach(List.of(new int[] {2}, new int[] {3}, new int[] {4}));
    QueueFullException e =
        assertThrows(
            QueueFullException.class, () -> b.submitAll(List.of(new int[] {5}, new int[] {6})));
    assertEquals(3, e.queued());
    assertEquals(2, e.requested());
    assertEquals(4, e.capacity());
    assertEquals(3, b.queueDepth(), "a rejected request must not be partly admitted");
    CompletableFuture<Long> fourth = b.submit(new int[] {5});
    assertThrows(QueueFullException.class, () -> b.submit(new int[] {6}));
    assertEquals(2.0, registry.get("pin.reward.queue.rejected").counter().count());
    assertEquals(4.0, registry.get("pin.reward.queue.depth").gauge().value());
    release.countDown();
    assertEquals(1L, first.get(10, TimeUnit.SECONDS));
    assertEquals(4L, waiting.get(0).get(10, TimeUnit.SECONDS));
    assertEquals(16L, waiting.get(2).get(10, TimeUnit.SECONDS));
    assertEquals(25L, fourth.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aFailingBatchFailsOnlyItsRequests() {
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("fail").withMaxBatchSize(1).withMaxWait(Duration.ZERO),
            batch -> {
              if (batch.get(0).length == 0) {
                throw new IllegalArgumentException("empty input");
              }
              return sumOfSquares(batch);
            });
    CompletableFuture<Long> bad = b.submit(new int[0]);
    CompletableFuture<Long> good = b.submit(new int[] {2});
    CompletionException e = assertThrows(CompletionException.class, bad::join);
    assertInstanceOf(IllegalArgumentException.class, e.getCause());
    assertEquals(4L, good.join());
    assertEquals(1.0, registry.get("pin.reward.batch.errors").counter().count());
  }

  @Test
  void wrongResultCountIsReported() {
    DynamicBatcher<int[], Long> b =
        batcher(BatcherConfig.defaults("count").withMaxWait(Duration.ZERO), batch -> List.of());
    CompletionException e =
        assertThrows(CompletionException.class, () -> b.submit(new int[] {1}).join());
    assertInstanceOf(IllegalStateException.class, e.getCause());
  }

  @Test
  void manyThreadsGetTheirOwnResults() throws Exception {
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("stress")
                .withMaxBatchSize(16)
                .withMaxWait(Duration.ofMillis(1))
                .withWorkers(2)
                .withBucketBoundaries(2, 4));
    ExecutorService callers = Executors.newFixedThreadPool(6);
    try {
      List<CompletableFuture<Boolean>> checks = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        int thread = t;
        checks.add(
            CompletableFuture.supplyAsync(
                () -> {
                  for (int i = 0; i < 60; i++) {
                    int[] item = IntStream.rangeClosed(0, i % 6).map(x -> x + thread).toArray();
                    long expected = IntStream.of(item).mapToLong(x -> (long) x * x).sum();
                    if (b.submit(item).join() != expected) {
                      return false;
                    }
                  }
                  return true;
                },
                callers));
      }
      for (CompletableFuture<Boolean> c : checks) {
        assertTrue(c.get(60, TimeUnit.SECONDS));
      }
      int total = batches.stream().mapToInt(List::size).sum();
      assertEquals(360, total);
      DistributionSummary sizes = registry.get("pin.reward.batch.size").summary();
      assertEquals(batches.size(), sizes.count());
      assertEquals(360.0, sizes.totalAmount());
      assertEquals(360, registry.get("pin.reward.batch.wait").timer().count());
      assertEquals(batches.size(), registry.get("pin.reward.model.latency").timer().count());
      assertTrue(batches.stream().allMatch(x -> x.size() <= 16));
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void closeRunsQueuedWorkThenRefusesMore() {
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("close")
                .withMaxBatchSize(100)
                .withMaxWait(Duration.ofMinutes(5)));
    CompletableFuture<List<Long>> pending = b.submitAll(List.of(new int[] {1}, new int[] {2}));
    long start = System.nanoTime();
    b.close();
    assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 5);
    assertEquals(List.of(1L, 4L), pending.join());
    assertThrows(BatcherClosedException.class, () -> b.submit(new int[] {3}));
    b.close();
  }

  @Test
  void closeFailsWhatCannotFinishInTheGracePeriod() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    DynamicBatcher<int[], Long> b =
        batcher(
            BatcherConfig.defaults("grace")
                .withMaxBatchSize(1)
                .withMaxWait(Duration.ZERO)
                .withShutdownGrace(Duration.ofMillis(200)),
            batch -> {
              release.await();
              return sumOfSquares(batch);
            });
    CompletableFuture<Long> running = b.submit(new int[] {1});
    Poll.until("first item dispatched", Duration.ofSeconds(10), () -> b.queueDepth() == 0);
    CompletableFuture<Long> queued = b.submit(new int[] {2});
    b.close();
    CompletionException e = assertThrows(CompletionException.class, queued::join);
    assertInstanceOf(BatcherClosedException.class, e.getCause());
    // The running batch was interrupted by shutdownNow, so its future fails too.
    assertThrows(
        java.util.concurrent.ExecutionException.class, () -> running.get(10, TimeUnit.SECONDS));
    release.countDown();
  }

  @Test
  void latencyHistogramsHaveAFewFixedBucketsNotAPercentileHistogram() throws Exception {
    io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus =
        new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
            io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
    DynamicBatcher<int[], Long> b = new DynamicBatcher<>(BatcherConfig.defaults("scrape"),
        this::sumOfSquares, a -> a.length, prometheus);
    opened.add(b);
    assertEquals(1L, b.submit(ones(1)).get(10, TimeUnit.SECONDS));
    String text = prometheus.scrape();
    for (String name : List.of("pin_reward_batch_wait_seconds", "pin_reward_model_latency_seconds")) {
      List<String> buckets = text.lines()
          .filter(l -> l.startsWith(name + "_bucket{") && l.contains("batcher=\"scrape\""))
          .toList();
      // The platform's 14 bounds (1 ms … 60 s) and +Inf.
      assertEquals(15, buckets.size(), name + ": " + buckets);
      assertTrue(buckets.stream().anyMatch(l -> l.contains("le=\"0.001\"")), buckets.toString());
      assertTrue(buckets.stream().anyMatch(l -> l.contains("le=\"60.0\"")), buckets.toString());
    }
  }
}

package dev.pin.reward.batching;

import dev.pin.kit.server.Metrics;
import io.grpc.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToIntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Merges items from concurrent callers into model batches.
 *
 * <p>Every item goes to a length bucket (the smallest boundary ≥ its length), so a batch pads to a
 * similar length. A bucket is dispatched when it holds {@code maxBatchSize} items or its oldest
 * item has waited {@code maxWait}; among ready buckets the one with the oldest item goes first. At
 * most {@code workers} batches run at once: the dispatcher takes a worker slot before it forms a
 * batch, so while the model is busy items keep accumulating and the next batches come out fuller.
 * The queue is bounded in items; a request that does not fit fails at once with {@link
 * QueueFullException} — admission is all-or-nothing per request, so a caller never gets half of its
 * items scored.
 *
 * <p>An item remembers the gRPC {@link Context} it was submitted in. Once that context is
 * cancelled (the caller's deadline passed, it cancelled, or it disconnected) or the item's future
 * is cancelled, the item is dropped before it reaches a batch and its future fails with {@link
 * CancellationException}: abandoned work costs no model time, and a client that gave up cannot
 * keep the model busy for the others.
 *
 * <p>Each item's future completes as soon as its batch finishes, on the worker thread; callers that
 * chain heavy work should use the {@code *Async} stages. {@link #close} stops admission, runs what
 * is queued (without waiting for batches to fill), and fails what is left after the grace period
 * with {@link BatcherClosedException}.
 *
 * <p>Metrics (tag {@code batcher}): {@code pin.reward.batch.size} (items per batch), {@code
 * pin.reward.queue.depth} (queued items), {@code pin.reward.batch.wait} (per item, submit to
 * dispatch), {@code pin.reward.model.latency} (per batch, the model call), {@code
 * pin.reward.queue.rejected} (rejected requests), {@code pin.reward.queue.abandoned} (items
 * dropped because their caller gave up) and {@code pin.reward.batch.errors} (failed batches). Prometheus shows them as {@code pin_reward_batch_size} and so on.
 *
 * @param <I> input item
 * @param <O> result per item
 */
public final class DynamicBatcher<I, O> implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(DynamicBatcher.class.getName());

  private final BatcherConfig config;
  private final BatchFunction<I, O> function;
  private final ToIntFunction<? super I> lengthOf;
  private final int[] boundaries;
  private final long maxWaitNanos;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<Pending<I, O>>[] buckets;
  private final AtomicInteger queued = new AtomicInteger();
  private boolean accepting = true;

  private final Semaphore slots;
  private final ExecutorService workers;
  private final Thread dispatcher;

  private final DistributionSummary batchSize;
  private final Timer waitTime;
  private final Timer modelLatency;
  private final Counter rejected;
  private final Counter batchErrors;
  private final Counter abandoned;

  private record Pending<I, O>(I item, CompletableFuture<O> future, long enqueuedNanos,
      Context context) {
    boolean abandoned() {
      return future.isDone() || context.isCancelled();
    }
  }

  /**
   * Creates and starts a batcher.
   *
   * @param config sizes, waits and bounds
   * @param function the model call per batch
   * @param lengthOf an item's sequence length in tokens (for bucketing)
   * @param registry where metrics go
   */
  @SuppressWarnings({"unchecked", "rawtypes"}) // generic array of per-bucket deques
  public DynamicBatcher(
      BatcherConfig config,
      BatchFunction<I, O> function,
      ToIntFunction<? super I> lengthOf,
      MeterRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    this.function = Objects.requireNonNull(function, "function");
    this.lengthOf = Objects.requireNonNull(lengthOf, "lengthOf");
    this.boundaries = config.bucketBoundaries();
    this.maxWaitNanos = config.maxWait().toNanos();
    this.buckets = new ArrayDeque[boundaries.length + 1];
    for (int i = 0; i < buckets.length; i++) {
      buckets[i] = new ArrayDeque<>();
    }
    String name = config.name();
    this.batchSize =
        DistributionSummary.builder("pin.reward.batch.size")
            .description("Items per model batch")
            .baseUnit("items")
            .tag("batcher", name)
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
            .register(registry);
    this.waitTime =
        // The platform's 14 latency buckets (1 ms … 60 s), not Micrometer's percentile histogram
        // (~70 buckets per batcher): enough for histogram_quantile and cheap to scrape.
        Metrics.latencyBuckets(Timer.builder("pin.reward.batch.wait")
            .description("Time an item waits in the batching queue before its batch starts")
            .tag("batcher", name))
            .register(registry);
    this.modelLatency =
        Metrics.latencyBuckets(Timer.builder("pin.reward.model.latency")
            .description("Model time per batch")
            .tag("batcher", name))
            .register(registry);
    this.rejected =
        Counter.builder("pin.reward.queue.rejected")
            .description("Requests rejected because the batching queue was full")
            .tag("batcher", name)
            .register(registry);
    this.batchErrors =
        Counter.builder("pin.reward.batch.errors")
            .description("Batches whose model call failed")
            .tag("batcher", name)
            .register(registry);
    this.abandoned =
        Counter.builder("pin.reward.queue.abandoned")
            .description("Items dropped unscored because their caller gave up (deadline,"
                + " cancellation or disconnect)")
            .tag("batcher", name)
            .register(registry);
    Gauge.builder("pin.reward.queue.depth", queued, AtomicInteger::get)
        .description("Items waiting in the batching queue")
        .baseUnit("items")
        .tag("batcher", name)
        .register(registry);

    this.slots = new Semaphore(config.workers());
    AtomicInteger threadIndex = new AtomicInteger();
    // Unbounded task queue is safe: the semaphore never lets more than `workers` batches in.
    this.workers =
        new ThreadPoolExecutor(
            config.workers(),
            config.workers(),
            0L,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "pin-batch-" + name + "-" + threadIndex.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.dispatcher = new Thread(this::dispatchLoop, "pin-batch-" + name + "-dispatcher");
    this.dispatcher.setDaemon(true);
    this.dispatcher.start();
  }

  /**
   * The settings.
   *
   * @return the configuration
   */
  public BatcherConfig config() {
    return config;
  }

  /**
   * Items waiting to be batched (not counting running batches).
   *
   * @return the queue depth
   */
  public int queueDepth() {
    return queued.get();
  }

  /**
   * Queues one item.
   *
   * @param item the input
   * @return its result, completed when its batch finishes
   * @throws QueueFullException when the queue is full
   * @throws BatcherClosedException after {@link #close}
   */
  public CompletableFuture<O> submit(I item) {
    return enqueue(List.of(item)).get(0);
  }

  /**
   * Queues a request's items together: all are admitted or none.
   *
   * @param items the inputs
   * @return one future per item, in order
   * @throws QueueFullException when the items do not fit in the queue
   * @throws BatcherClosedException after {@link #close}
   */
  public List<CompletableFuture<O>> submitEach(List<? extends I> items) {
    return enqueue(items);
  }

  /**
   * Queues a request's items together and joins their results.
   *
   * @param items the inputs
   * @return the results in item order, completed when the last item's batch finishes (or failed
   *     with the first failure)
   * @throws QueueFullException when the items do not fit in the queue
   * @throws BatcherClosedException after {@link #close}
   */
  public CompletableFuture<List<O>> submitAll(List<? extends I> items) {
    List<CompletableFuture<O>> futures = enqueue(items);
    CompletableFuture<List<O>> all = new CompletableFuture<>();
    AtomicInteger remaining = new AtomicInteger(futures.size());
    if (futures.isEmpty()) {
      all.complete(List.of());
      return all;
    }
    for (CompletableFuture<O> f : futures) {
      f.whenComplete(
          (v, e) -> {
            if (e != null) {
              all.completeExceptionally(e);
            } else if (remaining.decrementAndGet() == 0) {
              List<O> results = new ArrayList<>(futures.size());
              for (CompletableFuture<O> g : futures) {
                results.add(g.join());
              }
              all.complete(results);
            }
          });
    }
    return all;
  }

  private List<CompletableFuture<O>> enqueue(List<? extends I> items) {
    int n = items.size();
    int[] bucketOf = new int[n];
    for (int i = 0; i < n; i++) {
      bucketOf[i] = bucket(lengthOf.applyAsInt(items.get(i)));
    }
    List<CompletableFuture<O>> futures = new ArrayList<>(n);
    lock.lock();
    try {
      if (!accepting) {
        throw new BatcherClosedException("reward batcher '" + config.name() + "' is shut down");
      }
      int depth = queued.get();
      if (depth + n > config.maxQueuedItems()) {
        rejected.increment();
        throw new QueueFullException(config.name(), depth, n, config.maxQueuedItems());
      }
      long now = System.nanoTime();
      Context context = Context.current();
      for (int i = 0; i < n; i++) {
        CompletableFuture<O> f = new CompletableFuture<>();
        buckets[bucketOf[i]].addLast(new Pending<>(items.get(i), f, now, context));
        futures.add(f);
      }
      queued.addAndGet(n);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    return futures;
  }

  private int bucket(int length) {
    for (int b = 0; b < boundaries.length; b++) {
      if (length <= boundaries[b]) {
        return b;
      }
    }
    return boundaries.length;
  }

  private void dispatchLoop() {
    try {
      while (true) {
        slots.acquire();
        List<Pending<I, O>> batch = nextBatch();
        if (batch == null) {
          slots.release();
          return;
        }
        long now = System.nanoTime();
        for (Pending<I, O> p : batch) {
          waitTime.record(now - p.enqueuedNanos(), TimeUnit.NANOSECONDS);
        }
        try {
          workers.execute(() -> runBatch(batch));
        } catch (RuntimeException e) {
          slots.release();
          for (Pending<I, O> p : batch) {
            p.future().completeExceptionally(e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      logger.log(Level.SEVERE, "batch dispatcher '" + config.name() + "' failed", e);
    } finally {
      failQueued("reward batcher '" + config.name() + "' stopped before this item was scored");
    }
  }

  /** Blocks until a bucket is ready; returns null once shut down and drained. */
  private List<Pending<I, O>> nextBatch() throws InterruptedException {
    while (true) {
      List<Pending<I, O>> dropped = new ArrayList<>();
      List<Pending<I, O>> batch;
      lock.lock();
      try {
        batch = takeBatch(dropped);
      } finally {
        lock.unlock();
      }
      // Outside the lock and before waiting again: a dropped item's future may be shared by a
      // live caller (RewardCache), whose fallback queues the item afresh. Holding the drops back
      // while waiting for a batch that may never come would leave that caller waiting forever.
      for (Pending<I, O> p : dropped) {
        p.future().completeExceptionally(new CancellationException("the caller of reward batcher '"
            + config.name() + "' gave up on this item before it was scored"));
      }
      if (batch != LOOK_AGAIN) {
        return batch;
      }
    }
  }

  /** Returned by {@link #takeBatch} when it dropped items and the queue should be looked at again. */
  @SuppressWarnings("rawtypes")
  private static final List LOOK_AGAIN = List.of();

  /**
   * Under the lock: waits until a bucket is ready and takes its batch; returns null once shut down
   * and drained, or {@link #LOOK_AGAIN} as soon as abandoned items were moved to {@code dropped}.
   */
  @SuppressWarnings("unchecked")
  private List<Pending<I, O>> takeBatch(List<Pending<I, O>> dropped) throws InterruptedException {
    while (true) {
      dropAbandoned(dropped);
      if (!accepting && queued.get() == 0) {
        return dropped.isEmpty() ? null : LOOK_AGAIN;
      }
      long now = System.nanoTime();
      int best = -1;
      long nextDeadline = Long.MAX_VALUE;
      for (int b = 0; b < buckets.length; b++) {
        Pending<I, O> head = buckets[b].peekFirst();
        if (head == null) {
          continue;
        }
        boolean ready =
            !accepting
                || buckets[b].size() >= config.maxBatchSize()
                || now - head.enqueuedNanos() >= maxWaitNanos;
        if (ready) {
          if (best < 0 || head.enqueuedNanos() < buckets[best].peekFirst().enqueuedNanos()) {
            best = b;
          }
        } else {
          nextDeadline = Math.min(nextDeadline, head.enqueuedNanos() + maxWaitNanos);
        }
      }
      if (best < 0 && !dropped.isEmpty()) {
        return LOOK_AGAIN;
      }
      if (best >= 0) {
        ArrayDeque<Pending<I, O>> bucket = buckets[best];
        int size = Math.min(bucket.size(), config.maxBatchSize());
        List<Pending<I, O>> batch = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
          batch.add(bucket.pollFirst());
        }
        queued.addAndGet(-size);
        return batch;
      }
      if (nextDeadline == Long.MAX_VALUE) {
        changed.await();
      } else {
        changed.awaitNanos(nextDeadline - now);
      }
    }
  }

  /** Moves abandoned items out of the buckets into {@code dropped} (under the lock). */
  private void dropAbandoned(List<Pending<I, O>> dropped) {
    int before = dropped.size();
    for (ArrayDeque<Pending<I, O>> bucket : buckets) {
      bucket.removeIf(p -> p.abandoned() && dropped.add(p));
    }
    int n = dropped.size() - before;
    if (n > 0) {
      queued.addAndGet(-n);
      abandoned.increment(n);
    }
  }

  private void runBatch(List<Pending<I, O>> batch) {
    try {
      List<I> inputs = new ArrayList<>(batch.size());
      for (Pending<I, O> p : batch) {
        inputs.add(p.item());
      }
      batchSize.record(batch.size());
      long start = System.nanoTime();
      List<O> outputs;
      try {
        outputs = function.apply(inputs);
      } catch (Throwable e) {
        batchErrors.increment();
        for (Pending<I, O> p : batch) {
          p.future().completeExceptionally(e);
        }
        return;
      } finally {
        modelLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      }
      if (outputs == null || outputs.size() != batch.size()) {
        batchErrors.increment();
        IllegalStateException e =
            new IllegalStateException(
                "batch function of '"
                    + config.name()
                    + "' returned "
                    + (outputs == null ? "null" : outputs.size() + " results")
                    + " for "
                    + batch.size()
                    + " inputs");
        for (Pending<I, O> p : batch) {
          p.future().completeExceptionally(e);
        }
        return;
      }
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).future().complete(outputs.get(i));
      }
    } finally {
      slots.release();
    }
  }

  private void failQueued(String message) {
    List<Pending<I, O>> left = new ArrayList<>();
    lock.lock();
    try {
      accepting = false;
      for (ArrayDeque<Pending<I, O>> b : buckets) {
        left.addAll(b);
        b.clear();
      }
      queued.set(0);
    } finally {
      lock.unlock();
    }
    for (Pending<I, O> p : left) {
      p.future().completeExceptionally(new BatcherClosedException(message));
    }
  }

  /**
   * Stops admission, lets queued and running batches finish within the grace period, then fails
   * whatever is left and stops the threads. Idempotent.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      accepting = false;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
    try {
      dispatcher.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      if (dispatcher.isAlive()) {
        dispatcher.interrupt();
        dispatcher.join(1000);
      }
      workers.shutdown();
      long left = deadline - System.nanoTime();
      if (!workers.awaitTermination(Math.max(0, left), TimeUnit.NANOSECONDS)) {
        logger.warning(
            "reward batcher '"
                + config.name()
                + "' did not finish within "
                + config.shutdownGrace()
                + "; interrupting running batches");
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      workers.shutdownNow();
      Thread.currentThread().interrupt();
    }
    failQueued("reward batcher '" + config.name() + "' shut down before this item was scored");
  }
}

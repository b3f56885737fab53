package dev.pin.orchestrator;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.Method;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunState;
import dev.pin.v1.StartRunRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded load test of the ensemble on localhost (issue #17): four {@code pin serve} processes
 * ({@link LocalCluster}), {@code RUNS} concurrent small PIN runs on the tiny random BERT, and
 * meanwhile {@code RPCS} interleaved calls from four client threads (Health of every service,
 * GetRun, ListRuns). Prints the runs' end states, the calls by status and Health latency; exits 1
 * when a run did not complete, a Health check was not SERVING, or a call failed for another reason
 * than RESOURCE_EXHAUSTED (the bounded queue's answer, which peers retry).
 *
 * <pre>./bench app dev.pin.orchestrator.EnsembleLoadBench [RUNS [RPCS [STEPS]]]</pre>
 *
 * A benchmark, not a test: it takes minutes and its figures depend on the machine.
 */
public final class EnsembleLoadBench {
  private EnsembleLoadBench() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int rpcs = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    long steps = args.length > 2 ? Long.parseLong(args[2]) : 8;
    Path dir = Files.createTempDirectory("pin-load-bench");
    TinyRuns.write(dir);
    long start = System.nanoTime();
    boolean ok;
    // Every run at once: the defaults (4 active runs, 8 policies) would queue half of them.
    try (LocalCluster cluster = new LocalCluster(dir, Map.of(
        "orchestrator.max-active-runs", Integer.toString(runs),
        "policy.max-policies", Integer.toString(Math.max(8, runs)))).startAll()) {
      System.out.printf("cluster SERVING after %.1f s%n", seconds(start));
      OrchestratorGrpc.OrchestratorBlockingStub orchestrator =
          OrchestratorGrpc.newBlockingStub(cluster.channel("orchestrator"));
      long runsStart = System.nanoTime();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        ids.add(orchestrator.withDeadlineAfter(120, TimeUnit.SECONDS).startRun(
            StartRunRequest.newBuilder().setSpec(TinyRuns.spec(Method.METHOD_PIN, steps).toBuilder()
                .setName("load-" + i).setSeed(100 + i)).build()).getId());
      }

      // The interleaved calls, on four threads while the runs train.
      Map<String, AtomicInteger> byStatus = new ConcurrentHashMap<>();
      List<Long> healthNanos = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger notServing = new AtomicInteger();
      ExecutorService clients = Executors.newFixedThreadPool(4);
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < rpcs; i++) {
        int n = i;
        calls.add(clients.submit(() -> {
          String code = "OK";
          try {
            switch (n % 6) {
              case 4 -> orchestrator.withDeadlineAfter(30, TimeUnit.SECONDS)
                  .getRun(GetRunRequest.newBuilder().setRunId(ids.get(n % ids.size())).build());
              case 5 -> orchestrator.withDeadlineAfter(30, TimeUnit.SECONDS)
                  .listRuns(ListRunsRequest.newBuilder().setPageSize(20).build());
              default -> {
                String service = EmbeddedEnsemble.SERVICES.get(n % 6);
                long t = System.nanoTime();
                ServingStatus status = HealthGrpc.newBlockingStub(cluster.channel(service))
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
                healthNanos.add(System.nanoTime() - t);
                if (status != ServingStatus.SERVING) {
                  notServing.incrementAndGet();
                }
              }
            }
          } catch (StatusRuntimeException e) {
            code = e.getStatus().getCode().name();
          }
          byStatus.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
          sleepMillis(20); // interleaved with the runs' steps, not a burst before them
        }));
      }
      for (Future<?> call : calls) {
        call.get();
      }
      clients.shutdown();
      double callSeconds = seconds(runsStart);

      Map<RunState, Integer> ends = new TreeMap<>();
      List<String> failures = new ArrayList<>();
      for (String id : ids) {
        Run run = awaitEnd(orchestrator, id, 1800);
        ends.merge(run.getState(), 1, Integer::sum);
        if (run.getState() != RunState.RUN_STATE_COMPLETED) {
          failures.add(id + " " + run.getState() + " at step " + run.getStep() + ": "
              + run.getError());
        }
      }
      double runSeconds = seconds(runsStart);

      List<Long> sorted = new ArrayList<>(healthNanos);
      Collections.sort(sorted);
      System.out.printf("%d runs of %d steps (PIN, tiny-bert) in %.1f s: %s%n", runs, steps,
          runSeconds, ends);
      failures.forEach(f -> System.out.println("  not completed: " + f));
      System.out.printf("%d interleaved calls in %.1f s, by status: %s%n", rpcs, callSeconds,
          new TreeMap<>(byStatus));
      System.out.printf("Health: %d checks, %d not SERVING; latency p50 %.1f ms, p99 %.1f ms,"
              + " max %.1f ms%n", sorted.size(), notServing.get(), millis(sorted, 0.50),
          millis(sorted, 0.99), sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1) / 1e6);
      int otherErrors = byStatus.entrySet().stream()
          .filter(e -> !e.getKey().equals("OK")
              && !e.getKey().equals(Status.Code.RESOURCE_EXHAUSTED.name()))
          .mapToInt(e -> e.getValue().get()).sum();
      ok = failures.isEmpty() && notServing.get() == 0 && otherErrors == 0;
      System.out.println(ok ? "PASS: failed runs 0" : "FAIL: failed runs " + failures.size()
          + ", Health not SERVING " + notServing.get() + ", calls failed " + otherErrors);
    }
    // Only now that the cluster closed: exiting inside the try would leave its four processes.
    System.exit(ok ? 0 : 1);
  }

  private static Run awaitEnd(OrchestratorGrpc.OrchestratorBlockingStub stub, String id,
      long timeoutSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (true) {
      Run run = stub.withDeadlineAfter(30, TimeUnit.SECONDS)
          .getRun(GetRunRequest.newBuilder().setRunId(id).build());
      boolean ended = run.getState() == RunState.RUN_STATE_COMPLETED
          || run.getState() == RunState.RUN_STATE_FAILED
          || run.getState() == RunState.RUN_STATE_CANCELLED
          || run.getState() == RunState.RUN_STATE_INTERRUPTED;
      if (ended || System.nanoTime() > deadline) {
        return run;
      }
      Thread.sleep(1000);
    }
  }

  private static double millis(List<Long> sorted, double quantile) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int index = (int) Math.ceil(quantile * sorted.size()) - 1;
    return sorted.get(Math.max(0, index)) / 1e6;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static void sleepMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

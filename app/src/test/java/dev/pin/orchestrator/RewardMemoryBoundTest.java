package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.testing.Await;
import dev.pin.v1.CustomTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.TaskSpec;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #17 item 2, the memory test: 111 RegisterTasks with ~48 MB of inline examples filled the
 * reward service's heap ({@code OutOfMemoryError} in handler threads, later calls UNKNOWN). Here a
 * {@code pin serve reward} process gets a 256 MiB heap and {@code -XX:+ExitOnOutOfMemoryError}
 * (any OutOfMemoryError ends it), and four clients send it 300 MB of distinct 6 MB tasks, more
 * than its whole heap. It stays within its limits: every task is accepted, the registered bytes
 * never pass {@code reward.max-registered-bytes} (the least recently used are evicted), the
 * process lives and answers SERVING, and a task over {@code reward.max-task-bytes} (and a message
 * over {@code reward.max-message-bytes}) gets RESOURCE_EXHAUSTED naming its limit.
 */
class RewardMemoryBoundTest {
  private static final long HEAP = 256L << 20;
  private static final long MAX_REGISTERED = 64L << 20;
  private static final Pattern SAMPLE =
      Pattern.compile("(?m)^([a-z_]+)(\\{[^}]*\\})? ([0-9.eE+-]+)$");

  @TempDir Path dir;

  @Test
  void manyLargeTasksKeepTheRewardServiceWithinItsLimits() throws Exception {
    int port = freePort();
    int metricsPort = freePort();
    Path log = dir.resolve("reward.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(java, "-Xmx" + (HEAP >> 20) + "m",
        "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "-Dai.djl.offline=true",
        "-cp", System.getProperty("java.class.path"), "dev.pin.cli.Pin", "serve", "reward",
        "--reward.host=127.0.0.1", "--reward.port=" + port,
        "--reward.metrics-port=" + metricsPort, "--models.home=" + dir.resolve("models"),
        "--reward.preload-models=", "--reward.handler-threads=4",
        "--reward.max-task-bytes=8MiB", "--reward.max-registered-bytes=" + (MAX_REGISTERED >> 20)
            + "MiB", "--reward.max-message-bytes=16MiB")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(32 << 20).build();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    AtomicBoolean done = new AtomicBoolean();
    AtomicLong peakRegistered = new AtomicLong();
    AtomicLong peakHeap = new AtomicLong();
    try {
      Await.until("the reward service SERVING", Duration.ofSeconds(120), () -> {
        assertTrue(process.isAlive(), () -> "reward exited: " + read(log));
        try {
          return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()).getStatus()
              == ServingStatus.SERVING;
        } catch (StatusRuntimeException notYet) {
          return false;
        }
      });
      RewardGrpc.RewardBlockingStub reward = RewardGrpc.newBlockingStub(channel);
      // Watch the process's own figures while the tasks arrive.
      Future<?> watcher = Executors.newSingleThreadExecutor().submit(() -> {
        while (!done.get()) {
          Map<String, Double> m = scrape(metricsPort);
          peakRegistered.accumulateAndGet(
              m.getOrDefault("pin_reward_tasks_registered_bytes", 0.0).longValue(), Math::max);
          peakHeap.accumulateAndGet(m.getOrDefault("heap", 0.0).longValue(), Math::max);
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      int tasks = 50;
      long sent = 0;
      List<Future<String>> replies = new ArrayList<>();
      Map<Status.Code, Integer> codes = new ConcurrentHashMap<>();
      for (int i = 0; i < tasks; i++) {
        TaskSpec task = task(i, 6 << 20);
        sent += task.getSerializedSize();
        replies.add(clients.submit(() -> {
          try {
            String handle = reward.withDeadlineAfter(120, TimeUnit.SECONDS)
                .registerTask(RegisterTaskRequest.newBuilder().setTask(task).build()).getHandle();
            codes.merge(Status.Code.OK, 1, Integer::sum);
            return handle;
          } catch (StatusRuntimeException e) {
            codes.merge(e.getStatus().getCode(), 1, Integer::sum);
            return e.getStatus().toString();
          }
        }));
      }
      for (Future<String> r : replies) {
        r.get(300, TimeUnit.SECONDS);
      }
      done.set(true);
      watcher.get(10, TimeUnit.SECONDS);
      assertTrue(process.isAlive(), () -> "the reward service died: " + read(log));
      assertTrue(sent > HEAP, "sent " + sent + " bytes, more than the heap");
      assertEquals(Map.of(Status.Code.OK, tasks), codes, "every task accepted, none UNKNOWN");
      Map<String, Double> after = scrape(metricsPort);
      assertTrue(after.get("pin_reward_tasks_registered_bytes") <= MAX_REGISTERED, after
          .toString());
      assertTrue(peakRegistered.get() <= MAX_REGISTERED, "peak " + peakRegistered);
      assertTrue(after.get("pin_reward_tasks_registered") < tasks, "older tasks were evicted");
      assertTrue(peakHeap.get() < HEAP, "peak heap " + peakHeap);

      // One task over reward.max-task-bytes: refused at once, naming the limit.
      StatusRuntimeException tooBig = org.junit.jupiter.api.Assertions.assertThrows(
          StatusRuntimeException.class, () -> reward.withDeadlineAfter(60, TimeUnit.SECONDS)
              .registerTask(RegisterTaskRequest.newBuilder().setTask(task(999, 9 << 20))
                  .build()));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, tooBig.getStatus().getCode());
      assertTrue(tooBig.getStatus().getDescription().contains("reward.max-task-bytes"),
          tooBig.getStatus().getDescription());
      // One message over reward.max-message-bytes: refused by gRPC before it is parsed.
      StatusRuntimeException tooLong = org.junit.jupiter.api.Assertions.assertThrows(
          StatusRuntimeException.class, () -> reward.withDeadlineAfter(60, TimeUnit.SECONDS)
              .registerTask(RegisterTaskRequest.newBuilder().setTask(task(998, 20 << 20))
                  .build()));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, tooLong.getStatus().getCode());

      assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
          .getStatus());
      assertTrue(process.isAlive());
      assertFalse(read(log).contains("OutOfMemoryError"), read(log));
      System.out.printf("RewardMemoryBoundTest: sent %d MB in %d tasks to a %d MB heap; peak "
          + "registered %.1f MB (limit %d MB), peak heap used %.1f MB%n", sent >> 20, tasks,
          HEAP >> 20, peakRegistered.get() / 1048576.0, MAX_REGISTERED >> 20,
          peakHeap.get() / 1048576.0);
    } finally {
      done.set(true);
      clients.shutdownNow();
      channel.shutdownNow();
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** A custom (keyword) task with about {@code bytes} of distinct inline examples. */
  private static TaskSpec task(int n, int bytes) {
    CustomTask.Builder custom = CustomTask.newBuilder().setRewardFunction("keyword")
        .putParams("keywords", "great,good").putParams("n", Integer.toString(n));
    String text = ("example " + n + " ").repeat(1024 / 12);
    int count = bytes / (text.length() + 8);
    for (int i = 0; i < count; i++) {
      custom.addTrain(LabeledText.newBuilder().setText(text + i));
    }
    return TaskSpec.newBuilder().setCustom(custom).build();
  }

  /** The registry gauges and the heap in use (summed over pools) from /metrics. */
  private static Map<String, Double> scrape(int port) {
    Map<String, Double> out = new ConcurrentHashMap<>();
    try {
      String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(5))
          .build(), HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = SAMPLE.matcher(text);
      double heap = 0;
      while (m.find()) {
        String labels = m.group(2) == null ? "" : m.group(2);
        double value = Double.parseDouble(m.group(3));
        if (m.group(1).equals("jvm_memory_used_bytes") && labels.contains("area=\"heap\"")) {
          heap += value;
        } else if (m.group(1).startsWith("pin_reward_tasks_registered")) {
          out.put(m.group(1), value);
        }
      }
      out.put("heap", heap);
    } catch (IOException e) {
      // the process is busy or gone; the caller checks that it lives
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static String read(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "(no log)";
    } catch (IOException e) {
      return "(unreadable log: " + e + ")";
    }
  }
}

package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.Config;
import dev.pin.kit.grpc.RawBytes;
import dev.pin.orchestrator.data.TaskDataLoader;
import dev.pin.v1.CancelRunRequest;
import dev.pin.v1.CreatePolicyRequest;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.Method;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.Prompt;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunState;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScorerGrpc;
import dev.pin.v1.StartRunRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fuzz test generated from the four services' descriptors (issue #17): for every RPC it sends
 * messages built field by field from the request type's descriptor with hostile values (NaN,
 * unknown enum numbers, NUL and {@code ..} in strings, huge numbers), mutations of a valid request
 * (so the fuzz reaches past the first checks into the models), and malformed bytes (truncated,
 * flipped, invalid UTF-8), over localhost TCP to the embedded ensemble on tiny models. No reply
 * may be INTERNAL or UNKNOWN (those mean a bug of ours, not a caller's mistake), and afterwards
 * every service still answers health SERVING. The seed is fixed, so a failure reproduces.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RpcFuzzTest {
  private static final int REQUESTS = 4000;
  private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(120);

  @TempDir static Path home;
  private EmbeddedEnsemble ensemble;
  private final Map<String, ManagedChannel> channels = new HashMap<>();
  /** Valid requests by type, the starting points of mutations. */
  private final Map<String, Message> seeds = new HashMap<>();
  /** Strings the fuzz draws from: ids that exist, names that resolve, and hostile text. */
  private final List<String> strings = new ArrayList<>(List.of("", " ", "tiny-bert",
      "bert-base-uncased", "data", "..", "../../etc", "/etc/passwd", "a\u0000b", "[MASK]",
      "great", "terrible", "{sentence} {prompt} [MASK]", "it was", "run-1", "\uD83D\uDCA5",
      "file:/etc/passwd", "x".repeat(5000), "ab\nc", "%s%n", "0", "-1", "NaN"));

  @BeforeAll
  void start() throws Exception {
    TinyRuns.write(home);
    Map<String, String> settings = new HashMap<>();
    settings.put("models.home", home.resolve("models").toString());
    settings.put("policy.checkpoint-dir", home.resolve("checkpoints").toString());
    settings.put("orchestrator.store-url", "jdbc:sqlite:" + home.resolve("runs.db"));
    settings.put("orchestrator.data-dir", home.toString());
    for (String service : EmbeddedEnsemble.SERVICES) {
      settings.put(service + ".port", "0");
      settings.put(service + ".metrics-port", "-1");
      settings.put(service + ".host", "127.0.0.1");
    }
    ensemble = EmbeddedEnsemble.create(Config.of(settings), "fuzz-" + UUID.randomUUID(), true);
    ensemble.start();
    assertTrue(ensemble.awaitReady(60, TimeUnit.SECONDS), "every service SERVING");

    // Real ids and handles, so that mutated requests name things that exist.
    var orchestrator = OrchestratorGrpc.newBlockingStub(channel("orchestrator"))
        .withDeadlineAfter(60, TimeUnit.SECONDS);
    var spec = TinyRuns.spec(Method.METHOD_PIN, 2);
    Run run = orchestrator.startRun(StartRunRequest.newBuilder().setSpec(spec).build());
    strings.add(run.getId());
    seeds.put(StartRunRequest.getDescriptor().getFullName(),
        StartRunRequest.newBuilder().setSpec(spec).build());
    var task = TaskDataLoader.load(spec.getTask(), home);
    var reward = RewardGrpc.newBlockingStub(channel("reward")).withDeadlineAfter(60,
        TimeUnit.SECONDS);
    String handle = reward.registerTask(RegisterTaskRequest.newBuilder().setTask(task).build())
        .getHandle();
    strings.add(handle);
    seeds.put(RegisterTaskRequest.getDescriptor().getFullName(),
        RegisterTaskRequest.newBuilder().setTask(task).build());
    seeds.put(ScoreRequest.getDescriptor().getFullName(), ScoreRequest.newBuilder()
        .setHandle(handle).addPrompts(Prompt.newBuilder().setText("great movie")).build());
    seeds.put(EvaluatePromptRequest.getDescriptor().getFullName(), EvaluatePromptRequest
        .newBuilder().setTask(spec.getTask()).setPromptText("it was").build());
    seeds.put(CreatePolicyRequest.getDescriptor().getFullName(), CreatePolicyRequest.newBuilder()
        .setRunId("fuzz-policy").setConfig(spec.getPolicy().toBuilder()
            .setSparseTsallis(dev.pin.v1.SparseTsallisConfig.getDefaultInstance())).build());
    seeds.put(NaturalnessRequest.getDescriptor().getFullName(), NaturalnessRequest.newBuilder()
        .setModel(dev.pin.v1.ModelRef.newBuilder().setName("tiny-bert"))
        .addPrompts(Prompt.newBuilder().setText("great movie")).build());
  }

  @AfterAll
  void stop() {
    try {
      var orchestrator = OrchestratorGrpc.newBlockingStub(channel("orchestrator"))
          .withDeadlineAfter(30, TimeUnit.SECONDS);
      for (Run r : orchestrator.listRuns(ListRunsRequest.newBuilder().setPageSize(1000).build())
          .getRunsList()) {
        if (r.getState() == RunState.RUN_STATE_RUNNING
            || r.getState() == RunState.RUN_STATE_PENDING) {
          try {
            orchestrator.cancelRun(CancelRunRequest.newBuilder().setRunId(r.getId()).build());
          } catch (RuntimeException ignored) {
            // already ended
          }
        }
      }
    } finally {
      channels.values().forEach(ManagedChannel::shutdownNow);
      ensemble.close();
    }
  }

  private ManagedChannel channel(String service) {
    return channels.computeIfAbsent(service, s -> ManagedChannelBuilder
        .forAddress("127.0.0.1", ensemble.host(s).port()).usePlaintext()
        .maxInboundMessageSize(64 << 20).build());
  }

  @Test
  void noMalformedRequestIsAnsweredInternalOrUnknown() throws Exception {
    Map<String, ServiceDescriptor> services = Map.of(
        "orchestrator", schema(OrchestratorGrpc.getServiceDescriptor()),
        "policy", schema(PolicyGrpc.getServiceDescriptor()),
        "reward", schema(RewardGrpc.getServiceDescriptor()),
        "scorer", schema(ScorerGrpc.getServiceDescriptor()));
    List<String[]> targets = new ArrayList<>(); // {service, method full name}
    Map<String, MethodDescriptor> methods = new HashMap<>();
    for (var e : services.entrySet()) {
      for (MethodDescriptor m : e.getValue().getMethods()) {
        String full = e.getValue().getFullName() + "/" + m.getName();
        targets.add(new String[] {e.getKey(), full});
        methods.put(full, m);
      }
    }
    targets.sort((a, b) -> a[1].compareTo(b[1]));
    Random random = new Random(17);
    Map<Status.Code, Integer> codes = new EnumMap<>(Status.Code.class);
    List<String> failures = new ArrayList<>(); // one per method, code and kind of message
    java.util.Set<String> distinct = new java.util.HashSet<>();
    long start = System.nanoTime();
    int sent = 0;
    for (; sent < REQUESTS && System.nanoTime() - start < BUDGET_NANOS; sent++) {
      String[] target = targets.get(sent % targets.size());
      MethodDescriptor method = methods.get(target[1]);
      byte[] payload = payload(method.getInputType(), random);
      Status status = call(channel(target[0]), target[1], method, payload);
      codes.merge(status.getCode(), 1, Integer::sum);
      if ((status.getCode() == Status.Code.INTERNAL || status.getCode() == Status.Code.UNKNOWN)
          && distinct.add(target[1] + status.getCode() + first(status.getDescription(), 60))) {
        failures.add(target[1] + " → " + status.getCode() + ": "
            + first(status.getDescription(), 300) + "\n    request: "
            + describe(method.getInputType(), payload));
      }
    }
    System.out.printf("fuzz: %d requests over %d RPCs in %.1f s: %s%n", sent, targets.size(),
        (System.nanoTime() - start) / 1e9, codes);
    assertTrue(failures.isEmpty(), failures.size() + " replies were INTERNAL or UNKNOWN:\n"
        + String.join("\n", failures.subList(0, Math.min(40, failures.size()))));
    for (String service : EmbeddedEnsemble.SERVICES) {
      assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel(service))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus(), service);
    }
  }

  /** What the fuzz found answered INTERNAL before (issue #17 item 7), each pinned down. */
  @Test
  void mistakesTheFuzzFoundGetClientStatusesNamingTheField() {
    var orchestrator = OrchestratorGrpc.newBlockingStub(channel("orchestrator"))
        .withDeadlineAfter(60, TimeUnit.SECONDS);
    EvaluatePromptRequest evaluate =
        (EvaluatePromptRequest) seeds.get(EvaluatePromptRequest.getDescriptor().getFullName());
    expect(Status.Code.INVALID_ARGUMENT, "split: must be SPLIT_TRAIN, SPLIT_DEV or SPLIT_TEST",
        () -> orchestrator.evaluatePrompt(evaluate.toBuilder().setSplitValue(99).build()));
    expect(Status.Code.INVALID_ARGUMENT, "prompts[0].text: contains the task model's mask token",
        () -> orchestrator.evaluatePrompt(evaluate.toBuilder().setPromptText("it [MASK] was")
            .build()));
    var reward = RewardGrpc.newBlockingStub(channel("reward")).withDeadlineAfter(60,
        TimeUnit.SECONDS);
    ScoreRequest score = (ScoreRequest) seeds.get(ScoreRequest.getDescriptor().getFullName());
    expect(Status.Code.INVALID_ARGUMENT, "prompts[1].text: contains the task model's mask token",
        () -> reward.score(score.toBuilder()
            .addPrompts(Prompt.newBuilder().setText("so [MASK]")).build()));
    expect(Status.Code.INVALID_ARGUMENT, "model.name: must not contain control characters",
        () -> reward.embedText(dev.pin.v1.EmbedTextRequest.newBuilder()
            .setModel(dev.pin.v1.ModelRef.newBuilder().setName("a\u0000b")).addTexts("x")
            .build()));
    StartRunRequest start = (StartRunRequest) seeds.get(
        StartRunRequest.getDescriptor().getFullName());
    var bad = start.getSpec().toBuilder();
    bad.getTaskBuilder().getClassificationBuilder().getTaskModelBuilder().setName("../models");
    expect(Status.Code.INVALID_ARGUMENT, "spec.task.classification.task_model.name",
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(bad).build()));
    var image = evaluate.getTask().toBuilder();
    image.getClassificationBuilder().getDataBuilder().setImageFolder(
        dev.pin.v1.ImageFolder.newBuilder().setDir("images"));
    expect(Status.Code.INVALID_ARGUMENT, "task.classification.data",
        () -> orchestrator.evaluatePrompt(evaluate.toBuilder().setTask(image).build()));
  }

  @Test
  void malformedBytesAreInvalidArgument() throws Exception {
    MethodDescriptor getRun = schema(OrchestratorGrpc.getServiceDescriptor())
        .findMethodByName("GetRun");
    Status status = call(channel("orchestrator"), "pin.v1.Orchestrator/GetRun", getRun,
        new byte[] {0x0a, 3, (byte) 0xff, (byte) 0xfe, (byte) 0xc3});
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
    assertTrue(status.getDescription().contains("not a valid message"), status.toString());
  }

  private static void expect(Status.Code code, String fragment,
      org.junit.jupiter.api.function.Executable call) {
    io.grpc.StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.grpc.StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(String.valueOf(e.getStatus().getDescription()).contains(fragment),
        e.getStatus() + " should mention '" + fragment + "'");
  }

  private static ServiceDescriptor schema(io.grpc.ServiceDescriptor service) {
    return ((ProtoServiceDescriptorSupplier) service.getSchemaDescriptor()).getServiceDescriptor();
  }

  /** Sends one request as raw bytes; reads at most a few stream messages; the final status. */
  private static Status call(ManagedChannel channel, String fullName, MethodDescriptor method,
      byte[] payload) throws InterruptedException {
    MethodType type = method.isClientStreaming()
        ? (method.isServerStreaming() ? MethodType.BIDI_STREAMING : MethodType.CLIENT_STREAMING)
        : (method.isServerStreaming() ? MethodType.SERVER_STREAMING : MethodType.UNARY);
    io.grpc.MethodDescriptor<byte[], byte[]> md = io.grpc.MethodDescriptor
        .<byte[], byte[]>newBuilder().setType(type).setFullMethodName(fullName)
        .setRequestMarshaller(RawBytes.MARSHALLER).setResponseMarshaller(RawBytes.MARSHALLER).build();
    ClientCall<byte[], byte[]> call = channel.newCall(md,
        CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    CountDownLatch closed = new CountDownLatch(1);
    AtomicReference<Status> result = new AtomicReference<>();
    AtomicInteger messages = new AtomicInteger();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        if (messages.incrementAndGet() >= 3 && method.isServerStreaming()) {
          call.cancel("fuzz: enough of this stream", null); // e.g. WatchRun of a live run
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        result.set(status);
        closed.countDown();
      }
    }, new Metadata());
    call.request(Integer.MAX_VALUE);
    call.sendMessage(payload);
    if (method.isClientStreaming()) {
      call.sendMessage(payload);
    }
    call.halfClose();
    if (!closed.await(30, TimeUnit.SECONDS)) {
      call.cancel("fuzz: no reply in 30 s", null);
      closed.await(5, TimeUnit.SECONDS);
    }
    Status status = result.get();
    // Our own cancellation of a long stream is not the server's answer.
    return status == null ? Status.DEADLINE_EXCEEDED : status;
  }

  /** One request: generated, a mutated seed, or malformed bytes. */
  private byte[] payload(Descriptor type, Random random) {
    int kind = random.nextInt(100);
    Message seed = seeds.get(type.getFullName());
    if (kind < 45) {
      return generate(type, random, 0).toByteArray();
    } else if (kind < 75 && seed != null) {
      DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
      b.mergeFrom(seed);
      mutate(b, random, 1 + random.nextInt(3), 0);
      return b.build().toByteArray();
    } else if (kind < 85) {
      byte[] valid = (seed != null ? seed : generate(type, random, 0)).toByteArray();
      return corrupt(valid, random);
    } else if (kind < 93) {
      // A string field holding bytes that are not UTF-8 (proto3 strings must be).
      for (FieldDescriptor f : type.getFields()) {
        if (f.getType() == FieldDescriptor.Type.STRING) {
          int tag = (f.getNumber() << 3) | 2;
          return tag < 128 ? new byte[] {(byte) tag, 3, (byte) 0xff, (byte) 0xfe, (byte) 0xc3}
              : new byte[] {(byte) (tag | 0x80), (byte) (tag >>> 7), 2, (byte) 0xc0, 0x41};
        }
      }
      return randomBytes(random, 1 + random.nextInt(40));
    } else {
      return randomBytes(random, random.nextInt(64));
    }
  }

  private DynamicMessage generate(Descriptor type, Random random, int depth) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    for (FieldDescriptor f : type.getFields()) {
      if (random.nextInt(100) < (depth == 0 ? 60 : 40)) {
        set(b, f, random, depth);
      }
    }
    return b.build();
  }

  /** Sets {@code count} random fields, descending into set sub-messages now and then. */
  private void mutate(DynamicMessage.Builder b, Random random, int count, int depth) {
    List<FieldDescriptor> fields = b.getDescriptorForType().getFields();
    if (fields.isEmpty()) {
      return;
    }
    for (int i = 0; i < count; i++) {
      FieldDescriptor f = fields.get(random.nextInt(fields.size()));
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isRepeated()
          && b.hasField(f) && depth < 5 && random.nextBoolean()) {
        DynamicMessage.Builder sub = DynamicMessage.newBuilder(f.getMessageType());
        sub.mergeFrom((Message) b.getField(f));
        mutate(sub, random, 1, depth + 1);
        b.setField(f, sub.build());
      } else {
        b.clearField(f);
        if (random.nextInt(4) > 0) {
          set(b, f, random, depth);
        }
      }
    }
  }

  private void set(DynamicMessage.Builder b, FieldDescriptor f, Random random, int depth) {
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth >= 4) {
      return;
    }
    if (f.isRepeated()) {
      int n = random.nextInt(20) == 0 ? 300 : random.nextInt(4);
      for (int i = 0; i < n; i++) {
        Object v = value(f, random, depth);
        if (v != null) {
          b.addRepeatedField(f, v);
        }
      }
    } else {
      Object v = value(f, random, depth);
      if (v != null) {
        b.setField(f, v);
      }
    }
  }

  private Object value(FieldDescriptor f, Random random, int depth) {
    return switch (f.getJavaType()) {
      case STRING -> strings.get(random.nextInt(strings.size()));
      case INT -> new int[] {0, 1, -1, 2, 5, 7, 99, 4096, 65536, Integer.MAX_VALUE,
          Integer.MIN_VALUE}[random.nextInt(11)];
      case LONG -> new long[] {0, 1, -1, 3, 100, 1L << 40, Long.MAX_VALUE,
          Long.MIN_VALUE}[random.nextInt(8)];
      case FLOAT -> new float[] {0f, 1f, -1f, 0.5f, 1e-9f, 1e30f, Float.NaN,
          Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f}[random.nextInt(10)];
      case DOUBLE -> new double[] {0, 1, -1, 0.5, 1e-12, 1e300, Double.NaN,
          Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}[random.nextInt(9)];
      case BOOLEAN -> random.nextBoolean();
      case BYTE_STRING -> ByteString.copyFrom(randomBytes(random, random.nextInt(64)));
      case ENUM -> {
        EnumDescriptor e = f.getEnumType();
        yield random.nextInt(5) == 0 ? e.findValueByNumberCreatingIfUnknown(99)
            : e.getValues().get(random.nextInt(e.getValues().size()));
      }
      case MESSAGE -> {
        Message seed = seeds.get(f.getMessageType().getFullName());
        yield seed != null && random.nextBoolean() ? seed
            : generate(f.getMessageType(), random, depth + 1);
      }
    };
  }

  private static byte[] corrupt(byte[] valid, Random random) {
    if (valid.length == 0 || random.nextBoolean()) {
      byte[] out = java.util.Arrays.copyOf(valid, valid.length + 1 + random.nextInt(8));
      for (int i = valid.length; i < out.length; i++) {
        out[i] = (byte) random.nextInt(256);
      }
      return out;
    }
    byte[] out = valid.clone();
    if (random.nextBoolean()) {
      return java.util.Arrays.copyOf(out, random.nextInt(out.length));
    }
    for (int i = 0; i < 1 + random.nextInt(4); i++) {
      out[random.nextInt(out.length)] = (byte) random.nextInt(256);
    }
    return out;
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static String first(String s, int n) {
    return s == null ? "" : s.length() > n ? s.substring(0, n) + "…" : s;
  }

  private static String describe(Descriptor type, byte[] payload) {
    String text;
    try {
      text = TextFormat.printer().escapingNonAscii(true).shortDebugString(
          DynamicMessage.parseFrom(type, payload));
    } catch (IOException e) {
      text = "(" + payload.length + " malformed bytes)";
    }
    return text.length() > 400 ? text.substring(0, 400) + "…" : text;
  }
}

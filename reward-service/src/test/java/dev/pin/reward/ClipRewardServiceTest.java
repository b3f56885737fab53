package dev.pin.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.models.image.ClipPreprocessor;
import dev.pin.models.image.ImageDecoder;
import dev.pin.models.ort.ClipEncoder;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import dev.pin.v1.EmbedImageRequest;
import dev.pin.v1.EmbedResponse;
import dev.pin.v1.EmbedTextRequest;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.Image;
import dev.pin.v1.ImageInversionTask;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoreResponse;
import dev.pin.v1.Split;
import dev.pin.v1.TaskHandle;
import dev.pin.v1.TaskSpec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image inversion (§6.3) and the CLIP RPCs over in-process gRPC, with the production wiring of
 * {@link RewardServiceTest}, on a tiny random-weight CLIP from the model store: every reward and
 * embedding is checked against the CLIP graphs run directly on ONNX Runtime.
 */
class ClipRewardServiceTest {
  @TempDir Path home;
  private ModelDir model;
  private ServiceHost host;
  private ManagedChannel channel;
  private RewardGrpc.RewardBlockingStub stub;
  private OrtSessions direct;
  private ClipEncoder clip;

  @BeforeEach
  void start() throws Exception {
    model = TinyModels.clip(home.resolve("models").resolve("tiny-clip"), 21);
    TinyModels.bertMlm(home.resolve("models").resolve("tiny-bert"), 11);
    RewardSettings settings = RewardSettings.read(Config.of(Map.of(
        "models.home", home.resolve("models").toString(), "reward.metrics-port", "-1",
        "reward.max-batch-size", "4", "reward.preload-models", "tiny-clip")));
    String name = InProcessServerBuilder.generateName();
    host = new ServiceHost(new RewardServer(settings, Metrics.newRegistry("reward")),
        Metrics.newRegistry("reward"), List.of(InProcessServerBuilder.forName(name)));
    host.start();
    assertTrue(host.awaitReady(30, TimeUnit.SECONDS));
    channel = InProcessChannelBuilder.forName(name).build();
    stub = RewardGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    direct = new OrtSessions();
    clip = ClipEncoder.open(model, OrtConfig.cpu(1), direct);
  }

  @AfterEach
  void stop() {
    clip.close();
    direct.close();
    channel.shutdownNow();
    host.close();
  }

  /** A non-square PNG with a smooth random colour field, so resize and crop both matter. */
  private static byte[] png(long seed, int w, int h) throws IOException {
    Random r = new Random(seed);
    int[] base = {r.nextInt(256), r.nextInt(256), r.nextInt(256)};
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int red = (base[0] + 7 * x) & 0xff;
        int green = (base[1] + 5 * y) & 0xff;
        int blue = (base[2] + 3 * (x + y) + r.nextInt(9)) & 0xff;
        img.setRGB(x, y, red << 16 | green << 8 | blue);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  private float[] directImageEmbedding(byte[] png) throws IOException {
    var p = model.manifest().imagePreprocessing();
    float[] pixels = new ClipPreprocessor(p.imageSize(), p.imageMean(), p.imageStd())
        .preprocess(ImageDecoder.decode(png));
    return clip.embedPixels(List.of(pixels))[0];
  }

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  private static void assertUnitAndParallel(float[] expected, List<Float> got, String what) {
    float[] g = new float[got.size()];
    double norm = 0;
    for (int i = 0; i < g.length; i++) {
      g[i] = got.get(i);
      norm += g[i] * g[i];
    }
    assertEquals(expected.length, g.length, what + ": width");
    assertEquals(1, Math.sqrt(norm), 1e-5, what + ": unit length");
    double expectedNorm = Math.sqrt(normSquare(expected));
    for (int i = 0; i < g.length; i++) {
      assertEquals(expected[i] / expectedNorm, g[i], 1e-5, what + "[" + i + "]");
    }
  }

  private static double normSquare(float[] v) {
    double n = 0;
    for (float x : v) {
      n += (double) x * x;
    }
    return n;
  }

  @Test
  void embedRpcsReturnTheNormalisedOrtProjections() throws IOException {
    List<String> texts = List.of("a photo of a red cat", "green dog", "");
    EmbedResponse t = stub.embedText(EmbedTextRequest.newBuilder()
        .setModel(ModelRef.newBuilder().setName("tiny-clip")).addAllTexts(texts).build());
    float[][] expected = clip.embedTexts(texts);
    assertEquals(texts.size(), t.getEmbeddingsCount());
    for (int i = 0; i < texts.size(); i++) {
      assertUnitAndParallel(expected[i], t.getEmbeddings(i).getValuesList(), "text " + i);
    }
    byte[] wide = png(1, 40, 23);
    byte[] tall = png(2, 17, 30);
    EmbedResponse im = stub.embedImage(EmbedImageRequest.newBuilder()
        .setModel(ModelRef.newBuilder().setName("tiny-clip"))
        .addImages(Image.newBuilder().setData(ByteString.copyFrom(wide)))
        .addImages(Image.newBuilder().setData(ByteString.copyFrom(tall))).build());
    assertUnitAndParallel(directImageEmbedding(wide), im.getEmbeddings(0).getValuesList(), "wide");
    assertUnitAndParallel(directImageEmbedding(tall), im.getEmbeddings(1).getValuesList(), "tall");

    StatusRuntimeException notClip = assertThrows(StatusRuntimeException.class,
        () -> stub.embedText(EmbedTextRequest.newBuilder()
            .setModel(ModelRef.newBuilder().setName("tiny-bert")).addTexts("x").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, notClip.getStatus().getCode());
    assertTrue(notClip.getStatus().getDescription().contains("tiny-bert"),
        notClip.getStatus().getDescription());
  }

  @Test
  void imageInversionRewardIsTheMeanCosineOverTheTargets() throws IOException {
    List<byte[]> targets = List.of(png(3, 32, 32), png(4, 48, 20), png(5, 16, 16));
    ImageInversionTask.Builder task = ImageInversionTask.newBuilder()
        .setClip(ModelRef.newBuilder().setName("tiny-clip"));
    for (int i = 0; i < targets.size(); i++) {
      task.addTargets(Image.newBuilder().setData(ByteString.copyFrom(targets.get(i)))
          .setSource("target-" + i + ".png"));
    }
    TaskHandle handle = stub.registerTask(RegisterTaskRequest.newBuilder()
        .setTask(TaskSpec.newBuilder().setImageInversion(task)).build());

    List<String> prompts = List.of("a photo of a cat", "red red green", "dog of photo", "");
    ScoreRequest.Builder request = ScoreRequest.newBuilder().setHandle(handle.getHandle());
    prompts.forEach(p -> request.addPrompts(Prompt.newBuilder().setText(p)));
    ScoreResponse scores = stub.score(request.build());

    List<float[]> images = new ArrayList<>();
    for (byte[] t : targets) {
      images.add(directImageEmbedding(t));
    }
    float[][] text = clip.embedTexts(prompts);
    double[] expected = new double[prompts.size()];
    for (int i = 0; i < prompts.size(); i++) {
      for (float[] img : images) {
        expected[i] += cosine(text[i], img) / images.size();
      }
    }
    assertEquals(prompts.size(), scores.getScoresCount());
    for (PromptScore s : scores.getScoresList()) {
      assertEquals(expected[s.getPromptIndex()], s.getReward(), 1e-5,
          "prompt '" + prompts.get(s.getPromptIndex()) + "'");
    }
    // The mean over targets is not any single target's cosine (the averaging is real).
    assertTrue(Math.abs(expected[0] - cosine(text[0], images.get(0))) > 1e-3);

    ScoreResponse again = stub.score(request.build());
    assertTrue(again.getScores(1).getCached(), "repeated prompts come from the reward cache");
    assertEquals(scores.getScores(1).getReward(), again.getScores(1).getReward(), 0);

    var eval = stub.evaluate(EvaluateRequest.newBuilder().setHandle(handle.getHandle())
        .setSplit(Split.SPLIT_TEST).addPrompts(Prompt.newBuilder().setText(prompts.get(2)))
        .build()).getEvaluations(0);
    assertEquals(expected[2], eval.getClipScore(), 1e-5);
    assertEquals(targets.size(), eval.getExamples());
  }
}

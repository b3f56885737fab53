package dev.pin.cli.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.ort.OrtConfig;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.reward.backend.SequenceClassifier;
import dev.pin.reward.ort.OrtModelCatalog;
import dev.pin.v1.ModelRef;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code pin models train-classifier} end to end on a tiny random BERT: train files → a stored
 * {@code bert-cls} model → the reward service's catalog loads it as a style classifier, whose
 * accuracy on the dev files is the one the command printed.
 */
class TrainClassifierCommandTest {
  static final String[] POSITIVE = {"great", "good", "fun", "best", "love", "nice", "amazing"};
  static final String[] NEGATIVE = {"bad", "terrible", "boring", "worst", "hate", "awful", "sad"};
  @TempDir Path tmp;
  String previousHome;

  @BeforeEach
  void useTemporaryStore() {
    previousHome = System.getProperty(ModelStore.HOME_PROPERTY);
    System.setProperty(ModelStore.HOME_PROPERTY, tmp.resolve("store").toString());
  }

  @AfterEach
  void restoreStore() {
    if (previousHome == null) {
      System.clearProperty(ModelStore.HOME_PROPERTY);
    } else {
      System.setProperty(ModelStore.HOME_PROPERTY, previousHome);
    }
  }

  static List<String> sentences(String[] words, String... templates) {
    List<String> out = new ArrayList<>();
    for (String t : templates) {
      for (String w : words) {
        out.add(t.replace("X", w));
      }
    }
    return out;
  }

  @Test
  void trainsStoresAndServesAStyleClassifier() throws Exception {
    ModelStore store = ModelStore.defaultStore();
    TinyModels.bertMlm(store.dir("tiny-bert"), 13);
    Path pos = tmp.resolve("train.1.txt");
    Path neg = tmp.resolve("train.0.txt");
    Files.write(neg, sentences(NEGATIVE, "the movie was X", "a X film", "X", "so X"));
    Files.write(pos, sentences(POSITIVE, "the movie was X", "a X film", "X", "so X"));
    Path devNeg = tmp.resolve("dev.0.txt");
    Path devPos = tmp.resolve("dev.1.txt");
    Files.write(devNeg, sentences(NEGATIVE, "the story was X"));
    Files.write(devPos, sentences(POSITIVE, "the story was X"));

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new ModelsCommand());
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    int rc = cmd.execute("train-classifier", "--name", "tiny-style", "--encoder", "tiny-bert",
        "--train", neg + ":negative", pos + ":positive",
        "--dev", devNeg + ":negative", devPos + ":positive", "--iterations", "200");
    assertEquals(0, rc, err.toString());
    Matcher m = Pattern.compile("train accuracy ([0-9.]+)\\), dev accuracy ([0-9.]+) on 14")
        .matcher(out.toString());
    assertTrue(m.find(), out.toString());
    assertTrue(Double.parseDouble(m.group(1)) >= 0.9, "fits its training set: " + out);

    ModelDir dir = store.require("tiny-style");
    assertEquals(ModelManifest.ARCH_BERT_CLS, dir.manifest().architecture());
    assertEquals(List.of("negative", "positive"), dir.manifest().labels());
    assertEquals("tiny-bert", dir.manifest().source().get("encoder"));
    try (OrtModelCatalog catalog = new OrtModelCatalog(store, OrtConfig.cpu(1))) {
      SequenceClassifier cls = catalog.classifier(ModelRef.newBuilder().setName("tiny-style")
          .build()).orElseThrow();
      List<String> dev = new ArrayList<>(Files.readAllLines(devNeg));
      dev.addAll(Files.readAllLines(devPos));
      float[][] p = cls.probabilities(dev);
      int correct = 0;
      for (int i = 0; i < dev.size(); i++) {
        int label = i < NEGATIVE.length ? 0 : 1;
        correct += (p[i][1] > p[i][0] ? 1 : 0) == label ? 1 : 0;
      }
      assertEquals(String.format("%.4f", (double) correct / dev.size()), m.group(2));
    }
  }

  @Test
  void badPairsAreUsageErrors() {
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new ModelsCommand());
    cmd.setErr(new PrintWriter(err));
    int rc = cmd.execute("train-classifier", "--name", "x", "--train", "no-colon");
    assertEquals(2, rc);
    assertTrue(err.toString().contains("FILE:LABEL"), err.toString());
  }
}

package dev.pin.orchestrator.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The team's own small sentiment set shipped in the orchestrator's jar (resources {@code
 * demo/sentiment}, see its README): 16 examples per class for train and dev, 50 per class for test,
 * labels 0 = negative and 1 = positive. Written by the pin team, not taken from a public dataset,
 * so it can be redistributed with the code.
 */
public final class DemoData {
  /** How a run spec names the folder: {@code few_shot: {dir: "classpath:demo/sentiment"}}. */
  public static final String DIR = DataDir.CLASSPATH_PREFIX + "demo/sentiment";

  /** The only split seed of the demo set ({@code 16-1}). */
  public static final int SPLIT_SEED = 1;

  /** Class names in label order. */
  public static final java.util.List<String> LABEL_NAMES =
      java.util.List.of("negative", "positive");

  private DemoData() {}

  /** The demo folder. */
  public static DataDir dir() {
    return DataDir.resolve(DIR, Path.of(""));
  }

  /** Loads the demo split: 32 train, 32 dev and 100 test examples. */
  public static FewShotSplit load() throws IOException {
    return FewShotLoader.load(dir(), SPLIT_SEED, LABEL_NAMES.size());
  }
}

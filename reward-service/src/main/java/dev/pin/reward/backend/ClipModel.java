package dev.pin.reward.backend;

import java.util.List;

/** A frozen CLIP model: text and image towers with their projections (§6.3). Thread-safe. */
public interface ClipModel {

  /**
   * The model store name.
   *
   * @return the name
   */
  String name();

  /**
   * The vision tower's input resolution N.
   *
   * @return N, e.g. 224
   */
  int imageSize();

  /**
   * Normalisation mean (RGB) of the vision preprocessing.
   *
   * @return 3 values
   */
  float[] imageMean();

  /**
   * Normalisation std (RGB) of the vision preprocessing.
   *
   * @return 3 values
   */
  float[] imageStd();

  /**
   * Projected text embeddings (not necessarily normalised).
   *
   * @param texts prompts
   * @return {@code [texts.size()][dim]}
   */
  float[][] embedTexts(List<String> texts);

  /**
   * Projected image embeddings (not necessarily normalised).
   *
   * @param pixels preprocessed images, each {@code [3·N·N]} CHW
   * @return {@code [pixels.size()][dim]}
   */
  float[][] embedImages(List<float[]> pixels);
}

package dev.pin.reward.ort;

import dev.pin.models.ort.ClipEncoder;
import dev.pin.models.store.ModelManifest;
import dev.pin.reward.backend.ClipModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A CLIP model from the model store over ONNX Runtime (§6.3): the text tower embeds prompts, the
 * vision tower embeds images preprocessed with the constants the manifest recorded at import.
 * Both return the unnormalised projections; {@code ClipReward} normalises. Calls are cut into
 * chunks of {@link #MAX_CHUNK} so one large request cannot build an unbounded input tensor.
 */
final class OrtClipModel implements ClipModel, AutoCloseable {
  /** Sequences or images per ONNX Runtime call. */
  static final int MAX_CHUNK = 64;

  private final String name;
  private final ClipEncoder clip;
  private final ModelManifest.ImagePreprocessing image;

  OrtClipModel(String name, ClipEncoder clip) {
    this.name = name;
    this.clip = clip;
    this.image = clip.imagePreprocessing();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int imageSize() {
    return image.imageSize();
  }

  @Override
  public float[] imageMean() {
    return image.imageMean().clone();
  }

  @Override
  public float[] imageStd() {
    return image.imageStd().clone();
  }

  @Override
  public float[][] embedTexts(List<String> texts) {
    List<float[]> out = new ArrayList<>(texts.size());
    try {
      for (int from = 0; from < texts.size(); from += MAX_CHUNK) {
        out.addAll(List.of(clip.embedTexts(
            texts.subList(from, Math.min(texts.size(), from + MAX_CHUNK)))));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("CLIP model " + name + " failed", e);
    }
    return out.toArray(float[][]::new);
  }

  @Override
  public float[][] embedImages(List<float[]> pixels) {
    List<float[]> out = new ArrayList<>(pixels.size());
    try {
      for (int from = 0; from < pixels.size(); from += MAX_CHUNK) {
        out.addAll(List.of(clip.embedPixels(
            pixels.subList(from, Math.min(pixels.size(), from + MAX_CHUNK)))));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("CLIP model " + name + " failed", e);
    }
    return out.toArray(float[][]::new);
  }

  @Override
  public void close() {
    clip.close();
  }
}
